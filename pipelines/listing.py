"""Listing data files on disk, shared by every modality: a folder searched recursively for
some extensions, or a CSV naming the files, and the labels that go with them."""

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
        return [_csv_path(root, row["path"]) for row in _csv_rows(root)]
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # skip hidden/temp build folders
        found += [os.path.join(folder, n) for n in names
                  if n.lower().endswith(tuple(extensions)) and not n.startswith(".")]
    return sorted(found)


def _csv_rows(csv_path: Path) -> list[dict]:
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


def _csv_path(csv_path: Path, value: str) -> str:
    """CSV paths are relative to the CSV's own folder unless absolute."""
    candidate = Path(value).expanduser()
    return str(candidate if candidate.is_absolute() else csv_path.parent / candidate)


def read_labels(root, extensions, kind) -> dict[str, dict[str, str]]:
    """Absolute path -> label row, from labels.csv (or the CSV passed), plus a `folder` column.
    Without a labels.csv, the files `list_files` finds are labelled by their parent folder."""
    root = Path(root).expanduser()
    csv_path = root if root.is_file() else root / LABELS_FILE
    if csv_path.is_file() and csv_path.suffix.lower() == ".csv":
        rows = {}
        for row in _csv_rows(csv_path):
            path = Path(_csv_path(csv_path, row["path"])).resolve()
            rows[str(path)] = {"folder": path.parent.name, **row}
        return rows
    if not root.is_dir():
        return {}
    # Without a labels.csv the parent folder is the label (docs/design.md, "Data on disk").
    return {str(Path(p).resolve()): {"path": p, "folder": Path(p).parent.name,
                                     "label": Path(p).parent.name}
            for p in list_files(root, extensions, kind)}


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
