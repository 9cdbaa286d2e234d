"""Small demo datasets built locally in seconds, with no download: `keras_avgan data demo KIND`."""

import os
from pathlib import Path

from pipelines.demo import digits, faces, notes, talking
from pipelines.demo.build import built_kind
from pipelines.errors import DataError

DEMO_KINDS = {"notes": notes.build_notes, "digits": digits.build_digits,
              "faces": faces.build_faces, "talking": talking.build_talking}


def demo_root() -> Path:
    return Path(os.environ.get("KERAS_AVGAN_DATA") or
                Path.home() / ".cache" / "keras_avgan" / "demo").expanduser()


def ensure_demo(kind, out=None) -> Path:
    """The demo folder for `kind`, built on first use and reused afterwards."""
    if kind not in DEMO_KINDS:
        raise DataError(f"unknown demo dataset {kind!r}; choose one of "
                        f"{', '.join(sorted(DEMO_KINDS))}")
    path = Path(out).expanduser() if out else demo_root() / kind
    built = built_kind(path)
    if built == kind:
        return path
    if built is not None:
        raise DataError(f"{path} already holds the '{built}' demo, not '{kind}'; choose "
                        "another --out")
    return DEMO_KINDS[kind](path)
