"""What the paired recipes' end-to-end tests share (imported by name: tests/ is on sys.path):
a small talking demo, the fit command line at smoke size, and the exact-resume check."""

import os
import subprocess
import sys

import numpy as np
from model_state import checkpoint_values

from pipelines.demo.talking import build_talking

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def small_talking(tmp_path_factory):
    """3 identities x 4 pairs of the talking demo."""
    return build_talking(tmp_path_factory.mktemp("talking") / "talking", identities=3,
                         per_identity=4)


def smoke_fit(recipe: str, data, run, steps: int, *extra, seed: int = 1) -> list[str]:
    return ["fit", "--recipe", recipe, "--smoke", "--data", str(data), "--run-dir", str(run),
            "--steps", str(steps), "--seed", str(seed), *extra]


def assert_resumes_exactly(recipe: str, data, tmp_path, seed: int = 1) -> None:
    """2 + 2 steps in two processes end with the weights of 4 straight (every checkpointed
    tensor but the iterator's bytes)."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    every = ["--deterministic", "--set", "checkpoint_every=1", "sample_every=100"]
    for run, steps in ((straight, 4), (split, 2), (split, 4)):
        subprocess.run(CLI + smoke_fit(recipe, data, run, steps, *every, seed=seed), env=ENV,
                       check=True, capture_output=True)
    want, got = checkpoint_values(straight), checkpoint_values(split)
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
