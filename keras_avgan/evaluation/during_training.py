"""`fit --eval-every N`: score the generator while it trains and keep the best checkpoint."""

import json

import numpy as np
import tensorflow as tf

from keras_avgan import modalities, runs
from keras_avgan.evaluation import classifiers, metrics
from keras_avgan.evaluation.evaluate import EVAL_SEED, class_ids, generate_examples
from keras_avgan.evaluation.reference import classifier_for, load_labelled

# Not the seed `evaluate` scores with: picking the best checkpoint on the very samples that
# are then reported would flatter it.
SELECTION_SEED = EVAL_SEED + 1


class BestKeeper:
    """Scores with the first label column's classifier (for face-and-voice pairs, the face
    judge's, on the faces); keeps the checkpoint with the lowest
    Frechet distance, or the highest Inception Score (`best_metric=is`, as WaveGAN's
    reference code keeps its best), or for a generator conditioned on that column the highest
    share of samples heard as the class asked for (`best_metric=accuracy`)."""

    def __init__(self, run: runs.RunDir, recipe, data_root, gan, sampler, n: int = 256,
                 log=print):
        self.run, self.recipe, self.n, self.sampler = run, recipe, n, sampler
        self.modality = modalities.for_recipe(recipe)
        if self.modality.judged_in_halves:  # face-and-voice pairs: picked by their faces
            self.modality = self.modality.faces
        # A conditional fit has already named the files without labels (modality.load)
        self.data = load_labelled(data_root, recipe, name_unlabelled=not recipe.conditional,
                                  modality=self.modality)
        self.column = next(iter(self.data.class_names))
        self.classifier, _ = classifier_for(self.data, self.column, recipe, log=log,
                                            modality=self.modality)
        self.train_act, _ = classifiers.classifier_outputs(
            self.classifier, self.modality.judge_inputs(self.data.train))
        # A conditional generator's class ids -> this classifier's. Its condition is
        # label_column, the column judged here (the recipe refuses best_metric=accuracy
        # without one).
        self.asked_to_column = (class_ids(self.data.class_names[self.column],
                                          sampler.conditions.classes)
                                if sampler.conditional else None)
        # A generator driven by files (Wav2Pix) is scored on what it makes from training
        # pairs' inputs: the held-out ones are what `evaluate` reports on.
        self.inputs = self.speakers = None
        if self.data.inputs_train is not None:
            pick = np.linspace(0, len(self.data.train) - 1, min(n, len(self.data.train)))
            pick = pick.astype(int)
            self.inputs = self.data.inputs_train[pick]
            self.speakers = self.data.labels_train[self.column][pick]
        self.key = f"{recipe.best_metric}_{self.column}"
        # compare as "lower is better"
        self.sign = 1.0 if recipe.best_metric == "fd" else -1.0
        self.manager = tf.train.CheckpointManager(tf.train.Checkpoint(gan=gan), str(run.best),
                                                  max_to_keep=1, checkpoint_name="best")
        record = run.best / "best.json"
        self.best = json.loads(record.read_text())[self.key] if record.is_file() else None

    def __call__(self, step: int) -> dict:
        made, asked = self._made()
        act, logits = classifiers.classifier_outputs(
            self.classifier, self.modality.judge_inputs(made[self.modality.output_name]))
        scores = {f"fd_{self.column}": metrics.frechet_distance(act, self.train_act),
                  f"is_{self.column}": metrics.inception_score(logits, splits=1)[0]}
        if asked is not None:
            scores[f"accuracy_{self.column}"] = metrics.classification_accuracy(logits, asked)
        if self.best is None or self.sign * scores[self.key] < self.sign * self.best:
            self.best = scores[self.key]
            self.manager.save(checkpoint_number=step)
            runs.atomic_write_text(self.run.best / "best.json",
                                   json.dumps({"step": step, **scores}, default=float) + "\n")
        return {f"eval/{k}": float(v) for k, v in scores.items()}

    def _made(self):
        """(examples, the judge's class id each was asked to be, or None)."""
        if self.inputs is not None:
            return self.sampler(self.inputs), self.speakers
        made = generate_examples(self.sampler, self.recipe, self.n, seed=SELECTION_SEED)
        asked = None if self.asked_to_column is None else self.asked_to_column[made.ids]
        return made, asked
