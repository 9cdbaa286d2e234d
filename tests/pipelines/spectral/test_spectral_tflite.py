"""The inversions convert to TFLite with builtin ops only and match TF in ai_edge_litert."""

import numpy as np
import pytest
import tensorflow as tf
import tflite_helpers
from ai_edge_litert.interpreter import Interpreter

from keras_avgan.serving.tflite import tflite_ops
from pipelines.spectral import gansynth as gs
from pipelines.spectral import specgan as sg

LENGTH = 16384


def _note():
    t = np.arange(LENGTH) / 16000
    tone = sum(np.sin(2 * np.pi * k * 330.0 * t) / k for k in (1, 2, 3)) * np.exp(-3 * t)
    noise = 0.01 * np.random.default_rng(0).standard_normal(LENGTH)
    return (0.3 * tone + noise)[None].astype(np.float32)


def _convert(fn, example):
    function = tf.function(fn, input_signature=[tf.TensorSpec(example.shape, tf.float32)])
    concrete = function.get_concrete_function()
    return concrete, tflite_helpers.convert_builtins_only(concrete)


def _run(model_bytes, example):
    interpreter = Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], example)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def _check(fn, example, label, where=None):
    """Convert, then compare TF and TFLite outputs (only at `where(expected)` if given)."""
    concrete, model = _convert(fn, example)
    names = set(tflite_ops(model))
    assert tflite_helpers.non_builtin_ops(model) == set()
    assert not any(name.startswith("Flex") for name in names)
    expected = concrete(tf.constant(example)).numpy()
    got = _run(model, example)
    assert got.shape == expected.shape
    mask = np.ones(expected.shape, bool) if where is None else where(expected)
    diff = float(np.max(np.abs(expected - got)[mask]))
    print(f"{label}: ops {sorted(names)}; max abs diff TF vs TFLite {diff:.2e}")
    assert diff <= 1e-4
    return names


@pytest.mark.parametrize("mel", [False, True])
def test_gansynth_inverse_converts(mel):
    image = gs.gansynth_forward(_note(), mel=mel).numpy()
    names = _check(lambda x: gs.gansynth_to_audio(x, mel=mel), image,
                   f"gansynth_to_audio(mel={mel})")
    assert "FULLY_CONNECTED" in names


def test_specgan_griffin_lim_converts():
    mean, std = sg.specgan_moments([_note()])
    spec = sg.specgan_forward(_note(), mean, std).numpy()
    _check(lambda x: sg.specgan_to_audio(x, mean, std, iterations=3), spec,
           "specgan_to_audio(iterations=3)")


def test_forward_transforms_convert_too():
    mean, std = sg.specgan_moments([_note()])
    _check(lambda x: sg.specgan_forward(x, mean, std), _note(), "specgan_forward")
    # A bin with next to no energy is rounding noise in both runtimes (its log magnitude
    # and above all its phase), so the image is compared where |X| > 1e-3 (99.99 % here).
    floor = gs.MAGNITUDE_SCALE[0] * np.log(1e-3) + gs.MAGNITUDE_SCALE[1]
    _check(gs.gansynth_forward, _note(), "gansynth_forward",
           where=lambda image: np.repeat(image[..., :1] > floor, 2, axis=-1))


def test_tf_signal_inverse_stft_needs_flex():
    """The reason the real-valued bases exist; if this ever converts, they could go."""
    def inverse(x):
        spectrum = tf.signal.stft(x, 256, 128)
        return tf.signal.inverse_stft(spectrum, 256, 128)
    with pytest.raises(Exception, match="Complex|IRFFT|RFFT|Flex|flex|not supported"):
        _convert(inverse, np.zeros((1, 4096), np.float32))
