"""The modality interface: everything about a kind of data that the spine must not know.

`fit`, `generate`, `evaluate`, `export`, `convert` and `request` are written once; what
differs between sound and pictures (finding and checking files, the tf.data pipeline, what a
generator's output means, how it is written, previewed and judged) sits behind this class,
picked by a recipe's `data_kind` (`modalities.for_recipe`).

Two views of an example exist. The *model* view is what the networks see: a waveform or a
spectrogram for audio, an image in [-1, 1]. The *published* view is what users and clients
get: audio in [-1, 1] [B, T], images in [0, 1] [B, H, W, 3]. A `Renderer` maps model to
published in TF ops (so the same function runs in previews, evaluation, SavedModels and
TFLite files) and, for the data pipeline, published to model.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keras_avgan.modalities import conditions as conditions_lib
from pipelines import labels as labels_lib


@dataclass(frozen=True)
class OutputSpec:
    """One output of an exported generator, as clients read it from keras_avgan.json."""

    name: str  # the signature's output key: "audio" or "image"
    kind: str  # the modality that writes it
    shape: tuple  # without the batch axis
    value_range: tuple[float, float]
    dtype: str = "float32"
    extra: dict = field(default_factory=dict)  # e.g. {"sample_rate": 16000}

    def to_dict(self) -> dict:
        return {"kind": self.kind, "shape": list(self.shape), "dtype": self.dtype,
                "range": list(self.value_range), **self.extra}


@dataclass
class TrainingData:
    """A checked dataset: the files training reads (labelled, if the recipe is
    conditioned), the bad ones already reported, and the class conditions if any."""

    root: Path
    files: list  # file infos with a `.path`
    conditions: object = None  # modalities.conditions.Conditions
    label_ids: np.ndarray | None = None  # class id per file, for conditional recipes
    # Classes the networks are sized for without being conditioned on them (Wav2Pix's
    # identity head); conditional recipes have theirs in `conditions`.
    class_names: tuple | None = None


@dataclass
class LabelledExamples:
    """Real examples in the published view, split into train and held-out by file name,
    with class ids per label column: what the judges train on and score against."""

    train: np.ndarray
    held_out: np.ndarray
    labels_train: dict  # column -> class ids
    labels_held_out: dict
    class_names: dict  # column -> class names in id order
    fingerprints: dict  # column -> names the files and their labels in the judges' cache
    # What the generator makes each example from, for recipes driven by files rather than
    # latents (Wav2Pix: the speech of each pair); None otherwise.
    inputs_train: np.ndarray | None = None
    inputs_held_out: np.ndarray | None = None


class Renderer:
    """Model view <-> published view of one modality's examples (TF ops only)."""

    kind = ""  # what the generator itself makes: "waveform", "spectrogram" or "image"

    def to_model(self, examples):
        """Published examples (the data pipeline's) -> what the generator makes."""
        return examples

    def publish(self, outputs) -> dict:
        """Generator outputs -> {output name: float32 tensor in the published range}."""
        raise NotImplementedError


