"""The `keras_avgan data check` report of NSynth data."""

from pipelines.audio.nsynth.labels import CLASS_COLUMNS, label_table
from pipelines.audio.nsynth.reader import TFRECORD, NSynthScan
from pipelines.audio.nsynth.schema import NOTE_SAMPLES, RATE
from pipelines.labels import SHOWN_CLASSES, natural_key

PITCH_BIN = 12  # semitones per pitch range reported: an octave


def describe_nsynth(scan: NSynthScan) -> str:
    filters = scan.filters
    source = (f"{len(scan.files)} TFRecord file{'s' if len(scan.files) != 1 else ''}"
              if scan.format == TFRECORD else f"jsonwav ({scan.files[0]})")
    dropped = sum(scan.dropped.values())
    lines = [f"{scan.total} NSynth notes from {source}: {len(scan.kept)} kept, {dropped} "
             "dropped",
             "dropped by filter (each note under the first it fails): " + ", ".join(
                 f"{filters.reasons[key]} {count}" for key, count in scan.dropped.items()),
             f"kept notes: their first {filters.samples} of {NOTE_SAMPLES} samples "
             f"({filters.samples / RATE:.3f} s at {RATE} Hz)"]
    if scan.kept:
        lines += [
            "instrument families: " + _counts(n.instrument_family for n in scan.kept),
            "pitch ranges: " + _pitch_ranges(scan),
            "velocities: " + _counts(n.velocity for n in scan.kept),
            "qualities: " + (_counts(q for n in scan.kept for q in n.qualities) or "none")
            + f"; without any: {sum(not n.qualities for n in scan.kept)}",
            _labels_line(scan),
        ]
    return "\n".join(lines)


def _pitch_ranges(scan: NSynthScan) -> str:
    low, high = scan.filters.pitch_min, scan.filters.pitch_max
    parts = []
    for start in range(low, high + 1, PITCH_BIN):
        end = min(start + PITCH_BIN - 1, high)
        count = sum(start <= n.pitch <= end for n in scan.kept)
        parts.append(f"{start}-{end} x{count}" if end > start else f"{start} x{count}")
    return ", ".join(parts)


def _labels_line(scan: NSynthScan) -> str:
    table = label_table(scan.kept)
    parts = []
    for column in CLASS_COLUMNS:
        values = table.classes[column]
        more = ", ..." if len(values) > SHOWN_CLASSES else ""
        parts.append(f"{column} ({len(values)} class{'es' if len(values) != 1 else ''}: "
                     f"{', '.join(values[:SHOWN_CLASSES])}{more})")
    parts.append(f"qualities (multi-hot over {len(table.classes['qualities'])})")
    return "labels (from the NSynth fields): " + ", ".join(parts)


def _counts(values) -> str:
    tally = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    ordered = sorted(tally.items(), key=lambda item: natural_key(str(item[0])))
    return ", ".join(f"{key} x{count}" for key, count in ordered)
