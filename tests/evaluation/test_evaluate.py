"""`keras_avgan evaluate` on a real (smoke) run: the table, the JSON, the cache, the errors."""

import json

import pytest

from keras_avgan.cli import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, tones_writer):
    root = tmp_path_factory.mktemp("eval")
    data = tones_writer(root / "tones", count=30)
    run = root / "run"
    assert main(["fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
                 str(run), "--steps", "2"]) == 0
    return run, data


def test_evaluate_scores_real_untrained_and_trained(trained_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    run, _ = trained_run
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(run), "-n", "24", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "training the 'pitch' classifier" in printed and "fd_pitch" in printed
    result = json.loads(out.read_text())
    assert set(result["scores"]) == {"real (held-out)", "untrained", "trained"}
    real, untrained = result["scores"]["real (held-out)"], result["scores"]["untrained"]
    # Real clips of three clean pitches: the classifier separates them, noise it cannot.
    assert result["classifiers"]["pitch"]["held_out_accuracy"] >= 0.8
    assert real["is_pitch"] > 1.5 * untrained["is_pitch"]
    assert real["fd_pitch"] < untrained["fd_pitch"]
    # Clean tones against an untrained generator's noise.
    assert real["spectral_flatness"] < 0.01 < untrained["spectral_flatness"]
    assert out.with_suffix(".png").is_file()
    assert list((tmp_path / "cache").glob("classifiers/*-pitch-v*.keras"))

    again = tmp_path / "again.json"
    assert main(["evaluate", "--run-dir", str(run), "-n", "24", "--json", str(again)]) == 0
    assert "training the" not in capsys.readouterr().out  # the cached classifier is reused
    # The floor is the same untrained generator every time, so reruns compare like with like.
    assert json.loads(again.read_text())["scores"]["untrained"] == untrained
    assert main(["evaluate", "--run-dir", str(run), "-n", "8"]) == 0
    assert (run / "evaluation.json").is_file()


def test_evaluate_errors_are_clear(trained_run, tmp_path, capsys):
    run, _ = trained_run
    assert main(["evaluate", "--run-dir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["evaluate", "--run-dir", str(run), "--data", str(empty)]) == 2
    assert str(empty) in capsys.readouterr().err
    assert main(["evaluate", "--run-dir", str(run), "--label", "colour"]) == 2
    assert "colour" in capsys.readouterr().err
    images = tmp_path / "images"
    images.mkdir()
    (images / "face.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["evaluate", "--run-dir", str(run), "--data", str(images)]) == 2
    assert "audio" in capsys.readouterr().err
    # A classifier of the wrong kind of input: exit 2 saying what it must take.
    import keras

    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(3)(inputs)).save(tmp_path / "other.keras")
    assert main(["evaluate", "--run-dir", str(run), "--label", "pitch", "--classifier",
                 str(tmp_path / "other.keras")]) == 2
    assert "cannot judge these examples" in capsys.readouterr().err


def test_eval_every_keeps_a_best_checkpoint_that_generate_uses(tones_writer, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    data = tones_writer(tmp_path / "tones", count=20)
    run = tmp_path / "run"
    assert main(["fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
                 str(run), "--steps", "2", "--eval-every", "1"]) == 0
    best = json.loads((run / "best" / "best.json").read_text())
    assert best["step"] in (1, 2) and best["fd_pitch"] >= 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    assert sum("eval/fd_pitch" in row for row in rows) == 2
    capsys.readouterr()
    assert main(["generate", "--run-dir", str(run), "-n", "1", "--out", str(tmp_path / "g")]) == 0
    assert "best checkpoint" in capsys.readouterr().out

    # best_metric=is keeps the step with the highest Inception Score instead.
    by_is = tmp_path / "by_is"
    assert main(["fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
                 str(by_is), "--steps", "3", "--eval-every", "1", "--set", "best_metric=is"]) == 0
    rows = [json.loads(line) for line in (by_is / "metrics.jsonl").open()
            if "eval/is_pitch" in line]
    best = json.loads((by_is / "best" / "best.json").read_text())
    assert best["step"] == max(rows, key=lambda row: row["eval/is_pitch"])["step"]


def test_a_conditional_run_keeps_its_best_checkpoint_by_the_asked_class_heard(
        tones_writer, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    data = tones_writer(tmp_path / "tones", count=20)
    run = tmp_path / "run"
    assert main(["fit", "--recipe", "gansynth", "--smoke", "--data", str(data), "--run-dir",
                 str(run), "--steps", "3", "--eval-every", "1",
                 "--set", "best_metric=accuracy"]) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").open()
            if "eval/accuracy_pitch" in line]
    assert len(rows) == 3 and all(0.0 <= row["eval/accuracy_pitch"] <= 1.0 for row in rows)
    best = json.loads((run / "best" / "best.json").read_text())
    first_best = max(rows, key=lambda row: row["eval/accuracy_pitch"])  # ties: the earliest
    assert best["step"] == first_best["step"]
    assert best["accuracy_pitch"] == first_best["eval/accuracy_pitch"]


def test_best_metric_accuracy_is_refused_for_an_unconditional_recipe(tmp_path, capsys):
    assert main(["fit", "--recipe", "wavegan", "--smoke", "--data", "demo", "--run-dir",
                 str(tmp_path / "run"), "--set", "best_metric=accuracy"]) == 2
    assert "best_metric=accuracy" in capsys.readouterr().err

