"""Talking faces, VoxCeleb-like pairs: one picture of a face and one second of its voice.

The faces are the faces demo's identities (faces.make_identities, face_drawing.render_face);
each identity also speaks with its own voice (voices.make_voices). In every pair the mouth
opens as wide as the clip is loud around its centre, the moment the picture stands for, so
a model can learn that face and sound belong together, not only who is speaking.
"""

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

from pipelines.demo import faces, voices
from pipelines.demo.build import mark, staging
from pipelines.errors import DataError

PAIRS_FILE = "pairs.csv"
COLUMNS = ("audio", "image", "identity", "mouth_open", "centre_db", "f0_hz")
CENTRE = (int(0.45 * voices.RATE), int(0.55 * voices.RATE))  # the middle 100 ms, in samples
QUIET_DB, LOUD_DB = -36.0, -9.0  # centre loudness (dBFS RMS) of a closed and a wide open mouth


def centre_db(clip) -> float:
    """RMS loudness of the clip's middle 100 ms, in dB relative to full scale."""
    middle = np.asarray(clip[CENTRE[0]:CENTRE[1]], np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(middle ** 2)) + 1e-9))


def mouth_opening(loudness_db) -> float:
    """0 (closed) .. 1 (wide open), linear in dB between QUIET_DB and LOUD_DB: a silent centre
    closes the mouth, a loud vowel opens it fully."""
    return float(np.clip((loudness_db - QUIET_DB) / (LOUD_DB - QUIET_DB), 0.0, 1.0))


def talking_face(identity, variation, clip, size=faces.SIZE) -> np.ndarray:
    """The identity's face for this clip: the variation's pose and lighting, the clip's mouth."""
    opening = mouth_opening(centre_db(clip))
    return faces.render_face(identity, dataclasses.replace(variation, mouth_open=opening), size)


def build_talking(out_dir, seed=0, identities=16, per_identity=30, size=faces.SIZE) -> Path:
    """A paired folder: <identity>/<identity>_<nnn>.wav (16 kHz mono PCM-16, one second) and
    <identity>/<identity>_<nnn>.png (RGB, size x size) with the same stem, plus pairs.csv
    (audio, image, identity, then the picture's mouth opening, the clip's centre loudness and
    median pitch). 16 identities x 30 pairs = 480 pairs by default."""
    if identities < 2:
        raise DataError(f"the talking demo needs at least 2 identities; got {identities}")
    # the faces demo deals attributes over at least MIN_IDENTITIES people; fewer take the first
    people = faces.make_identities(max(identities, faces.MIN_IDENTITIES), seed)[:identities]
    speakers = voices.make_voices(identities, seed)
    rows = [",".join(COLUMNS)]
    with staging(out_dir) as tmp:
        for (i, who), n in itertools.product(enumerate(people), range(per_identity)):
            if n == 0:
                (tmp / who.name).mkdir()
            # seeded per pair: a pair stays the same when more pairs are asked for
            rng = np.random.default_rng([seed, 4, i, n])
            variation = faces.random_variation(rng)
            clip, f0, voiced = voices.synth_clip(speakers[i], rng)
            stem = f"{who.name}/{who.name}_{n:03d}"
            soundfile.write(str(tmp / f"{stem}.wav"), clip, voices.RATE, subtype="PCM_16")
            Image.fromarray(talking_face(who, variation, clip, size)).save(
                tmp / f"{stem}.png", compress_level=1)
            loudness = centre_db(clip)
            rows.append(f"{stem}.wav,{stem}.png,{who.name},{mouth_opening(loudness):.3f},"
                        f"{loudness:.1f},{np.median(f0[voiced]):.1f}")
        (tmp / PAIRS_FILE).write_text("\n".join(rows) + "\n")
        mark(tmp, "talking", seed, len(rows) - 1)
    return Path(out_dir)
