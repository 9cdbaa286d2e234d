"""Shard folders (pipelines.shards) in the modalities: what a recipe asks `data shard` to make,
and `fit --data SHARDS` reading them where it would read files.

A shard folder stands in for the folder it was made from in `fit` alone: its manifest must
say the examples were made as the recipe makes them (rate, slice length, normalisation,
slices kept, picture size). Evaluation and `data check` read the files themselves, so they
are pointed at the source.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from keras_avgan.errors import UserError
from keras_avgan.modalities.base import TrainingData
from keras_avgan.modalities.conditions import Conditions
from pipelines import shards as shards_lib

# The recipes' data kinds `data shard` makes shards for, and the shard kind of each.
SHARD_KINDS = {"audio": "audio", "image": "image", "audio_visual": "pairs"}


@dataclass
class ShardedData(TrainingData):
    """TrainingData read from shards: `files` is empty, the manifest says what there is."""

    manifest: shards_lib.Manifest | None = None


def is_sharded(data) -> bool:
    return isinstance(data, ShardedData)


def spec_for(recipe, kind: str, label_columns=()) -> shards_lib.ShardSpec:
    """How `recipe` makes its examples, as shards must hold them."""
    if recipe.data_kind == "faces_notes":  # face2music: its notes, or its faces
        from keras_avgan.modalities import faces_notes_shards

        return faces_notes_shards.notes_spec(recipe, label_columns) if kind == "audio" else \
            faces_notes_shards.faces_spec(label_columns)
    if kind == "pairs":  # as pipelines.paired reads them: the first slice, peak-normalised
        return shards_lib.ShardSpec("pairs", sample_rate=recipe.sample_rate,
                                    slice_len=recipe.slice_len, normalize=True, pad_short=True,
                                    windows="first", image_size=recipe.image_size,
                                    label_columns=tuple(label_columns))
    if kind == "audio":
        # A random slice per file and epoch cannot be stored: shards keep every slice, which
        # random and all read alike; first keeps the first.
        windows = "first" if recipe.slice_mode == "first" else "all"
        return shards_lib.ShardSpec("audio", sample_rate=recipe.sample_rate,
                                    slice_len=recipe.slice_len, normalize=recipe.normalize,
                                    pad_short=recipe.pad_short, windows=windows,
                                    label_columns=tuple(label_columns))
    return shards_lib.ShardSpec("image", image_size=recipe.image_size,
                                label_columns=tuple(label_columns))


def refuse_files(path: Path, what: str = "this command") -> None:
    """For readers of files: a shard folder is named as one, with its source."""
    if shards_lib.looks_sharded(path):
        source = shards_lib.read_manifest(path).source
        raise UserError(f"{path} holds shards made by `keras_avgan data shard` (from "
                        f"{source}); {what} reads the files themselves: pass {source}")


def load(modality, recipe, path: Path, report=sys.stderr) -> ShardedData:
    """The shards as `fit` trains on them, checked against the recipe before any model is
    built; the files that were bad when sharding are recalled on `report`."""
    manifest = shards_lib.read_manifest(path)
    if recipe.data_kind == "speech_face":
        # Its previews and judges hear each pair's speech from the files, which shards lack.
        raise UserError(f"{path}: recipe '{recipe.name}' trains from the pair files, not from "
                        f"shards (its previews read each pair's speech): pass --data "
                        f"{manifest.source}")
    wanted = SHARD_KINDS.get(recipe.data_kind, recipe.data_kind)
    if wanted != manifest.spec.kind:
        raise UserError(f"{path} holds {manifest.spec.kind} shards; recipe '{recipe.name}' "
                        f"reads {modality.kind} data")
    _check_spec(recipe, manifest)
    if recipe.eval_every:
        raise UserError(f"--eval-every judges against the files themselves, which shards do "
                        f"not keep: train with --data {manifest.source}, or without "
                        "--eval-every and `keras_avgan evaluate --data` after")
    warn_bad(manifest, report)
    conditions = _conditions(recipe, manifest, report) if recipe.conditioning == "class" \
        else None
    # Pairs size their identity heads by the identities, conditioned or not (as from files).
    names = tuple(manifest.identities) if manifest.spec.kind == "pairs" and conditions is None \
        else None
    return ShardedData(root=path, files=[], conditions=conditions, manifest=manifest,
                       class_names=names)


def warn_bad(manifest, report) -> None:
    """Recall the files that were bad when sharding (bad_files.csv names them)."""
    if manifest.bad:
        print(f"warning: {manifest.bad} files of {manifest.source} gave no example when "
              f"sharded; {manifest.root / shards_lib.BAD_FILES} names each with its reason",
              file=report)


def _check_spec(recipe, manifest) -> None:
    require_spec(manifest, spec_for(recipe, manifest.spec.kind, manifest.spec.label_columns),
                 recipe)


def require_spec(manifest, want: shards_lib.ShardSpec, recipe, what: str = "examples") -> None:
    """The shards' examples must have been made as `want` says the recipe makes them."""
    differ = [f"{name}={getattr(manifest.spec, name)} (the recipe: {getattr(want, name)})"
              for name in ("sample_rate", "slice_len", "normalize", "pad_short", "windows",
                           "image_size") if getattr(manifest.spec, name) != getattr(want, name)]
    if differ:
        raise UserError(f"{manifest.root}: these shards hold {what} made with "
                        f"{', '.join(differ)}, not as recipe '{recipe.name}' reads them; shard "
                        f"for it: keras_avgan data shard {manifest.source} --out NEW_FOLDER "
                        f"--recipe {recipe.name} (with fit's --smoke / --set)")


