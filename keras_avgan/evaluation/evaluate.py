"""`keras_avgan evaluate`: how good a run's generator is, between an untrained floor and a
real-data ceiling, with classifiers trained on the run's own data."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from keras_avgan import data as run_data
from keras_avgan import latents, networks, plots, runs
from keras_avgan.builders import load_synthesizer
from keras_avgan.errors import UserError
from keras_avgan.evaluation import classifiers, metrics, tonality
from keras_avgan.evaluation.reference import classifier_for, load_labelled_clips, user_classifier
from keras_avgan.synthesis import Synthesizer

EVAL_SEED = 2024  # generated samples are drawn from this seed, so reruns compare like with like
SUPPORTED_KINDS = ("audio",)


@dataclass
class Evaluation:
    run_dir: str
    checkpoint: str
    n: int
    classifiers: dict = field(default_factory=dict)  # column -> held-out accuracy etc.
    scores: dict = field(default_factory=dict)  # source -> metric -> value

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, default=float)


def generate_clips(synthesizer, recipe, n: int, seed: int = EVAL_SEED):
    """n samples for `seed`; conditional generators go round their classes in turn."""
    z = latents.sample_latents(n, recipe.latent_dim, recipe.latent_dist, seed)
    return synthesizer(z)


def class_ids(class_names, names) -> np.ndarray:
    """The classifier's id of each class name in `names`; -1 for one the data lacks."""
    index = {c: i for i, c in enumerate(class_names)}
    return np.array([index.get(c, -1) for c in names])


def untrained_like(synthesizer: Synthesizer, recipe) -> Synthesizer:
    """The recipe's generator freshly initialised, always from the same seed, so the floor
    does not move from one evaluation to the next. Keras initialisers draw from the global
    generators, so this reseeds Python's, NumPy's and TF's, as `fit` does with its seed."""
    keras.utils.set_random_seed(EVAL_SEED)
    return Synthesizer(networks.get_generator_builder(recipe.generator)(recipe),
                       synthesizer.representation, synthesizer.conditions)


def score_sources(sources: dict, reference, refs_data, columns, asked=None) -> dict:
    """IS/FD/KID per label column and nearest-neighbour distances for each source of clips.

    `asked` ({source: (column, class name per clip)}) adds `accuracy_<column>`: how often the
    column's classifier hears the class a conditional generator was asked for.
    """
    scores = {name: {} for name in sources}
    asked = asked or {}
    for column in columns:
        model = reference[column]
        train_act, _ = classifiers.classifier_outputs(model, refs_data.train[..., None])
        for name, clips in sources.items():
            act, logits = classifiers.classifier_outputs(model, clips[..., None])
            splits = 10 if len(clips) >= 200 else 1
            scores[name][f"is_{column}"] = metrics.inception_score(logits, splits=splits)[0]
            scores[name][f"fd_{column}"] = metrics.frechet_distance(act, train_act)
            scores[name][f"kid_{column}"] = metrics.kernel_distance(act, train_act)
            if name in asked and asked[name][0] == column:
                wanted = class_ids(refs_data.class_names[column], asked[name][1])
                scores[name][f"accuracy_{column}"] = metrics.classification_accuracy(
                    logits, wanted)
            if column == columns[0]:
                nn = metrics.nearest_neighbor_summary(act, train_act)
                scores[name]["nn_to_train"] = nn["generated_to_train"]
                scores[name]["nn_within"] = nn["generated_to_generated"]
    return scores


def evaluate_run(run_dir, data: str | None = None, n: int = 1000, label_columns=None,
                 json_out=None, classifier: str | None = None, log=print) -> Evaluation:
    run = runs.RunDir(Path(run_dir))
    recipe, synthesizer, which = load_synthesizer(run_dir)
    if recipe.data_kind not in SUPPORTED_KINDS:
        raise UserError(f"evaluate does not yet score '{recipe.data_kind}' recipes")
    if n < 2:
        raise UserError(f"-n must be at least 2 to compare distributions, got {n}")
    root = run_data.resolve_path(recipe, data or _data_of(run))
    labelled = load_labelled_clips(root, recipe, label_columns)
    columns = list(labelled.class_names)
    reference, result = {}, Evaluation(str(run.root), which, n)
    if classifier and len(columns) != 1:
        raise UserError("--classifier scores one label: name it with --label COLUMN")
    for column in columns:
        reference[column], result.classifiers[column] = (
            user_classifier(classifier, labelled, column) if classifier
            else classifier_for(labelled, column, recipe, log=log))
    made = {"untrained": generate_clips(untrained_like(synthesizer, recipe), recipe, n),
            "trained": generate_clips(synthesizer, recipe, n)}
    sources = {"real (held-out)": labelled.held_out,
               **{name: m.audio for name, m in made.items()}}
    asked = {}
    if synthesizer.conditional:  # conditional generators: do they make the class asked for?
        name = synthesizer.conditions.name
        if name in columns:
            classes = synthesizer.conditions.classes
            asked = {source: (name, [classes[i] for i in m.ids]) for source, m in made.items()}
            asked["real (held-out)"] = (name, [labelled.class_names[name][i]
                                               for i in labelled.labels_held_out[name]])
    result.scores = score_sources(sources, reference, labelled, columns, asked)
    for name, clips in sources.items():  # classifier-free: noise where the partials are
        result.scores[name]["spectral_flatness"] = tonality.spectral_flatness(
            clips, recipe.sample_rate)
    figure = Path(json_out).with_suffix(".png") if json_out else run.root / "evaluation.png"
    plots.audio_comparison(labelled.held_out[:4], sources["trained"][:4], recipe.sample_rate,
                           figure)
    out = Path(json_out) if json_out else run.root / "evaluation.json"
    runs.atomic_write_text(out, result.to_json() + "\n")
    log(format_table(result))
    log(f"written: {out} and {figure}")
    return result


def _data_of(run: runs.RunDir) -> str:
    if run.state_file.is_file():
        return json.loads(run.state_file.read_text())["data"]
    raise UserError(f"{run.root} does not say which data it was trained on; pass --data")


def format_table(result: Evaluation) -> str:
    keys = sorted({k for s in result.scores.values() for k in s})
    names = list(result.scores)
    width = max(len(k) for k in keys) + 2
    lines = [f"checkpoint: {result.checkpoint}"]
    for column, info in result.classifiers.items():
        lines.append(f"classifier '{column}': held-out accuracy {info['held_out_accuracy']:.3f} "
                     f"over {len(info['classes'])} classes")
    lines.append("".ljust(width) + "".join(f"{name:>18}" for name in names))
    for key in keys:
        row = "".join(f"{result.scores[name].get(key, float('nan')):>18.4g}" for name in names)
        lines.append(key.ljust(width) + row)
    lines.append("is_*: higher is better; fd_*, kid_*: lower is better. nn_to_train: mean distance "
                 "to the nearest training clip (far below real's: memorisation); nn_within: to "
                 "the nearest other sample (near 0: collapse); accuracy_*: share of samples "
                 "heard as the class they were asked for (conditional recipes); "
                 "spectral_flatness: noisiness at 50-2000 Hz (near 0: clean partials, 0.56: "
                 "white noise; compare with real's)")
    return "\n".join(lines)
