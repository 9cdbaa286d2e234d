"""How the family judge hears noisy notes (`make bench-judge`): real held-out demo notes with
white noise added at falling levels, scored by the cached family classifier `evaluate` uses.

A generator's notes are judged by this classifier, so this shows which families a given
amount of in-band noise turns into which, next to the spectral flatness that noise gives.
"""

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_avgan import modalities, recipes  # noqa: E402
from keras_avgan.evaluation import classifiers, metrics  # noqa: E402
from keras_avgan.evaluation.reference import classifier_for, load_labelled  # noqa: E402
from keras_avgan.modalities import tonality  # noqa: E402
from pipelines.demo.notes import RELEASE_AT  # noqa: E402

COLUMN = "family"
LEVELS_DB = (None, 30, 20, 15, 10)  # noise this far under each note's RMS; None: clean


def _counts(ids, names) -> str:
    values, counts = np.unique(ids, return_counts=True)
    return ", ".join(f"{names[v]} {n}" for v, n in zip(values, counts, strict=True))


def main() -> int:
    recipe = recipes.get_recipe("wavegan")  # its sample rate and slice length read the notes
    labelled = load_labelled(modalities.resolve_data(recipe, "demo"), recipe, [COLUMN])
    model, info = classifier_for(labelled, COLUMN, recipe)
    names = labelled.class_names[COLUMN]
    truth = labelled.labels_held_out[COLUMN]
    notes = labelled.held_out
    # RMS of the sounding note, not of its release and silence
    rms = np.sqrt(np.mean(notes[:, : int(RELEASE_AT * recipe.sample_rate)] ** 2, axis=1,
                          keepdims=True))
    noise = np.random.default_rng(0).normal(size=notes.shape)
    print(f"{len(notes)} held-out demo notes; '{COLUMN}' classifier, held-out accuracy "
          f"{info['held_out_accuracy']:.3f}")
    print("noise under the note | spectral flatness | family IS | kept | what each family "
          "is heard as")
    for level in LEVELS_DB:
        clips = notes if level is None else notes + noise * rms * 10 ** (-level / 20)
        clips = clips.astype(np.float32)
        _, logits = classifiers.classifier_outputs(model, clips[..., None])
        heard = logits.argmax(axis=1)
        moves = "; ".join(f"{name} -> {_counts(heard[truth == c], names)}"
                          for c, name in enumerate(names))
        label = "none" if level is None else f"{level} dB"
        print(f"{label:>20} | {tonality.spectral_flatness(clips, recipe.sample_rate):17.3g} | "
              f"{metrics.inception_score(logits, splits=1)[0]:9.2f} | "
              f"{np.mean(heard == truth):4.2f} | {moves}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
