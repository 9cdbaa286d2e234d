import numpy as np

from keras_avgan.layers.pre_emphasis import PreEmphasis


def test_pre_emphasis_golden_values():
    x = np.array([[[1.0], [2.0], [4.0], [-1.0]]], np.float32)
    y = PreEmphasis(0.95)(x).numpy()[0, :, 0]
    np.testing.assert_allclose(y, [1.0, 2.0 - 0.95, 4.0 - 1.9, -1.0 - 3.8], rtol=1e-6)


def test_pre_emphasis_removes_a_constant_but_keeps_a_fast_sine():
    t = np.arange(1000, dtype=np.float32)
    slow = np.ones((1, 1000, 1), np.float32)
    fast = np.sin(np.pi * 0.9 * t)[None, :, None].astype(np.float32)
    layer = PreEmphasis(0.95)
    assert np.abs(layer(slow).numpy()[0, 1:]).max() < 0.051  # 1 - 0.95
    assert np.abs(layer(fast).numpy()[0, 1:]).max() > 1.5  # close to Nyquist: nearly doubled
