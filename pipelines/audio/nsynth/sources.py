"""Where NSynth notes are on disk: TFRecord files (one file, or a folder of them, sharded
names included) or a jsonwav folder (examples.json beside audio/<note_str>.wav)."""

import os
import re
from pathlib import Path

EXAMPLES_FILE = "examples.json"
AUDIO_FOLDER = "audio"
# nsynth-train.tfrecord, and the sharded nsynth-train.tfrecord-00000-of-00512 others write
RECORD_NAME = re.compile(r"\.tfrecord(-\d+-of-\d+)?(\.gz)?$")


def is_record_file(path: Path) -> bool:
    return RECORD_NAME.search(path.name) is not None and not path.name.startswith(".")


def compression(path) -> str:
    """TFRecordDataset's compression_type: GZIP for a `.gz` name, else none (NSynth's own)."""
    return "GZIP" if str(path).endswith(".gz") else ""


def list_record_files(path) -> list[Path]:
    """The TFRecord file given, or those under a folder (recursive, sorted, hidden skipped)."""
    path = Path(path).expanduser()
    if path.is_file():
        return [path] if is_record_file(path) else []
    found = []
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / n for n in names if is_record_file(Path(n))]
    return sorted(found)


def examples_file(path) -> Path | None:
    """examples.json of a jsonwav folder (or the file itself), else None."""
    path = Path(path).expanduser()
    if path.is_file():
        return path if path.name == EXAMPLES_FILE else None
    candidate = path / EXAMPLES_FILE
    return candidate if candidate.is_file() else None


def looks_like_nsynth(path) -> bool:
    """A jsonwav folder or examples.json, a TFRecord file, or a folder holding some."""
    return examples_file(path) is not None or bool(list_record_files(path))
