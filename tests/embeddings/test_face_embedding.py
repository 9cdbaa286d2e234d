"""The face embedding trained here: unit vectors, and its cache (load, don't retrain)."""

import numpy as np
import pytest
from synthetic import blob_faces

from keras_avgan.embeddings import FaceEmbeddingSettings, TripletTraining, face_embedding
from keras_avgan.embeddings import faces as faces_module
from keras_avgan.embeddings.cache import cache_root

TINY = FaceEmbeddingSettings(image_size=16, dim=8, widths=(4, 8),
                             training=TripletTraining(steps=3, classes_per_batch=2, per_class=3))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_embedding_is_l2_normalised_for_any_image_size(cache):
    images, ids = blob_faces(classes=3, per_class=5)
    f, info = face_embedding(images, ids, TINY, log=lambda _: None)
    out = np.asarray(f(images[:4], training=False))
    assert out.shape == (4, 8) and info["dim"] == 8
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    larger = np.repeat(np.repeat(images[:2], 2, axis=1), 2, axis=2)  # 32 px: resized to 16
    assert f(larger).shape == (2, 8)
    assert not f.trainable_weights


def test_a_second_call_loads_the_cache_and_another_setting_trains_again(cache, monkeypatch):
    images, ids = blob_faces(classes=3, per_class=5)
    said = []
    first, info = face_embedding(images, ids, TINY, log=said.append)
    assert len(said) == 1 and said[0].startswith("training the face embedding on 15 faces")
    assert str(cache_root()) in said[0] and cache_root().parent == cache
    assert not list(cache_root().glob(".*"))  # no temporary file left behind

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the embedding is cached")
    monkeypatch.setattr(faces_module, "train_face_embedding", no_training)
    again, info_again = face_embedding(images, ids, TINY, log=said.append)
    assert len(said) == 1 and info_again == info
    assert np.allclose(again(images[:3]), first(images[:3]), atol=1e-6)

    monkeypatch.undo()
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(cache))
    other = FaceEmbeddingSettings(**{**TINY.__dict__, "seed": 1})
    face_embedding(images, ids, other, log=said.append)
    changed = images.copy()
    changed[0, 0, 0, 0] = 0.0
    face_embedding(changed, ids, TINY, log=said.append)
    assert len(said) == 3 and len(list(cache_root().glob("*.keras"))) == 3


def test_a_dataset_of_pairs_gives_the_same_embedding_as_arrays(cache):
    import tensorflow as tf

    images, ids = blob_faces(classes=3, per_class=5)
    _, from_arrays = face_embedding(images, ids, TINY, log=lambda _: None)
    said = []
    dataset = tf.data.Dataset.from_tensor_slices((images, ids)).batch(4)
    _, from_dataset = face_embedding(dataset, settings=TINY, log=said.append)
    assert not said and from_dataset == from_arrays  # the same data: the cached one


def test_images_outside_minus_one_to_one_are_refused(cache):
    images, ids = blob_faces(classes=2, per_class=3)
    with pytest.raises(ValueError, match=r"within \[-1, 1\]"):
        face_embedding(images * 255, ids, TINY)
    with pytest.raises(ValueError, match="one class id per face"):
        face_embedding(images, ids[:-1], TINY)
