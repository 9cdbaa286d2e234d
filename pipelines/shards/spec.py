"""What a shard folder holds: the shape of its examples (`ShardSpec`) and its manifest.

A shard folder is written by `keras_avgan data shard` (beam_pipeline.py) and read by `fit`
(reader.py). Its `shards.json` is written last, so a folder with one is complete; it says
how the examples were made (rate, slice length, normalisation, picture size), which shard
files hold them, the label columns and their classes, and how many files were bad (named
in `bad_files.csv`).
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pipelines.errors import DataError

MANIFEST = "shards.json"
BAD_FILES = "bad_files.csv"
INPUTS = "inputs.jsonl"  # the files asked for, one JSON row each: what the workers read
FORMAT = 1  # bumped when the examples' features change
KINDS = ("audio", "image", "pairs")  # pairs: a voice, its face and the identity
WINDOWS = ("first", "all")  # one slice per file, or every back-to-back slice
LABEL_PREFIX = "label/"  # feature name of a label column: label/pitch
PAIR_LABEL = "identity"  # the label column every pair carries
MAX_CLASSES = 4096  # a column with more values is kept in the examples, not listed


@dataclass(frozen=True)
class ShardSpec:
    """How each example is made; what a recipe must match to read the shards."""

    kind: str  # "audio", "image" or "pairs"
    sample_rate: int = 0  # audio, pairs: the rate every sound is resampled to
    slice_len: int = 0  # audio, pairs: samples per example
    normalize: bool = True  # audio: each file peak-normalised before slicing
    pad_short: bool = True  # audio: the last, partial slice zero-padded (else dropped)
    windows: str = "all"  # audio: "first" slice of each file, or "all" of them
    image_size: int = 0  # pictures, pairs: the square side
    label_columns: tuple = ()  # the label columns every example carries

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DataError(f"shards of kind {self.kind!r}: choose one of {', '.join(KINDS)}")
        if self.kind == "audio" and self.windows not in WINDOWS:
            raise DataError(f"windows={self.windows!r}: choose one of {', '.join(WINDOWS)}")

    @property
    def features(self) -> dict:
        """feature name -> float32 shape: what each stored example holds (a pair: both)."""
        shapes = {"audio": (self.slice_len, 1), "image": (self.image_size, self.image_size, 3)}
        return shapes if self.kind == "pairs" else {self.kind: shapes[self.kind]}

    def shape_text(self) -> str:
        return " + ".join(" x ".join(map(str, shape)) for shape in self.features.values())

    def describe(self) -> str:
        if self.kind == "pairs":
            # The voice as pipelines.paired reads it: the first slice, never the rest.
            return (f"each pair's first {self.slice_len} samples at {self.sample_rate} Hz, "
                    f"zero-padded, {'peak-normalised' if self.normalize else 'not normalised'}"
                    f"; its face's centre square at {self.image_size} x {self.image_size} RGB")
        if self.kind == "audio":
            which = "the first" if self.windows == "first" else "every"
            padded = ", zero-padded" if self.pad_short else ", whole slices only"
            return (f"{which} {self.slice_len}-sample slice of each file at {self.sample_rate}"
                    f" Hz{padded}, {'peak-normalised' if self.normalize else 'not normalised'}")
        return (f"each picture's centre square resized to {self.image_size} x "
                f"{self.image_size} RGB, antialiased Lanczos")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["label_columns"] = list(self.label_columns)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ShardSpec":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["label_columns"] = tuple(values.get("label_columns", ()))
        return cls(**values)


@dataclass
class Manifest:
    """A complete shard folder, as `shards.json` describes it."""

    root: Path
    spec: ShardSpec
    shards: list  # [{"name": file name, "examples": n, "files": n}]
    source: str = ""  # the folder or CSV the files came from
    files: int = 0  # files that gave examples
    bad: int = 0  # files named in bad_files.csv
    labels: dict = field(default_factory=dict)  # column -> {"classes": [...] | None, ...}

    @property
    def examples(self) -> int:
        return sum(s["examples"] for s in self.shards)

    @property
    def identities(self) -> list[str]:
        """Pairs: the identities in natural order, an identity's id its index here."""
        return list(self.labels[PAIR_LABEL]["classes"])

    @property
    def paths(self) -> list[str]:
        return [str(self.root / s["name"]) for s in self.shards]


def looks_sharded(path) -> bool:
    """Whether `path` is a shard folder (its manifest is there)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(path) -> Manifest:
    root = Path(path).expanduser()
    try:
        data = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise DataError(f"{root / MANIFEST}: cannot be read ({err}); shard the data again "
                        "with `keras_avgan data shard`") from None
    if data.get("format") != FORMAT:
        raise DataError(f"{root}: shards of format {data.get('format')}, this version reads "
                        f"format {FORMAT}; shard the data again with `keras_avgan data shard`")
    manifest = Manifest(root, ShardSpec.from_dict(data["spec"]), data["shards"],
                        data.get("source", ""), data.get("files", 0), data.get("bad", 0),
                        data.get("labels", {}))
    missing = [p for p in manifest.paths if not Path(p).is_file()]
    if missing:
        raise DataError(f"{root}: {len(missing)} shard files named in {MANIFEST} are missing, "
                        f"e.g. {missing[0]}; shard the data again")
    if not manifest.examples:
        raise DataError(f"{root}: the shards hold no examples (every file was bad: see "
                        f"{root / BAD_FILES})")
    return manifest


def manifest_json(spec: ShardSpec, shards, source: str, files: int, bad: int,
                  labels: dict) -> str:
    return json.dumps({"format": FORMAT, "spec": spec.to_dict(), "source": source,
                       "files": files, "bad": bad, "shards": shards, "labels": labels},
                      indent=2) + "\n"
