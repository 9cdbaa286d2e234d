"""fit(recipe, data, run_dir): wires data, networks, losses and checkpoints into a run.

The loop is ours rather than `Model.fit` because an exact resume needs the tf.data iterator
in the checkpoint, and `fit` owns its iterator. `GAN.fit(dataset)` still works from Python.
`--strategy` places the step on several devices or workers (distribute.py).
"""

import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf

from keras_avgan import modalities, recipes, runs
from keras_avgan.errors import DiskFull, Interrupted, UserError, WorkerLost
from keras_avgan.modalities import conditions
from keras_avgan.modalities.base import TrainingData
from keras_avgan.modalities.sampler import Sampler
from keras_avgan.training import checkpoints, distribute, precision, workers, xla
from keras_avgan.training.builders import build_gan
from keras_avgan.training.callbacks import MetricsLog, SampleWriter, check_finite
from keras_avgan.training.progress import progress_for


@dataclass
class FitOptions:
    steps: int | None = None  # total G steps the run should reach
    mixed_precision: str = "off"
    jit: bool = False
    seed: int = 0
    deterministic: bool = False  # slower ops whose results do not vary between runs
    strategy: str = "default"


def fit(recipe: recipes.Recipe, data_arg: str, run_dir: str | Path,
        options: FitOptions | None = None, out=None, faces: str | None = None) -> dict:
    """Train (or resume) a run; returns the last logged metrics. `faces`: the faces folder
    of a recipe that reads one besides `data_arg` (face2music; "demo" for the demo's)."""
    out = out or sys.stdout  # looked up per call: sys.stdout may be replaced after import
    options = options or FitOptions()
    distribute.check_options(options.strategy, options.jit)
    placement = distribute.place(options.strategy)  # first: before TF sets up its runtime
    if placement.name != "default":
        print(placement.describe(), file=out)
    if options.jit and (note := xla.cpu_warning()):
        _warn(note)
    if options.steps is not None:
        recipe = recipes.replace(recipe, steps=options.steps)
    modality = modalities.for_recipe(recipe)
    faces_path = modalities.resolve_faces(recipe, faces, data_arg)
    extra = {} if faces_path is None else {"faces": faces_path}
    # Fails on bad data before anything is built.
    data = modality.load(recipe, modalities.resolve_data(recipe, data_arg), sys.stderr, **extra)
    recipe = _with_class_count(recipe, data)
    run = runs.RunDir(Path(run_dir))
    own = workers.own_run(run, placement)  # a worker but the chief writes a scratch copy
    settings = {"seed": options.seed, "mixed_precision": options.mixed_precision,
                "data": data_arg if data_arg == "demo" else str(data.root.resolve()),
                "strategy": options.strategy}
    if faces_path is not None:  # only then: the run.json of other recipes stays as it was
        settings["faces"] = "demo" if data_arg == "demo" and faces in (None, "demo") \
            else str(faces_path.resolve())
    try:
        with runs.RunLock(own, log=_warn):
            return _fit_locked(recipe, data, own, settings, options, out, placement, run)
    except workers.LOST as err:
        if placement.workers == 1:
            raise
        raise WorkerLost(workers.lost_message(err, placement, run.root)) from None
    except (OSError, tf.errors.OpError) as err:
        if not checkpoints.is_disk_full(err):
            raise
        # A checkpoint save says more itself (RunCheckpoint.save); this is any other file:
        # metrics, previews, TensorBoard, the run's own files, the lock.
        what = getattr(err, "filename", None) or "a file of the run"
        raise DiskFull(checkpoints.disk_full_message(
            what, run.root, 0, f"the checkpoints in {run.checkpoints} are untouched")) \
            from None  # the message says it all; a traceback of TF's writer would not
    finally:
        workers.discard(own, run)


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def _fit_locked(recipe, data, run, settings, options, out, placement, shared) -> dict:
    """`run` is the run dir this process writes; `shared`, the run's own (the same but on a
    multi-worker run's other workers), holds the checkpoints to resume from."""
    modality = modalities.for_recipe(recipe)
    recipe = runs.open_for_training(run, recipe, settings)
    if data.conditions is not None:
        conditions.save(run, data.conditions)
    renderer = modality.prepare(recipe, run, data)

    keras.utils.set_random_seed(options.seed)
    if options.deterministic:
        tf.config.experimental.enable_op_determinism()
    precision.set_precision(options.mixed_precision)
    with placement.strategy.scope():  # networks and optimizers: mirrored variables
        gan = build_gan(recipe, seed=options.seed, run_root=run.root)
        d_opt, g_opt = precision.make_optimizers(recipe, options.mixed_precision)
        gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=options.jit)
        gan.build_all()
    distribute.check_trainable(gan, recipe, placement, _warn)
    distribute.synchronize_batch_norm(placement, gan.generator, gan.discriminator,
                                      getattr(gan, "generator_ema", None))

    iterator = iter(modality.training_dataset(recipe, data, options.seed, renderer))
    ckpt = checkpoints.RunCheckpoint(run.checkpoints, gan, iterator, recipe.keep_checkpoints)
    start = ckpt.restore_latest(log=_warn) if run == shared else \
        ckpt.restore_shared(shared.checkpoints, log=_warn)
    workers.check_same_step(placement, start, shared.root)
    if start >= recipe.steps:
        print(f"{shared.root} is already at step {start} (target {recipe.steps}); "
              "pass a larger --steps to train on", file=out)
        return {"step": start}
    if start:
        print(f"resuming {shared.root} from step {start}", file=out)
    sampler = Sampler(gan.inference_generator, renderer, data.conditions)
    keeper = None
    if recipe.eval_every and placement.is_chief:
        from keras_avgan.evaluation.during_training import BestKeeper

        _check_best(run)
        keeper = BestKeeper(run, recipe, data.root, gan, sampler,
                            log=lambda m: print(m, file=out))
    samples = SampleWriter(run, recipe, sampler, modality, data) if placement.is_chief \
        else _NoSamples()
    with StopRequest() as stop:
        return _loop(gan, recipe, run, ckpt, iterator, start, options, out, samples, keeper,
                     stop, placement)


