"""A face embedding the user supplies: .keras files and SavedModels load, and bad ones are a
UserError naming the file and what is wrong."""

import keras
import numpy as np
import pytest

from keras_avgan.embeddings import load_face_embedding
from keras_avgan.errors import UserError


def _vector_model(size=16, dim=6):
    images = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, strides=2)(images)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(images, keras.layers.Dense(dim)(x))


def _images(n=3, size=16):
    return np.random.default_rng(0).uniform(-1, 1, (n, size, size, 3)).astype(np.float32)


def test_a_keras_file_loads_normalised_and_resizes_other_sizes(tmp_path):
    model = _vector_model()
    model.save(tmp_path / "faces.keras")
    f, info = load_face_embedding(tmp_path / "faces.keras")
    out = np.asarray(f(_images()))
    assert info["dim"] == 6 and info["image_size"] == [16, 16]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    raw = np.asarray(model(_images()))
    assert np.allclose(out, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)
    assert f(_images(2, size=32)).shape == (2, 6)
    assert not f.trainable_weights


def test_a_saved_model_loads_through_its_serving_signature(tmp_path):
    model = _vector_model(dim=5)
    model.export(str(tmp_path / "faces"), format="tf_saved_model", verbose=False)
    f, info = load_face_embedding(tmp_path / "faces")
    out = np.asarray(f(_images()))
    raw = np.asarray(model(_images()))
    assert info["dim"] == 5 and info["image_size"] == [16, 16]
    assert np.allclose(out, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)
    assert f(_images(2, size=24)).shape == (2, 5)


def test_bad_embeddings_are_user_errors_naming_the_file(tmp_path):
    (tmp_path / "empty.keras").write_bytes(b"")
    (tmp_path / "garbage.keras").write_bytes(np.random.default_rng(0).bytes(300))
    (tmp_path / "notes.txt").write_text("not a model")
    maps = keras.Input((16, 16, 3))
    keras.Model(maps, keras.layers.Conv2D(4, 3)(maps)).save(tmp_path / "maps.keras")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"\x00garbage")
    expected = {"missing.keras": "no such file", "empty.keras": "empty",
                "garbage.keras": "not a .keras archive", "notes.txt": "expected a .keras",
                "maps.keras": r"output of shape \[2, 14, 14, 4\]",
                "broken": "SavedModel cannot be loaded"}
    for name, reason in expected.items():
        with pytest.raises(UserError, match=reason) as caught:
            load_face_embedding(tmp_path / name)
        assert str(tmp_path / name) in str(caught.value)


def test_a_model_that_takes_no_images_is_refused(tmp_path):
    vectors = keras.Input((10,))
    keras.Model(vectors, keras.layers.Dense(3)(vectors)).save(tmp_path / "flat.keras")
    with pytest.raises(UserError, match=r"input has shape \[None, 10\].*RGB images"):
        load_face_embedding(tmp_path / "flat.keras")
