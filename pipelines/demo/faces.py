"""Procedural frontal faces, CelebA/VoxCeleb-like: a few identities, many photos of each.

Each identity is a combination of attribute values (skin, face shape, hair colour and style,
eyes, brows, nose, mouth), and every value is shared by several identities, so telling people
apart takes a combination of features, never one colour. Each photo varies pose, expression,
lighting and background. Drawn with numpy and Pillow (see face_drawing), no network.
"""

import colorsys
import itertools
from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.demo import face_drawing as drawing
from pipelines.demo.build import LABELS_FILE, mark, staging
from pipelines.demo.face_drawing import FaceIdentity, FaceVariation, render_face
from pipelines.errors import DataError

__all__ = ["ATTRIBUTES", "FaceIdentity", "FaceVariation", "build_faces", "make_identities",
           "random_variation", "render_face"]

SIZE = 128
ATTRIBUTES = {"skin": tuple(drawing.SKIN), "face_shape": tuple(drawing.FACE_SHAPES),
              "hair_colour": tuple(drawing.HAIR), "hair_style": drawing.HAIR_STYLES,
              "eye_colour": tuple(drawing.EYES), "brows": tuple(drawing.BROWS),
              "nose": tuple(drawing.NOSES), "mouth": tuple(drawing.MOUTHS)}
MIN_IDENTITIES = 2 * max(len(values) for values in ATTRIBUTES.values())


def make_identities(count=16, seed=0) -> list[FaceIdentity]:
    """`count` distinct people, id00, id01, ...; each attribute value is dealt out evenly, so
    every value belongs to at least two of them when count >= MIN_IDENTITIES."""
    if count < MIN_IDENTITIES:
        raise DataError(f"the faces demo needs at least {MIN_IDENTITIES} identities, so that "
                        f"every attribute value is shared by two or more; got {count}")
    rng = np.random.default_rng([seed, 1])
    for _ in range(1000):  # reshuffle in the rare case that two people came out identical
        columns = [rng.permutation(np.resize(values, count)) for values in ATTRIBUTES.values()]
        people = list(zip(*columns, strict=True))
        if len(set(people)) == count:
            break
    else:
        raise DataError(f"could not make {count} distinct faces from the attribute tables")
    width = max(2, len(str(count - 1)))
    return [FaceIdentity(f"id{i:0{width}d}", *map(str, values))
            for i, values in enumerate(people)]


def _colour(rng, saturation, value):
    return colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(*saturation), rng.uniform(*value))


def random_variation(rng) -> FaceVariation:
    """One photo's pose, expression, lighting and backdrop; small enough to stay frontal."""
    base = _colour(rng, (0.05, 0.4), (0.3, 0.85))
    other = tuple(np.clip(np.array(base) * rng.uniform(0.6, 1.4) + rng.normal(0, 0.05, 3),
                          0, 1))
    return FaceVariation(
        angle=rng.uniform(-10, 10), shift=tuple(rng.uniform(-0.04, 0.04, 2)),
        scale=rng.uniform(0.9, 1.1),
        mouth_open=0.0 if rng.uniform() < 0.4 else rng.uniform(0.05, 1.0),
        smile=rng.uniform(-0.3, 0.9),
        light_azimuth=rng.uniform(-55, 55), light_elevation=rng.uniform(5, 45),
        light_intensity=rng.uniform(0.7, 1.2),
        background=(base, other), background_angle=rng.uniform(0, 360),
        background_noise=rng.uniform(0.01, 0.06),
        clothes=_colour(rng, (0.1, 0.7), (0.15, 0.8)),
        noise_seed=int(rng.integers(2 ** 31)))


def build_faces(out_dir, seed=0, identities=16, per_identity=50, size=SIZE) -> Path:
    """A face folder: <identity>/<identity>_<nnn>.png (RGB, size x size) plus labels.csv with
    the identity and its attributes. 16 identities x 50 photos = 800 images by default."""
    people = make_identities(identities, seed)
    rows = [",".join(["path", "identity", *ATTRIBUTES])]
    with staging(out_dir) as tmp:
        for (i, who), n in itertools.product(enumerate(people), range(per_identity)):
            if n == 0:
                (tmp / who.name).mkdir()
            # seeded per photo: a photo stays the same when more photos are asked for
            variation = random_variation(np.random.default_rng([seed, 2, i, n]))
            name = f"{who.name}/{who.name}_{n:03d}.png"
            Image.fromarray(render_face(who, variation, size)).save(
                tmp / name, compress_level=1)  # twice as fast as the default, 13 % larger
            rows.append(",".join([name, who.name, *(getattr(who, a) for a in ATTRIBUTES)]))
        (tmp / LABELS_FILE).write_text("\n".join(rows) + "\n")
        mark(tmp, "faces", seed, len(rows) - 1)
    return Path(out_dir)
