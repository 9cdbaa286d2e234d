"""SavedModel export checked without a server: eager load, TF1 graph session (what TF Serving's
C++ loader does), saved_model_cli, and the TF Serving directory layout."""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # keep float rounding comparable

import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format  # noqa: E402,E501
from saved_model_checks import SAVED_MODEL_CLI, saved_model_cli_run, tf1_outputs  # noqa: E402
from toy_generators import (  # noqa: E402
    AUDIO,
    AUDIO_VISUAL,
    IMAGE,
    LATENT,
    audio_generator,
    audio_visual_generator,
    image_generator,
)

from keras_avgan import latents  # noqa: E402
from keras_avgan.errors import UserError  # noqa: E402
from keras_avgan.serving import export  # noqa: E402

TOL = 1e-5


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    gen = audio_generator()
    base = tmp_path_factory.mktemp("serving")
    path = export.export_to_serving_base(gen, name="wavegan", base=base, recipe="wavegan",
                                         checkpoint="latest checkpoint (ckpt-3)", **AUDIO)
    return gen, path


def _keras_audio(gen, z):
    return np.asarray(gen(z, training=False))[..., 0]


def _z(n=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, LATENT)).astype(np.float32)


def test_both_signatures_match_keras(audio):
    gen, path = audio
    loaded = tf.saved_model.load(str(path))
    assert set(loaded.signatures) == {"serving_default", "sample"}
    z = _z()
    out = loaded.signatures["serving_default"](z=tf.constant(z))["audio"].numpy()
    assert out.shape == (3, 256)
    np.testing.assert_allclose(out, _keras_audio(gen, z), atol=TOL, rtol=0)
    sampled = loaded.signatures["sample"](seed=tf.constant(7, tf.int64), n=tf.constant(2))
    expected = _keras_audio(gen, latents.sample_latents(2, LATENT, "uniform", 7))
    np.testing.assert_allclose(sampled["audio"].numpy(), expected, atol=TOL, rtol=0)
    again = loaded.signatures["sample"](seed=tf.constant(7, tf.int64), n=tf.constant(2))
    other = loaded.signatures["sample"](seed=tf.constant(8, tf.int64), n=tf.constant(2))
    assert np.array_equal(again["audio"], sampled["audio"])
    assert not np.allclose(other["audio"], sampled["audio"])
    assert np.abs(sampled["audio"].numpy()).max() <= 1.0


def test_tf1_graph_session_loader(audio):
    gen, path = audio
    z = _z(seed=1)
    feeds = {"serving_default": {"z": z},
             "sample": {"seed": np.int64(3), "n": np.int32(2)}}
    expected = {"serving_default": _keras_audio(gen, z),
                "sample": _keras_audio(gen, latents.sample_latents(2, LATENT, "uniform", 3))}
    for name, feed in feeds.items():
        fetched = tf1_outputs(path, name, feed)["audio"]
        assert np.max(np.abs(fetched - expected[name])) <= TOL, name


def test_saved_model_cli_show_and_run(audio, tmp_path):
    gen, path = audio
    shown = subprocess.run([str(SAVED_MODEL_CLI), "show", "--all", "--dir", str(path)], check=True,
                           capture_output=True, text=True, timeout=120).stdout
    for text in ("signature_def['serving_default']", "signature_def['sample']",
                 "inputs['z']", "inputs['seed']", "inputs['n']", "outputs['audio']"):
        assert text in shown
    got = saved_model_cli_run(path, "sample", tmp_path, exprs="seed=1;n=2")["audio"]
    expected = _keras_audio(gen, latents.sample_latents(2, LATENT, "uniform", 1))
    assert got.shape == (2, 256) and np.abs(got).max() <= 1.0
    assert np.max(np.abs(got - expected)) <= TOL


def test_metadata_and_graph_has_no_python_ops(audio):
    _, path = audio
    meta = json.loads((path / export.METADATA_FILE).read_text())
    assert meta["kind"] == "audio" and meta["sample_rate"] == 16000
    assert meta["outputs"] == {"audio": {"kind": "audio", "sample_rate": 16000}}
    assert meta["latent_dim"] == LATENT and meta["latent_dist"] == "uniform"
    assert meta["recipe"] == "wavegan" and "ckpt-3" in meta["checkpoint"]
    ops = export.graph_ops(path)
    assert "Conv2DBackpropInput" in ops  # the library functions were searched too
    assert not ops & export.PYTHON_OPS


