"""SC09-like spoken digits, spoken by espeak-ng in many voices (needs the espeak-ng program)."""

import hashlib
import os
import shutil
import subprocess
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from pipelines.demo.build import LABELS_FILE, mark, staging
from pipelines.errors import DataError

RATE = 16000
DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


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
    with staging(out_dir) as tmp:
        for voice, pitch, speed in _speakers(seed):
            speaker = hashlib.sha1(f"{voice}:{pitch}:{speed}".encode()).hexdigest()[:8]
            for digit in DIGITS:
                for k, rate_shift in enumerate((0, 15)):  # two takes, the second a bit faster
                    clip = _speak(espeak, digit.lower(), voice, pitch, speed + rate_shift)
                    name = f"{digit}_{speaker}_nohash_{k}.wav"
                    soundfile.write(str(tmp / name), clip, RATE, subtype="PCM_16")
                    rows.append(f"{name},{digit}")
        (tmp / LABELS_FILE).write_text("\n".join(rows) + "\n")
        mark(tmp, "digits", seed, len(rows) - 1)
    return Path(out_dir)