class _NoSamples:
    """A multi-worker run's previews come from its chief alone."""

    def write(self, step: int) -> None:
        pass


def _check_best(run: runs.RunDir) -> None:
    """best/ as the best-checkpoint keeper may trust it: no staging folders, no damaged
    checkpoint or index, and no best.json score left without the checkpoint it scored (a
    later evaluation would have to beat a score nothing on disk has)."""
    checkpoints.clean_staging(run.best, _warn)
    try:
        checkpoints.restore_newest(run.best, "best", checkpoints.check_readable, _warn, True)
    except checkpoints.NothingRestores as err:
        record = run.best / "best.json"
        if record.is_file():
            (run.best / checkpoints.DAMAGED).mkdir(exist_ok=True)
            record.rename(run.best / checkpoints.DAMAGED / record.name)
        _warn(f"warning: {err.summary}; the best checkpoint is kept anew from the next "
              "evaluation")


class StopRequest:
    """SIGINT and SIGTERM ask the loop to stop after the current step and save there; a
    second one stops at once (the newest complete checkpoint stands). Handlers can only be
    set in the main thread; elsewhere (fit called from a thread) signals act as before."""

    def __init__(self):
        self.signum: int | None = None
        self.previous: dict = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            self.previous = {s: signal.signal(s, self._handle)
                             for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame) -> None:
        # Nothing printed here: a handler runs between any two bytecodes, maybe inside a
        # write to the same stream. The loop says what it does once the step is over.
        if self.signum is not None:
            raise Interrupted(f"stopped by {signal.Signals(signum).name} a second time; re-run "
                              "the same command to resume from the newest complete "
                              "checkpoint", signum)
        self.signum = signum

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def _with_class_count(recipe: recipes.Recipe, data: TrainingData) -> recipes.Recipe:
    """A conditional recipe's num_classes (or the classes a network is sized for), taken
    from the data when it says 0."""
    classes = data.conditions.classes if data.conditions is not None else data.class_names
    if classes is None:
        return recipe
    found = len(classes)
    if recipe.num_classes == 0:
        return recipes.replace(recipe, num_classes=found)
    if recipe.num_classes != found:
        raise UserError(f"--set num_classes={recipe.num_classes}, but the '{recipe.label_column}'"
                        f" column has {found} classes; leave num_classes at 0 to follow the data")
    return recipe


def _loop(gan, recipe, run, ckpt, iterator, start, options, out, samples, keeper, stop,
          placement) -> dict:
    step_fn = distribute.step_function(placement, gan.train_step, options.jit, recipe.d_steps)
    log = MetricsLog(run, recipe, start)
    bar = progress_for(recipe.steps, out)
    last_saved, tick, ticked_at = start, time.perf_counter(), start
    step = start
    for step in range(start + 1, recipe.steps + 1):
        for metric in gan.metrics:
            metric.reset_state()  # per-step values; MetricsLog averages over log_every
        batch = next(iterator)
        values = {k: float(v) for k, v in step_fn(batch).items()}
        check_finite(values, step, last_saved, run)
        log.add(step, values)
        if step % recipe.log_every == 0 or step == recipe.steps:
            rate = (step - ticked_at) / max(time.perf_counter() - tick, 1e-9)
            tick, ticked_at = time.perf_counter(), step
            shown = log.flush(step, rate)
            bar.update(step, [(k, v) for k, v in shown.items() if k != "step"])
        if step % recipe.sample_every == 0:
            samples.write(step)
        if keeper and (step % recipe.eval_every == 0 or step == recipe.steps):
            log.write(step, keeper(step))  # the final step too: what the run ends with
        if step % recipe.checkpoint_every == 0:
            workers.check_weights_agree(placement, gan, step)
            ckpt.save(step)
            last_saved = step
        if stop and stop.signum is not None:
            name = signal.Signals(stop.signum).name
            print(f"\n{name}: stopping at step {step}, saving a checkpoint first (send it "
                  "again to stop without saving)", file=sys.stderr)
            path = ckpt.save(step) if last_saved != step else ckpt.manager.latest_checkpoint
            if not placement.is_chief:  # its save went to a scratch copy, deleted on exit
                path = "this worker's copy (the chief's checkpoints are the run's)"
            log.close()
            raise Interrupted(f"stopped by {name} at step {step}; saved {path}. Re-run the "
                              "same command to resume from there", stop.signum)
    if last_saved != recipe.steps:
        workers.check_weights_agree(placement, gan, recipe.steps)
        ckpt.save(recipe.steps)
        samples.write(recipe.steps)
    log.close()
    if not placement.is_chief:
        print(f"worker {placement.task}: trained to step {recipe.steps} with the chief's "
              "weights (checked at every checkpoint); the chief writes the run dir", file=out)
        return log.last
    print(f"run dir: {run.root} (step {recipe.steps}; checkpoints in {run.checkpoints}, "
          f"samples in {run.samples}, curves in {run.loss_plot})", file=out)
    return log.last

