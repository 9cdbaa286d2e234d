"""Label sources (labels.csv, parent folders, file names) and the summary `data check` prints."""

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from pipelines import audio, images, labels
from pipelines.errors import DataError

WORDS = ("Zero", "One", "Two", "Seven")


def _wav(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.zeros(160, np.float32), 16000, subtype="PCM_16")


@pytest.fixture
def sc09(tmp_path):
    """SC09 / Speech Commands names: <Word>_<speaker>_nohash_<take>.wav, plus two that do not
    fit the pattern; a labels.csv is there too, so auto and csv read it instead."""
    root = tmp_path / "sc09"
    for i, word in enumerate(WORDS):
        for take in range(2):
            _wav(root / f"{word}_{i:02d}c0ffee_nohash_{take}.wav")
    _wav(root / "noise.wav")  # no "_": the default pattern does not match
    _wav(root / "extra" / "Nine_beef_take.wav")  # the default matches, the SC09 pattern not
    (root / "labels.csv").write_text("path,split\nZero_00c0ffee_nohash_0.wav,test\n")
    return root


def _by_name(rows, column):
    return {Path(p).name: row[column] for p, row in rows.items()}


def test_file_names_give_the_word_before_the_first_underscore(sc09):
    rows = audio.read_labels(str(sc09), "filename")
    names = _by_name(rows, "label")
    assert names["Seven_03c0ffee_nohash_1.wav"] == "Seven"
    assert names["Nine_beef_take.wav"] == "Nine"
    assert sorted(set(names.values())) == sorted(WORDS + ("Nine",))
    assert {Path(p).name for p in rows.unlabelled} == {"noise.wav"}
    assert "does not match label_pattern '^([^_]+)_'" in next(iter(rows.unlabelled.values()))
    assert rows.source == "file names, label_pattern '^([^_]+)_'"
    row = rows[str((sc09 / "extra" / "Nine_beef_take.wav").resolve())]
    assert row["folder"] == "extra" and "split" not in row  # the labels.csv is not read


def test_named_groups_become_columns(sc09):
    rows = audio.read_labels(str(sc09), "filename",
                             r"^(?P<word>[^_]+)_(?P<speaker>[0-9a-f]+)_nohash_(?P<take>\d+)$")
    one = rows[str((sc09 / "Two_02c0ffee_nohash_1.wav").resolve())]
    assert (one["label"], one["word"], one["speaker"], one["take"]) == (
        "Two", "Two", "02c0ffee", "1")
    assert {Path(p).name for p in rows.unlabelled} == {"noise.wav", "Nine_beef_take.wav"}


@pytest.mark.parametrize("pattern, message", [
    ("([^_]+", "not a regular expression"),
    ("^[^_]+_", "has no group"),
    ("(?P<path>.+)", "'path' and 'folder'"),
])
def test_a_bad_pattern_is_an_error_naming_it(sc09, pattern, message):
    with pytest.raises(DataError, match=f"label_pattern .*{message}"):
        audio.read_labels(str(sc09), "filename", pattern)


def test_the_other_sources(sc09, tmp_path):
    auto = audio.read_labels(str(sc09))
    assert auto.source == "labels.csv" and len(auto) == 1  # labels.csv is there: it rules
    assert auto[str((sc09 / "Zero_00c0ffee_nohash_0.wav").resolve())]["split"] == "test"
    folders = audio.read_labels(str(sc09), "folder")
    assert len(folders) == 10 and set(_by_name(folders, "label").values()) == {"sc09", "extra"}
    bare = tmp_path / "bare"
    _wav(bare / "cat" / "a_1.wav")
    assert audio.read_labels(str(bare)).source == "parent folders"
    with pytest.raises(DataError, match="label_from=csv, and there is no labels.csv"):
        audio.read_labels(str(bare), "csv")
    with pytest.raises(DataError, match="label_from='names'"):
        audio.read_labels(str(bare), "names")
    # A CSV passed as the data lists the files; their names still label them.
    listing = tmp_path / "list.csv"
    listing.write_text("path,kind\nbare/cat/a_1.wav,x\nsc09/noise.wav,y\n")
    named = audio.read_labels(str(listing), "filename")
    assert list(_by_name(named, "label").values()) == ["a"] and len(named.unlabelled) == 1


def test_image_file_names_label_too(tmp_path):
    for name in ("tabby_1.png", "tabby_2.png", "siamese_1.png"):
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    rows = images.read_labels(str(tmp_path), "filename")
    assert sorted(_by_name(rows, "label").values()) == ["siamese", "tabby", "tabby"]


def test_summary_lists_columns_classes_and_files_without_labels(tiny_tones, sc09):
    rows = audio.read_labels(str(tiny_tones))
    files = sorted(rows)
    assert labels.summarize(rows, files) == [
        "labels (from labels.csv): pitch (3 classes: 48, 55, 62)"]
    assert "folder (1 class: data)" in labels.summarize(rows, files, keep=("folder",))[0]
    many = labels.Labels({f"/x/{i}.wav": {"path": f"{i}.wav", "id": str(i)} for i in range(40)},
                         "labels.csv")
    line = labels.summarize(many, sorted(many))[0]
    assert line.startswith("labels (from labels.csv): id (40 classes: 0, 1, 2, 3,")
    assert line.endswith(", 11, ...)")  # natural order, the first few
    named = audio.read_labels(str(sc09), "filename")
    lines = labels.summarize(named, sorted(named) + sorted(named.unlabelled))
    assert lines[0].startswith("labels (from file names, label_pattern '^([^_]+)_'): "
                               "label (5 classes: Nine, One, Seven, Two, Zero)")
    assert lines[1].startswith("without labels: 1 of 10 files, e.g. ")
    assert lines[1].endswith("noise.wav (its name does not match label_pattern '^([^_]+)_')")
