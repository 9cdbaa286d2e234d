"""A recipe's run at smoke size from the command line, and the check that a run stopped after
2 steps and resumed to 4 ends exactly as 4 straight (imported by name: tests/ is on
sys.path)."""

import numpy as np
from model_state import checkpoint_values
from tensorflow.python.framework import config as tf_config

from keras_avgan.cli import main


def smoke_fit(recipe: str, data, run, steps: int, *extra, seed: int = 1) -> list[str]:
    return ["fit", "--recipe", recipe, "--smoke", "--data", str(data), "--run-dir", str(run),
            "--steps", str(steps), "--seed", str(seed), *extra]


def assert_resumes_exactly(recipe: str, data, tmp_path, seed: int = 1) -> dict:
    """2 steps, then the same command to 4, end with the weights of 4 straight (every
    checkpointed tensor but the iterator's bytes), which it returns. The runs share this
    process: each fit rebuilds everything from the run dir, which is what a resume after a
    kill does (the audio and image recipes' tests kill real processes)."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    every = ["--deterministic", "--set", "checkpoint_every=1", "sample_every=100"]
    was_deterministic = tf_config.is_op_determinism_enabled()
    try:
        for run, steps in ((straight, 4), (split, 2), (split, 4)):
            assert main(smoke_fit(recipe, data, run, steps, *every, seed=seed)) == 0
    finally:
        if not was_deterministic:  # --deterministic turns it on for the whole process
            tf_config.disable_op_determinism()
    # The object graph names layers by how many this process has made: not run state.
    want, got = ({k: v for k, v in checkpoint_values(run).items()
                  if k != "_CHECKPOINTABLE_OBJECT_GRAPH"} for run in (straight, split))
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    return want
