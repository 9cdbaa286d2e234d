"""One NSynth note's labels, checked, and the filter that keeps or drops it.

Both formats (TFRecord, jsonwav) come here with the same fields as plain Python values,
so a note is labelled, checked and filtered one way whatever file it came from.
"""

from dataclasses import dataclass

from pipelines.audio.nsynth.schema import FAMILIES, NOTE_SAMPLES, QUALITIES, RATE, SOURCES
from pipelines.errors import DataError

FIX = "fix or remove that file"  # what every message tells the user to do


@dataclass(frozen=True)
class NSynthNote:
    note_str: str
    pitch: int  # MIDI
    velocity: int
    instrument_family: str  # the family's name
    instrument_source: str  # acoustic, electronic or synthetic
    qualities: tuple[str, ...]  # the names of the qualities that are set, in QUALITIES order
    where: str  # `file, record N` or the WAV's path: what an error or a report names


@dataclass(frozen=True)
class NSynthFilter:
    """Which notes are kept and how much of each: by default the face-to-music setting,
    acoustic notes at MIDI 24-84 (inclusive), their first 8192 samples (0.512 s)."""

    sources: tuple[str, ...] = ("acoustic",)
    pitch_min: int = 24
    pitch_max: int = 84
    samples: int = 8192

    def __post_init__(self):
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown or not self.sources:
            raise DataError(f"NSynth filter sources={self.sources!r}: choose from "
                            f"{', '.join(SOURCES)}")
        if not 0 <= self.pitch_min <= self.pitch_max <= 127:
            raise DataError(f"NSynth filter pitch {self.pitch_min}-{self.pitch_max}: give "
                            "0 <= pitch_min <= pitch_max <= 127 (MIDI)")
        if not 0 < self.samples <= NOTE_SAMPLES:
            raise DataError(f"NSynth filter samples={self.samples}: give 1..{NOTE_SAMPLES} "
                            "(a note's length)")

    @property
    def reasons(self) -> dict[str, str]:
        """Drop reason -> how a report words it, in the order the filters are applied."""
        return {"instrument_source": f"instrument_source not {' or '.join(self.sources)}",
                "pitch": f"pitch outside {self.pitch_min}-{self.pitch_max}"}

    def drop_reason(self, note: NSynthNote) -> str | None:
        """The first filter `note` fails (a key of `reasons`), or None when it is kept."""
        if note.instrument_source not in self.sources:
            return "instrument_source"
        if not self.pitch_min <= note.pitch <= self.pitch_max:
            return "pitch"
        return None


def _one_int(fields, name, where, low, high):
    values = fields.get(name)
    if values is None or len(values) == 0:
        raise DataError(f"{where}: no '{name}' feature, which every NSynth note has; {FIX}")
    if len(values) != 1 or not _is_int(values[0]) or not low <= int(values[0]) <= high:
        raise DataError(f"{where}: '{name}' is {list(values)}, not one whole number in "
                        f"{low}..{high}; {FIX}")
    return int(values[0])


def _is_int(value) -> bool:
    """A whole number (examples.json could hold text, null or 60.5 where NSynth has ints)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _name(fields, name, table, where) -> str:
    """The `<name>_str` twin when the note has one, else the name of its index in `table`."""
    text = fields.get(f"{name}_str")
    if text is not None and len(text) == 1 and text[0]:
        return str(text[0])
    if text is not None and len(text) > 1:
        raise DataError(f"{where}: '{name}_str' holds {len(text)} names, not one; {FIX}")
    if not fields.get(name):
        raise DataError(f"{where}: neither '{name}' nor '{name}_str', one of which every "
                        f"NSynth note has; {FIX}")
    return table[_one_int(fields, name, where, 0, len(table) - 1)]


def _qualities(fields, where) -> tuple[str, ...]:
    flags = fields.get("qualities")
    if flags is None or len(flags) == 0:
        raise DataError(f"{where}: no 'qualities' feature, which every NSynth note has; {FIX}")
    if len(flags) != len(QUALITIES) or any(not _is_int(f) or f not in (0, 1) for f in flags):
        raise DataError(f"{where}: 'qualities' is {list(flags)}, not {len(QUALITIES)} flags "
                        f"of 0 or 1 ({', '.join(QUALITIES)}); {FIX}")
    names = [str(n) for n in fields.get("qualities_str") or ()]
    # An empty qualities_str (a note without qualities) and a missing one look alike in a
    # tf.train.Example, so the flags decide when it is empty.
    if not names:
        return tuple(q for q, f in zip(QUALITIES, flags, strict=True) if int(f))
    order = {q: i for i, q in enumerate(QUALITIES)}
    return tuple(sorted(names, key=lambda q: order.get(q, len(order))))


def note_from_fields(fields: dict, where: str) -> NSynthNote:
    """A checked note from `fields` (feature name -> list of ints or strings; scalars of
    examples.json are wrapped by the caller). The audio is checked by `check_audio`."""
    rate = fields.get("sample_rate")
    if rate and rate[0] != RATE:
        raise DataError(f"{where}: sample_rate {rate[0]}; NSynth notes are {RATE} Hz; "
                        f"{FIX}")
    names = fields.get("note_str")
    return NSynthNote(
        note_str=str(names[0]) if names else where,
        pitch=_one_int(fields, "pitch", where, 0, 127),
        velocity=_one_int(fields, "velocity", where, 0, 127),
        instrument_family=_name(fields, "instrument_family", FAMILIES, where),
        instrument_source=_name(fields, "instrument_source", SOURCES, where),
        qualities=_qualities(fields, where),
        where=where)


def check_audio(samples: int, finite: bool, where: str) -> None:
    if samples == 0:
        raise DataError(f"{where}: no 'audio' feature (or an empty one), which every NSynth "
                        f"note has; {FIX}")
    if samples != NOTE_SAMPLES:
        raise DataError(f"{where}: audio has {samples} samples; NSynth notes have "
                        f"{NOTE_SAMPLES} ({NOTE_SAMPLES // RATE} s at {RATE} Hz); {FIX}")
    if not finite:
        raise DataError(f"{where}: audio holds NaN or Inf samples; {FIX}")
