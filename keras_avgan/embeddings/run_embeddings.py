"""The fixed embeddings of a face-to-music run, kept in its run dir: the face embedding f, the
audio metric phi and the constants its distances are standardised with.

They are made once, when the run starts (f loaded from the user's file or trained on the
faces' identities, phi trained on the notes' families, both through the cache), and kept in
the run dir, so that a resumed run, and later commands, use the very f and phi it started
with even when the cache has been emptied or the data has changed:

    face_embedding.keras   f (absent when f is a SavedModel folder: `face2music.json` names it)
    audio_metric.keras     phi (also inside every checkpoint of the critic)
    face2music.json        where f and phi came from (cache files, held-out scores), the
                           face and note distance statistics, the face vectors' width;
                           written last, so it exists only when the rest does
"""

import dataclasses
import json
import sys
from pathlib import Path

import keras
import numpy as np

from keras_avgan import runs
from keras_avgan.embeddings import cache
from keras_avgan.embeddings.audio_metric import (
    KIND as METRIC_KIND,
)
from keras_avgan.embeddings.audio_metric import (
    AudioMetricSettings,
    audio_metric,
    build_mfcc,
    build_psi,
    compose_phi,
)
from keras_avgan.embeddings.distances import DistanceStatistics, distance_statistics
from keras_avgan.embeddings.faces import KIND as FACE_KIND
from keras_avgan.embeddings.faces import FaceEmbeddingSettings, face_embedding
from keras_avgan.embeddings.inputs import labelled_arrays
from keras_avgan.embeddings.training import TripletTraining, embed
from keras_avgan.embeddings.user_models import load_face_embedding
from keras_avgan.errors import UserError

RECORD_FILE = "face2music.json"
FACE_FILE = "face_embedding.keras"
METRIC_FILE = "audio_metric.keras"


@dataclasses.dataclass
class RunEmbeddings:
    face_embedding: keras.Model  # faces [B, H, W, 3] in [-1, 1] -> unit vectors [B, d]
    metric: keras.Model  # phi: notes [B, 8192] -> [B, M]
    face_distances: DistanceStatistics
    note_distances: DistanceStatistics
    record: dict
    # f of the faces the run started with, when `prepare` just computed them (not on resume)
    vectors: np.ndarray | None = None

    @property
    def face_dim(self) -> int:
        return int(self.record["face_dim"])


def face_settings(steps: int) -> FaceEmbeddingSettings:
    default = FaceEmbeddingSettings()
    return dataclasses.replace(default, training=dataclasses.replace(default.training,
                                                                     steps=steps))


def metric_settings(steps: int) -> AudioMetricSettings:
    default = AudioMetricSettings()
    return dataclasses.replace(default, training=dataclasses.replace(default.training,
                                                                     steps=steps))


def _cache_file(kind: str, examples, ids, settings, shape) -> str:
    """The cache file an embedding of these examples and settings lives in."""
    examples, ids = labelled_arrays(examples, ids, kind=kind, shape=shape)
    key = cache.cache_key(kind, cache.data_fingerprint(examples, ids), settings)
    return str(cache.cached_paths(kind, key)[0])


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def prepare(run_root, *, notes, families, faces, identities, face_embedding_path: str = "",
            face_steps: int = 300, metric_steps: int = 200, log=_log) -> RunEmbeddings:
    """The run's embeddings: those it keeps, or, on its first start, made and kept.

    `notes` float32 [N, 8192] with `families` [N]; `faces` float32 [M, H, W, 3] in [-1, 1]
    with `identities` [M] (None with `face_embedding_path`: the user's f needs none)."""
    root = Path(run_root)
    if (root / RECORD_FILE).is_file():
        return load(root)
    if face_embedding_path:
        f, f_info = load_face_embedding(face_embedding_path)
        f_source = {"source": str(Path(face_embedding_path).expanduser().resolve())}
    else:
        if identities is None:
            raise UserError("the face embedding trains on the faces' identities, which these "
                            "faces lack: label them (a labels.csv with an 'identity' column, "
                            "or one folder per person), or pass --set face_embedding=PATH")
        settings = face_settings(face_steps)
        f, f_info = face_embedding(faces, identities, settings, log=log)
        f_source = {"source": "trained", "cache_file": _cache_file(
            FACE_KIND, faces, identities, settings, (None, None, 3))}
    settings = metric_settings(metric_steps)
    phi, phi_info = audio_metric(notes, families, settings, log=log)
    vectors = embed(f, faces)
    face_stats = distance_statistics(vectors)
    note_stats = distance_statistics(embed(phi, notes))
    if face_stats.std <= 0 or note_stats.std <= 0:
        raise UserError("every face (or every note) comes out alike under its embedding, so "
                        "their distances cannot be standardised; use more varied data")
    root.mkdir(parents=True, exist_ok=True)
    kept_face = _save(f, root / FACE_FILE)
    phi.save(str(root / METRIC_FILE))
    record = {
        "face_embedding": {**f_source, "file": FACE_FILE if kept_face else None,
                           "info": f_info},
        "audio_metric": {"source": "trained", "file": METRIC_FILE, "cache_file": _cache_file(
            METRIC_KIND, notes, families, settings, (settings.clip_samples,)),
            "info": phi_info},
        "face_dim": int(vectors.shape[1]),
        "face_distances": face_stats._asdict(),
        "note_distances": note_stats._asdict(),
        "faces": int(len(faces)), "notes": int(len(notes)),
    }
    runs.atomic_write_text(root / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    return RunEmbeddings(f, phi, face_stats, note_stats, record, vectors)


def _save(model: keras.Model, path: Path) -> bool:
    """Keep f in the run dir when Keras can save it (a SavedModel's signature cannot be:
    the record names its folder instead)."""
    try:
        model.save(str(path))
    except (NotImplementedError, TypeError, ValueError):
        path.unlink(missing_ok=True)
        return False
    return True


def load(run_root) -> RunEmbeddings | None:
    """The embeddings a run keeps, or None when it keeps none yet."""
    root = Path(run_root)
    record_path = root / RECORD_FILE
    if not record_path.is_file():
        return None
    record = json.loads(record_path.read_text())
    face = record["face_embedding"]
    if face.get("file"):
        f = _load_kept(root / face["file"])
    else:
        f, _ = load_face_embedding(face["source"])
    phi = _load_kept(root / record["audio_metric"]["file"])
    return RunEmbeddings(f, phi, DistanceStatistics(**record["face_distances"]),
                         DistanceStatistics(**record["note_distances"]), record)


def _load_kept(path: Path) -> keras.Model:
    if not path.is_file():
        raise UserError(f"{path} is missing: a face2music run keeps the embeddings it started "
                        "with; restore the file or start a new run dir")
    model = keras.saving.load_model(str(path), safe_mode=True)
    model.trainable = False
    return model


def face_vectors(embeddings: RunEmbeddings, faces) -> np.ndarray:
    """float32 [M, d]: f of every face, once (f is frozen; `prepare` has them already)."""
    if embeddings.vectors is not None:
        return embeddings.vectors
    return embed(embeddings.face_embedding, faces)


def untrained_metric(settings: AudioMetricSettings | None = None) -> keras.Model:
    """phi's architecture with untrained psi and unit scales: what the critic is sized by
    when there is no run to take the trained one from (`show --summary`)."""
    settings = settings or AudioMetricSettings(training=TripletTraining(
        steps=1, classes_per_batch=2, per_class=2))
    return compose_phi(build_psi(settings), build_mfcc(settings), 1.0, 1.0)
