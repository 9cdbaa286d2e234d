"""Both embeddings learn: on small sets whose classes are separable, held-out examples are
told apart far better than chance."""

from synthetic import blob_faces, partial_notes

from keras_avgan.embeddings import (
    AudioMetricSettings,
    FaceEmbeddingSettings,
    TripletTraining,
)
from keras_avgan.embeddings.audio_metric import train_audio_metric
from keras_avgan.embeddings.faces import train_face_embedding


def test_the_face_embedding_verifies_held_out_faces_well_above_chance():
    images, ids = blob_faces(classes=4, per_class=12)
    settings = FaceEmbeddingSettings(image_size=16, dim=16, widths=(8, 16), held_out_percent=25,
                                     training=TripletTraining(steps=60, classes_per_batch=4,
                                                              per_class=4))
    _, info = train_face_embedding(images, ids, settings)
    verified = info["held_out_verification"]
    assert info["held_out_examples"] == 12 and verified["chance"] == 0.5
    assert verified["accuracy"] >= 0.8, info
    assert info["held_out_centroid"]["accuracy"] >= 0.75, info


def test_psi_tells_held_out_families_apart_well_above_chance():
    notes, ids = partial_notes(classes=3, per_class=10)
    settings = AudioMetricSettings(model_dim=8, held_out_percent=30,
                                   training=TripletTraining(steps=40, classes_per_batch=3,
                                                            per_class=4))
    _, info = train_audio_metric(notes, ids, settings)
    nearest = info["held_out_centroid"]
    assert info["held_out_examples"] == 9 and nearest["chance"] == 1 / 3
    assert nearest["accuracy"] >= 0.75, info
