"""Face to music: notes (`--data`) and faces (`--faces`) in, notes out.

The networks never see a face's pixels: the face embedding f is frozen, so every face's
vector is computed once when the run is prepared, and the pipeline yields those vectors.
Each training batch holds notes with their pitch ids and, drawn apart from them (faces and
notes are not paired), face vectors: {"audio": [B, 8192, 1], "pitch": [B], "face": [B, d]}.
What comes out is sound, written, previewed and summarised as the audio modality does.
"""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_avgan.embeddings import run_embeddings
from keras_avgan.modalities.audio import AudioModality
from keras_avgan.modalities.audio_representations import Waveform
from keras_avgan.modalities.faces_notes_data import FacesAndNotes, read_faces, read_notes
from keras_avgan.modalities.faces_notes_inputs import FaceInputs
from keras_avgan.recipes.face2music import LOWEST_PITCH
from pipelines import audio, images
from pipelines import labels as labels_lib

PREVIEW_FACES = 4  # previews: this many training faces, each at a few pitches


class FacesNotesModality(FaceInputs, AudioModality):
    kind = "audio"
    extra_inputs = ("faces",)
    commands = ("fit", "generate", "evaluate", "export", "convert", "request")
    extensions_text = "notes: " + " ".join(audio.AUDIO_EXTENSIONS) + " or NSynth"

    def find_files(self, path: Path) -> list[str]:
        return []  # read only through a recipe that names this modality (`--recipe`)

    def load(self, recipe, path: Path, report, faces: Path | None = None) -> FacesAndNotes:
        if faces is None:
            from keras_avgan.errors import UserError

            raise UserError(f"recipe '{recipe.name}' needs faces besides its notes: pass "
                            "--faces FOLDER")
        from keras_avgan.modalities import faces_notes_shards
        from pipelines.shards import looks_sharded

        # Either may be a shard folder (`data shard --recipe face2music`), read as its files.
        notes_from = faces_notes_shards.read_notes if looks_sharded(path) else read_notes
        faces_from = faces_notes_shards.read_faces if looks_sharded(faces) else read_faces
        notes, pitch_ids, family_ids, families, files = notes_from(path, recipe, report)
        face_images, identity_ids, identities = faces_from(faces, recipe, report)
        return FacesAndNotes(root=path, files=files, notes=notes, pitch_ids=pitch_ids,
                             family_ids=family_ids, family_names=families, faces_root=faces,
                             faces=face_images, identity_ids=identity_ids,
                             identity_names=identities)

    def describe(self, path: Path, recipe=None) -> str:
        """`data check PATH --recipe face2music`: PATH as faces when it holds pictures and no
        sounds, else as notes; and what to check next."""
        from pipelines.audio import nsynth

        if not nsynth.looks_like_nsynth(path) and images.list_image_files(path) \
                and not audio.list_audio_files(str(path)):
            scan = images.scan_images(path)
            images.require_usable(scan, path)
            rows = images.read_labels(path, recipe.label_from, recipe.label_pattern)
            lines = labels_lib.summarize(rows, [str(Path(f.path).resolve()) for f in scan.good],
                                         (recipe.face_column,))
            hint = (f"face2music reads these as its faces (--faces); the face embedding trains "
                    f"on their '{recipe.face_column}' labels (or pass --set "
                    "face_embedding=PATH). Check the notes with: keras_avgan data check "
                    f"NOTES --recipe {recipe.name}")
            return images.describe_scan(scan, notes=[*lines, hint])
        if nsynth.looks_like_nsynth(path):
            report = nsynth.describe_nsynth(nsynth.scan_nsynth(path))
        else:
            report = super().describe(path, recipe)
        notes, pitch_ids, _, families, _ = read_notes(path, recipe, sys.stdout)
        pitches = sorted({int(p) + LOWEST_PITCH for p in pitch_ids})
        return (f"{report}\nface2music reads these as its notes (--data): {len(notes)} notes "
                f"of {len(families)} families ({', '.join(families)}), pitches "
                f"{pitches[0]}-{pitches[-1]} ({len(pitches)} distinct). Check the faces "
                f"with: keras_avgan data check FACES --recipe {recipe.name}")

    def describe_labels(self, path: Path, recipe, files) -> str:
        rows = self.label_rows(path, recipe)
        keep = (recipe.pitch_column, recipe.family_column)
        return "\n".join(labels_lib.summarize(rows, [str(Path(f.path).resolve())
                                                     for f in files], keep))

    def prepare(self, recipe, run, data: FacesAndNotes):
        """f and phi, made (or found in the run dir), and every face's vector, once."""
        embeddings = run_embeddings.prepare(
            run.root, notes=data.notes, families=data.family_ids, faces=data.faces,
            identities=data.identity_ids, face_embedding_path=recipe.face_embedding,
            face_steps=recipe.face_embedding_steps, metric_steps=recipe.audio_metric_steps)
        data.face_vectors = run_embeddings.face_vectors(embeddings, data.faces)
        return self.renderer(recipe, run.root)

    def renderer(self, recipe, run_root):
        return Waveform()

    def build_judge(self, recipe, num_classes: int, seed: int = 0, **sizes):
        """The paper's pitch and family judges: psi's network with a softmax head."""
        from keras_avgan.embeddings.audio_metric import AudioMetricSettings, build_psi_classifier

        return build_psi_classifier(num_classes, AudioMetricSettings(
            clip_samples=recipe.slice_len, sample_rate=recipe.sample_rate, seed=seed))

    def training_dataset(self, recipe, data: FacesAndNotes, seed: int, renderer):
        """Endless batches of batch_size * d_steps notes and as many faces, each drawn by a
        shuffle of its own. Indices are shuffled, not examples, so a checkpoint of the
        iterator holds a few integers rather than a buffer of notes."""
        notes = tf.constant(data.notes[..., None])
        pitches = tf.constant(data.pitch_ids)
        faces = tf.constant(data.face_vectors)

        def order(count: int, salt: int):
            return tf.data.Dataset.range(count).shuffle(
                count, seed=seed * 2 + salt, reshuffle_each_iteration=True).repeat()

        def gathered(note_rows, face_rows):
            return {"audio": tf.gather(notes, note_rows), "pitch": tf.gather(pitches, note_rows),
                    "face": tf.gather(faces, face_rows)}

        ds = tf.data.Dataset.zip(order(len(data.notes), 0), order(len(data.face_vectors), 1))
        return ds.batch(recipe.batch_size * recipe.d_steps, drop_remainder=True).map(
            gathered, num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True).prefetch(tf.data.AUTOTUNE)

    # --- previews ---------------------------------------------------------------------
    def _preview_rows(self, data: FacesAndNotes, count: int):
        """(face rows, pitch ids): PREVIEW_FACES fixed training faces (one per identity
        while there are identities) each at count / PREVIEW_FACES pitches spread over the
        notes' range."""
        if data.identity_ids is not None:
            firsts = [int(np.flatnonzero(data.identity_ids == i)[0])
                      for i in range(len(data.identity_names))]
        else:
            firsts = list(range(len(data.faces)))
        faces = np.resize(np.array(firsts[:PREVIEW_FACES]), PREVIEW_FACES)
        present = np.unique(data.pitch_ids)
        per_face = max(1, count // PREVIEW_FACES)
        pitches = present[np.linspace(0, len(present) - 1, per_face).round().astype(int)]
        rows = np.repeat(faces, per_face)[:count]
        return rows, np.tile(pitches, PREVIEW_FACES)[:count].astype(np.int32)

    def preview_inputs(self, recipe, data: FacesAndNotes, count: int, seed: int):
        """(z [count, latent_dim] from `seed`, face vectors, pitch ids): the generator's
        three inputs, given whole to the sampler."""
        from keras_avgan import latents

        rows, pitches = self._preview_rows(data, count)
        z = latents.sample_latents(len(rows), recipe.latent_dim, recipe.latent_dist, seed)
        return (np.asarray(z, np.float32).reshape(len(rows), recipe.latent_dim),
                data.face_vectors[rows], pitches)

    def preview_titles(self, recipe, data: FacesAndNotes, count: int):
        rows, pitches = self._preview_rows(data, count)
        who = [data.identity_names[data.identity_ids[r]] if data.identity_ids is not None
               else f"face {r}" for r in rows]
        return [f"{name}, pitch {p + LOWEST_PITCH}" for name, p in zip(who, pitches,
                                                                        strict=True)]