def test_python_postprocess_is_refused_and_leaves_nothing(tmp_path):
    def via_python(y):
        return {"audio": tf.py_function(lambda t: t * 1.0, [y], tf.float32)}

    with pytest.raises(ValueError, match="Python"):
        export.export_generator(audio_generator(), tmp_path / "m",
                                **{**AUDIO, "publish": via_python})
    assert not (tmp_path / "m").exists()


def test_image_export_maps_tanh_to_unit_range(tmp_path):
    gen = image_generator()
    path = export.export_generator(gen, tmp_path / "img", **IMAGE)
    sig = tf.saved_model.load(str(path)).signatures
    z = _z(2)
    out = sig["serving_default"](z=tf.constant(z))["image"].numpy()
    assert out.shape == (2, 16, 16, 3) and out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(out, (np.asarray(gen(z)) + 1) / 2, atol=TOL, rtol=0)
    drawn = sig["sample"](seed=tf.constant(5, tf.int64), n=tf.constant(2))["image"].numpy()
    expected = (np.asarray(gen(latents.sample_latents(2, LATENT, "normal", 5))) + 1) / 2
    np.testing.assert_allclose(drawn, expected, atol=TOL, rtol=0)


def test_latent_is_published_as_z(tmp_path):
    path = export.export_generator(audio_generator(latent_name="noise"), tmp_path / "a", **AUDIO)
    sig = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert set(sig.structured_input_signature[1]) == {"z"}
    with pytest.raises(ValueError, match="name its latent input 'z'"):
        export.export_generator(audio_generator(cond_classes=2, latent_name="noise"),
                                tmp_path / "b", **AUDIO)
    assert not (tmp_path / "b").exists()


def test_condition_inputs_and_what_is_published(tmp_path):
    gen = audio_generator(cond_classes=4)
    path = export.export_generator(gen, tmp_path / "cond", **{
        **AUDIO, "publish": lambda y: {"audio": 0.5 * tf.squeeze(y, -1)}})
    sig = tf.saved_model.load(str(path)).signatures
    assert set(sig["serving_default"].structured_input_signature[1]) == {"z", "pitch"}
    assert set(sig["sample"].structured_input_signature[1]) == {"seed", "n", "pitch"}
    z, pitch = _z(2), np.array([0, 3], np.int32)
    out = sig["serving_default"](z=tf.constant(z), pitch=tf.constant(pitch))["audio"]
    expected = 0.5 * np.asarray(gen([tf.constant(pitch), tf.constant(z)]))[..., 0]
    np.testing.assert_allclose(out, expected, atol=TOL)
    drawn = sig["sample"](seed=tf.constant(1, tf.int64), n=tf.constant(2),
                          pitch=tf.constant(pitch))["audio"]
    z1 = latents.sample_latents(2, LATENT, "uniform", 1)
    expected = 0.5 * np.asarray(gen([tf.constant(pitch), z1]))[..., 0]
    np.testing.assert_allclose(drawn, expected, atol=TOL)


def test_versions_increment_and_are_never_overwritten(tmp_path):
    gen, base = audio_generator(), tmp_path / "models"
    first = export.export_to_serving_base(gen, name="wavegan", base=base, **AUDIO)
    second = export.export_to_serving_base(gen, name="wavegan", base=base, **AUDIO)
    assert (first.name, second.name) == ("1", "2")
    before = sorted(str(p) for p in base.rglob("*"))
    stamp = (first / "saved_model.pb").stat().st_mtime_ns
    with pytest.raises(UserError, match=str(first)):
        export.export_to_serving_base(gen, name="wavegan", base=base, version=1, **AUDIO)
    assert sorted(str(p) for p in base.rglob("*")) == before  # no temp dir left either
    assert (first / "saved_model.pb").stat().st_mtime_ns == stamp
    seventh = export.export_to_serving_base(gen, name="wavegan", base=base, version=7, **AUDIO)
    assert seventh.name == "7"
    assert export.export_to_serving_base(gen, name="wavegan", base=base, **AUDIO).name == "8"
    assert export.versions(base / "wavegan") == [1, 2, 7, 8]


