"""`keras_avgan evaluate` for face-to-music runs, judged as Kim, Port and Patel (2020) judge
theirs (Table 1):

- FD and IS (and KID) from a pitch judge and a family judge, both psi's network with a
  softmax head (embeddings.audio_metric.build_psi_classifier), trained on the run's real
  notes and cached as the other judges are; `accuracy_pitch`: how often the pitch judge
  hears the pitch a note was asked for;
- PC: Pearson r between the pairwise distances of the face vectors and of phi of the notes
  made from them (is the mapping distance-preserving?);
- SV: the silhouette of the face vectors grouped by the family each note is heard as (the
  real family whose centroid in phi space is nearest): do faces that give one family sit
  together?

The real held-out notes are the ceiling of the judges' scores; they are not made from faces,
so PC and SV do not apply to them.
"""

import hashlib
import sys
from dataclasses import dataclass, field

import numpy as np

from keras_avgan import latents
from keras_avgan.embeddings import run_embeddings
from keras_avgan.embeddings.cache import data_fingerprint
from keras_avgan.embeddings.scores import nearest_centroid
from keras_avgan.embeddings.training import embed
from keras_avgan.errors import UserError
from keras_avgan.evaluation import metrics
from keras_avgan.evaluation.evaluate import (
    EVAL_SEED,
    REAL,
    Evaluation,
    _outputs,
    _report,
    score_sources,
    untrained_like,
)
from keras_avgan.evaluation.reference import _is_held_out, _relative, classifier_for
from keras_avgan.modalities.base import LabelledExamples
from keras_avgan.recipes.face2music import LOWEST_PITCH

COLUMNS = ("pitch", "family")
# Part of a cached judge's key: bumped when these judges are built or trained otherwise.
JUDGE_VERSION = 1
JUDGE_BATCH = 32  # classifiers.train_classifier's batch size
MAX_JUDGE_EPOCHS = 30  # as long as the other judges may train (reference.classifier_for)

NOTES = (
    "pitch and family judges: psi's network with a softmax head, trained on the run's "
    "training notes (fd_* against those); accuracy_pitch: share of notes the pitch judge "
    "hears at the pitch asked for (real: the held-out notes' own pitches)",
    "pc: Pearson r of the pairwise distances of the face vectors and of phi of the notes "
    "made from them (1: faces alike give notes alike); sv: silhouette (-1 to 1) of the face "
    "vectors grouped by the family each note is heard as (nearest real family centroid in "
    "phi), sv_families: how many families are heard; real notes are not made from faces, "
    "so pc and sv do not apply to them",
)


@dataclass
class FaceMusicEvaluation(Evaluation):
    generated_from: dict = field(default_factory=dict)  # which faces and pitches


def evaluate_face_music(run, recipe, sampler, which, modality, root, faces_root, n: int,
                        json_out=None, label_columns=None, classifier=None,
                        log=print) -> Evaluation:
    """Score the real held-out notes, the untrained and the trained generator."""
    if label_columns or classifier:
        raise UserError(f"--label and --classifier do not apply to '{recipe.name}' runs: "
                        "they are judged by a pitch and a family judge of the audio metric's "
                        "network, trained on the run's notes (the recipe's pitch_column and "
                        "family_column), as the face-to-music paper judges")
    if n < 3:
        raise UserError(f"-n must be at least 3 for '{recipe.name}' runs (the distance "
                        f"correlation compares pairs of notes), got {n}")
    kept = run_embeddings.load(run.root)  # there: load_sampler has refused a run without
    data = modality.load(recipe, root, sys.stderr, faces=faces_root)
    faces = run_embeddings.face_vectors(kept, data.faces)
    labelled = note_examples(data, recipe, modality)
    epochs = judge_epochs(recipe, len(labelled.train))
    result = FaceMusicEvaluation(str(run.root), which, n)
    judges = {}
    for column in COLUMNS:
        judges[column], result.classifiers[column] = classifier_for(
            labelled, column, recipe, epochs=epochs, log=log, modality=modality)

    inputs, rows = generator_inputs(recipe, faces, data.pitch_ids, n)
    untrained = untrained_like(sampler, recipe, face_dim=kept.face_dim)
    made = {"untrained": untrained(inputs)["audio"], "trained": sampler(inputs)["audio"]}
    sources = {REAL: labelled.held_out, **made}
    asked_names = [str(p + LOWEST_PITCH) for p in inputs[2]]
    real_names = [labelled.class_names["pitch"][i] for i in labelled.labels_held_out["pitch"]]
    asked = {REAL: ("pitch", real_names), **{s: ("pitch", asked_names) for s in made}}
    result.scores = score_sources(sources, judges, labelled, list(COLUMNS), modality, asked)
    real_phi = embed(kept.metric, labelled.train)
    notes = list(NOTES)
    for source, examples in sources.items():
        result.scores[source].update(modality.classifier_free_scores(examples, recipe))
        if source in made:
            found = face_music_scores(faces[rows], embed(kept.metric, examples), real_phi,
                                      labelled.labels_train["family"])
            result.scores[source].update(found)
            if np.isnan(found["sv"]):
                notes.append(f"sv of '{source}' is NaN: its notes are heard as "
                             f"{found['sv_families']} famil"
                             f"{'y' if found['sv_families'] == 1 else 'ies'}, and a "
                             "silhouette needs from 2 to one fewer than the notes")
    unique = len(np.unique(rows))
    result.generated_from = {
        "faces": f"{unique} of the run's {len(faces)} faces, each used once before any is "
                 "used again; none is held out (fit draws from every face)",
        "pitches": f"drawn from the real notes' pitches (seed {EVAL_SEED})",
    }
    notes.append(f"notes made from {unique} of the run's {len(faces)} faces (the generator "
                 "trained on every one: none is held out) at pitches drawn from the real "
                 "notes'")
    figure, out = _outputs(run, json_out)
    spread = np.linspace(0, len(labelled.held_out) - 1, min(4, len(labelled.held_out)))
    modality.comparison_figure(labelled.held_out[spread.astype(int)], made["trained"], recipe,
                               figure)
    return _report(result, modality, out, figure, log, notes=notes)


