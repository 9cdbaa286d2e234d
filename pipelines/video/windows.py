"""Where each one-second audio window starts, in samples of the video's decoded audio.

A frame's window is centred on the frame's time. Near either end of the audio it is moved
inside rather than padded with silence; a frame outside the audio, or audio shorter than a
window, has none. Random crops (an augmentation: several different stretches of speech for
one face) are drawn inside a wider window around the frame, moved inside the same way.
"""

import numpy as np


def centred(centre: int, samples: int, length: int) -> int | None:
    """The start of the `length`-sample window centred on sample `centre`, or None."""
    if samples < length or not 0 <= centre <= samples:
        return None
    return min(max(centre - length // 2, 0), samples - length)


def random_crops(centre: int, samples: int, length: int, count: int, spread: int,
                 rng: np.random.Generator) -> list[int]:
    """`count` starts of `length`-sample windows lying inside centre +- `spread` samples,
    uniformly drawn; [] when `centred` has no window."""
    if centred(centre, samples, length) is None:
        return []
    low = min(max(centre - spread, 0), max(samples - 2 * spread, 0))
    high = min(low + 2 * spread, samples)
    last = max(high - length, low)  # a wider window narrower than a crop holds just one
    return [int(s) for s in rng.integers(low, last + 1, size=count)]
