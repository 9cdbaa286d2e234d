"""TFLite conversion: builtin ops only, batch 1, parity in ai_edge_litert, clear failures."""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # keep float rounding comparable

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from toy_generators import (  # noqa: E402
    AUDIO,
    AUDIO_VISUAL,
    IMAGE,
    LATENT,
    audio_generator,
    audio_visual_generator,
    image_generator,
)

from keras_avgan.errors import UserError  # noqa: E402
from keras_avgan.serving import export, tflite  # noqa: E402

# Measured on the mixed_float16 stand-in below over 64 latents: float16 compute differs from
# its float32 twin by at most 1.7e-4 (SNR 59 dB); larger nets drift more (6.6e-4 reported for
# a WaveGAN-sized one), so the bound is 1e-3: float16 rounding, not a conversion bug.
MIXED_TOL = 1e-3


@pytest.fixture(scope="module")
def audio_model(tmp_path_factory):
    base = tmp_path_factory.mktemp("serving")
    return export.export_to_serving_base(audio_generator(), name="wavegan", base=base, **AUDIO)


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    return export.export_generator(image_generator(), tmp_path_factory.mktemp("i") / "1",
                                   **IMAGE)


@pytest.mark.parametrize("quantize", tflite.QUANTIZE)
def test_audio_conversion_parity(audio_model, quantize):
    info = tflite.convert_saved_model(audio_model, quantize=quantize)
    print(f"\naudio {quantize}: {tflite.format_report(info)}")
    suffix = "" if quantize == "none" else f"-{quantize}"
    assert info["path"] == str(audio_model.parent / f"wavegan-1{suffix}.tflite")
    assert not any(op.startswith(("Flex", "custom:")) for op in info["ops"])
    # A dynamic batch would leave SHAPE/PACK ops; batch 1 folds them away.
    assert not {"SHAPE", "PACK"} & set(info["ops"])
    if quantize == "none":
        assert info["max_abs_diff"] <= 1e-4
    else:
        assert info["snr_db"] >= 30.0
        assert info["size_bytes"]["tflite"] < 0.7 * _size("none", audio_model)
    assert info["parity_ok"] and info["latency_ms"]["tflite"] > 0
    runner = Interpreter(model_path=info["path"]).get_signature_runner("serving_default")
    assert runner.get_input_details()["z"]["shape"].tolist() == [1, LATENT]
    assert runner.get_output_details()["audio"]["shape"].tolist() == [1, 256]


def _size(quantize, saved_model):
    return os.path.getsize(tflite.default_tflite_path(saved_model, quantize))


@pytest.mark.parametrize("quantize", ["none", "float16"])
def test_image_conversion_parity(image_model, tmp_path, quantize):
    info = tflite.convert_saved_model(image_model, tmp_path / "g.tflite", quantize=quantize)
    print(f"\nimage {quantize}: {tflite.format_report(info)}")
    assert info["psnr_db"] >= 30.0 and info["parity_ok"]
    if quantize == "none":
        assert info["max_abs_diff"] <= 1e-4


def test_a_generator_with_two_outputs_converts_and_each_is_checked_by_its_kind(tmp_path):
    path = export.export_generator(audio_visual_generator(), tmp_path / "av", **AUDIO_VISUAL)
    info = tflite.convert_saved_model(path, tmp_path / "av.tflite")
    assert info["parity_ok"] and {"snr_db", "psnr_db"} <= set(info)
    runner = Interpreter(model_path=info["path"]).get_signature_runner("serving_default")
    shapes = {k: v["shape"].tolist() for k, v in runner.get_output_details().items()}
    assert shapes == {"image": [1, 4, 4, 3], "audio": [1, 64]}


def test_condition_input_converts_with_batch_one(tmp_path):
    path = export.export_generator(audio_generator(cond_classes=4), tmp_path / "c", **AUDIO)
    info = tflite.convert_saved_model(path, tmp_path / "c.tflite")
    assert info["max_abs_diff"] <= 1e-4
    details = Interpreter(model_path=info["path"]).get_signature_runner().get_input_details()
    assert {k: v["shape"].tolist() for k, v in details.items()} == {"z": [1, 8], "pitch": [1]}


def test_mixed_float16_needs_a_float32_copy(tmp_path):
    weights = audio_generator().get_weights()
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        mixed = audio_generator()
        mixed.set_weights(weights)
    finally:
        keras.config.set_dtype_policy(previous)
    out = tmp_path / "mixed.tflite"
    mixed_dir = export.export_generator(mixed, tmp_path / "mixed", **AUDIO)
    with pytest.raises(UserError, match="float32_copy"):
        tflite.convert_saved_model(mixed_dir, out)
    assert not out.exists()

    twin = export.float32_copy(mixed, audio_generator)
    assert keras.config.dtype_policy().name == previous.name
    assert all(w.dtype == "float32" for w in twin.weights)
    twin_dir = export.export_generator(twin, tmp_path / "twin", **AUDIO)
    info = tflite.convert_saved_model(twin_dir, out)
    assert info["max_abs_diff"] <= 1e-4
    runner = Interpreter(model_path=str(out)).get_signature_runner()
    z = np.random.default_rng(0).uniform(-1, 1, (1, LATENT)).astype(np.float32)
    diff = np.max(np.abs(runner(z=z)["audio"] - np.asarray(mixed(z))[..., 0]))
    print(f"\nmixed_float16 generator vs its float32 TFLite twin: max abs diff {diff:.2e}")
    assert diff <= MIXED_TOL


def test_not_a_saved_model(tmp_path):
    (tmp_path / "out.tflite").write_bytes(b"previous")
    with pytest.raises(UserError, match=str(tmp_path / "nothing")):
        tflite.convert_saved_model(tmp_path / "nothing", tmp_path / "out.tflite")
    assert (tmp_path / "out.tflite").read_bytes() == b"previous"


def test_bad_quantize_and_out_dir(audio_model, tmp_path):
    with pytest.raises(UserError, match="--quantize"):
        tflite.convert_saved_model(audio_model, tmp_path / "x.tflite", quantize="int8")
    with pytest.raises(UserError, match="is a directory"):
        tflite.convert_saved_model(audio_model, tmp_path)


def _flex_flatbuffer() -> bytes:
    """A file holding a Flex op, made the way `format="litert"` would make one."""

    @tf.function(input_signature=[tf.TensorSpec([1, 3, 3], tf.float32)])
    def determinant(x):
        return {"y": tf.linalg.det(x)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [determinant.get_concrete_function()], determinant)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                           tf.lite.OpsSet.SELECT_TF_OPS]
    return converter.convert()


def test_flex_ops_fail_loudly_and_write_nothing(audio_model, tmp_path, monkeypatch):
    flatbuffer = _flex_flatbuffer()
    assert tflite.tflite_ops(flatbuffer) == ["FlexMatrixDeterminant"]
    monkeypatch.setattr(tflite, "_convert", lambda *args: flatbuffer)
    out = tmp_path / "flex.tflite"
    with pytest.raises(UserError, match="FlexMatrixDeterminant"):
        tflite.convert_saved_model(audio_model, out)
    assert list(tmp_path.iterdir()) == []