def _conditions(recipe, manifest, report) -> Conditions:
    from pipelines.errors import DataError
    from pipelines.shards.reader import label_classes

    column = recipe.label_column
    try:
        classes = label_classes(manifest, column)
    except DataError as err:
        raise UserError(f"recipe '{recipe.name}' is conditioned on '{column}': {err}") from None
    if len(classes) < 2:
        raise UserError(f"{manifest.root}: recipe '{recipe.name}' is conditioned on the "
                        f"'{column}' column, and the shards have {len(classes)} value(s) "
                        "there; it needs at least 2 (or --set label_column=...)")
    unlabelled = manifest.labels[column]["unlabelled"]
    if unlabelled:
        print(f"warning: skipped {unlabelled} of {manifest.examples} examples without a "
              f"'{column}' label", file=report)
    return Conditions(column, tuple(classes))


def examples(data: ShardedData, seed: int, batch_size: int):
    """The training stream: shuffled, repeated batches in the published view (with class ids
    when conditioned), as the folder reader gives them."""
    from pipelines.shards.reader import shard_dataset

    column = data.conditions.name if data.conditions is not None else None
    return shard_dataset(data.manifest, batch_size=batch_size, seed=seed, label_column=column)


def first_slices(data: ShardedData):
    """batch_size -> one pass over each file's first slice: what SpecGAN's moments are
    measured on from a folder too."""
    from pipelines.shards.reader import shard_dataset

    def batches(batch_size: int):
        return shard_dataset(data.manifest, batch_size=batch_size, seed=0, shuffle=False,
                             repeat=False, first_only=True)
    return batches


