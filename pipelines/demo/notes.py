"""Synthetic instrument notes, NSynth-like: five families at eight pitches and five velocities."""

from pathlib import Path

import numpy as np
import soundfile

from pipelines.demo.build import LABELS_FILE, mark, staging

RATE = 16000
NOTE_SAMPLES = RATE  # one-second notes, like a cut-down NSynth clip
PITCHES = (48, 50, 53, 55, 60, 62, 67, 72)  # MIDI; wide enough steps for a pitch classifier
VELOCITIES = (25, 50, 75, 100, 127)
FAMILIES = ("string", "mallet", "reed", "organ", "brass")
RELEASE_AT = 0.8  # seconds into a note at which it is released (80 % of a one-second note)


def _adsr(attack, decay, sustain, release, length=NOTE_SAMPLES):
    """Piecewise-linear envelope in samples; the note is released RELEASE_AT seconds in."""
    t = np.arange(length) / RATE
    env = np.interp(t, [0, attack, attack + decay, RELEASE_AT, RELEASE_AT + release],
                    [0, 1, sustain, sustain, 0], right=0.0)
    return env


def _partials(family, rng, velocity):
    """(frequency ratios, amplitudes, per-partial decay rates in 1/s) for one family."""
    bright = 0.6 + 0.4 * velocity / 127
    if family == "string":  # plucked: full harmonic series, upper partials die first
        k = np.arange(1, 16)
        return k, bright ** k / k ** 1.1, 2.0 + 1.2 * k
    if family == "mallet":  # struck bar: inharmonic modes, fast decay
        ratios = np.array([1.0, 2.756, 5.404, 8.933]) * (1 + rng.normal(0, 0.003, 4))
        return ratios, np.array([1.0, 0.5, 0.25, 0.12]) * bright, np.array([4, 9, 16, 24.0])
    if family == "reed":  # clarinet-like: odd harmonics only
        k = np.arange(1, 16, 2)
        return k, 1.0 / k, np.zeros(len(k))
    if family == "organ":  # drawbars: steady octaves and fifths
        k = np.array([1, 2, 3, 4, 6, 8])
        return k, np.array([1.0, 0.8, 0.5, 0.45, 0.3, 0.25]), np.zeros(len(k))
    k = np.arange(1, 13)  # brass: dense harmonics, brightness shaped by the attack below
    return k, 1.0 / k ** 0.7, np.zeros(len(k))


def _envelope(family, rng):
    jitter = rng.uniform(0.8, 1.2)
    return {
        "string": lambda: _adsr(0.004, 0.1, 0.6, 0.15) * np.exp(-1.5 * np.arange(NOTE_SAMPLES)
                                                               / RATE),
        "mallet": lambda: _adsr(0.002, 0.05, 0.5, 0.1),
        "reed": lambda: _adsr(0.05 * jitter, 0.1, 0.8, 0.12),
        "organ": lambda: _adsr(0.015, 0.02, 0.95, 0.05),
        "brass": lambda: _adsr(0.08 * jitter, 0.15, 0.75, 0.12),
    }[family]()


def synth_note(family, pitch, velocity, rng) -> np.ndarray:
    """One float32 note of NOTE_SAMPLES samples, peak 0.3-0.9 growing with velocity."""
    t = np.arange(NOTE_SAMPLES) / RATE
    detune = 2 ** (rng.uniform(-8, 8) / 1200)  # cents
    depth = {"reed": 0.004, "brass": 0.003, "string": 0.001}.get(family, 0.0)
    vibrato = 1 + depth * np.sin(2 * np.pi * rng.uniform(4.5, 6.0) * t + rng.uniform(0, 6))
    freq = 440.0 * 2 ** ((pitch - 69) / 12) * detune * vibrato
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    ratios, amps, decays = _partials(family, rng, velocity)
    env = _envelope(family, rng)
    note = np.zeros(NOTE_SAMPLES)
    for ratio, amp, decay in zip(ratios, amps, decays, strict=True):
        if ratio * freq.max() >= 0.45 * RATE:  # keep clear of Nyquist: no aliasing
            continue
        partial = amp * np.exp(-decay * t) * np.sin(ratio * phase + rng.uniform(0, 2 * np.pi))
        if family == "brass":  # upper harmonics enter as the attack swells
            partial *= env ** (0.5 * ratio)
        note += partial
    note *= env
    peak = 0.3 + 0.6 * (velocity - VELOCITIES[0]) / (VELOCITIES[-1] - VELOCITIES[0])
    peak = float(np.clip(peak + rng.uniform(-0.03, 0.03), 0.3, 0.9))
    return (note * peak / max(np.abs(note).max(), 1e-9)).astype(np.float32)


def demo_notes(seed=0, per_cell=15):
    """(family, n, pitch, velocity, note) of every demo note, in the order they are drawn:
    one generator for every format the demo is written in, so a seed names the same notes."""
    rng = np.random.default_rng(seed)
    for family in FAMILIES:
        for pitch in PITCHES:
            for n in range(per_cell):
                velocity = int(rng.choice(VELOCITIES))
                yield family, n, pitch, velocity, synth_note(family, pitch, velocity, rng)


def build_notes(out_dir, seed=0, per_cell=15) -> Path:
    """An NSynth-like folder: <family>/<family>_<nnn>-<pitch>-<velocity>.wav plus labels.csv.

    5 families x 8 pitches x `per_cell` notes: 600 one-second files (19 MB) by default,
    about 1.5 s on one CPU core.
    """
    rows = ["path,pitch,family,velocity"]
    with staging(out_dir) as tmp:
        for family in FAMILIES:
            (tmp / family).mkdir()
        for family, n, pitch, velocity, note in demo_notes(seed, per_cell):
            name = f"{family}/{family}_{n:03d}-{pitch:03d}-{velocity:03d}.wav"
            soundfile.write(str(tmp / name), note, RATE, subtype="PCM_16")
            rows.append(f"{name},{pitch},{family},{velocity}")
        (tmp / LABELS_FILE).write_text("\n".join(rows) + "\n")
        mark(tmp, "notes", seed, len(rows) - 1)
    return Path(out_dir)
