"""Where the one-second audio windows go: centred on the frame, moved inside at the ends, none
outside the audio, and random crops inside the wider window around the frame."""

import numpy as np

from pipelines.video import windows

SECOND = 16000


def test_centred_window_moves_inside_at_the_ends():
    assert windows.centred(3 * SECOND, 10 * SECOND, SECOND) == 2.5 * SECOND
    assert windows.centred(100, 10 * SECOND, SECOND) == 0
    assert windows.centred(10 * SECOND - 5, 10 * SECOND, SECOND) == 9 * SECOND


def test_no_window_outside_the_audio_or_in_too_short_audio():
    assert windows.centred(11 * SECOND, 10 * SECOND, SECOND) is None
    assert windows.centred(-1, 10 * SECOND, SECOND) is None
    assert windows.centred(100, SECOND - 1, SECOND) is None
    assert windows.random_crops(100, SECOND - 1, SECOND, 3, SECOND, np.random.default_rng(0)) == []


def test_random_crops_stay_in_the_wider_window_and_the_audio():
    rng = np.random.default_rng(0)
    for centre, samples in ((5 * SECOND, 10 * SECOND), (200, 10 * SECOND),
                            (10 * SECOND, 10 * SECOND), (SECOND, int(1.5 * SECOND))):
        starts = windows.random_crops(centre, samples, SECOND, 50, SECOND, rng)
        assert len(starts) == 50 and len(set(starts)) > 1
        assert all(0 <= s <= samples - SECOND for s in starts)
        low = min(max(centre - SECOND, 0), max(samples - 2 * SECOND, 0))
        assert all(low <= s and s + SECOND <= low + 2 * SECOND for s in starts)
