"""The real-data side of an evaluation: a train/held-out split, labels, and cached judges.

Published Inception-style weights cannot be downloaded, so the "Inception" network is a small
classifier (the modality's judge) trained on the user's own labelled data and cached per
dataset and label column.
"""

import hashlib
import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np

from keras_avgan import modalities, runs
from keras_avgan.cache import cache_base
from keras_avgan.errors import UserError
from keras_avgan.evaluation import classifiers, metrics
from keras_avgan.modalities.base import LabelledExamples
from keras_avgan.modalities.conditions import natural_key

HELD_OUT_PERCENT = 20
MAX_CLASSES = 64
# Part of a cached classifier's name: bumped when the way classifiers are built or trained
# changes, so a cache from an older version is retrained rather than reused (2: noise floor).
CLASSIFIER_VERSION = 2


def cache_root() -> Path:
    return cache_base() / "classifiers"


def _is_held_out(relative_path: str) -> bool:
    """A stable split by file name, so the same file is held out in every evaluation."""
    return zlib.crc32(relative_path.encode()) % 100 < HELD_OUT_PERCENT


def _relative(path: str, root: Path) -> str:
    """A file's name within the data: relative to the folder, or to the folder of the CSV
    that lists it (as CSV paths are); `..` for files a CSV lists from elsewhere."""
    return os.path.relpath(path, root.parent if root.is_file() else root)


def _fingerprint(root: Path, files, judge_key: str, rows: dict, column: str) -> str:
    """Names the files (relative name, size, time) and their labels in one judged column:
    the same files labelled another way (label_from) must not reuse a cached judge, and a
    judge does not depend on which other columns were judged beside it."""
    digest = hashlib.sha1(judge_key.encode())
    for info in files:
        named = ""
        for path in getattr(info, "paths", (info.path,)):  # a pair names both its files
            stat = Path(path).stat()
            named += f"{_relative(path, root)}:{stat.st_size}:{stat.st_mtime_ns}:"
        digest.update(f"{named}{rows[info.path].get(column, '')}".encode())
    return digest.hexdigest()[:16]


def _label_columns(rows: dict, wanted: list[str] | None, preferred: str = "") -> list[str]:
    """The columns asked for; else the recipe's own label column when the data has it; else
    every column with 2 to MAX_CLASSES classes."""
    columns = sorted({c for row in rows.values() for c in row if c != "path"})
    if not wanted and preferred in columns:
        wanted = [preferred]
    if wanted:
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise UserError(f"--label {', '.join(missing)}: no such column in the labels "
                            f"(have: {', '.join(columns) or 'none'})")
        return wanted
    if "folder" in columns and len(columns) > 1:
        columns.remove("folder")  # the parent folder is only a fallback when labels.csv is there
    usable = []
    for column in columns:
        values = {row.get(column, "") for row in rows.values()}
        if 2 <= len(values) <= MAX_CLASSES:
            usable.append(column)
    if not usable:
        raise UserError("the data has no label with 2 to 64 classes (labels.csv columns, "
                        "parent folders or file names: label_from); evaluation needs labels "
                        "to train its classifier")
    return usable


def load_labelled(root: Path, recipe, label_columns=None, name_unlabelled: bool = True,
                  modality=None) -> LabelledExamples:
    """The recipe's modality (or `modality`: one half of a pair) reads the first example of
    every labelled file under `root` (a folder or a CSV), labelled by `label_columns`
    (default: the recipe's label_column, or every usable one) from the recipe's label_from;
    files without labels are named on stderr unless the caller has named them already
    (`name_unlabelled=False`)."""
    modality = modality or modalities.for_recipe(recipe)
    good, _ = modality.usable_files(recipe, root)
    rows = modality.label_rows(root, recipe)
    files = [f for f in good if str(Path(f.path).resolve()) in rows or f.path in rows]
    if len(files) < len(good) and name_unlabelled:
        kept = {f.path for f in files}
        _warn_unlabelled([f.path for f in good if f.path not in kept], rows)
    if len(files) < 10:
        raise UserError(f"{root}: only {len(files)} labelled {modality.kind} files; evaluation "
                        "needs at least 10 (a labels.csv with path and label columns, one "
                        "folder per class, or label_from=filename)")
    rows = {f.path: rows.get(str(Path(f.path).resolve()), rows.get(f.path)) for f in files}
    columns = _label_columns(rows, label_columns, recipe.label_column)
    held = np.array([_is_held_out(_relative(f.path, root)) for f in files])
    examples = modality.labelled_examples(recipe, files)
    names, train_ids, held_ids = {}, {}, {}
    for column in columns:
        values = [rows[f.path].get(column, "") for f in files]
        names[column] = sorted(set(values), key=natural_key)
        ids = np.array([names[column].index(v) for v in values])
        train_ids[column], held_ids[column] = ids[~held], ids[held]
    judge_key = modality.judge_key(recipe)
    fingerprints = {column: _fingerprint(root, files, judge_key, rows, column)
                    for column in columns}
    inputs = modality.evaluation_inputs(recipe, files)
    split_inputs = {} if inputs is None else {"inputs_train": inputs[~held],
                                              "inputs_held_out": inputs[held]}
    return LabelledExamples(examples[~held], examples[held], train_ids, held_ids, names,
                            fingerprints, **split_inputs)


