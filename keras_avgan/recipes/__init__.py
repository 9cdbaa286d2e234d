"""Recipes: one frozen dataclass constant per trainable system, found by name in RECIPES.

A recipe names its data kind, networks and training scheme, and carries every
hyperparameter. `--set key=value` overrides any field with type checking; `smoke` is a set
of overrides that shrinks the recipe to seconds on a CPU (used by tests and `--smoke`).
Standard library only, so the CLI can list and resolve recipes without importing TF.
"""

import dataclasses
import json
from typing import Any, Mapping

from keras_avgan.recipes.audio import (
    GANSYNTH,
    SLICE_MODES,
    SPECGAN,
    WAVEGAN,
    WAVEGAN_AC,
    WAVEGAN_R1,
    AudioRecipe,
    SpectralRecipe,
)
from keras_avgan.recipes.base import LOSSES, PRECISIONS, Recipe, RecipeError
from keras_avgan.recipes.face2music import FACE2MUSIC, FaceMusicRecipe
from keras_avgan.recipes.image import DCGAN, ImageRecipe
from keras_avgan.recipes.paired import (
    AVGAN,
    WAV2PIX,
    WAV2PIX_BN,
    AudioVisualRecipe,
    SpeechFaceRecipe,
)

__all__ = ["AVGAN", "DCGAN", "FACE2MUSIC", "GANSYNTH", "LOSSES", "PRECISIONS", "RECIPES",
           "SLICE_MODES", "SPECGAN", "WAV2PIX", "WAV2PIX_BN", "WAVEGAN", "WAVEGAN_AC",
           "WAVEGAN_R1", "AudioRecipe", "AudioVisualRecipe", "FaceMusicRecipe", "ImageRecipe",
           "Recipe", "RecipeError", "SpeechFaceRecipe", "SpectralRecipe", "apply_overrides",
           "from_dict", "get_recipe", "replace", "to_dict", "to_json", "with_smoke"]

RECIPES: dict[str, Recipe] = {r.name: r for r in (WAVEGAN, WAVEGAN_R1, WAVEGAN_AC, SPECGAN,
                                                   GANSYNTH, DCGAN, WAV2PIX, WAV2PIX_BN,
                                                   AVGAN, FACE2MUSIC)}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise RecipeError(
            f"unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}"
        ) from None


def _editable_fields(recipe: Recipe) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(recipe) if f.name not in ("name", "smoke")}


def _parse_value(key: str, text: str, kind: type) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise RecipeError(f"--set {key}: expected true or false, got {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise RecipeError(f"--set {key}: expected {kind.__name__}, got {text!r}") from None


def replace(recipe: Recipe, **changes: Any) -> Recipe:
    """dataclasses.replace that checks names and types the way `--set` does."""
    fields = _editable_fields(recipe)
    for key, value in changes.items():
        if key not in fields:
            raise RecipeError(
                f"recipe {recipe.name!r} has no field {key!r}; fields: {', '.join(sorted(fields))}"
            )
        kind = fields[key].type
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            changes[key] = value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RecipeError(f"{key} must be {kind.__name__}, got {value!r}")
    return dataclasses.replace(recipe, **changes)


def apply_overrides(recipe: Recipe, assignments: list[str]) -> Recipe:
    """Apply `key=value` strings (the CLI's `--set`)."""
    fields = _editable_fields(recipe)
    changes: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RecipeError(f"--set expects key=value, got {item!r}")
        if key not in fields:
            raise RecipeError(
                f"--set {key}: recipe {recipe.name!r} has no such field; "
                f"fields: {', '.join(sorted(fields))}"
            )
        changes[key] = _parse_value(key, text, fields[key].type)
    return replace(recipe, **changes)


def with_smoke(recipe: Recipe) -> Recipe:
    """The recipe shrunk by its smoke overrides (tests and `--smoke`)."""
    return replace(recipe, **dict(recipe.smoke))


def to_dict(recipe: Recipe) -> dict[str, Any]:
    data = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe)}
    data["smoke"] = dict(recipe.smoke)
    return data


def to_json(recipe: Recipe) -> str:
    return json.dumps(to_dict(recipe), indent=2, sort_keys=True)


def from_dict(data: Mapping[str, Any]) -> Recipe:
    """Rebuild a resolved recipe (a run's recipe.json) on top of its registered constant."""
    base = get_recipe(str(data.get("name", "")))
    fields = _editable_fields(base)
    unknown = sorted(set(data) - set(fields) - {"name", "smoke"})
    if unknown:
        raise RecipeError(f"recipe.json has fields this version does not know: {unknown}")
    return replace(base, **{k: v for k, v in data.items() if k in fields})
