"""`keras_avgan evaluate` for generators of face-and-voice pairs (AVGAN): a face judge and a
voice judge, each trained on its half of the real pairs (by identity), score their half of
every generated pair as `evaluate` scores one modality; and `agreement` says how often the
identity heard in a generated voice is the one seen in its face (chance 1 / identities)."""

import numpy as np

from keras_avgan.evaluation import classifiers
from keras_avgan.evaluation.reference import classifier_for, load_labelled
from keras_avgan.media import plots

COLUMN = "identity"


def judged_halves(modality, root, recipe, log=print) -> dict:
    """{"face": (labelled examples, judge, info), "voice": ...}: the held-out examples of the
    two halves are the same pairs, in the same order."""
    halves = {}
    for name, part in (("face", modality.faces), ("voice", modality.voices)):
        data = load_labelled(root, recipe, [COLUMN], modality=part)
        judge, info = classifier_for(data, COLUMN, recipe, log=log, modality=part)
        halves[name] = (data, judge, info)
    return halves


def agreement(face_logits: np.ndarray, voice_logits: np.ndarray) -> float:
    """Share of pairs whose voice is given to the identity their face is seen as."""
    return float(np.mean(np.argmax(face_logits, -1) == np.argmax(voice_logits, -1)))


def score_pairs(sources: dict, halves: dict, modality, recipe, asked=None, score=None) -> dict:
    """{source: {"face_*": ..., "voice_*": ..., "agreement": ...}} for sources of published
    pairs ({"image": ..., "audio": ...}); `score` is evaluate.score_sources (passed in, so
    this module does not import the command)."""
    parts = {"face": (modality.faces, "image"), "voice": (modality.voices, "audio")}
    scores = {name: {} for name in sources}
    logits = {name: {} for name in sources}
    for half, (part, key) in parts.items():
        data, judge, _ = halves[half]
        examples = {name: pair[key] for name, pair in sources.items()}
        for name, values in score(examples, {COLUMN: judge}, data, [COLUMN], part,
                                  asked).items():
            scores[name].update({f"{half}_{k}": v for k, v in values.items()})
        for name, published in examples.items():
            free = part.classifier_free_scores(published, recipe)  # e.g. face_detected
            scores[name].update({k if k.startswith(half) else f"{half}_{k}": v
                                 for k, v in free.items()})
            logits[name][half] = classifiers.classifier_outputs(
                judge, part.judge_inputs(published))[1]
    for name in sources:
        scores[name]["agreement"] = agreement(logits[name]["face"], logits[name]["voice"])
    return scores


def comparison_sheet(real: dict, generated: dict, recipe, out, count: int = 4):
    """Real held-out pairs above generated ones, each face beside its voice's spectrogram."""
    spread = np.linspace(0, len(real["image"]) - 1, min(count, len(real["image"]))).astype(int)
    images = np.concatenate([real["image"][spread], generated["image"][:count]])
    clips = np.concatenate([real["audio"][spread], generated["audio"][:count]])
    titles = [f"real #{i}" for i in range(len(spread))] + [
        f"generated #{i}" for i in range(min(count, len(generated["image"])))]
    return plots.face_voice_sheet(images, clips, recipe.sample_rate, out, titles=titles,
                                  count=len(images))
