"""Class conditions of conditional recipes: a labels.csv column, its classes, and their ids.

The classes are the column's values in natural order (48 < 50 < 100; strings after numbers),
saved in the run dir when training starts, so `generate --cond pitch=60`, the exported
model's metadata and evaluation all map values to the same ids the generator learned.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_avgan import runs
from keras_avgan.errors import UserError
from pipelines.labels import natural_key  # one class order for data check, runs and judges

CONDITIONS_FILE = "conditions.json"


@dataclass(frozen=True)
class Conditions:
    name: str  # the label column; also the exported model's input name
    classes: tuple[str, ...]

    def ids(self, values) -> np.ndarray:
        """int32 ids of class values given as text (e.g. '60'), with a clear error."""
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = [v for v in values if str(v) not in index]
        if unknown:
            raise UserError(f"--cond {self.name}={unknown[0]}: not a class this run learned; "
                            f"choose one of {', '.join(self.classes)}")
        return np.array([index[str(v)] for v in values], np.int32)

    def cycle(self, n: int) -> np.ndarray:
        """n ids going round every class: the default when none is asked for."""
        return (np.arange(n) % len(self.classes)).astype(np.int32)

    def to_dict(self) -> dict:
        return {"name": self.name, "classes": list(self.classes)}


def from_data(recipe, root: Path, files, rows: dict, report=sys.stderr):
    """(Conditions, kept files, their ids) for the recipe's label column, or None if the
    recipe is not class-conditioned. `rows` maps absolute paths to label rows.

    Files without a value in the column are skipped and named once, with the reason the
    labels give (e.g. a name label_pattern does not match); none labelled is an error.
    """
    if recipe.conditioning != "class":
        return None
    column = recipe.label_column
    values = [rows.get(str(Path(f.path).resolve()), {}).get(column, "") for f in files]
    kept = [(f, v) for f, v in zip(files, values, strict=True) if v != ""]
    if len(kept) < len(files):
        why = getattr(rows, "unlabelled", {})
        missing = [f.path for f, v in zip(files, values, strict=True) if v == ""]
        print(f"warning: skipped {len(missing)} files without a '{column}' label:\n"
              + "\n".join(f"  {p}" + _because(why.get(str(Path(p).resolve())))
                          for p in missing[:20])
              + (f"\n  and {len(missing) - 20} more" if len(missing) > 20 else ""), file=report)
    classes = tuple(sorted({v for _, v in kept}, key=natural_key))
    if len(classes) < 2:
        source = getattr(rows, "source", "") or "labels.csv"
        raise UserError(f"{root}: recipe '{recipe.name}' is conditioned on the '{column}' "
                        f"column (of a labels.csv, path,{column}; label_from=folder or "
                        f"filename gives 'label'), and the labels from {source} have "
                        f"{len(classes)} value(s) there; it needs at least 2 (or --set "
                        "label_column=... to use another column)")
    conditions = Conditions(column, classes)
    return conditions, [f for f, _ in kept], conditions.ids([v for _, v in kept])


def _because(reason) -> str:
    return f": {reason}" if reason else ""


def titles(conditions, ids):
    """Figure titles naming each sample's class (e.g. 'pitch 60'), or None if unconditional."""
    if conditions is None or ids is None:
        return None
    return [f"{conditions.name} {conditions.classes[i]}" for i in ids]


def save(run: runs.RunDir, conditions: Conditions) -> None:
    path = run.root / CONDITIONS_FILE
    if path.is_file():
        saved = load(run.root)
        if saved != conditions:
            raise UserError(f"{run.root} was trained on the {saved.name} classes "
                            f"{', '.join(saved.classes)}, and the data now gives "
                            f"{', '.join(conditions.classes)}; resume on the same data or pass "
                            "a new --run-dir")
        return
    runs.atomic_write_text(path, json.dumps(conditions.to_dict(), indent=2) + "\n")


def load(run_root) -> Conditions | None:
    path = Path(run_root) / CONDITIONS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Conditions(data["name"], tuple(data["classes"]))
