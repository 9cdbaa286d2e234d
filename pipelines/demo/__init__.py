"""Small demo datasets built locally in seconds, with no download: `keras_avgan data demo KIND`."""

import os
from pathlib import Path

from pipelines.demo import digits, faces, notes, nsynth_notes, talking
from pipelines.demo.build import built_kind
from pipelines.errors import DataError

DEMO_KINDS = {"notes": notes.build_notes, "digits": digits.build_digits,
              "faces": faces.build_faces, "talking": talking.build_talking}
DEFAULT_FORMAT = "files"  # each kind's own files (WAVs, PNGs, labels.csv)
# Other formats a demo can be written in; each is built into a folder of its own.
DEMO_FORMATS = {"notes": {"nsynth": nsynth_notes.build_nsynth_notes}}


def demo_root() -> Path:
    return Path(os.environ.get("KERAS_AVGAN_DATA") or
                Path.home() / ".cache" / "keras_avgan" / "demo").expanduser()


def ensure_demo(kind, out=None, fmt=DEFAULT_FORMAT) -> Path:
    """The demo folder for `kind` in format `fmt`, built on first use and reused afterwards."""
    if kind not in DEMO_KINDS:
        raise DataError(f"unknown demo dataset {kind!r}; choose one of "
                        f"{', '.join(sorted(DEMO_KINDS))}")
    builder, name = DEMO_KINDS[kind], kind
    if fmt != DEFAULT_FORMAT:
        formats = DEMO_FORMATS.get(kind, {})
        if fmt not in formats:
            others = ", ".join(f"'{k}' for {v}" for v, f in DEMO_FORMATS.items() for k in f)
            raise DataError(f"--format {fmt}: the '{kind}' demo is written only as "
                            f"{DEFAULT_FORMAT}; other formats: {others}")
        builder, name = formats[fmt], f"{kind}-{fmt}"
    path = Path(out).expanduser() if out else demo_root() / name
    built = built_kind(path)
    if built == name:
        return path
    if built is not None:
        raise DataError(f"{path} already holds the '{built}' demo, not '{name}'; choose "
                        "another --out")
    return builder(path)
