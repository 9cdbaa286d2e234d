"""`keras_avgan generate` for runs that make a note from a face (face2music): one WAV per
face and pitch, named after both (`alice_pitch60.wav`), and the overview figure of them
(`notes.png`: waveform above spectrogram, as the audio modality draws its examples)."""

from pathlib import Path

from keras_avgan.errors import UserError
from keras_avgan.media.audio import write_audio_batch
from keras_avgan.training.builders import load_sampler

OVERVIEW = "notes"  # notes.png


def notes_from_faces(run_dir, recipe, modality, *, faces=(), vectors_file=None,
                     pitches=None, seed: int = 0, out=None, refused: dict | None = None):
    """Every face (pictures, or vectors from a .npy) at every MIDI pitch asked; `refused`
    names the generate options that do not apply here when they were given. The inputs are
    read and checked before the generator is built, so a bad one fails at once."""
    from keras_avgan.generate import GenerateResult
    given = [flag for flag, value in (refused or {}).items() if value]
    if given:
        raise UserError(f"{given[0]} does not apply to runs that make a note from a face: "
                        "pass --face or --face-embedding, and the pitches as --pitch MIDI "
                        "[MIDI ...]")
    inputs, names, titles = modality.inputs_from_faces(recipe, run_dir, faces, vectors_file,
                                                       pitches, seed)
    recipe, sampler, which = load_sampler(run_dir)
    made = sampler(inputs)
    out_dir = Path(out) if out else Path(run_dir) / "generated"
    files, overview = write_audio_batch(made["audio"], recipe.sample_rate, out_dir, OVERVIEW,
                                        titles=titles, names=names)
    return GenerateResult(files=files, overview=overview, checkpoint=which)
