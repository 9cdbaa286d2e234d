"""Labels through the CLI: `--data labels.csv` for fit --eval-every and evaluate, labels from
SC09-style file names for class conditions and judges, and what `data check` says of them."""

import json

import numpy as np
import pytest
import soundfile
from PIL import Image

from keras_avgan import recipes
from keras_avgan.cli import main
from keras_avgan.evaluation.reference import load_labelled

RATE = 16000
WORDS = {"Zero": 220.0, "One": 330.0, "Two": 495.0}  # a pitch per word: judges can tell them


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))


def _fit(data, run, *extra, recipe="wavegan"):
    return main(["fit", "--recipe", recipe, "--smoke", "--data", str(data), "--run-dir",
                 str(run), "--steps", "2", *extra])


def test_a_csv_as_data_fits_with_eval_every_and_evaluates(tmp_path, tones_writer, capsys):
    folder = tones_writer(tmp_path / "tones", count=24)
    csv = folder / "labels.csv"
    run = tmp_path / "run"
    assert _fit(csv, run, "--eval-every", "2") == 0
    best = json.loads((run / "best" / "best.json").read_text())
    assert best["step"] == 2 and "fd_pitch" in best
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(run), "--data", str(csv), "-n", "8",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["classifiers"]["pitch"]["classes"] == ["48", "55", "62"]
    # The CSV's paths are relative to its folder: the split and the judge are the folder's.
    recipe = recipes.with_smoke(recipes.get_recipe("wavegan"))
    by_csv, by_folder = load_labelled(csv, recipe), load_labelled(folder, recipe)
    np.testing.assert_array_equal(by_csv.held_out, by_folder.held_out)
    assert by_csv.fingerprints == by_folder.fingerprints
    assert "Traceback" not in capsys.readouterr().err


def test_a_judge_is_named_by_its_own_column_alone(tmp_path, tones_writer):
    """fit judges every usable column by default, `evaluate --label pitch` one: both must
    find the same cached pitch judge, and relabelling another column must not retrain it."""
    folder = tones_writer(tmp_path / "tones", count=24)
    csv = folder / "labels.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0] + ",take"] + [f"{row},{i % 2}" for i, row in
                                                      enumerate(lines[1:])]) + "\n")
    recipe = recipes.with_smoke(recipes.get_recipe("wavegan"))
    both = load_labelled(folder, recipe)
    assert sorted(both.fingerprints) == ["pitch", "take"]
    assert load_labelled(folder, recipe, ["pitch"]).fingerprints == \
        {"pitch": both.fingerprints["pitch"]}
    csv.write_text("\n".join([lines[0] + ",take"] + [f"{row},{i % 3}" for i, row in
                                                      enumerate(lines[1:])]) + "\n")
    relabelled = load_labelled(folder, recipe)
    assert relabelled.fingerprints["pitch"] == both.fingerprints["pitch"]
    assert relabelled.fingerprints["take"] != both.fingerprints["take"]


def _sc09(root, takes=4):
    """<Word>_<speaker>_nohash_<take>.wav tones, and a file whose name has no word."""
    t = np.arange(RATE // 2) / RATE
    root.mkdir(parents=True)
    for word, hz in WORDS.items():
        for take in range(takes):
            clip = 0.5 * np.sin(2 * np.pi * hz * t) * np.exp(-4 * t)
            soundfile.write(str(root / f"{word}_{take:02d}beef_nohash_{take}.wav"),
                            clip.astype(np.float32), RATE, subtype="PCM_16")
    soundfile.write(str(root / "noise.wav"), np.zeros(RATE // 2, np.float32), RATE)
    return root


def test_sc09_names_condition_training_and_judging(tmp_path, capsys):
    data = _sc09(tmp_path / "sc09")
    run = tmp_path / "run"
    # GANSynth is the class-conditioned recipe; its labels come from the names instead.
    labels = ["--set", "label_column=label", "label_from=filename"]
    assert _fit(data, run, "--eval-every", "2", *labels, recipe="gansynth") == 0
    assert json.loads((run / "conditions.json").read_text()) == {
        "name": "label", "classes": ["One", "Two", "Zero"]}
    err = capsys.readouterr().err
    assert "skipped 1 files without a 'label' label" in err
    assert "noise.wav: its name does not match label_pattern '^([^_]+)_'" in err
    assert err.count("noise.wav") == 1  # named once, not again for --eval-every's judges
    assert main(["evaluate", "--run-dir", str(run), "-n", "6"]) == 0
    out = capsys.readouterr()
    assert "training the 'label' classifier" not in out.out  # --eval-every's judge is reused
    assert out.err.count("noise.wav") == 1 and "accuracy_label" in out.out
    # held-out accuracy 1.000 over 3 classes: the judge learned the words from the names
    assert "classifier 'label': held-out accuracy" in out.out and "over 3 classes" in out.out


def test_data_check_prints_the_labels_it_finds(tmp_path, tones_writer, capsys):
    tones = tones_writer(tmp_path / "tones")
    assert main(["data", "check", str(tones)]) == 0
    assert "labels (from labels.csv): pitch (3 classes: 48, 55, 62)" in capsys.readouterr().out
    data = _sc09(tmp_path / "sc09", takes=1)
    assert main(["data", "check", str(data)]) == 0
    assert "labels (from parent folders): label (1 class: sc09)" in capsys.readouterr().out
    pattern = r"label_pattern=^(?P<word>[^_]+)_(?P<speaker>[^_]+)_nohash_(?P<take>\d+)$"
    assert main(["data", "check", str(data), "--recipe", "wavegan", "--set",
                 "label_from=filename", pattern]) == 0
    printed = capsys.readouterr().out
    assert ("label (3 classes: One, Two, Zero), word (3 classes: One, Two, Zero), "
            "speaker (1 class: 00beef), take (1 class: 0)") in printed
    assert "without labels: 1 of 4 files, e.g. " in printed and "noise.wav" in printed
    for kind in ("cats", "dogs"):
        (tmp_path / "pets" / kind).mkdir(parents=True)
        Image.new("RGB", (8, 8), "red").save(tmp_path / "pets" / kind / "a.png")
    assert main(["data", "check", str(tmp_path / "pets")]) == 0
    assert "labels (from parent folders): label (2 classes: cats, dogs)" in (
        capsys.readouterr().out)


@pytest.mark.parametrize("assignments, message", [
    (["label_from=filename", "label_pattern=([^_]+"], "label_pattern .* not a regular"),
    (["label_from=filename", "label_pattern=^[^_]+_"], "label_pattern .* has no group"),
    (["label_pattern=^([^_]+)_"], "label_pattern is read only with label_from=filename"),
    (["label_from=names"], "label_from must be one of auto, folder, csv, filename"),
])
def test_label_settings_that_cannot_work_are_refused(tmp_path, tones_writer, capsys,
                                                     assignments, message):
    with pytest.raises(recipes.RecipeError, match=message):
        recipes.apply_overrides(recipes.WAVEGAN, assignments)
    tones = tones_writer(tmp_path / "tones", count=3)
    assert main(["data", "check", str(tones), "--recipe", "wavegan", "--set",
                 *assignments]) == 2
    assert "label_" in capsys.readouterr().err
