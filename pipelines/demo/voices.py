"""Speech-like voices for the talking demo: a glottal source through vowel formants, with noise
bursts for consonants, one voice per identity.

A voice is what stays fixed for one speaker: a fundamental-frequency range, a scale on the
vowel formants (vocal tract length), breathiness and speaking rate. Every value is dealt out
over an even grid and the grids are shuffled independently, so no two speakers share a
pitch centre or a formant scale, yet telling them apart still takes the combination.
A clip varies prosody: which syllables, their pitch contour, loudness and pauses.
"""

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

RATE = 16000
CLIP_SAMPLES = RATE  # one second, like the notes demo
F0_CENTRES = (90.0, 250.0)  # Hz, lowest and highest speaker centre (log-spaced between)
FORMANT_SCALES = (0.86, 1.2)  # 1 = the adult male formants below
# F1, F2, F3, F4 in Hz (adult male averages, Peterson & Barney style) and their bandwidths
VOWELS = {"a": (730, 1090, 2440, 3400), "e": (530, 1840, 2480, 3450),
          "i": (270, 2290, 3010, 3600), "o": (570, 840, 2410, 3300),
          "u": (300, 870, 2240, 3300)}
BANDWIDTHS = (70, 100, 160, 220)
# consonant -> (kind, noise band in Hz before the speaker's formant scale)
CONSONANTS = {"s": ("fricative", (4500, 7200)), "sh": ("fricative", (2000, 4000)),
              "f": ("fricative", (1200, 6500)), "t": ("plosive", (3000, 6000)),
              "k": ("plosive", (1500, 3200)), "p": ("plosive", (600, 2500)), "": ("none", None)}


@dataclass(frozen=True)
class Voice:
    """One speaker's fixed voice; f0 stays within [f0_low, f0_high]."""

    f0_low: float  # Hz
    f0_high: float
    formant_scale: float  # on every formant and consonant band: vocal tract length
    breathiness: float  # 0 clean pulses .. 1 as much aspiration noise as pulse
    rate: float  # syllables per second
    open_quotient: float  # share of a glottal cycle the folds are open: lax (high) or pressed

    @property
    def f0_centre(self) -> float:
        return float(np.sqrt(self.f0_low * self.f0_high))


def make_voices(count, seed=0) -> list[Voice]:
    """`count` voices, one per identity in order; the same count and seed give the same ones."""
    rng = np.random.default_rng([seed, 3])
    even = np.linspace(0, 1, count) if count > 1 else np.array([0.5])

    def deal(low, high, log=False):
        grid = np.exp(np.log(low) + even * np.log(high / low)) if log else low + even * (
            high - low)
        return rng.permutation(grid)

    centres = deal(*F0_CENTRES, log=True)
    spans = deal(3.0, 8.0)  # semitones from the lowest to the highest pitch: flat .. lively
    return [Voice(f0_low=float(c * 2 ** (-s / 24)), f0_high=float(c * 2 ** (s / 24)),
                  formant_scale=float(f), breathiness=float(b), rate=float(r),
                  open_quotient=float(q))
            for c, s, f, b, r, q in zip(centres, spans, deal(*FORMANT_SCALES),
                                        deal(0.03, 0.5), deal(3.0, 6.0), deal(0.45, 0.75),
                                        strict=True)]


def _resonator(signal, freq, bandwidth):
    """Klatt's two-pole resonator, unit gain at 0 Hz, so a cascade keeps natural formant
    amplitudes (each higher formant rides on the skirts of the lower ones)."""
    c = -np.exp(-2 * np.pi * bandwidth / RATE)
    b = 2 * np.exp(-np.pi * bandwidth / RATE) * np.cos(2 * np.pi * freq / RATE)
    return lfilter([1 - b - c], [1, -b, -c], signal)


def _glottal_source(voice, f0, rng):
    """Rosenberg glottal flow pulses at the f0 contour, differentiated (lip radiation), plus
    aspiration noise that is strongest while the folds are open."""
    phase = np.cumsum(f0 / RATE) % 1.0
    rise, fall = 0.6 * voice.open_quotient, 0.4 * voice.open_quotient
    flow = np.where(phase < rise, 0.5 * (1 - np.cos(np.pi * phase / rise)),
                    np.where(phase < rise + fall,
                             np.cos(0.5 * np.pi * (phase - rise) / fall), 0.0))
    pulses = np.diff(flow, prepend=0.0) * RATE / f0  # the same strength at every pitch
    noise = rng.normal(0, 1, len(f0)) * (0.3 + 0.7 * flow)
    return (1 - voice.breathiness) * pulses + 2 * voice.breathiness * noise


