"""A run directory: its layout, its resolved recipe, and the rules for resuming it."""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from keras_avgan import recipes
from keras_avgan.errors import UserError

# Fields that may change between the first command and a resume without changing the run.
RESUMABLE_CHANGES = frozenset({"steps", "checkpoint_every", "keep_checkpoints", "sample_every",
                               "log_every", "eval_every"})


@dataclass(frozen=True)
class RunDir:
    root: Path

    @property
    def recipe_file(self) -> Path:
        return self.root / "recipe.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best(self) -> Path:
        return self.root / "best"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def metrics_file(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def loss_plot(self) -> Path:
        return self.root / "loss.png"

    @property
    def state_file(self) -> Path:
        return self.root / "run.json"

    def exists(self) -> bool:
        return self.recipe_file.is_file()


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_recipe(run: RunDir) -> recipes.Recipe:
    if not run.root.is_dir():
        raise UserError(f"run dir {run.root} does not exist; train one with "
                        f"'keras_avgan fit --recipe R --data PATH --run-dir {run.root}'")
    if not run.exists():
        raise UserError(f"{run.root} is not a run dir (no recipe.json); pass the --run-dir "
                        "that 'keras_avgan fit' wrote")
    try:
        data = json.loads(run.recipe_file.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"{run.recipe_file} is unreadable ({err}); restore it or start a new "
                        "run dir") from None
    return recipes.from_dict(data)


def open_for_training(run: RunDir, recipe: recipes.Recipe, settings: dict) -> recipes.Recipe:
    """Create the run dir, or check that a resume uses the same recipe and settings.

    `settings` are run-level choices outside the recipe (seed, precision, data) that must
    match too, or the resumed run would not continue the same training.
    """
    if run.exists():
        saved = load_recipe(run)
        _check_same(run, recipes.to_dict(saved), recipes.to_dict(recipe), RESUMABLE_CHANGES,
                    "--set / --smoke / --recipe")
        if run.state_file.is_file():
            _check_same(run, json.loads(run.state_file.read_text()), settings, frozenset(),
                        "--seed / --mixed-precision / --data / --strategy")
        recipe = recipes.replace(saved, **{k: getattr(recipe, k) for k in RESUMABLE_CHANGES})
    run.root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.recipe_file, recipes.to_json(recipe) + "\n")
    atomic_write_text(run.state_file, json.dumps(settings, indent=2, sort_keys=True) + "\n")
    return recipe


def _check_same(run: RunDir, saved: dict, wanted: dict, allowed: frozenset, flags: str) -> None:
    changed = sorted(k for k in set(saved) | set(wanted)
                     if k not in allowed and k != "smoke" and saved.get(k) != wanted.get(k))
    if changed:
        detail = ", ".join(f"{k}: {saved.get(k)!r} -> {wanted.get(k)!r}" for k in changed)
        raise UserError(
            f"{run.root} was trained with other settings ({detail}); resuming needs the same "
            f"{flags} as the first command, or pass a new --run-dir"
        )
