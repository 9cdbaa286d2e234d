"""Small labelled sets whose classes are easy to tell apart: faces as coloured blobs at a
class's place, notes as a class's partials, each example with its own noise and jitter."""

import numpy as np


def blob_faces(classes=4, per_class=12, size=16, seed=0):
    """(float32 [N, size, size, 3] in [-1, 1], ids [N]): class c is a bright square at its
    own corner in its own colour, on noise."""
    rng = np.random.default_rng(seed)
    colours = rng.uniform(-0.8, 0.8, (classes, 3))
    images, ids = [], []
    half = size // 2
    for c in range(classes):
        top, left = (c // 2 % 2) * half, (c % 2) * half
        for _ in range(per_class):
            image = rng.normal(0, 0.2, (size, size, 3))
            shift = rng.integers(0, 3, 2)
            image[top + shift[0]:top + half - 2 + shift[0],
                  left + shift[1]:left + half - 2 + shift[1]] += colours[c] + 0.5
            images.append(np.clip(image, -1, 1))
            ids.append(c)
    return np.asarray(images, np.float32), np.asarray(ids, np.int32)


def partial_notes(classes=3, per_class=10, samples=8192, seed=0):
    """(float32 [N, samples] in [-1, 1], ids [N]): class c has the harmonic series of its
    own fundamental and decay, each note at a random detune, phase and level."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / 16000
    notes, ids = [], []
    for c in range(classes):
        for _ in range(per_class):
            freq = (220.0, 550.0, 1400.0, 3000.0)[c % 4] * rng.uniform(0.97, 1.03)
            note = sum(np.sin(2 * np.pi * k * freq * t + rng.uniform(0, 6)) / k
                       for k in (1, 2, 3))
            note = note * np.exp(-(2 + 6 * c) * t) + rng.normal(0, 0.01, samples)
            notes.append(note / np.abs(note).max() * rng.uniform(0.5, 0.9))
            ids.append(c)
    return np.asarray(notes, np.float32), np.asarray(ids, np.int32)
