"""The labels of data files, from one of three sources, and the summary `data check` prints.

- `csv`: a labels.csv at the root (`path,<column>,...`), or the CSV passed as the data;
- `folder`: each file's parent folder name, as the column `label`;
- `filename`: a regular expression searched in each file name without its extension; its
  first group is the column `label` and named groups are columns of their own names
  (SC09 / Speech Commands: `Seven_<speaker>_nohash_0.wav` -> label `Seven`);
- `auto` (the default): labels.csv when there is one, else parent folders.

Every row also has `path` (the file as listed) and `folder` (its parent folder's name).
"""

import re
from pathlib import Path

from pipelines import listing
from pipelines.errors import DataError

LABEL_SOURCES = ("auto", "folder", "csv", "filename")
# The text before the first "_": the word of SC09 / Speech Commands file names.
DEFAULT_NAME_PATTERN = r"^([^_]+)_"
SHOWN_CLASSES = 12  # data check lists at most this many classes of a column


class Labels(dict):
    """Resolved absolute path -> {column: value}; also says where the labels came from and
    why listed files have none (a dict, so callers that only look up rows need nothing more).
    """

    def __init__(self, rows=(), source: str = "", unlabelled=None):
        super().__init__(rows)
        self.source = source  # for reports: "labels.csv", "parent folders", ...
        self.unlabelled = dict(unlabelled or {})  # resolved path -> why it has no label


def natural_key(value: str):
    """Numbers in numeric order (48 < 50 < 100), then text: how classes are ordered."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def name_pattern(pattern: str) -> re.Pattern:
    """The compiled label_pattern (the default when empty); a DataError says what is wrong."""
    try:
        compiled = re.compile(pattern or DEFAULT_NAME_PATTERN)
    except re.error as err:
        raise DataError(f"label_pattern {pattern!r} is not a regular expression ({err})") from None
    if compiled.groups < 1:
        raise DataError(f"label_pattern {pattern!r} has no group: put the label's part of the "
                        "file name in parentheses, e.g. '^([^_]+)_'")
    if {"path", "folder"} & set(compiled.groupindex):
        raise DataError(f"label_pattern {pattern!r}: 'path' and 'folder' are columns every "
                        "row already has; name the group otherwise")
    return compiled


def read_labels(root, extensions, kind, label_from="auto", pattern="") -> Labels:
    """The label rows of the files under `root` (a folder or a CSV listing them)."""
    if label_from not in LABEL_SOURCES:
        raise DataError(f"label_from={label_from!r}: choose one of {', '.join(LABEL_SOURCES)}")
    root = Path(root).expanduser()
    csv_file = root if root.is_file() else root / listing.LABELS_FILE
    has_csv = csv_file.is_file() and csv_file.suffix.lower() == ".csv"
    if label_from == "csv" and not has_csv:
        raise DataError(f"{root}: label_from=csv, and there is no {listing.LABELS_FILE} "
                        "there; add one (path,<column>,...), pass the CSV as the data, or "
                        "use label_from=folder or filename")
    if label_from == "filename":
        return _from_names(root, extensions, kind, pattern)
    if label_from == "folder" or not has_csv:
        if not root.exists():
            return Labels(source="parent folders")
        rows = {}
        for p in listing.list_files(root, extensions, kind):
            folder = Path(p).parent.name
            rows[str(Path(p).resolve())] = {"path": p, "folder": folder, "label": folder}
        return Labels(rows, "parent folders")
    rows = {}
    for row in listing.csv_rows(csv_file):
        path = Path(listing.path_in_csv(csv_file, row["path"])).resolve()
        rows[str(path)] = {"folder": path.parent.name, **row}
    return Labels(rows, str(csv_file.name if csv_file != root else csv_file))


def _from_names(root: Path, extensions, kind, pattern: str) -> Labels:
    compiled = name_pattern(pattern)
    rows, unlabelled = {}, {}
    for p in listing.list_files(root, extensions, kind) if root.exists() else []:
        resolved = Path(p).resolve()
        found = compiled.search(resolved.stem)
        if found is None or not found.group(1):
            unlabelled[str(resolved)] = (f"its name does not match label_pattern "
                                         f"'{compiled.pattern}'")
            continue
        named = {k: v for k, v in found.groupdict().items() if v}
        rows[str(resolved)] = {"path": p, "folder": Path(p).parent.name,
                               "label": found.group(1), **named}
    return Labels(rows, f"file names, label_pattern '{compiled.pattern}'", unlabelled)


def columns_of(rows) -> list[str]:
    """Label columns in the order they first appear (a CSV's own order), without `path`."""
    seen = {}
    for row in rows.values():
        seen.update(dict.fromkeys(c for c in row if c != "path"))
    return list(seen)


def summarize(labels: Labels, files, keep=()) -> list[str]:
    """Report lines: each label column of `files` (resolved paths) with its classes, and the
    files without a label. `folder` is shown only when asked for in `keep` (it is implied)."""
    rows = {f: labels[f] for f in files if f in labels}
    columns = [c for c in columns_of(rows) if c != "folder" or c in keep]
    parts = []
    for column in columns:
        values = sorted({row.get(column, "") for row in rows.values()} - {""}, key=natural_key)
        shown = ", ".join(values[:SHOWN_CLASSES])
        more = ", ..." if len(values) > SHOWN_CLASSES else ""
        parts.append(f"{column} ({len(values)} class{'es' if len(values) != 1 else ''}: "
                     f"{shown}{more})")
    lines = [f"labels (from {labels.source}): {', '.join(parts) or 'none'}"]
    missing = [f for f in files if f not in labels]
    if missing:
        why = labels.unlabelled.get(missing[0], f"not listed in {labels.source}")
        lines.append(f"without labels: {len(missing)} of {len(files)} files, e.g. {missing[0]} "
                     f"({why})")
    return lines
