"""The judges' network: small convolutional classifiers that play the Inception network's
part for our own data (no published audio or face embedder can be downloaded here).

A modality supplies the front end (log-mel spectrogram for audio, rescaling for images);
this module adds the shared trunk and head. Evaluation reads two layers by name: the
"embedding" (activations for FD, KID and nearest-neighbour distances) and the "logits"
(Inception score, accuracy against the condition). A judge is a single-output Keras model
(logits), which keeps its training plain.
"""

import contextlib

import keras

EMBEDDING = "embedding"
LOGITS = "logits"
# Judges train for a few hundred steps on small user datasets; with Keras' default momentum
# (0.99) the moving statistics used at inference would still be far from the data.
BN_MOMENTUM = 0.9


@contextlib.contextmanager
def float32_policy():
    """Build in float32 even inside a mixed-precision run: an STFT in float16 overflows and
    metric values must not depend on the training run's precision."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _conv_blocks(x, widths, seed: int):
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False,
                                kernel_initializer=keras.initializers.HeNormal(seed + i))(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D(2, padding="same")(x)
    return keras.layers.GlobalAveragePooling2D()(x)


def build_classifier(inputs, features, num_classes: int, name: str, widths=(32, 64, 128),
                     embedding_dim: int = 128, dropout: float = 0.3,
                     seed: int = 0) -> keras.Model:
    """inputs -> front-end `features` [B, H, W, C] -> conv blocks -> embedding -> logits.
    Call inside `float32_policy()`, where the front end was built."""
    if num_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {num_classes}")
    pooled = _conv_blocks(features, widths, seed)
    embedding = keras.layers.Dense(embedding_dim, activation="relu", name=EMBEDDING,
                                   kernel_initializer=keras.initializers.HeNormal(seed))(pooled)
    x = keras.layers.Dropout(dropout, seed=seed)(embedding)
    logits = keras.layers.Dense(num_classes, name=LOGITS,
                                kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    return keras.Model(inputs, logits, name=name)
