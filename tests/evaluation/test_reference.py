"""The reference classifier `evaluate` trains: its seed is the only thing that varies it."""

import numpy as np

from keras_avgan import recipes
from keras_avgan.evaluation.reference import load_labelled, train_reference_classifier


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_a_seed_retrains_the_same_judge_and_another_seed_a_different_one(tiny_tones,
                                                                         deterministic_ops):
    recipe = recipes.get_recipe("wavegan")
    data = load_labelled(tiny_tones, recipe, ["pitch"])
    first, info = train_reference_classifier(data, "pitch", recipe, epochs=2, seed=0)
    again, _ = train_reference_classifier(data, "pitch", recipe, epochs=2, seed=0)
    other, _ = train_reference_classifier(data, "pitch", recipe, epochs=2, seed=1)
    assert info["column"] == "pitch" and info["classes"] == data.class_names["pitch"]
    assert info["train_examples"] == len(data.train)
    assert all(np.array_equal(a, b) for a, b in zip(_weights(first), _weights(again),
                                                    strict=True))
    assert not np.allclose(_weights(first)[0], _weights(other)[0])
    assert other.get_layer("noise_floor").seed == 1


def test_the_recipes_label_column_judges_by_default_and_other_data_falls_back():
    from keras_avgan.errors import UserError
    from keras_avgan.evaluation.reference import _label_columns

    rows = {f"{i}.png": {"path": f"{i}.png", "folder": "x", "identity": f"id{i % 3}",
                         "hair": "dark" if i % 2 else "fair"} for i in range(12)}
    assert _label_columns(rows, None, "identity") == ["identity"]
    assert _label_columns(rows, None, "") == ["hair", "identity"]
    # Folders of one's own pictures have no 'identity': every usable column judges instead.
    folders = {p: {"path": p, "folder": r["hair"], "label": r["hair"]} for p, r in rows.items()}
    assert _label_columns(folders, None, "identity") == ["label"]
    import pytest

    with pytest.raises(UserError, match="--label identity"):
        _label_columns(folders, ["identity"], "identity")  # asked for by name: an error