class Modality:
    """One kind of data. Every method takes the (resolved) recipe it serves."""

    kind = ""
    output_name = ""

    # --- data -------------------------------------------------------------------------
    extensions_text = ""  # the file types searched, for messages

    def find_files(self, path: Path) -> list[str]:
        """The files of this kind under a folder (recursive) or listed by a CSV."""
        raise NotImplementedError

    def usable_files(self, recipe, path: Path) -> tuple[list, list]:
        """(file infos, [(path, reason)] of skipped files) under `path`; raises
        pipelines.DataError when nothing is usable."""
        raise NotImplementedError

    def load(self, recipe, path: Path, report) -> TrainingData:
        """Scan and check `path`, report skipped files once to `report`, and refuse a
        dataset with nothing usable before any model is built; keep, for a conditional
        recipe, the files labelled in its column. A shard folder made by `data shard` is
        read as its manifest says (modalities.sharded)."""
        from pipelines.shards import looks_sharded

        if looks_sharded(path):
            from keras_avgan.modalities import sharded

            return sharded.load(self, recipe, path, report)
        good, bad = self.usable_files(recipe, path)
        if bad:
            names = "\n".join(f"  {name}: {reason}" for name, reason in bad)
            print(f"warning: skipped {len(bad)} of {len(bad) + len(good)} files under "
                  f"{path}:\n{names}", file=report)
        labelled = conditions_lib.from_data(recipe, path, good, self.label_rows(path, recipe),
                                            report)
        if labelled is None:
            return TrainingData(root=path, files=list(good))
        found, files, ids = labelled
        return TrainingData(root=path, files=files, conditions=found, label_ids=ids)

    def describe(self, path: Path, recipe=None) -> str:
        """`keras_avgan data check`: counts, sizes, formats, bad files (raises if unusable)."""
        raise NotImplementedError

    def label_rows(self, path: Path, recipe=None) -> labels_lib.Labels:
        """Absolute file path -> {column: value}, from the recipe's label_from (labels.csv,
        parent folders or file names; without a recipe: labels.csv, else folders). The dict
        also says where the labels came from and why files have none (`.unlabelled`)."""
        raise NotImplementedError

    def describe_labels(self, path: Path, recipe, files) -> str:
        """`data check`'s lines on the label columns of the usable `files` and their classes."""
        rows = self.label_rows(path, recipe)
        keep = (recipe.label_column,) if recipe is not None else ()
        lines = labels_lib.summarize(rows, [str(Path(f.path).resolve()) for f in files], keep)
        lacking = recipe is not None and recipe.conditional and (
            recipe.label_column not in labels_lib.columns_of(rows))
        if lacking:
            have = ", ".join(c for c in labels_lib.columns_of(rows) if c != "folder")
            lines.append(f"recipe '{recipe.name}' is conditioned on '{recipe.label_column}', "
                         f"which these labels lack (they have: {have or 'none'}); use --set "
                         "label_column=COLUMN")
        return "\n".join(lines)

    def prepare(self, recipe, run, data: TrainingData) -> Renderer:
        """The run's renderer; measures on the data whatever it needs, on the first start."""
        return self.renderer(recipe, run.root)

    def renderer(self, recipe, run_root) -> Renderer:
        raise NotImplementedError

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer: Renderer):
        """Dict batches of batch_size * d_steps examples in the model view: one G step's
        worth of fresh real batches, with the class ids of conditional recipes."""
        raise NotImplementedError

    # What `generate --speech FILE ...` reads into the generator's input; None: latents.
    input_files = None
    # Whether `generate --face/--face-embedding --pitch` makes its examples (face2music).
    input_faces = False
    # Datasets read besides --data, by flag name (face2music's "faces": `fit --faces`); `load`
    # takes each as a keyword.
    extra_inputs: tuple[str, ...] = ()
    # Commands that handle this modality's runs: every one unless a modality says fewer.
    commands = ("fit", "generate", "evaluate", "export", "convert", "request")

    def require_command(self, command: str, recipe) -> None:
        """A clear refusal, before anything is built, of a command this modality's runs
        cannot go through yet."""
        if command not in self.commands:
            from keras_avgan.errors import UserError

            raise UserError(f"`keras_avgan {command}` does not handle '{recipe.name}' runs "
                            f"yet; they can go through: {', '.join(self.commands)}")

    def inputs_from_files(self, recipe, paths) -> np.ndarray:
        """The generator's inputs made from files (`generate --speech`)."""
        raise NotImplementedError

    def served_inputs(self, recipe, run_root=None):
        """For recipes that make an example from a file: ({name: tf.TensorSpec} of what
        `serving_default` takes, a TF function from those inputs to the generator's), so a
        served model prepares its input as `generate` does. None: it takes latents. A
        function holding weights (face2music's face embedding) is a Keras layer, exported
        with the generator; `run_root` is the run whose kept parts it takes."""
        return None

    def served_description(self, recipe) -> tuple[dict, dict]:
        """For `served_inputs`: (what keras_avgan.json adds to each input's description, such
        as the sample rate speech must have; {input: [class of each id]})."""
        return {}, {}

    def preview_inputs(self, recipe, data: TrainingData, count: int, seed: int) -> np.ndarray:
        """What training previews feed the generator: fixed latents from `seed`."""
        from keras_avgan import latents

        return latents.sample_latents(count, recipe.latent_dim, recipe.latent_dist, seed)

    def preview_titles(self, recipe, data: TrainingData, count: int) -> list[str] | None:
        """Titles of the previews' examples, for modalities whose inputs say more than a
        class does; None: the class conditions' titles (or none)."""
        return None

    # --- outputs ----------------------------------------------------------------------
    @property
    def output_names(self) -> tuple[str, ...]:
        """What the generator makes, by name (AVGAN: "image" and "audio")."""
        return (self.output_name,)

    def output_spec(self, recipe) -> OutputSpec:
        raise NotImplementedError

    def output_specs(self, recipe) -> list[OutputSpec]:
        """One spec per output, in `output_names` order."""
        return [self.output_spec(recipe)]

    def write(self, made, recipe, out_dir: Path, prefix: str, titles=None) -> dict:
        """One file per example plus overview figures; {"files": [...], "overview": path,
        and optional extra figures by name}."""
        raise NotImplementedError

    def preview(self, made, recipe, out_dir: Path, name: str, titles=None) -> None:
        """Training previews of fixed latents in samples/ (no per-example files)."""
        raise NotImplementedError

    def summarize(self, made, recipe, step: int) -> None:
        """TensorBoard summaries of a preview (inside a default writer)."""
        raise NotImplementedError

    # --- judging ----------------------------------------------------------------------
    def labelled_examples(self, recipe, files) -> np.ndarray:
        """The published view of each file's first example, for judges and references."""
        raise NotImplementedError

    def evaluation_inputs(self, recipe, files) -> np.ndarray | None:
        """For recipes that make an example from a file (Wav2Pix's speech): the generator's
        input for each labelled file, so evaluation can compare what it makes from held-out
        inputs with the real examples they belong to. None: the generator takes latents."""
        return None

    def judge_key(self, recipe) -> str:
        """What a cached judge depends on besides the files (e.g. rate and length)."""
        raise NotImplementedError

    def build_judge(self, recipe, num_classes: int, seed: int = 0, **sizes):
        """A small classifier of published examples with 'embedding' and 'logits' layers."""
        raise NotImplementedError

    def judge_inputs(self, published: np.ndarray) -> np.ndarray:
        """Published examples -> the judge's input array."""
        return np.asarray(published, np.float32)

    def classifier_free_scores(self, published: np.ndarray, recipe) -> dict:
        """Scores that need no judge (e.g. audio's spectral flatness)."""
        return {}

    score_notes: tuple[str, ...] = ()  # what those scores mean, for the evaluation table
    # Examples of two halves (AVGAN's face and voice), each judged by its own modality
    # (evaluation/pairs.py) rather than by this one.
    judged_in_halves = False

    def comparison_figure(self, real: np.ndarray, generated: np.ndarray, recipe,
                          out: Path) -> Path:
        """Real examples above generated ones: evaluation.png."""
        raise NotImplementedError


def label_source(recipe) -> tuple[str, str]:
    """(label_from, label_pattern) of a recipe; labels.csv-else-folders without one."""
    if recipe is None:
        return "auto", ""
    return recipe.label_from, recipe.label_pattern
