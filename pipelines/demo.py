"""Small demo datasets built locally in seconds: synthetic instrument notes and spoken digits."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from pipelines.errors import DataError

RATE = 16000
NOTE_SAMPLES = RATE  # one-second notes, like a cut-down NSynth clip
PITCHES = (48, 50, 53, 55, 60, 62, 67, 72)  # MIDI; wide enough steps for a pitch classifier
VELOCITIES = (25, 50, 75, 100, 127)
FAMILIES = ("string", "mallet", "reed", "organ", "brass")
DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
LABELS_FILE = "labels.csv"
MARKER = "demo.json"  # kind, seed and file count; present only in a finished build
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


def build_notes(out_dir, seed=0, per_cell=15) -> Path:
    """An NSynth-like folder: <family>/<family>_<nnn>-<pitch>-<velocity>.wav plus labels.csv.

    5 families x 8 pitches x `per_cell` notes: 600 one-second files (19 MB) by default,
    about 1.5 s on one CPU core.
    """
    rng = np.random.default_rng(seed)
    rows = ["path,pitch,family,velocity"]
    with _staging(out_dir) as tmp:
        for family in FAMILIES:
            (tmp / family).mkdir()
            for pitch in PITCHES:
                for n in range(per_cell):
                    velocity = int(rng.choice(VELOCITIES))
                    note = synth_note(family, pitch, velocity, rng)
                    name = f"{family}/{family}_{n:03d}-{pitch:03d}-{velocity:03d}.wav"
                    soundfile.write(str(tmp / name), note, RATE, subtype="PCM_16")
                    rows.append(f"{name},{pitch},{family},{velocity}")
        (tmp / LABELS_FILE).write_text("\n".join(rows) + "\n")
        _mark(tmp, "notes", seed, len(rows) - 1)
    return Path(out_dir)


def _speakers(seed):
    """(voice, pitch, speed) combinations standing in for SC09's many speakers."""
    rng = np.random.default_rng(seed)
    variants = [f"m{i}" for i in range(1, 8)] + [f"f{i}" for i in range(1, 6)]
    voices = ("en", "en-us", "en-gb-scotland", "en-029")
    return [(f"{rng.choice(voices)}+{variant}", int(rng.integers(20, 81)),
             int(rng.integers(130, 200))) for variant in variants for _ in range(2)]


def _speak(espeak, word, voice, pitch, speed) -> np.ndarray:
    """espeak-ng's WAV for one word, trimmed of silence and fitted into one second at 16 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "word.wav")
        command = [espeak, "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", wav, word]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
            data, rate = soundfile.read(wav, dtype="float32", always_2d=True)
        except (OSError, subprocess.SubprocessError, soundfile.LibsndfileError) as err:
            detail = getattr(err, "stderr", b"") or b""
            raise DataError(f"espeak-ng failed on {' '.join(command[1:7])} {word!r}: {err} "
                            f"{detail.decode(errors='replace').strip()}; check that "
                            "`espeak-ng --voices=en` lists English voices") from None
    mono = data.mean(axis=1)
    if rate != RATE:
        step = gcd(RATE, rate)
        mono = resample_poly(mono, RATE // step, rate // step)
    loud = np.flatnonzero(np.abs(mono) > 0.02 * max(np.abs(mono).max(), 1e-9))
    mono = mono[loud[0]:loud[-1] + 1][:RATE] if len(loud) else mono[:RATE]
    clip = np.zeros(RATE, np.float32)
    start = (RATE - len(mono)) // 2
    clip[start:start + len(mono)] = mono
    return clip * (0.8 / max(np.abs(clip).max(), 1e-9))


def build_digits(out_dir, seed=0) -> Path:
    """SC09-like spoken digits from espeak-ng: <Digit>_<speaker>_nohash_<k>.wav + labels.csv."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise DataError("the 'digits' demo needs the espeak-ng program, which is not on PATH; "
                        "install it (e.g. `sudo apt-get install espeak-ng`) or use the "
                        "'notes' demo")
    rows = ["path,digit"]
    with _staging(out_dir) as tmp:
        for voice, pitch, speed in _speakers(seed):
            speaker = hashlib.sha1(f"{voice}:{pitch}:{speed}".encode()).hexdigest()[:8]
            for digit in DIGITS:
                for k, rate_shift in enumerate((0, 15)):  # two takes, the second a bit faster
                    clip = _speak(espeak, digit.lower(), voice, pitch, speed + rate_shift)
                    name = f"{digit}_{speaker}_nohash_{k}.wav"
                    soundfile.write(str(tmp / name), clip, RATE, subtype="PCM_16")
                    rows.append(f"{name},{digit}")
        (tmp / LABELS_FILE).write_text("\n".join(rows) + "\n")
        _mark(tmp, "digits", seed, len(rows) - 1)
    return Path(out_dir)


class _staging:
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
                if _built_kind(self.out) is None:  # another process finishing it is fine
                    shutil.rmtree(self.tmp, ignore_errors=True)
                    raise
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def _mark(folder: Path, kind: str, seed: int, files: int) -> None:
    """Written last inside the staging folder: names what the finished folder holds."""
    (folder / MARKER).write_text(json.dumps({"kind": kind, "seed": seed, "files": files}) + "\n")


def _built_kind(path: Path) -> str | None:
    try:
        return json.loads((path / MARKER).read_text())["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


DEMO_KINDS = {"notes": build_notes, "digits": build_digits}


def demo_root() -> Path:
    return Path(os.environ.get("KERAS_AVGAN_DATA") or
                Path.home() / ".cache" / "keras_avgan" / "demo").expanduser()


def ensure_demo(kind, out=None) -> Path:
    """The demo folder for `kind`, built on first use and reused afterwards."""
    if kind not in DEMO_KINDS:
        raise DataError(f"unknown demo dataset {kind!r}; choose one of "
                        f"{', '.join(sorted(DEMO_KINDS))}")
    path = Path(out).expanduser() if out else demo_root() / kind
    built = _built_kind(path)
    if built == kind:
        return path
    if built is not None:
        raise DataError(f"{path} already holds the '{built}' demo, not '{kind}'; choose "
                        "another --out")
    return DEMO_KINDS[kind](path)
