"""keras_avgan: audio, image and audio-visual GANs on Keras 3, shipped to TF Serving and TFLite."""

__version__ = "0.1.0"
