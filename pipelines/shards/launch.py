"""Starting the shard pipeline from a folder (or CSV) of files, and its report.

The files are listed and labelled here, on the launching machine, as the folder reader lists
and labels them (pipelines.listing, pipelines.labels); the list goes to the workers as
DIR/inputs.jsonl rather than inside the pipeline, whose size some runners limit.
"""

import csv
import json
import math
import os
import time
from pathlib import Path

from pipelines import labels as labels_lib
from pipelines import listing
from pipelines.audio.scan import AUDIO_EXTENSIONS
from pipelines.errors import DataError
from pipelines.images.scan import IMAGE_EXTENSIONS
from pipelines.shards import options
from pipelines.shards import spec as spec_lib

EXTENSIONS = {"audio": AUDIO_EXTENSIONS, "image": IMAGE_EXTENSIONS}
FILES_PER_SHARD = 128  # the default: about 8 MB of one-second clips per shard
MAX_SHARDS = 1024
SHOWN_BAD = 10  # bad files named on stdout; bad_files.csv has them all


def inputs(kind: str, root, label_from: str = "auto", pattern: str = ""):
    """([{"path", "name", "labels"}] for every file of `kind` under `root`, the label
    columns): what the pipeline decodes."""
    extensions = EXTENSIONS[kind]
    found = listing.list_files(root, extensions, kind)
    if not found:
        listing.require_usable([], [], root, extensions, kind)  # says none were found
    rows = labels_lib.read_labels(root, extensions, kind, label_from, pattern)
    base = Path(root).expanduser()
    base = base.parent if base.is_file() else base
    out = []
    for path in found:
        resolved = Path(path).resolve()
        row = rows.get(str(resolved), {})
        out.append({"path": str(resolved), "name": _name(resolved, base.resolve()),
                    "labels": {k: v for k, v in row.items() if k != "path"}})
    return out, tuple(labels_lib.columns_of(rows))


def pair_inputs(root):
    """([{"path": sound, "image": picture, "name", "audio_name", "labels": {"identity"}}]
    for every pair pipelines.paired finds under `root` (nothing opened), the label columns,
    the [(path, reason)] files without their other half)."""
    from pipelines import paired

    candidates, unpaired, _ = paired.find_pairs(root)
    if not candidates:
        paired.require_pairs(paired.PairScan(unpaired=unpaired), str(root))  # says why none
    base = Path(root).expanduser()
    base = (base.parent if base.is_file() else base).resolve()
    out = []
    for audio, image, identity in candidates:
        sound, picture = Path(audio).resolve(), Path(image).resolve()
        out.append({"path": str(sound), "image": str(picture), "name": _name(picture, base),
                    "audio_name": _name(sound, base), "labels": {spec_lib.PAIR_LABEL: identity}})
    return out, (spec_lib.PAIR_LABEL,), unpaired


def _name(path: Path, base: Path) -> str:
    """A file's name in the shards: its path under the source, else its absolute path."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def default_shards(files: int) -> int:
    return max(1, min(MAX_SHARDS, math.ceil(files / FILES_PER_SHARD)))


def check_out(out_dir) -> Path:
    """A new or empty output folder: shards of an earlier run must not mix with these."""
    out = Path(out_dir).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"--out {out_dir}: not an empty folder; shard into a new one (or "
                        "delete what is there)")
    return out


def prepare_out(out_dir) -> Path:
    out = check_out(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def run(spec: spec_lib.ShardSpec, rows, out_dir, *, flags, num_shards: int, source: str,
        verbose: bool = False) -> float:
    """Write inputs.jsonl and run the pipeline with Beam's `flags`; the seconds it took."""
    from pipelines.shards import beam_pipeline

    out = Path(out_dir)
    with open(out / spec_lib.INPUTS, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    started = time.perf_counter()
    with options.quiet_beam(not verbose):
        beam, beam_options = _beam(flags)
        with beam.Pipeline(options=beam_options) as pipeline:
            beam_pipeline.build(pipeline, spec, str(out), num_shards, source, len(rows))
    return time.perf_counter() - started


def _beam(flags):
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    return beam, PipelineOptions(flags)


def bad_files(out_dir) -> list[tuple[str, str]]:
    with open(Path(out_dir) / spec_lib.BAD_FILES, newline="", encoding="utf-8") as handle:
        return [(row["path"], row["reason"]) for row in csv.DictReader(handle)]


def describe(out_dir, seconds: float | None = None, runner: str = "") -> str:
    """What `data shard` prints (and `data check` of a shard folder, without the time):
    counts, the bad files (the first few), the labels."""
    data = json.loads((Path(out_dir) / spec_lib.MANIFEST).read_text())
    spec = spec_lib.ShardSpec.from_dict(data["spec"])
    examples = sum(s["examples"] for s in data["shards"])
    total = data["files"] + data["bad"]
    what = "face/sound pairs" if spec.kind == "pairs" else f"{spec.kind} files"
    lines = [f"{total} {what}: {data['files']} sharded, {data['bad']} bad; "
             f"{examples} examples of {spec.shape_text()} in "
             f"{len(data['shards'])} shards, {_size(out_dir, data['shards'])}"
             + (f", in {seconds:.1f} s on the {runner}" if seconds is not None else
                f"; made from {data['source']} ({spec.describe()})")]
    bad = bad_files(out_dir)
    if bad:
        lines.append(f"bad {'pairs' if spec.kind == 'pairs' else 'files'} ({len(bad)}, all "
                     f"listed in {Path(out_dir) / spec_lib.BAD_FILES}):")
        lines += [f"  {name}: {reason}" for name, reason in bad[:SHOWN_BAD]]
        if len(bad) > SHOWN_BAD:
            lines.append(f"  and {len(bad) - SHOWN_BAD} more")
    shown = {c: i for c, i in data["labels"].items() if c != "folder"} or data["labels"]
    for column, info in shown.items():  # folder: kept, but implied by the paths
        classes = info["classes"]
        limit = labels_lib.SHOWN_CLASSES
        more = ", ..." if len(classes) > limit else ""
        shown = f"{info['values']} classes" + (
            f": {', '.join(classes[:limit])}{more}" if classes else "")
        unlabelled = f"; {info['unlabelled']} examples without one" if info["unlabelled"] else ""
        lines.append(f"label {column}: {shown}{unlabelled}")
    lines.append(f"manifest: {Path(out_dir) / spec_lib.MANIFEST}")
    return "\n".join(lines)


def _size(out_dir, shards) -> str:
    total = sum(os.path.getsize(Path(out_dir) / s["name"]) for s in shards)
    return f"{total / 1e6:.1f} MB"
