"""wavegan_ac end to end at smoke size: classes from the labels, generate --cond, export and
TFLite with a class input, evaluate's accuracy of the class asked for."""

import json

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from keras_avgan.cli import main
from keras_avgan.modalities import conditions
from keras_avgan.serving import tflite


@pytest.fixture(scope="module")
def run(tmp_path_factory, tones_writer):
    """A smoke run conditioned on the tones' pitch column (the recipe's default is family)."""
    root = tmp_path_factory.mktemp("wavegan_ac")
    data = tones_writer(root / "tones", count=12)
    assert main(["fit", "--recipe", "wavegan_ac", "--smoke", "--data", str(data), "--run-dir",
                 str(root / "run"), "--steps", "4", "--seed", "3",
                 "--set", "label_column=pitch"]) == 0
    return root / "run"


def _clips(folder):
    return [soundfile.read(f, dtype="float32")[0] for f in sorted(folder.glob("*.wav"))]


@pytest.mark.slow
def test_classes_come_from_the_labels_and_generate_asks_for_one(run, tmp_path):
    assert conditions.load(run) == conditions.Conditions("pitch", ("48", "55", "62"))
    assert json.loads((run / "recipe.json").read_text())["num_classes"] == 3
    assert main(["generate", "--run-dir", str(run), "-n", "2", "--sweep",
                 "--out", str(tmp_path / "sweep")]) == 0
    sweep = _clips(tmp_path / "sweep")
    assert main(["generate", "--run-dir", str(run), "-n", "2", "--cond", "pitch=62",
                 "--out", str(tmp_path / "one")]) == 0
    asked = _clips(tmp_path / "one")
    assert len(sweep) == 6 and len(asked) == 2
    # Same seed, same latents: --cond pitch=62 is the sweep's last column.
    np.testing.assert_allclose(asked[0], sweep[2], atol=1e-4)
    np.testing.assert_allclose(asked[1], sweep[5], atol=1e-4)
    assert not np.allclose(sweep[0], sweep[2], atol=1e-4)  # another class, another sound


@pytest.mark.slow
def test_the_export_and_its_tflite_file_take_the_class(run, tmp_path):
    base = tmp_path / "saved_models"
    assert main(["export", "--run-dir", str(run), "--base", str(base)]) == 0
    version = base / "wavegan_ac" / "1"
    meta = json.loads((version / "keras_avgan.json").read_text())
    assert meta["classes"] == {"pitch": ["48", "55", "62"]} and "pitch" in meta["inputs"]
    sample = tf.saved_model.load(str(version)).signatures["sample"]
    audio = sample(seed=tf.constant(1, tf.int64), n=tf.constant(2),
                   pitch=tf.constant([0, 2]))["audio"].numpy()
    assert audio.shape == (2, 16384) and np.abs(audio).max() <= 1.0
    info = tflite.convert_saved_model(version, tmp_path / "g.tflite")
    assert info["parity_ok"], info
    runner = Interpreter(model_path=str(tmp_path / "g.tflite")).get_signature_runner()
    out = runner(z=np.zeros((1, 100), np.float32), pitch=np.array([1], np.int32))["audio"]
    assert out.shape == (1, 16384)


@pytest.mark.slow
def test_evaluate_scores_the_class_it_was_asked_for(run, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(run), "-n", "12", "--json", str(out)]) == 0
    scores = json.loads(out.read_text())["scores"]
    assert all(0.0 <= scores[source]["accuracy_pitch"] <= 1.0
               for source in ("real (held-out)", "untrained", "trained"))
