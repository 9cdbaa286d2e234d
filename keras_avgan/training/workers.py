"""A multi-worker run (`--strategy multiworker`): who writes what, and the checks that the
workers train one model.

The chief writes the run dir. Every other worker writes into a scratch copy of it, in its
temporary folder, deleted when it ends (as TF's multi-worker tutorial has them do): it
saves checkpoints in step with the chief, but only the chief's are kept. Every worker
resumes from the run dir's checkpoints, so the run dir must be on storage all of them see.
"""

import re
import shutil
import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from keras_avgan import runs
from keras_avgan.errors import UserError, WorkerLost
from keras_avgan.training.distribute import Placement

# What TF raises in a collective once its coordination service stops hearing from a worker
# (about 10 s after it died, here), or when a collective is cut short.
LOST = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError,
        tf.errors.CancelledError)


def own_run(run: runs.RunDir, placement: Placement) -> runs.RunDir:
    """The run dir this process writes: the run's for the chief; for another worker a
    scratch copy of the run's files (recipe, settings, measured constants) to resume with."""
    if placement.is_chief:
        return run
    scratch = Path(tempfile.mkdtemp(prefix=f"keras_avgan_worker{placement.task}_"))
    skip = {run.lock_file.name, run.checkpoints.name, run.best.name, run.logs.name,
            run.samples.name}
    if run.root.is_dir():
        for path in run.root.iterdir():
            if path.name in skip:
                continue
            if path.is_dir():
                shutil.copytree(path, scratch / path.name)
            elif path.is_file():
                shutil.copy2(path, scratch / path.name)
    return runs.RunDir(scratch)


def discard(own: runs.RunDir, run: runs.RunDir) -> None:
    """A worker's scratch copy goes once it is done; the chief's run dir stays."""
    if own.root != run.root:
        shutil.rmtree(own.root, ignore_errors=True)


def _of_every_replica(placement: Placement, value) -> list:
    """`value` of every replica, replica by replica (a collective: every worker calls it)."""
    strategy = placement.strategy
    mine = strategy.experimental_distribute_values_from_function(
        lambda context: tf.reshape(value, (1,)))
    return strategy.gather(mine, axis=0).numpy().tolist()


def check_same_step(placement: Placement, step: int, run_root: Path) -> None:
    """Every worker must have restored the same checkpoint; a worker that sees no run dir,
    or another checkpoint of it, would train another model in lockstep without a word."""
    if placement.workers == 1:
        return
    steps = _of_every_replica(placement, tf.constant(step, tf.int64))
    if len(set(steps)) > 1:
        raise UserError(f"the workers resumed from different steps ({steps}, replica by "
                        f"replica; this is worker {placement.task}): every worker must see "
                        f"the same run dir {run_root} (shared storage); run them again")


def check_weights_agree(placement: Placement, gan, step: int) -> None:
    """The workers' weights must be equal, bit for bit: each applies the same all-reduced
    gradients to the same values. Checked (the sum of every float variable) where a
    checkpoint is saved, since only the chief's checkpoint is kept."""
    if placement.workers == 1:
        return
    total = tf.add_n([tf.reduce_sum(tf.cast(v, tf.float64)) for v in gan.weights
                      if keras.backend.is_float_dtype(v.dtype)])
    sums = _of_every_replica(placement, total)
    if len(set(sums)) > 1:
        raise WorkerLost(f"the workers' weights differ at step {step} (sums {sums}, replica by "
                         f"replica; this is worker {placement.task}): they did not train the "
                         "same model. The chief's checkpoints stand; check that every worker "
                         "runs the same version and command")


def lost_message(err: BaseException, placement: Placement, run_root: Path) -> str:
    """What a worker says when a collective failed because another worker is gone."""
    # TF's first line names the function node ({{function_node ...}}); the cause follows.
    lines = [re.sub(r"\{\{[^}]*\}\}\s*", "", line).strip() for line in str(err).splitlines()]
    cause = next((line for line in lines if line), type(err).__name__)
    return (f"worker {placement.task} of {placement.workers}: a worker stopped or cannot be "
            f"reached ({type(err).__name__}: {cause}). The newest checkpoint in {run_root} "
            "stands; start every worker again with the same command to resume from it")