def note_examples(data, recipe, modality) -> LabelledExamples:
    """The run's notes split into training and held-out by name (the same note is held out
    in every evaluation), labelled by pitch (MIDI, the pitches present) and family."""
    names = [getattr(f, "note_str", None) or _relative(f.path, data.root) for f in data.files]
    held = np.array([_is_held_out(name) for name in names])
    if held.sum() < 2 or (~held).sum() < 2:
        raise UserError(f"{data.root}: {len(names)} notes leave {int(held.sum())} held out "
                        "and the rest for training; evaluation needs at least two of each "
                        "(about 10 notes or more)")
    present = np.unique(data.pitch_ids)
    ids = {"pitch": np.searchsorted(present, data.pitch_ids), "family": data.family_ids}
    class_names = {"pitch": [str(p + LOWEST_PITCH) for p in present],
                   "family": list(data.family_names)}
    fingerprints = {column: _judge_key(data.notes, ids[column], held, column,
                                       modality.judge_key(recipe),
                                       judge_epochs(recipe, int((~held).sum())))
                    for column in COLUMNS}
    return LabelledExamples(data.notes[~held], data.notes[held],
                            {c: ids[c][~held] for c in COLUMNS},
                            {c: ids[c][held] for c in COLUMNS}, class_names, fingerprints)


def _judge_key(notes, ids, held, column: str, judge_key: str, epochs: int) -> str:
    """Names a judge by every sample and label of the notes, the split and its training,
    so other notes, labels or training length never reuse a cached one."""
    digest = hashlib.sha1(f"face2music:{column}:{JUDGE_VERSION}:{judge_key}:{epochs}:".encode())
    digest.update(data_fingerprint(notes, np.stack([ids, held])).encode())
    return digest.hexdigest()[:16]


def judge_epochs(recipe, train_count: int) -> int:
    """The judges share psi's network, so they train about as long as this run's psi did
    (audio_metric_steps batches: a --smoke run's few), in whole epochs, at most as many as
    the other judges (whose early stopping they share)."""
    per_epoch = -(-train_count // JUDGE_BATCH)
    return int(np.clip(-(-recipe.audio_metric_steps // per_epoch), 1, MAX_JUDGE_EPOCHS))


def generator_inputs(recipe, faces: np.ndarray, pitch_ids: np.ndarray, n: int,
                     seed: int = EVAL_SEED):
    """((z [n, latent_dim], face vectors [n, d], pitch ids [n]), face rows [n]): the faces in
    a seeded order, each once before any again, each at a pitch drawn from the real notes'
    pitches, so that the notes asked for follow the data's pitch distribution."""
    rng = np.random.default_rng(seed)
    rows = np.resize(rng.permutation(len(faces)), n)
    pitches = rng.choice(np.asarray(pitch_ids), n).astype(np.int32)
    z = np.asarray(latents.sample_latents(n, recipe.latent_dim, recipe.latent_dist, seed))
    return (z, faces[rows], pitches), rows


def face_music_scores(faces, note_phi, real_phi, real_families) -> dict:
    """{"pc", "sv", "sv_families"} of notes made from `faces` (aligned rows): each note gets
    the family whose real notes' phi centroid is nearest; sv is NaN when the families heard
    are fewer than 2 or as many as the notes (a silhouette is undefined there)."""
    heard = nearest_centroid(real_phi, real_families, note_phi)
    families = len(np.unique(heard))
    sv = metrics.silhouette_score(faces, heard) if 2 <= families < len(faces) else float("nan")
    return {"pc": metrics.pairwise_distance_correlation(faces, note_phi), "sv": sv,
            "sv_families": families}
