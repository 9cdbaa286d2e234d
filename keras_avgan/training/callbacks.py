"""What a run writes while it trains: metrics.jsonl, TensorBoard, previews, and the NaN guard."""

import json
import math
import time

import tensorflow as tf

from keras_avgan import runs
from keras_avgan.errors import TrainingDiverged
from keras_avgan.media import plots
from keras_avgan.modalities import conditions

PREVIEW_COUNT = 16
PREVIEW_SEED = 1234  # fixed latents so previews of successive steps are comparable


def check_finite(values: dict, step: int, last_saved: int, run: runs.RunDir) -> None:
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if bad:
        kept = f"step {last_saved}" if last_saved else "no checkpoint yet"
        raise TrainingDiverged(
            f"training diverged at step {step}: {', '.join(f'{k}={v}' for k, v in bad.items())}."
            f" The last good checkpoint in {run.checkpoints} is kept ({kept}); lower the "
            "learning rates (--set d_learning_rate=... g_learning_rate=...) or check the data"
        )


class MetricsLog:
    """Averages per-step values over log_every steps into metrics.jsonl and TensorBoard."""

    def __init__(self, run: runs.RunDir, recipe, start_step: int):
        self.run = run
        # A killed run logged steps its checkpoint never saw.
        kept = self._drop_rows_after(start_step)
        self.writer = tf.summary.create_file_writer(str(run.logs))
        self.sums: dict[str, float] = {}
        self.count = 0
        self.last: dict = {}
        # `time` is the run's training time: a resumed run goes on from its last row.
        self.started = time.time() - max((row.get("time", 0.0) for row in kept), default=0.0)

    def _drop_rows_after(self, step: int) -> list[dict]:
        """Keep the rows up to `step`; returns them. A line cut short (a kill or a full disk
        mid-write) is dropped too, rather than stopping the resume."""
        path = self.run.metrics_file
        if not path.is_file():
            return []
        kept = []
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and row.get("step", 0) <= step:
                kept.append(row)
        runs.atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in kept))
        return kept

    def add(self, step: int, values: dict) -> None:
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.count += 1

    def flush(self, step: int, steps_per_second: float) -> dict:
        row = {k: v / max(self.count, 1) for k, v in self.sums.items()}
        row.pop("loss", None)  # an alias of d_loss kept for Keras' TerminateOnNaN
        row["step/s"] = steps_per_second
        self.sums, self.count = {}, 0
        self.write(step, row)
        return row

    def write(self, step: int, row: dict) -> None:
        """One line of metrics.jsonl and the same scalars in TensorBoard."""
        with self.writer.as_default(step=step):
            for key, value in row.items():
                tf.summary.scalar(key, value)
        record = {"step": step, "time": round(time.time() - self.started, 3), **row}
        with self.run.metrics_file.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        self.last = record

    def close(self) -> None:
        self.writer.flush()
        plots.loss_curves(self.run.metrics_file, self.run.loss_plot)


class SampleWriter:
    """Generator outputs for fixed latents (and classes, in turn), written by the recipe's
    modality into samples/ (a WAV strip and figures, or an image grid) and TensorBoard."""

    def __init__(self, run: runs.RunDir, recipe, sampler, modality, data):
        self.run, self.recipe, self.sampler, self.modality = run, recipe, sampler, modality
        self.z = modality.preview_inputs(recipe, data, PREVIEW_COUNT, PREVIEW_SEED)
        self.titles = modality.preview_titles(recipe, data, PREVIEW_COUNT)
        self.writer = tf.summary.create_file_writer(str(run.logs))

    def write(self, step: int) -> None:
        made = self.sampler(self.z)
        titles = self.titles or conditions.titles(self.sampler.conditions, made.ids)
        self.modality.preview(made, self.recipe, self.run.samples, f"step_{step:07d}", titles)
        with self.writer.as_default(step=step):
            self.modality.summarize(made, self.recipe, step)
