"""What a user makes face-to-music notes from (`generate --face / --face-embedding
--pitch`): pictures, read as the run's faces were and given to its face embedding f, or face
vectors saved as .npy; every face at every pitch asked. And, for `export`, what a served
model takes instead (faces_notes_served)."""

from pathlib import Path

import numpy as np

from keras_avgan import latents, pitches
from keras_avgan.embeddings import run_embeddings
from keras_avgan.embeddings.training import embed
from keras_avgan.errors import UserError
from keras_avgan.modalities import faces_notes_served
from keras_avgan.modalities.faces_notes_data import FACE_SIZE
from pipelines import images


class FaceInputs:
    """Mixed into the face-to-music modality: notes made from faces a user gives."""

    input_faces = True

    def inputs_from_faces(self, recipe, run_root, faces=(), vectors_file=None,
                          asked_pitches=None, seed: int = 0):
        """((z, face vectors [N * P, d], pitch ids), file names, titles): each of the N faces
        at each of the P pitches asked (MIDI; middle C when none), in that order. z is
        [N * P, 0] for the paper's generator, else drawn from `seed`."""
        ids = pitches.pitch_ids(asked_pitches)
        if not faces and vectors_file is None:
            raise UserError(f"recipe '{recipe.name}' makes a note from each face: pass "
                            "--face IMAGE [IMAGE ...] (or a folder of them) or "
                            "--face-embedding VECTORS.npy")
        kept = run_embeddings.load(run_root)
        if kept is None:
            raise UserError(f"{run_root} keeps no face2music embeddings "
                            f"({run_embeddings.RECORD_FILE}); train it with 'keras_avgan "
                            "fit' first")
        vectors, names = [], []
        if faces:
            named = images.named_images(faces, "--face")
            pictures = images.eval_images([info for info, _ in named], FACE_SIZE)
            vectors.append(embed(kept.face_embedding, pictures))
            names += [name for _, name in named]
        if vectors_file is not None:
            given, given_names = read_vectors(vectors_file, kept.face_dim)
            vectors.append(given)
            names += given_names
        rows, pitch_ids, files, titles = pitches.each_face_at_each_pitch(names, ids)
        z = np.asarray(latents.sample_latents(len(rows), recipe.latent_dim,
                                              recipe.latent_dist, seed), np.float32)
        return ((z.reshape(len(rows), recipe.latent_dim), np.concatenate(vectors)[rows],
                 np.array(pitch_ids, np.int32)), files, titles)

    def served_inputs(self, recipe, run_root=None):
        return faces_notes_served.served_inputs(recipe, run_root)

    def served_description(self, recipe) -> tuple[dict, dict]:
        return faces_notes_served.served_description(recipe)


def read_vectors(path, face_dim: int) -> tuple[np.ndarray, list[str]]:
    """(float32 [N, d] unit vectors, a name for each) from a .npy of [N, d] or [d] face
    vectors; scaled to unit length, as f's own are (a user's f is normalised alike)."""
    location = Path(path).expanduser()
    flag = f"--face-embedding {path}"
    try:
        array = np.load(location, allow_pickle=False)
    except (OSError, ValueError):
        why = "not an array saved by numpy.save" if location.is_file() else "no such file"
        raise UserError(f"{flag}: {why}; save the vectors with numpy.save") from None
    if not np.issubdtype(array.dtype, np.number) or array.ndim not in (1, 2) \
            or array.shape[-1] != face_dim or array.size == 0:
        raise UserError(f"{flag}: holds a {array.dtype} array of shape {list(array.shape)}; "
                        f"this run's face vectors are [N, {face_dim}] (or one, [{face_dim}])")
    vectors = np.atleast_2d(array).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if not np.all(np.isfinite(vectors)) or np.any(norms == 0):
        raise UserError(f"{flag}: holds NaN, Inf or all-zero vectors")
    width = max(2, len(str(len(vectors) - 1)))
    names = [location.stem] if array.ndim == 1 else \
        [f"{location.stem}_{i:0{width}d}" for i in range(len(vectors))]
    return vectors / norms, names
