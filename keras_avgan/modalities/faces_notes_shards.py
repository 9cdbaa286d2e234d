"""face2music's notes (`--data`) and faces (`--faces`) read from shard folders that `data shard
--recipe face2music` made of each, as faces_notes_data reads them from files: the first
8192 samples of each note, peak-normalised over the note, with its pitch and family labels;
each face at 64 px with its identity. Either may be shards and the other files."""

from pathlib import Path

from keras_avgan.errors import UserError
from keras_avgan.modalities.faces_notes_data import FACE_SIZE, face_labels, note_labels
from pipelines import shards as shards_lib
from pipelines.shards.reader import read_all
from pipelines.shards.spec import LABEL_PREFIX


def notes_spec(recipe, label_columns=()) -> shards_lib.ShardSpec:
    return shards_lib.ShardSpec("audio", sample_rate=recipe.sample_rate,
                                slice_len=recipe.slice_len, normalize=True, pad_short=True,
                                windows="first", label_columns=tuple(label_columns))


def faces_spec(label_columns=()) -> shards_lib.ShardSpec:
    return shards_lib.ShardSpec("image", image_size=FACE_SIZE,
                                label_columns=tuple(label_columns))


def read_notes(path: Path, recipe, report):
    """faces_notes_data.read_notes of a notes shard folder (no files: `[]` for them)."""
    manifest = _manifest(path, recipe, "notes", notes_spec(recipe), report)
    for column in (recipe.pitch_column, recipe.family_column):
        _require_column(manifest, column, recipe)
    rows = read_all(manifest)
    keep, pitch_ids, family_ids, names = note_labels(
        path, recipe, _values(rows, recipe.pitch_column), _values(rows, recipe.family_column),
        report)
    return rows["example"][keep][..., 0], pitch_ids, family_ids, names, []


def read_faces(path: Path, recipe, report):
    """faces_notes_data.read_faces of a faces shard folder."""
    manifest = _manifest(path, recipe, "faces", faces_spec(), report)
    rows = read_all(manifest)
    values = _values(rows, recipe.face_column) if recipe.face_column in manifest.labels \
        else [""] * len(rows["example"])
    keep, ids, names = face_labels(path, recipe, values, report)
    return rows["example"][keep], ids, names


def _manifest(path: Path, recipe, what: str, want: shards_lib.ShardSpec, report):
    from keras_avgan.modalities.sharded import require_spec, warn_bad

    manifest = shards_lib.read_manifest(path)
    if manifest.spec.kind != want.kind:
        raise UserError(f"{path} holds {manifest.spec.kind} shards; recipe '{recipe.name}' "
                        f"reads its {what} as {want.kind} (shard the {what} folder with "
                        f"--recipe {recipe.name})")
    require_spec(manifest, want, recipe, what)
    warn_bad(manifest, report)
    if not manifest.examples:
        raise UserError(f"{path}: the shards hold no {what}")
    return manifest


def _require_column(manifest, column: str, recipe) -> None:
    if column not in manifest.labels:
        have = ", ".join(manifest.labels) or "none"
        raise UserError(f"{manifest.root}: recipe '{recipe.name}' needs each note's "
                        f"'{column}' label and the shards carry none (they have: {have}); "
                        "shard notes whose labels.csv has it")


def _values(rows: dict, column: str) -> list[str]:
    return [value.decode("utf-8") for value in rows[LABEL_PREFIX + column]]
