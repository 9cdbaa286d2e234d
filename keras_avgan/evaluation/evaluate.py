"""`keras_avgan evaluate`: how good a run's generator is, between an untrained floor and a
real-data ceiling, with judges trained on the run's own data."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from keras_avgan import latents, modalities, networks, runs
from keras_avgan.errors import UserError
from keras_avgan.evaluation import classifiers, metrics, pairs
from keras_avgan.evaluation.reference import classifier_for, load_labelled, user_classifier
from keras_avgan.modalities.sampler import Sampler
from keras_avgan.training.builders import load_sampler

EVAL_SEED = 2024  # generated samples are drawn from this seed, so reruns compare like with like
REAL = "real (held-out)"


@dataclass
class Evaluation:
    run_dir: str
    checkpoint: str
    n: int
    classifiers: dict = field(default_factory=dict)  # column -> held-out accuracy etc.
    scores: dict = field(default_factory=dict)  # source -> metric -> value

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, default=float)


def generate_examples(sampler, recipe, n: int, seed: int = EVAL_SEED):
    """n samples for `seed`; conditional generators go round their classes in turn."""
    return sampler(latents.sample_latents(n, recipe.latent_dim, recipe.latent_dist, seed))


def class_ids(class_names, names) -> np.ndarray:
    """The classifier's id of each class name in `names`; -1 for one the data lacks."""
    index = {c: i for i, c in enumerate(class_names)}
    return np.array([index.get(c, -1) for c in names])


def untrained_like(sampler: Sampler, recipe, **sizes) -> Sampler:
    """The recipe's generator freshly initialised, always from the same seed, so the floor
    does not move from one evaluation to the next. Keras initialisers draw from the global
    generators, so this reseeds Python's, NumPy's and TF's, as `fit` does with its seed.
    `sizes`: what the builder takes besides the recipe, measured on the run (face2music's
    face_dim)."""
    keras.utils.set_random_seed(EVAL_SEED)
    return Sampler(networks.get_generator_builder(recipe.generator)(recipe, **sizes),
                   sampler.renderer, sampler.conditions)


def score_sources(sources: dict, reference, refs_data, columns, modality, asked=None) -> dict:
    """IS/FD/KID per label column and nearest-neighbour distances for each source of
    published examples.

    `asked` ({source: (column, class name per example)}) adds `accuracy_<column>`: how often
    the column's judge hears (or sees) the class a conditional generator was asked for.
    """
    scores = {name: {} for name in sources}
    asked = asked or {}
    for column in columns:
        model = reference[column]
        train_act, _ = classifiers.classifier_outputs(model, modality.judge_inputs(refs_data.train))
        for name, examples in sources.items():
            act, logits = classifiers.classifier_outputs(model, modality.judge_inputs(examples))
            splits = 10 if len(examples) >= 200 else 1
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
                 json_out=None, classifier: str | None = None, log=print,
                 faces: str | None = None) -> Evaluation:
    """`faces`: the faces folder of a recipe that reads one besides its notes (face2music;
    default: the run's)."""
    run = runs.RunDir(Path(run_dir))
    recipe = runs.load_recipe(run)
    modality = modalities.for_recipe(recipe)
    modality.require_command("evaluate", recipe)
    recipe, sampler, which = load_sampler(run_dir)
    if n < 2:
        raise UserError(f"-n must be at least 2 to compare distributions, got {n}")
    data = data or _data_of(run)
    root = modalities.resolve_data(recipe, data)
    faces_root = modalities.resolve_faces(recipe, faces or _faces_of(run), data)
    if faces_root is not None:  # face-to-music: notes made from faces, judged as its paper's
        from keras_avgan.evaluation.face_music import evaluate_face_music  # imports this

        return evaluate_face_music(run, recipe, sampler, which, modality, root, faces_root, n,
                                   json_out, label_columns, classifier, log)
    if modality.judged_in_halves:
        if label_columns or classifier:
            raise UserError(f"--label and --classifier do not apply to '{recipe.name}' runs: "
                            "their judges are identity judges of the faces and of the voices")
        return _evaluate_pairs(run, recipe, sampler, which, modality, root, n, json_out, log)
    labelled = load_labelled(root, recipe, label_columns)
    columns = list(labelled.class_names)
    reference, result = {}, Evaluation(str(run.root), which, n)
    if classifier and len(columns) != 1:
        raise UserError("--classifier scores one label: name it with --label COLUMN")
    for column in columns:
        reference[column], result.classifiers[column] = (
            user_classifier(classifier, labelled, column, modality) if classifier
            else classifier_for(labelled, column, recipe, log=log))
    if labelled.inputs_held_out is None:
        made = {"untrained": generate_examples(untrained_like(sampler, recipe), recipe, n),
                "trained": generate_examples(sampler, recipe, n)}
        asked = _asked(sampler, made, labelled, columns)
    else:
        made, asked = _from_held_out_inputs(sampler, recipe, labelled)
        result.n = len(labelled.held_out)
        log(f"scoring what the generator makes from the {result.n} held-out pairs' inputs, "
            "one example each (-n does not apply)")
    name = modality.output_name
    sources = {REAL: labelled.held_out, **{source: m[name] for source, m in made.items()}}
    result.scores = score_sources(sources, reference, labelled, columns, modality, asked)
    for source, examples in sources.items():  # classifier-free scores, where there are any
        result.scores[source].update(modality.classifier_free_scores(examples, recipe))
    figure, out = _outputs(run, json_out)
    # Real examples from across the held-out set (files are sorted, so by class), not the first.
    spread = np.linspace(0, len(labelled.held_out) - 1, min(8, len(labelled.held_out)))
    spread = spread.astype(int)
    # Made from held-out inputs: each real example above the one made from its input.
    shown = sources["trained"] if labelled.inputs_held_out is None else sources["trained"][spread]
    modality.comparison_figure(labelled.held_out[spread], shown, recipe, figure)
    return _report(result, modality, out, figure, log)