def _ramp(length, attack, release):
    """A raised-cosine attack and release envelope, in samples."""
    env = np.ones(length)
    attack, release = min(attack, length // 2), min(release, length // 2)
    env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / max(attack, 1))
    env[length - release:] = 0.5 + 0.5 * np.cos(np.pi * np.arange(release) / max(release, 1))
    return env


def _syllables(voice, rng):
    """[(start, end, consonant, vowel, loudness)] in samples, pauses between some of them."""
    out, t = [], int(rng.uniform(0.0, 0.12) * RATE)
    while t < CLIP_SAMPLES - 0.08 * RATE:
        if out and rng.uniform() < 0.15:  # a pause: where a talking mouth closes
            t += int(rng.uniform(0.08, 0.25) * RATE)
            continue
        length = int(RATE / voice.rate * rng.uniform(0.7, 1.3))
        out.append((t, min(t + length, CLIP_SAMPLES), str(rng.choice(list(CONSONANTS))),
                    str(rng.choice(list(VOWELS))), float(rng.uniform(0.3, 1.0))))
        t += length + int(rng.uniform(0, 0.03) * RATE)
    return out


def _pitch_contour(voice, syllables, rng):
    """f0 in Hz per sample: a falling declination plus an accent on some syllables and a
    slow wobble, kept within the voice's range."""
    span = 12 * np.log2(voice.f0_high / voice.f0_low)  # semitones
    t = np.arange(CLIP_SAMPLES) / RATE
    semis = (rng.uniform(0.2, 0.5) * span * (0.5 - t)  # declination around the centre
             + rng.uniform(-0.15, 0.15) * span
             + 0.3 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)))
    for start, end, *_ in syllables:
        if rng.uniform() < 0.4:
            bump = np.zeros(CLIP_SAMPLES)
            bump[start:end] = np.sin(np.pi * np.arange(end - start) / (end - start))
            semis += rng.uniform(0.2, 0.5) * span * bump
    return voice.f0_centre * 2 ** (np.clip(semis, -span / 2, span / 2) / 12)


def synth_clip(voice, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One second of syllables: (float32 clip with peak 0.4-0.9, f0 contour in Hz, voiced
    mask), all CLIP_SAMPLES long. The contour and mask are what the synthesis used."""
    syllables = _syllables(voice, rng)
    f0 = _pitch_contour(voice, syllables, rng)
    source = _glottal_source(voice, f0, rng)
    scale = voice.formant_scale
    vowels = {}
    for v in {s[3] for s in syllables}:  # each vowel filters the whole source once
        signal = source
        for freq, width in zip(VOWELS[v], BANDWIDTHS, strict=True):
            signal = _resonator(signal, freq * scale, width)
        vowels[v] = signal / max(np.std(signal), 1e-9)
    noise = rng.normal(0, 1, CLIP_SAMPLES)
    bands = {}
    clip, voiced = np.zeros(CLIP_SAMPLES), np.zeros(CLIP_SAMPLES, bool)
    for start, end, consonant, vowel, loudness in syllables:
        kind, band = CONSONANTS[consonant]
        if kind == "none":
            onset = start
        else:
            if consonant not in bands:
                low, high = (min(f * scale, 0.45 * RATE) for f in band)
                sos = butter(4, (low, high), btype="bandpass", fs=RATE, output="sos")
                bands[consonant] = sosfilt(sos, noise)
                bands[consonant] /= max(np.std(bands[consonant]), 1e-9)
            closure = int(0.03 * RATE) if kind == "plosive" else 0  # silence before a burst
            burst = int((0.015 if kind == "plosive" else 0.08) * RATE * rng.uniform(0.8, 1.3))
            a, b = start + closure, min(start + closure + burst, end)
            clip[a:b] += 0.35 * loudness * bands[consonant][a:b] * _ramp(b - a, 40, 80)
            onset = b
        if end - onset > 0.03 * RATE:
            clip[onset:end] += loudness * vowels[vowel][onset:end] * _ramp(
                end - onset, int(0.015 * RATE), int(0.04 * RATE))
            voiced[onset:end] = True
    clip *= rng.uniform(0.4, 0.9) / max(np.abs(clip).max(), 1e-9)
    return clip.astype(np.float32), f0, voiced
