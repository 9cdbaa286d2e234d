"""Drawing one procedural frontal face: soft shaded shapes in face coordinates, numpy only.

Face coordinates: u to the viewer's right, v down, both in units of the face's half-width,
origin at the face centre. Every shape is a soft mask from an approximate signed distance: its
edge is antialiased analytically (a one-pixel ramp), and a blurred shadow costs no more than a
crisp edge. SUPERSAMPLE > 1 draws larger and box-filters down, which looked no smoother.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

SUPERSAMPLE = 1  # 2 looked the same at four times the cost
FACE_HALF_WIDTH = 0.25  # of the image width at scale 1: a 64-pixel-wide face in 128 pixels
FACE_CENTRE_Y = 0.04  # of the image height below the middle, leaving room for hair above

SKIN = {"pale": (0.96, 0.83, 0.74), "light": (0.90, 0.71, 0.58), "olive": (0.78, 0.60, 0.44),
        "brown": (0.60, 0.42, 0.30), "dark": (0.42, 0.28, 0.20)}
HAIR = {"black": (0.07, 0.06, 0.06), "brown": (0.34, 0.21, 0.12), "blonde": (0.86, 0.72, 0.44),
        "red": (0.62, 0.26, 0.11), "grey": (0.58, 0.57, 0.56)}
EYES = {"brown": (0.30, 0.17, 0.08), "blue": (0.24, 0.42, 0.66), "green": (0.26, 0.46, 0.28),
        "grey": (0.40, 0.44, 0.48)}
# half-width, half-height, superellipse exponent, narrowing toward the chin
FACE_SHAPES = {"oval": (1.0, 1.22, 2.0, 0.22), "round": (1.06, 1.12, 2.0, 0.1),
               "square": (1.0, 1.16, 3.0, 0.06), "long": (0.9, 1.32, 2.2, 0.18)}
HAIR_STYLES = ("short", "long", "bob", "buzz")
BROWS = {"thin": (0.035, 0.04), "thick": (0.075, 0.03), "arched": (0.05, 0.1)}  # thickness, arch
NOSES = {"narrow": (0.11, 0.36), "broad": (0.17, 0.36), "long": (0.12, 0.46)}  # half-width, tip
MOUTHS = {"thin": (0.27, 0.035), "full": (0.27, 0.065), "wide": (0.36, 0.045)}  # half-width, lip
EYE_U, EYE_V, MOUTH_V = 0.38, -0.1, 0.66


@dataclass(frozen=True)
class FaceIdentity:
    """What stays fixed for one person: one value from each table above."""

    name: str
    skin: str
    face_shape: str
    hair_colour: str
    hair_style: str
    eye_colour: str
    brows: str
    nose: str
    mouth: str


@dataclass(frozen=True)
class FaceVariation:
    """What changes from photo to photo; the defaults are a neutral, evenly lit portrait."""

    angle: float = 0.0  # in-plane rotation in degrees, counter-clockwise
    shift: tuple = (0.0, 0.0)  # face centre offset (x, y) as a fraction of the image size
    scale: float = 1.0
    mouth_open: float = 0.0  # 0 closed .. 1 wide open (driven by loudness for talking faces)
    smile: float = 0.0  # -0.3 frown .. 1 broad smile
    light_azimuth: float = 0.0  # degrees; negative lights the face from the viewer's left
    light_elevation: float = 25.0
    light_intensity: float = 1.0
    background: tuple = ((0.62, 0.64, 0.66), (0.42, 0.44, 0.47))  # gradient end colours
    background_angle: float = 90.0  # direction of the gradient, degrees
    background_noise: float = 0.03
    clothes: tuple = (0.22, 0.27, 0.38)
    noise_seed: int = 0


def _soft(dist, px, blur=0.0):
    """Coverage of a shape from its signed distance (face units, < 0 inside): a one-pixel ramp
    for crisp edges, or a ramp `blur` face units wide for shadows and highlights."""
    width = max(blur * px, 1.0)
    return np.clip(0.5 - dist * (px / width), 0.0, 1.0)


def _ellipse(u, v, cu, cv, a, b, p=2.0):
    """Approximate signed distance to a (super)ellipse, in face units."""
    du, dv = (u - cu) / a, (v - cv) / b
    if p == 2:
        r = np.sqrt(du * du + dv * dv)
    else:
        r = (np.abs(du) ** p + np.abs(dv) ** p) ** (1 / p)
    return (r - 1) * min(a, b)


def _lit(nx, ny, light, ambient=0.5):
    """Lambertian shading of a bulging surface from the x/y parts of its normal."""
    nz = np.sqrt(np.clip(1 - nx ** 2 - ny ** 2, 0.0, 1.0))
    lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0.0, 1.0)
    return (ambient + (1.05 - ambient) * light[3] * lam)[..., None]


class _Canvas:
    """The float RGB image with the face coordinates of every pixel; `at` gives a view of the
    part around one feature, so small shapes are computed only where they can appear."""

    def __init__(self, img, u, v, px, origin, axes, face=None):
        self.img, self.u, self.v, self.px = img, u, v, px
        self.origin, self.axes = origin, axes  # pixel position of (0, 0), pixels per unit
        self.face = face  # signed distance to the face oval, once drawn

    def at(self, cu, cv, r):
        x = self.origin[0] + cu * self.axes[0][0] + cv * self.axes[1][0]
        y = self.origin[1] + cu * self.axes[0][1] + cv * self.axes[1][1]
        rad = r * self.px + 2
        rows = slice(max(int(y - rad), 0), max(int(y + rad) + 1, 0))
        cols = slice(max(int(x - rad), 0), max(int(x + rad) + 1, 0))
        return _Canvas(self.img[rows, cols], self.u[rows, cols], self.v[rows, cols], self.px,
                       (self.origin[0] - cols.start, self.origin[1] - rows.start), self.axes,
                       None if self.face is None else self.face[rows, cols])

    def _covered(self, dist, blur):
        """The shape's coverage and the bounding box of the pixels it touches."""
        mask = _soft(dist, self.px, blur)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if not len(rows):
            return None, None
        box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
        return mask[box][..., None], box

    def paint(self, dist, colour, blur=0.0, alpha=1.0):
        mask, box = self._covered(dist, blur)
        if box is not None:
            colour = np.broadcast_to(np.asarray(colour, np.float32), dist.shape + (3,))[box]
            self.img[box] += (alpha * mask) * (colour - self.img[box])

    def shade(self, dist, amount, blur):
        """Darken (amount > 0) or brighten (amount < 0) inside a shape, keeping the hue."""
        mask, box = self._covered(dist, blur)
        if box is not None:
            self.img[box] *= 1 - amount * mask


