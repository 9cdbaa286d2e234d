"""Shared fixtures: a tiny labelled sound folder written with numpy (no demo build, no network)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile  # noqa: E402

RATE = 16000


def write_tones(root, count=12, rate=RATE, seconds=1.0, seed=0):
    """Decaying harmonic tones at three pitches, 16-bit WAV, with a labels.csv."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    rows = ["path,pitch"]
    for i in range(count):
        pitch = (48, 55, 62)[i % 3]
        freq = 440.0 * 2 ** ((pitch - 69) / 12)
        tone = sum(np.sin(2 * np.pi * k * freq * t + rng.uniform(0, 6)) / k for k in (1, 2, 3))
        clip = (0.5 * tone * np.exp(-3 * t)).astype(np.float32)
        name = f"tone_{i:03d}.wav"
        soundfile.write(str(root / name), clip, rate, subtype="PCM_16")
        rows.append(f"{name},{pitch}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="session")
def tiny_tones(tmp_path_factory):
    return write_tones(tmp_path_factory.mktemp("tones") / "data")


@pytest.fixture(scope="session")
def tones_writer():
    """write_tones for tests that need their own folder (conftest is not importable by name)."""
    return write_tones


@pytest.fixture
def deterministic_ops():
    """Op determinism for one test. TF has no public switch back, so it is turned off again:
    left on, it would also disable XLA for every later test in the process."""
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    was_on = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    yield
    if not was_on:
        tf_config.disable_op_determinism()


def pytest_collection_modifyitems(config, items):
    """Multi-worker runs (processes on loopback, minutes on two cores) run only when asked
    for: `pytest -m multiworker`."""
    if "multiworker" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="multi-worker runs on loopback: pytest -m multiworker")
    for item in items:
        if "multiworker" in item.keywords:
            item.add_marker(skip)
