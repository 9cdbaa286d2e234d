"""Fixed embeddings for the face-to-music recipe, trained on the user's data (no published
weights can be downloaded) and cached, or supplied by the user:

- `face_embedding(images, identities)` -> (f, info): faces [B, H, W, 3] in [-1, 1] -> 128-d
  unit vectors, trained with a triplet loss on identities (`faces`); or
  `load_face_embedding(path)`: the user's `.keras` file or SavedModel (`user_models`);
- `audio_metric(notes, families)` -> (phi, info): notes [B, 8192] -> 505 values, a
  triplet-trained embedding psi and MFCCs, each scaled by its largest pairwise distance
  (`audio_metric`, `mfcc`);
- `distance_statistics(embeddings)`: mean and std of pairwise distances (`distances`);
- `faces_from_folder`, `notes_from_folder`: their training data read from folders.
"""

from keras_avgan.embeddings.audio_metric import AudioMetricSettings, audio_metric
from keras_avgan.embeddings.distances import (
    DistanceStatistics,
    distance_statistics,
    max_pairwise_distance,
)
from keras_avgan.embeddings.faces import FaceEmbeddingSettings, face_embedding
from keras_avgan.embeddings.folders import faces_from_folder, notes_from_folder
from keras_avgan.embeddings.mfcc import MFCC
from keras_avgan.embeddings.training import TripletTraining
from keras_avgan.embeddings.triplet import BatchHardTripletLoss, pairwise_distances
from keras_avgan.embeddings.user_models import load_face_embedding

__all__ = [
    "MFCC", "AudioMetricSettings", "BatchHardTripletLoss", "DistanceStatistics",
    "FaceEmbeddingSettings", "TripletTraining", "audio_metric", "distance_statistics",
    "face_embedding", "faces_from_folder", "load_face_embedding", "max_pairwise_distance",
    "notes_from_folder", "pairwise_distances",
]