def _outputs(run, json_out) -> tuple[Path, Path]:
    """(figure, json): beside --json, else evaluation.png / .json in the run dir."""
    if json_out:
        return Path(json_out).with_suffix(".png"), Path(json_out)
    return run.root / "evaluation.png", run.root / "evaluation.json"


def _report(result: Evaluation, modality, out: Path, figure: Path, log,
            notes=()) -> Evaluation:
    runs.atomic_write_text(out, result.to_json() + "\n")
    log(format_table(result, (*modality.score_notes, *notes)))
    log(f"written: {out} and {figure}")
    return result


def _evaluate_pairs(run, recipe, sampler, which, modality, root, n, json_out, log):
    """Face-and-voice generators: both halves judged, and whether they agree (pairs.py)."""
    halves = pairs.judged_halves(modality, root, recipe, log)
    result = Evaluation(str(run.root), which, n)
    result.classifiers = {f"{half}_{pairs.COLUMN}": info for half, (_, _, info) in halves.items()}
    made = {"untrained": generate_examples(untrained_like(sampler, recipe), recipe, n),
            "trained": generate_examples(sampler, recipe, n)}
    faces, voices = halves["face"][0], halves["voice"][0]
    real = {"image": faces.held_out, "audio": voices.held_out}
    sources = {REAL: real, **{source: m.outputs for source, m in made.items()}}
    asked = _asked(sampler, made, faces, [pairs.COLUMN])
    result.scores = pairs.score_pairs(sources, halves, modality, recipe, asked, score_sources)
    figure, out = _outputs(run, json_out)
    pairs.comparison_sheet(real, made["trained"].outputs, recipe, figure)
    return _report(result, modality, out, figure, log)


def _asked(sampler, made: dict, labelled, columns) -> dict:
    """For a generator conditioned on a judged column: the class each example was asked for."""
    if not sampler.conditional or sampler.conditions.name not in columns:
        return {}
    name, classes = sampler.conditions.name, sampler.conditions.classes
    asked = {source: (name, [classes[i] for i in m.ids]) for source, m in made.items()}
    asked[REAL] = (name, [labelled.class_names[name][i] for i in labelled.labels_held_out[name]])
    return asked


def _from_held_out_inputs(sampler, recipe, labelled):
    """For generators driven by files (Wav2Pix): an example made from each held-out pair's
    input by the trained and the untrained generator, each asked to be the class of the
    pair it came from (the speaker, for the identity judge)."""
    inputs = labelled.inputs_held_out
    made = {"untrained": untrained_like(sampler, recipe)(inputs), "trained": sampler(inputs)}
    column = recipe.label_column
    if column not in labelled.class_names:
        return made, {}
    names = [labelled.class_names[column][i] for i in labelled.labels_held_out[column]]
    return made, {source: (column, names) for source in (REAL, *made)}


def _data_of(run: runs.RunDir) -> str:
    if run.state_file.is_file():
        return json.loads(run.state_file.read_text())["data"]
    raise UserError(f"{run.root} does not say which data it was trained on; pass --data")


def _faces_of(run: runs.RunDir) -> str | None:
    """The faces folder `fit` recorded ("demo" for the demo's), for recipes that read one."""
    if run.state_file.is_file():
        return json.loads(run.state_file.read_text()).get("faces")
    return None


EXPLANATIONS = (
    "is_*: higher is better; fd_*, kid_*: lower is better. nn_to_train: mean distance to the "
    "nearest training example (far below real's: memorisation); nn_within: to the nearest "
    "other sample (near 0: collapse); accuracy_*: share of samples judged to be the class "
    "they were asked for (conditional recipes)")


def format_table(result: Evaluation, notes=()) -> str:
    """The scores as a table, sources side by side, then what they mean (plus `notes` on
    the modality's classifier-free scores)."""
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
    lines.append("; ".join([EXPLANATIONS, *notes]))
    return "\n".join(lines)
