"""Spectral normalisation as the networks here use it (SNGAN: one power iteration per
training call), keeping the wrapped layer's name so weights read as that layer's."""

import keras


def spectral_normalized(layer):
    return keras.layers.SpectralNormalization(layer, power_iterations=1, name=layer.name)
