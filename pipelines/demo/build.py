"""Building a demo folder safely: staged beside its target, renamed into place when done."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from pipelines.errors import DataError

LABELS_FILE = "labels.csv"
MARKER = "demo.json"  # kind, seed and file count; present only in a finished build


class staging:
    """Build into a temp folder beside `out_dir`, then rename it into place in one step."""

    def __init__(self, out_dir):
        self.out = Path(out_dir).expanduser()

    def __enter__(self) -> Path:
        if self.out.exists() and any(self.out.iterdir()):
            raise DataError(f"{self.out}: already exists and is not empty; delete it or "
                            "choose another --out")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}-", dir=self.out.parent))
        return self.tmp

    def __exit__(self, kind, value, trace):
        if kind is None:
            try:
                if self.out.exists():
                    self.out.rmdir()  # empty (checked above); rename cannot replace it
                os.rename(self.tmp, self.out)
                return False
            except OSError:
                if built_kind(self.out) is None:  # another process finishing it is fine
                    shutil.rmtree(self.tmp, ignore_errors=True)
                    raise
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def mark(folder: Path, kind: str, seed: int, files: int) -> None:
    """Written last inside the staging folder: names what the finished folder holds."""
    (folder / MARKER).write_text(json.dumps({"kind": kind, "seed": seed, "files": files}) + "\n")


def built_kind(path: Path) -> str | None:
    try:
        return json.loads((path / MARKER).read_text())["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


