"""The talking demo: build time for the default size, and whether identity can be told from
the voice alone and from the face alone, by two small convolutional classifiers trained on
the first pairs of each identity and scored on the pairs held out after them."""

import csv
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.signal import stft  # noqa: E402

from pipelines.demo.talking import build_talking  # noqa: E402

RATE, MELS, FACE = 16000, 48, 64
HELD_OUT = 10  # of each identity's pairs, the last ones


def mel_filters(n_fft=512, low=60.0, high=7600.0):
    """Triangular mel filters [n_fft // 2 + 1, MELS], the HTK mel scale."""
    mel = np.linspace(*(2595 * np.log10(1 + np.array([low, high]) / 700)), MELS + 2)
    edges = 700 * (10 ** (mel / 2595) - 1)
    freqs = np.fft.rfftfreq(n_fft, 1 / RATE)
    up = (freqs[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])
    down = (edges[None, 2:] - freqs[:, None]) / (edges[2:] - edges[1:-1])
    return np.clip(np.minimum(up, down), 0, None)


def log_mel(clip, filters):
    """[frames, MELS] log power, 32 ms windows every 10 ms."""
    _, _, spec = stft(clip, RATE, nperseg=512, noverlap=512 - 160, boundary=None)
    return np.log(np.abs(spec.T) ** 2 @ filters + 1e-8).astype(np.float32)


def load(root: Path):
    with open(root / "pairs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    filters = mel_filters()
    voices = np.stack([log_mel(soundfile.read(str(root / r["audio"]))[0], filters)
                       for r in rows])[..., None]
    pictures = np.stack([np.asarray(Image.open(root / r["image"]).resize(
        (FACE, FACE), Image.BILINEAR), np.float32) / 255 for r in rows])
    names = sorted({r["identity"] for r in rows})
    labels = np.array([names.index(r["identity"]) for r in rows])
    # pairs are numbered per identity; the highest numbers are held out
    order = np.array([int(Path(r["audio"]).stem.rsplit("_", 1)[1]) for r in rows])
    test = order >= order.max() + 1 - HELD_OUT
    return voices, pictures, labels, test, len(names)


def small_convnet(shape, classes, widths):
    """Conv-pool blocks, global average pooling and a softmax: small enough for a CPU."""
    layers = [keras.Input(shape)]
    for width in widths:
        layers += [keras.layers.Conv2D(width, 3, padding="same", activation="relu"),
                   # Keras' default momentum (0.99) left the moving statistics so far behind
                   # these few hundred steps that held-out pairs were all one class
                   keras.layers.BatchNormalization(momentum=0.9), keras.layers.MaxPooling2D(2)]
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dropout(0.2),
               keras.layers.Dense(classes, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def identity_accuracy(x, labels, test, classes, widths, epochs, axes) -> float:
    """Held-out accuracy; `axes` are those the standardisation averages over (training pairs
    only): all but the mel band for a voice, all but the colour channel for a face."""
    mean = x[~test].mean(axis=axes, keepdims=True)
    std = x[~test].std(axis=axes, keepdims=True) + 1e-6
    x = (x - mean) / std
    model = small_convnet(x.shape[1:], classes, widths)
    model.fit(x[~test], labels[~test], batch_size=32, epochs=epochs, verbose=0, shuffle=True)
    return float(model.evaluate(x[test], labels[test], verbose=0)[1])


def main() -> None:
    keras.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        root = build_talking(Path(tmp) / "talking")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        voices, pictures, labels, test, classes = load(root)
    started = time.perf_counter()
    voice = identity_accuracy(voices, labels, test, classes, (16, 32, 64), 30, (0, 1, 3))
    face = identity_accuracy(pictures, labels, test, classes, (16, 32, 64), 40, (0, 1, 2))
    print(f"talking demo: {len(labels)} pairs of {classes} identities built in {seconds:.1f} s "
          f"({cpu:.1f} s CPU); identity from the voice alone {voice:.1%}, from the face alone "
          f"{face:.1%} on {int(test.sum())} held-out pairs "
          f"({time.perf_counter() - started:.0f} s of training)")


if __name__ == "__main__":
    main()