def _warn_unlabelled(paths, rows) -> None:
    why = getattr(rows, "unlabelled", {})
    shown = "\n".join(f"  {p}: {why.get(str(Path(p).resolve()), 'no label row')}"
                       for p in paths[:20])
    more = f"\n  and {len(paths) - 20} more" if len(paths) > 20 else ""
    print(f"warning: {len(paths)} files have no label (labels from "
          f"{getattr(rows, 'source', 'labels.csv')}); they are left out:\n{shown}{more}",
          file=sys.stderr)


def user_classifier(path: str, data: LabelledExamples, column: str, modality):
    """A classifier the user trained elsewhere (.keras or SavedModel), checked on held-out data."""
    model = classifiers.load_classifier(path)
    try:
        _, logits = classifiers.classifier_outputs(model, modality.judge_inputs(data.held_out))
    except (ValueError, TypeError) as err:  # wrong input shape, no embedding layer, ...
        first = str(err).strip().splitlines()[0][:200]
        raise UserError(f"--classifier {path} cannot judge these examples ({first}); it must "
                        f"take {modality.kind} like the recipe's (shape "
                        f"{list(data.held_out.shape[1:])}) and have an 'embedding' and a "
                        "'logits' layer (a .keras file) or outputs (a SavedModel)") from err
    if logits.shape[-1] != len(data.class_names[column]):
        raise UserError(f"--classifier {path} predicts {logits.shape[-1]} classes but '{column}' "
                        f"has {len(data.class_names[column])}; pass the matching --label")
    accuracy = metrics.classification_accuracy(logits, data.labels_held_out[column])
    return model, {"column": column, "classes": data.class_names[column], "path": path,
                   "held_out_accuracy": float(accuracy), "held_out_examples": len(data.held_out)}


def train_reference_classifier(data: LabelledExamples, column: str, recipe, epochs: int = 30,
                               seed: int = 0, modality=None):
    """(model, info): the modality's judge of `column` trained on the data's training
    examples. `seed` sets its initial weights, batch order and augmentation;
    `classifier_for` uses 0."""
    modality = modality or modalities.for_recipe(recipe)
    model = modality.build_judge(recipe, len(data.class_names[column]), seed=seed)
    result = classifiers.train_classifier(
        model, modality.judge_inputs(data.train), data.labels_train[column],
        modality.judge_inputs(data.held_out), data.labels_held_out[column], epochs=epochs,
        seed=seed)
    return model, {"column": column, "classes": data.class_names[column],
                   "held_out_accuracy": float(result["val_accuracy"]),
                   "train_examples": len(data.train), "held_out_examples": len(data.held_out)}


def classifier_for(data: LabelledExamples, column: str, recipe, epochs: int = 30, log=print,
                   modality=None):
    """The cached classifier for this dataset and column, trained on first use (by the
    recipe's modality, or `modality`)."""
    path = cache_root() / f"{data.fingerprints[column]}-{column}-v{CLASSIFIER_VERSION}.keras"
    info_path = path.with_suffix(".json")
    if path.is_file() and info_path.is_file():
        return classifiers.load_classifier(str(path)), json.loads(info_path.read_text())
    log(f"training the '{column}' classifier on {len(data.train)} examples "
        f"({len(data.class_names[column])} classes); cached in {path.parent}")
    model, info = train_reference_classifier(data, column, recipe, epochs, modality=modality)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Named by process: two processes training the same judge at once must not share it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.keras")
    classifiers.save_classifier(model, str(tmp))
    tmp.replace(path)
    runs.atomic_write_text(info_path, json.dumps(info, indent=2))
    return model, info