@pytest.mark.parametrize("kwargs, message", [
    ({"version": 0}, "positive integer"), ({"version": "2"}, "positive integer"),
    ({"name": "../up"}, "TF Serving URL"), ({"name": ""}, "TF Serving URL"),
])
def test_bad_name_or_version(tmp_path, kwargs, message):
    args = {"name": "wavegan", "base": tmp_path / "models", **kwargs}
    with pytest.raises(UserError, match=message):
        export.export_to_serving_base(audio_generator(), **args, **AUDIO)
    assert not any((tmp_path / "models").rglob("saved_model.pb"))


def test_base_that_is_a_file_and_existing_out_dir(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(UserError, match="is a file"):
        export.export_to_serving_base(audio_generator(), name="w", base=tmp_path / "file",
                                      **AUDIO)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="already exists"):
        export.export_generator(audio_generator(), tmp_path / "taken", **AUDIO)
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def _model_server_config_class():
    """TF Serving's ModelServerConfig message, declared here: its protos are not installed."""
    file = descriptor_pb2.FileDescriptorProto(name="tfs_config_test.proto", package="tfs")

    def message(name, *fields):
        msg = file.message_type.add(name=name)
        for number, (field, kind, type_name, repeated) in enumerate(fields, start=1):
            added = msg.field.add(name=field, number=number, type=kind,
                                  label=3 if repeated else 1)
            if type_name:
                added.type_name = type_name

    string, nested = descriptor_pb2.FieldDescriptorProto.TYPE_STRING, 11
    message("All")
    message("Policy", ("all", nested, ".tfs.All", False))
    message("ModelConfig", ("name", string, "", False), ("base_path", string, "", False),
            ("model_platform", string, "", False),
            ("model_version_policy", nested, ".tfs.Policy", False))
    message("ModelConfigList", ("config", nested, ".tfs.ModelConfig", True))
    message("ModelServerConfig", ("model_config_list", nested, ".tfs.ModelConfigList", False))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tfs.ModelServerConfig"))


def test_models_config_lists_every_model(tmp_path):
    base = tmp_path / "models"
    (base / "empty").mkdir(parents=True)
    (base / "README.md").write_text("not a model")
    export.export_to_serving_base(audio_generator(), name="wavegan", base=base, **AUDIO)
    export.export_to_serving_base(image_generator(), name="dcgan", base=base, **IMAGE)
    config = text_format.Parse((base / "models.config").read_text(),
                               _model_server_config_class()())
    entries = [(c.name, c.base_path, c.model_platform, c.model_version_policy.HasField("all"))
               for c in config.model_config_list.config]
    assert entries == [("dcgan", "/models/dcgan", "tensorflow", True),
                       ("wavegan", "/models/wavegan", "tensorflow", True)]


def test_published_names_must_be_the_declared_outputs(tmp_path):
    with pytest.raises(ValueError, match="declares"):
        export.export_generator(audio_generator(), tmp_path / "m",
                                **{**AUDIO, "outputs": {"image": {"kind": "image"}}})
    assert not (tmp_path / "m").exists()


def test_a_generator_with_two_outputs_exports_both(tmp_path):
    gen = audio_visual_generator()
    path = export.export_generator(gen, tmp_path / "av", **AUDIO_VISUAL)
    drawn = tf.saved_model.load(str(path)).signatures["sample"](
        seed=tf.constant(2, tf.int64), n=tf.constant(3))
    assert drawn["image"].shape == (3, 4, 4, 3) and drawn["audio"].shape == (3, 64)
    expected = gen(latents.sample_latents(3, LATENT, "normal", 2))
    np.testing.assert_allclose(drawn["audio"], expected["audio"], atol=TOL)
    np.testing.assert_allclose(drawn["image"], (expected["image"] + 1) / 2, atol=TOL)
    meta = json.loads((path / export.METADATA_FILE).read_text())
    assert meta["kind"] == "audio+image" and meta["sample_rate"] == 8000


def test_models_config_says_where_it_expects_the_server_to_see_the_models(tmp_path):
    base = tmp_path / "elsewhere"
    export.export_to_serving_base(audio_generator(), name="wavegan", base=base, **AUDIO)
    text = (base / "models.config").read_text()
    assert f"assume the server sees {base.resolve()} as /models" in text
    export.write_models_config(base, serving_root="local")
    config = text_format.Parse((base / "models.config").read_text(),
                               _model_server_config_class()())
    assert [c.base_path for c in config.model_config_list.config] == [
        f"{base.resolve()}/wavegan"]  # a path a server on this machine can open
    assert (base / "wavegan" / "1" / "saved_model.pb").is_file()
