"""The label table of the notes kept: each column's classes, and every note's ids.

Classes are text in natural order (48 < 50 < 100), as the classes of labels.csv columns
are, so a column becomes a class condition the way any other does. `qualities` is a set
per note: its classes are all ten NSynth qualities and a note's label is multi-hot.
"""

from dataclasses import dataclass

import numpy as np

from pipelines.audio.nsynth.schema import QUALITIES
from pipelines.labels import natural_key

CLASS_COLUMNS = ("pitch", "instrument_family", "velocity")
MULTI_HOT_COLUMNS = ("qualities",)


@dataclass(frozen=True)
class LabelTable:
    classes: dict  # column -> tuple of class values as text

    def values(self, column: str, ids) -> list[str]:
        """The class values behind ids (of a class column) or multi-hot rows (qualities)."""
        classes = self.classes[column]
        if column in MULTI_HOT_COLUMNS:
            return [tuple(c for c, on in zip(classes, row, strict=True) if on) for row in ids]
        return [classes[int(i)] for i in ids]


def label_table(notes) -> LabelTable:
    classes = {column: tuple(sorted({str(getattr(n, column)) for n in notes}, key=natural_key))
               for column in CLASS_COLUMNS}
    return LabelTable({**classes, "qualities": QUALITIES})


def label_arrays(notes, table: LabelTable) -> dict[str, np.ndarray]:
    """column -> int32 ids [N] (class columns) or float32 multi-hot [N, 10] (qualities)."""
    arrays = {}
    for column in CLASS_COLUMNS:
        index = {c: i for i, c in enumerate(table.classes[column])}
        arrays[column] = np.array([index[str(getattr(n, column))] for n in notes], np.int32)
    arrays["qualities"] = np.array([[q in n.qualities for q in QUALITIES] for n in notes],
                                   np.float32).reshape(len(notes), len(QUALITIES))
    return arrays
