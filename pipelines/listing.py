"""Listing data files on disk, shared by every modality: a folder searched recursively for
some extensions, or a CSV naming the files (their labels: `pipelines.labels`)."""

import csv
import os
from pathlib import Path

from pipelines.errors import DataError

LABELS_FILE = "labels.csv"


def list_files(path, extensions, kind) -> list[str]:
    """Files under a folder (recursive, sorted) ending in one of `extensions`, or the files
    a CSV's `path` column names. `kind` ("audio", "image") words the error messages."""
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{path}: no such file or folder; pass a folder of {kind} files "
                        f"({' '.join(extensions)}) or a CSV with a 'path' column")
    if root.is_file():
        if root.suffix.lower() != ".csv":
            raise DataError(f"{path}: expected a folder of {kind} files or a .csv listing them")
        return [path_in_csv(root, row["path"]) for row in csv_rows(root)]
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # skip hidden/temp build folders
        found += [os.path.join(folder, n) for n in names
                  if n.lower().endswith(tuple(extensions)) and not n.startswith(".")]
    return sorted(found)


def csv_rows(csv_path: Path) -> list[dict]:
    """The rows of a CSV with a `path` column (stripped; rows without a path dropped)."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            names = [f.strip() for f in reader.fieldnames or []]
            if "path" not in names:
                raise DataError(f"{csv_path}: needs a header row with a 'path' column "
                                f"(found {names})")
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k}
                    for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{csv_path}: cannot be read ({err}); save it as UTF-8 CSV") from None
    return [row for row in rows if row.get("path")]


def path_in_csv(csv_file: Path, value: str) -> str:
    """CSV paths are relative to the CSV's own folder unless absolute."""
    candidate = Path(value).expanduser()
    return str(candidate if candidate.is_absolute() else csv_file.parent / candidate)


def require_usable(good, bad, path, extensions, kind) -> None:
    """Refuse a dataset with nothing usable, naming why the files found were skipped, or
    that none were found."""
    if good:
        return
    if bad:
        shown = "; ".join(f"{name}: {why}" for name, why in bad[:5])
        more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(f"no usable {kind} file under {path}: none of the {len(bad)} {kind} "
                        f"files is usable, all were skipped: {shown}{more}. Fix or remove "
                        f"them; `keras_avgan data check {path}` lists every reason")
    raise DataError(f"{path}: no {kind} files found ({' '.join(extensions)}, searched "
                    "recursively); point --data at the folder holding them")
