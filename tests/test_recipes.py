import dataclasses
import json

import pytest

from keras_avgan import recipes


def test_every_recipe_resolves_and_round_trips_through_json():
    for recipe in recipes.RECIPES.values():
        assert recipes.from_dict(json.loads(recipes.to_json(recipe))) == recipe
        smoke = recipes.with_smoke(recipe)
        assert recipes.from_dict(recipes.to_dict(smoke)) == smoke


def test_set_parses_types():
    recipe = recipes.apply_overrides(
        recipes.WAVEGAN, ["model_dim=8", "normalize=false", "d_learning_rate=2e-4", "loss=lsgan"]
    )
    assert (recipe.model_dim, recipe.normalize, recipe.d_learning_rate, recipe.loss) == (
        8, False, 2e-4, "lsgan")


@pytest.mark.parametrize("assignment, message", [
    ("nope=1", "no such field"),
    ("model_dim=eight", "expected int"),
    ("normalize=maybe", "expected true or false"),
    ("loss=wgan", "must be one of"),
    ("batch_size=0", "at least 1"),
    ("model_dim", "key=value"),
    ("name=other", "no such field"),
    ("r1_gamma=-1", "r1_gamma must be 0"),
])
def test_bad_set_is_a_recipe_error_naming_the_key(assignment, message):
    with pytest.raises(recipes.RecipeError, match=message):
        recipes.apply_overrides(recipes.WAVEGAN, [assignment])


def test_unknown_recipe_lists_the_valid_names():
    with pytest.raises(recipes.RecipeError, match="wavegan"):
        recipes.get_recipe("wavegun")


def test_recipes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipes.WAVEGAN.model_dim = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        recipes.WAVEGAN.smoke["model_dim"] = 3  # type: ignore[index]


def test_replace_checks_types():
    with pytest.raises(recipes.RecipeError, match="must be int"):
        recipes.replace(recipes.WAVEGAN, model_dim="8")
    assert recipes.replace(recipes.WAVEGAN, gp_weight=5).gp_weight == 5.0


@pytest.mark.parametrize("assignments, message", [
    (["conditioning=class"], "needs label_column"),
    (["best_metric=accuracy"], "unconditional"),
    (["data_kind=video"], "data_kind must be one of"),
])
def test_conditioning_settings_that_cannot_work_are_refused(assignments, message):
    with pytest.raises(recipes.RecipeError, match=message):
        recipes.apply_overrides(recipes.WAVEGAN, assignments)


def test_only_generators_that_take_classes_are_class_conditioned():
    with pytest.raises(recipes.RecipeError, match="takes z alone"):
        recipes.apply_overrides(recipes.DCGAN, ["conditioning=class", "label_column=identity"])
    conditioned = recipes.apply_overrides(recipes.WAVEGAN, ["conditioning=class",
                                                            "label_column=pitch"])
    assert conditioned.conditional and recipes.get_recipe("wavegan_ac").conditional


def test_the_best_known_wavegan_setting_is_a_recipe_of_its_own():
    tuned = recipes.get_recipe("wavegan_r1")
    assert (tuned.loss, tuned.d_steps, tuned.r1_gamma, tuned.spectral_branch) == (
        "dcgan", 1, 10.0, True)
    assert tuned.lr_decay_steps == tuned.steps  # the rates decay over the whole run
    assert recipes.WAVEGAN.loss == "wgan-gp"  # the paper's recipe is untouched


def test_dcgan_follows_radford_et_al():
    dcgan = recipes.DCGAN
    assert (dcgan.data_kind, dcgan.loss, dcgan.latent_dim, dcgan.latent_dist) == (
        "image", "dcgan", 100, "uniform")
    assert (dcgan.batch_size, dcgan.d_learning_rate, dcgan.beta_1, dcgan.d_steps) == (
        128, 2e-4, 0.5, 1)
    with pytest.raises(recipes.RecipeError, match="image_size"):
        recipes.apply_overrides(dcgan, ["image_size=96"])


def test_a_class_conditioned_generator_needs_its_classes():
    with pytest.raises(recipes.RecipeError, match="takes class ids"):
        recipes.apply_overrides(recipes.GANSYNTH, ["conditioning=none"])