def _background(size, var):
    """A two-colour gradient with low-frequency blotches, like a studio backdrop: drawn on a
    6 x 6 grid and smoothly enlarged, which keeps the gradient linear."""
    rng = np.random.default_rng(var.noise_seed)
    t = (np.arange(6) + 0.5) / 6 * 2 - 1  # where resizing puts the grid's pixel centres
    angle = np.radians(var.background_angle)
    w = (np.cos(angle) * t[None, :] + np.sin(angle) * t[:, None] + 1) / 2
    top, bottom = (np.asarray(c) for c in var.background)
    grid = top + w[..., None] * (bottom - top)
    grid += var.background_noise * (rng.normal(0, 1, (6, 6, 1)) +  # mostly light, some hue
                                    0.35 * rng.normal(0, 1, (6, 6, 3)))
    small = Image.fromarray(np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(small.resize((size, size), Image.BICUBIC), np.float32) / 255


def _head(c, who, var, light):
    """Back hair, neck, shoulders, ears and the shaded face oval, back to front."""
    u, v = c.u, c.v
    skin = np.asarray(SKIN[who.skin], np.float32)
    hair = np.asarray(HAIR[who.hair_colour], np.float32)
    a, b, p, taper = FACE_SHAPES[who.face_shape]
    if who.hair_style in ("long", "bob"):
        bottom = 2.2 if who.hair_style == "long" else 1.0
        back = np.maximum(_ellipse(u, v, 0, -0.2, a * 1.25, b * 1.1), v - bottom)
        back = np.where(v > -0.2, np.maximum(np.abs(u) - a * 1.25, v - bottom), back)
        c.paint(back, hair * 0.7 * _lit(u / 1.5, 0 * v, light), blur=0.03)
    c.paint(np.maximum(np.abs(u) - 0.46, 0.4 - v), skin * 0.7 * _lit(u / 0.5, 0 * u, light))
    c.shade(_ellipse(u, v, 0, b + 0.12, 0.5, 0.2), 0.35, blur=0.25)  # the chin's shadow
    c.paint(_ellipse(u, v, 0, 2.6, 2.1, 0.95), var.clothes, blur=0.02)
    for side in (-1, 1):
        ear = c.at(side * a, 0.08, 0.3)
        ear.paint(_ellipse(ear.u, ear.v, side * a * 0.98, 0.08, 0.14, 0.24),
                  skin * 0.8 * _lit(side * 0.6 + 0 * ear.u, 0 * ear.v, light))
    narrowing = 1 + taper * np.clip(v, 0, None) / b  # egg shape: narrower toward the chin
    face = _ellipse(u * narrowing, v, 0, 0, a, b, p)
    c.paint(face, skin * _lit(np.clip(u / a, -1, 1) * 0.9, np.clip(v / b, -1, 1) * 0.75, light))
    c.face = face
    for cu, cv, r, alpha in ((-0.48, 0.3, 0.26, 0.08), (0.48, 0.3, 0.26, 0.08),
                             (0, -0.68, 0.4, 0.25)):  # cheeks, forehead
        cu += 0.2 * light[0]  # a soft sheen that slides toward the light
        part = c.at(cu, cv, r * 2)
        part.paint(_ellipse(part.u, part.v, cu, cv, r, r * 0.8), (1.0, 0.96, 0.92), blur=0.3,
                   alpha=alpha * light[3])


def _hair_front(c, who, light):
    """The hair on top of the head and framing the face, over the forehead's edge."""
    a, b, _, _ = FACE_SHAPES[who.face_shape]
    c = c.at(0, -0.7, 1.3) if who.hair_style in ("short", "buzz") else c.at(0, 0, 1.7)
    u, v, face = c.u, c.v, c.face
    hair = np.asarray(HAIR[who.hair_colour], np.float32)
    buzz = who.hair_style == "buzz"
    hairline = (-1.0 if buzz else -0.9) + 0.3 * u ** 2
    cap = _ellipse(u, v, 0, -0.12, a * (1.03 if buzz else 1.12), b * (0.99 if buzz else 1.04))
    if who.hair_style in ("long", "bob"):  # locks down the sides, over the ears
        side = np.maximum(np.abs(np.abs(u) - a * 0.92) - a * 0.28,
                          v - (1.3 if who.hair_style == "long" else 0.8))
        cap = np.minimum(cap, np.maximum(side, -0.2 - v))
    region = np.maximum(cap, np.minimum(v - hairline, -face))
    if who.hair_style in ("short", "buzz"):  # down to the temples only
        region = np.maximum(region, v - (0.0 if buzz else 0.1))
    c.shade(np.maximum(np.abs(v - hairline - 0.05) - 0.06, face), 0.15, blur=0.08)
    strands = 1 + 0.05 * np.sin(70 * u + 4 * np.sin(9 * v + 2 * u))[..., None]  # a hint of texture
    colour = hair * _lit(u / (a * 1.12), (v + 0.12) / (b * 1.04), light, 0.45) * strands
    c.paint(region, colour, blur=0.04 if buzz else 0.03, alpha=0.75 if buzz else 1.0)


def _eyes(c, who, light):
    """Shadowed sockets, brows, almond eyes with iris, pupil, lid line and catch light."""
    thick, arch = BROWS[who.brows]
    brow_colour = 0.4 * np.asarray(HAIR[who.hair_colour]) + 0.6 * np.array([0.1, 0.07, 0.05])
    iris = np.asarray(EYES[who.eye_colour], np.float32)
    skin = np.asarray(SKIN[who.skin], np.float32)
    for side in (-1, 1):
        cu = side * EYE_U
        e = c.at(cu, EYE_V - 0.1, 0.45)
        du, dv = e.u - cu, e.v - EYE_V
        e.shade(_ellipse(du, dv, 0, -0.02, 0.27, 0.2), 0.38, blur=0.2)
        s = np.clip(du / 0.22 * side, -1, 1)  # -1 at the inner end of the brow, 1 outer
        curve = -0.26 - arch * (1 - s ** 2) + 0.03 * s
        e.paint(np.maximum(np.abs(dv - curve) - thick * (0.6 - 0.25 * s), np.abs(du) - 0.22),
                brow_colour, blur=0.02)
        w, h = 0.16, 0.075
        lens = np.maximum(np.abs(du) - w, np.abs(dv) - h * (1 - (du / w) ** 2))
        e.paint(lens, (0.6 * skin + 0.1) * (0.5 + 0.5 * light[3]))  # dim: the lids shade it
        e.paint(np.maximum(_ellipse(du, dv, 0, 0, 0.07, 0.07), lens), iris * 0.6)  # limbus
        e.paint(np.maximum(_ellipse(du, dv, 0, 0, 0.055, 0.055), lens), iris)
        e.paint(_ellipse(du, dv, 0, 0, 0.03, 0.03), (0.03, 0.02, 0.02))
        e.paint(_ellipse(du, dv, -0.022 + 0.02 * light[0], -0.022, 0.014, 0.014), (1, 1, 1))
        lid = np.abs(dv + h * (1 - (du / w) ** 2) + 0.005) - 0.016
        e.paint(np.maximum(lid, np.abs(du) - w * 1.05), (0.1, 0.06, 0.05))
        e.shade(np.maximum(np.abs(dv + h + 0.05) - 0.01, np.abs(du) - w), 0.12, blur=0.04)


def _nose(c, who, light):
    """A bright bridge between shadowed flanks, a lit tip, nostrils and a shadow beneath."""
    w, tip = NOSES[who.nose]
    n = c.at(0, (EYE_V + tip) / 2 + 0.05, 0.5)
    u, v = n.u, n.v
    n.shade(_ellipse(u, v, 0, (EYE_V + tip) / 2, 0.07, 0.33), -0.12, blur=0.1)
    for side in (-1, 1):
        dark = 0.12 + 0.25 * max(0.0, -side * light[0])  # the side turned away from the light
        n.shade(_ellipse(u, v, side * w * 0.8, (EYE_V + tip) / 2 + 0.06, 0.05, 0.24), dark,
                blur=0.08)
        n.shade(_ellipse(u, v, side * w * 0.55, tip + 0.04, 0.05, 0.028), 0.55, blur=0.02)
    n.shade(_ellipse(u, v, 0, tip - 0.03, w * 0.7, 0.08), -0.08, blur=0.06)
    n.shade(_ellipse(u, v, 0, tip + 0.1, w * 1.1, 0.045), 0.22, blur=0.06)


def _mouth(c, who, var):
    """Lips around a dark opening whose height follows `mouth_open`; corners rise to smile."""
    w, lip = MOUTHS[who.mouth]
    w *= 1 - 0.08 * var.mouth_open + 0.08 * var.smile
    m = c.at(0, MOUTH_V + 0.1, w + 0.25)
    u, v = m.u, m.v
    t = np.clip(u / w, -1, 1)
    line = MOUTH_V - 0.09 * var.smile * t ** 2 + 0.03 * var.smile
    gap = 0.26 * var.mouth_open * np.clip(1 - t ** 2, 0, 1) ** 0.7
    upper, lower = line - 0.25 * gap - 0.008, line + 0.75 * gap + 0.008
    thick = lip * (1 - 0.6 * t ** 2)
    chin = MOUTH_V + 0.75 * 0.26 * var.mouth_open + 1.3 * lip + 0.06  # below the lower lip
    m.shade(_ellipse(u, v, 0, chin, w * 0.6, 0.05), 0.18, blur=0.06)
    lips = np.asarray(SKIN[who.skin]) * np.array([0.78, 0.5, 0.5]) + np.array([0.06, 0, 0.01])
    edge = np.abs(u) - w
    m.paint(np.maximum(np.maximum(upper - thick - v, v - upper), edge), lips * 0.85, blur=0.01)
    m.paint(np.maximum(np.maximum(lower - v, v - lower - 1.3 * thick), edge), lips, blur=0.01)
    opening = np.maximum(np.maximum(upper - v, v - lower), edge)
    m.paint(opening, (0.2, 0.05, 0.06))
    teeth = np.maximum(opening, v - upper - np.minimum(0.045, 0.4 * gap))
    m.paint(teeth, (0.78, 0.75, 0.68), alpha=float(np.clip(var.mouth_open * 4, 0, 1)))


def render_face(identity: FaceIdentity, variation: FaceVariation = FaceVariation(),
                size: int = 128) -> np.ndarray:
    """One face as uint8 RGB [size, size, 3]: the same arguments give the same pixels."""
    var = variation
    big = size * SUPERSAMPLE
    img = _background(big, var)
    az, el = np.radians(var.light_azimuth), np.radians(var.light_elevation)
    light = tuple(float(x) for x in (np.sin(az) * np.cos(el), -np.sin(el),
                                      np.cos(az) * np.cos(el), var.light_intensity))
    px = float(FACE_HALF_WIDTH * var.scale * big)  # pixels per face unit
    cos, sin = (float(f(np.radians(var.angle))) for f in (np.cos, np.sin))
    origin = ((0.5 + var.shift[0]) * big, (0.5 + FACE_CENTRE_Y + var.shift[1]) * big)
    x = (np.arange(big, dtype=np.float32) + 0.5 - origin[0])[None, :] / px
    y = (np.arange(big, dtype=np.float32) + 0.5 - origin[1])[:, None] / px
    u, v = cos * x - sin * y, sin * x + cos * y  # face upright when angle = 0
    axes = ((cos * px, -sin * px), (sin * px, cos * px))
    c = _Canvas(img, u, v, px, origin, axes)
    _head(c, identity, var, light)
    _eyes(c, identity, light)
    _nose(c, identity, light)
    _mouth(c, identity, var)
    _hair_front(c, identity, light)
    out = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    out = np.asarray(Image.fromarray(out).reduce(SUPERSAMPLE), np.float32)
    grain = np.random.default_rng(var.noise_seed + 1).standard_normal(out.shape, np.float32)
    return np.clip(out + 3 * grain + 0.5, 0, 255).astype(np.uint8)  # sensor noise