def make_shards(data: str, out_dir: str, recipe=None, *, runner: str = "DirectRunner",
                beam_options=(), num_shards: int | None = None, verbose: bool = False,
                out=None) -> Path:
    """`keras_avgan data shard`: the files of `data` (a folder, a CSV, or `demo` with a
    recipe) decoded, checked and sliced as `recipe` reads them, written as shards by the
    Beam pipeline on `runner`; prints what it did and returns the shard folder."""
    from keras_avgan import modalities, recipes
    from pipelines.shards import launch, options

    out = out or sys.stdout
    if num_shards is not None and num_shards < 1:
        raise UserError(f"--shards {num_shards}: must be at least 1")
    launch.check_out(out_dir)  # before a corpus is listed
    if data == "demo" and recipe is None:
        raise UserError("data shard demo: pass --recipe R; its demo data is what is sharded")
    root = modalities.resolve_data(recipe, data) if recipe is not None else Path(data)
    root = root.expanduser()
    if not root.exists():
        raise UserError(f"{data}: no such file or folder; pass a folder of audio or image "
                        "files, or a CSV with a 'path' column")
    refuse_files(root, "data shard")
    if recipe is None:
        recipe = recipes.get_recipe(_default_recipe(root))
    if recipe.data_kind == "faces_notes":
        kind = _faces_or_notes(root)
    elif recipe.data_kind not in SHARD_KINDS:
        raise UserError(f"recipe '{recipe.name}' reads {recipe.data_kind} data; data shard "
                        f"makes shards for recipes of kind {', '.join(SHARD_KINDS)} and "
                        "face2music's notes and faces (wav2pix trains from the pair files)")
    else:
        kind = SHARD_KINDS[recipe.data_kind]
    flags = options.pipeline_flags(runner, beam_options, verbose)
    options.check_runner_installed(runner)
    unpaired = []
    if kind == "pairs":
        rows, columns, unpaired = launch.pair_inputs(root)
    else:
        rows, columns = launch.inputs(kind, root, recipe.label_from, recipe.label_pattern)
    spec = spec_for(recipe, kind, columns)
    folder = launch.prepare_out(out_dir)
    count = num_shards or launch.default_shards(len(rows))
    what = "face/sound pairs" if kind == "pairs" else f"{kind} files"
    print(f"sharding {len(rows)} {what} of {root} as recipe '{recipe.name}' reads them "
          f"({spec.describe()}) into {count} shards on the {runner}", file=out, flush=True)
    if unpaired:  # not pairs, so not the pipeline's to count: said here
        print(f"left out, not in a pair ({len(unpaired)}):", file=out)
        for name, reason in unpaired[:launch.SHOWN_BAD]:
            print(f"  {name}: {reason}", file=out)
    seconds = launch.run(spec, rows, folder, flags=flags, num_shards=count,
                         source=str(root.resolve()), verbose=verbose)
    print(launch.describe(folder, seconds, runner), file=out)
    data_flags = f"--data {folder}"
    if recipe.data_kind == "faces_notes":  # its notes and faces are two folders
        data_flags = f"--data {folder} --faces FACES" if kind == "audio" else \
            f"--data NOTES --faces {folder}"
    print(f"train on them: keras_avgan fit --recipe {recipe.name} {data_flags}", file=out)
    return folder


def _faces_or_notes(root: Path) -> str:
    """face2music shards its notes (--data) and its faces (--faces) apart: which is `root`."""
    from pipelines import audio, images
    from pipelines.audio import nsynth

    if nsynth.looks_like_nsynth(root):
        raise UserError(f"{root} is NSynth, whose labels its own reader takes from "
                        "examples.json: face2music reads it as it is (fit --data "
                        f"{root}); data shard takes notes labelled by a labels.csv")
    pictures, sounds = images.list_image_files(root), audio.list_audio_files(str(root))
    if bool(pictures) == bool(sounds):
        what = "both sounds and pictures" if pictures else "no audio or image files"
        raise UserError(f"{root} holds {what}; face2music's notes and faces are sharded "
                        "apart: pass the notes folder, then the faces folder")
    return "image" if pictures else "audio"


def _default_recipe(root: Path) -> str:
    """Without --recipe: AVGAN's reading of face/sound pairs, WaveGAN's of sounds, DCGAN's of
    pictures."""
    from pipelines import audio, images, paired

    if paired.looks_paired(root):
        return "avgan"
    found = [name for name, lister in (("wavegan", audio.list_audio_files),
                                       ("dcgan", images.list_image_files)) if lister(str(root))]
    if len(found) != 1:
        what = "both sounds and pictures" if found else "no audio or image files"
        raise UserError(f"{root} holds {what}; pass --recipe R to say what to shard and how "
                        "(the recipe's rate, slice length or picture size)")
    return found[0]
