"""avgan end to end at smoke size on a small talking demo: fit (with identity conditioning),
a face PNG + WAV per example and a sheet from generate, both judges and their agreement from
evaluate, an export with both outputs, TFLite with two outputs, and an exact resume."""

import json

import numpy as np
import pytest
import soundfile
from paired_runs import assert_resumes_exactly, small_talking, smoke_fit
from PIL import Image

from keras_avgan import recipes
from keras_avgan.cli import main
from keras_avgan.training import builders, terms


def _fit(data, run, steps, *extra):
    return smoke_fit("avgan", data, run, steps, *extra)


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    return small_talking(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(talking, tmp_path_factory):
    run = tmp_path_factory.mktemp("avgan") / "run"
    # Scored every 2 steps by its faces, the best kept by how often the identity asked for
    # is seen; R1 on half the rows (the default), whose identities go with them to the
    # projection critic.
    assert main(_fit(talking, run, 4, "--eval-every", "2", "--set", "conditioning=class",
                     "best_metric=accuracy")) == 0
    return run


def test_the_recipe_refuses_what_its_networks_cannot_make():
    for changed in ({"image_size": 96}, {"slice_len": 16000}, {"d_steps": 5},
                    {"channels": 2}, {"mismatched_weight": -1.0}, {"voice_tower": "fft"},
                    {"half_logits": False, "conditioning": "class"}, {"minibatch_stddev": 3},
                    {"r1_batch_shrink": 3}, {"batch_size": 48, "r1_batch_shrink": 8},
                    {"r1_on": "lips"}):
        with pytest.raises(recipes.RecipeError):
            recipes.replace(recipes.AVGAN, **changed)


def test_conditioned_terms_are_light_ac_gan_heads_and_r1_on_half_the_rows():
    recipe = recipes.replace(recipes.AVGAN, conditioning="class")
    added = builders.loss_terms(recipe)
    heads = {t.head: t.weight for t in added if isinstance(t, terms.AuxiliaryClassifier)}
    assert heads == {"classes": 1.0, "face_classes": 1.0, "voice_classes": 1.0}
    (r1,) = [t for t in added if isinstance(t, terms.R1Penalty)]
    assert (r1.batch_shrink, r1.every, r1.heads) == (2, 1, ("logit", "face_logit", "voice_logit"))
    # R1 on every row again reads its gradient from the critic update's own pass.
    everyone = builders.loss_terms(recipes.replace(recipe, r1_batch_shrink=1))
    assert [t.reads_real_gradient for t in everyone if isinstance(t, terms.R1Penalty)] == [True]


@pytest.mark.slow
def test_fit_generate_and_evaluate_a_conditioned_run(trained, tmp_path, capsys):
    logged = {k for line in (trained / "metrics.jsonl").read_text().splitlines()
              for k in json.loads(line)}
    assert {"mismatched", "r1", "ac_loss_d", "ac_loss_d_face", "ac_loss_g_voice"} <= logged
    assert (trained / "samples" / "step_0000004.png").is_file()
    best = json.loads((trained / "best" / "best.json").read_text())
    assert best["step"] in (2, 4) and 0.0 <= best["accuracy_identity"] <= 1.0
    assert main(["generate", "--run-dir", str(trained), "-n", "2", "--cond", "identity=id01",
                 "--out", str(tmp_path / "g")]) == 0
    written = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert written == ["seed0_00.png", "seed0_00.wav", "seed0_01.png", "seed0_01.wav",
                       "seed0_sheet.png"]
    assert Image.open(tmp_path / "g" / "seed0_00.png").size == (64, 64)
    clip, rate = soundfile.read(tmp_path / "g" / "seed0_00.wav")
    assert (len(clip), rate) == (16384, 16000)
    capsys.readouterr()
    assert main(["evaluate", "--run-dir", str(trained), "-n", "8"]) == 0
    assert "agreement" in capsys.readouterr().out
    scores = json.loads((trained / "evaluation.json").read_text())["scores"]
    for source in ("real (held-out)", "untrained", "trained"):
        assert {"agreement", "face_fd_identity", "voice_fd_identity", "face_detected",
                "voice_spectral_flatness", "face_accuracy_identity"} <= set(scores[source])
        assert 0.0 <= scores[source]["agreement"] <= 1.0
    assert scores["untrained"]["face_detected"] == 0.0
    assert main(["evaluate", "--run-dir", str(trained), "--label", "identity"]) == 2


@pytest.mark.slow
def test_export_has_both_outputs_and_converts_with_two(trained, tmp_path):
    import tensorflow as tf

    from keras_avgan.generate import generate
    from keras_avgan.serving import tflite
    from keras_avgan.serving.export import read_metadata

    assert main(["export", "--run-dir", str(trained), "--base", str(tmp_path / "m")]) == 0
    model = tmp_path / "m" / "avgan" / "1"
    meta = read_metadata(model)
    assert sorted(meta["outputs"]) == ["audio", "image"]
    assert meta["outputs"]["audio"]["sample_rate"] == 16000
    assert meta["signatures"] == ["serving_default", "sample"]
    assert meta["classes"] == {"identity": ["id00", "id01", "id02"]}
    loaded = tf.saved_model.load(str(model))
    served = loaded.signatures["sample"](seed=tf.constant(0, tf.int64), n=tf.constant(2),
                                         identity=tf.constant([1, 1]))
    made = generate(trained, n=2, cond={"identity": ["id01"]}, out=tmp_path / "g")
    faces = np.stack([np.asarray(Image.open(p), np.float32) / 255
                      for p in made.files if p.suffix == ".png"])
    voices = np.stack([soundfile.read(p, dtype="float32")[0]
                       for p in made.files if p.suffix == ".wav"])
    np.testing.assert_allclose(served["image"].numpy(), faces, atol=1 / 255 + 1e-6)
    np.testing.assert_allclose(served["audio"].numpy(), voices, atol=1 / 32767 + 1e-6)
    info = tflite.convert_saved_model(model)
    assert info["parity_ok"] and "psnr_db" in info and "snr_db" in info


@pytest.mark.slow
def test_avgan_resumes_to_the_same_weights(talking, tmp_path):
    """2 + 2 steps in two processes equal 4 straight: mismatched faces, phase shuffle, the
    moving average and the iterator included."""
    assert_resumes_exactly("avgan", talking, tmp_path)
