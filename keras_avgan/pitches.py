"""The MIDI pitches a user asks a face-to-music run for (`generate --pitch`, `request
--pitch`), checked and turned into the pitch ids its networks and exports take (MIDI -
LOWEST_PITCH). Standard library only: the REST client uses it too."""

from keras_avgan.errors import UserError
from keras_avgan.recipes.face2music import HIGHEST_PITCH, LOWEST_PITCH

# Middle C: one note per face unless more pitches are asked for.
DEFAULT_PITCH = 60


def pitch_ids(pitches=None, flag: str = "--pitch") -> list[int]:
    """[id per pitch asked] (DEFAULT_PITCH's when none is), each MIDI 24-84 or a UserError."""
    ids = []
    for value in pitches or [DEFAULT_PITCH]:
        try:
            midi = int(str(value).strip())
        except ValueError:
            raise UserError(f"{flag} {value}: a pitch is a MIDI number from {LOWEST_PITCH} "
                            f"to {HIGHEST_PITCH} (60 is middle C)") from None
        if not LOWEST_PITCH <= midi <= HIGHEST_PITCH:
            raise UserError(f"{flag} {midi}: face2music makes notes at MIDI {LOWEST_PITCH}-"
                            f"{HIGHEST_PITCH} only (the pitches its networks learned)")
        ids.append(midi - LOWEST_PITCH)
    return ids


def class_names() -> list[str]:
    """The MIDI pitch of each id, as an export's metadata lists a condition's classes."""
    return [str(p) for p in range(LOWEST_PITCH, HIGHEST_PITCH + 1)]


def each_face_at_each_pitch(names, ids) -> tuple[list, list, list, list]:
    """(face rows, pitch ids, file names, titles) of every face at every pitch id, face by
    face: what `generate --face` and `request --face` make, and call `alice_pitch60`."""
    pairs = [(row, name, pitch) for row, name in enumerate(names) for pitch in ids]
    return ([row for row, _, _ in pairs], [pitch for _, _, pitch in pairs],
            [f"{name}_pitch{pitch + LOWEST_PITCH}" for _, name, pitch in pairs],
            [f"{name}, pitch {pitch + LOWEST_PITCH}" for _, name, pitch in pairs])
