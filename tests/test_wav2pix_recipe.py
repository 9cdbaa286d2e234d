"""wav2pix end to end at smoke size on a small talking demo: fit with previews from fixed
speech, an exact resume, a face per speech file from generate, and what is refused."""

import json

import numpy as np
import pytest
from paired_runs import assert_resumes_exactly, small_talking, smoke_fit
from PIL import Image

from keras_avgan import recipes
from keras_avgan.cli import main
from keras_avgan.training.builders import build_gan


def _fit(data, run, steps, *extra):
    return smoke_fit("wav2pix", data, run, steps, *extra, seed=2)


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    return small_talking(tmp_path_factory)


def test_the_recipe_builds_the_reference_networks_sized_for_the_data():
    gan = build_gan(recipes.replace(recipes.WAV2PIX, num_classes=10))
    trainable = lambda m: sum(int(np.prod(w.shape)) for w in m.trainable_weights)  # noqa: E731
    assert (trainable(gan.generator), trainable(gan.discriminator)) == (24_764_998, 11_162_624)
    # Faces made from speech are asked to be the speaker's: accuracy can pick the best.
    assert recipes.replace(recipes.WAV2PIX, eval_every=100, best_metric="accuracy").eval_every
    with pytest.raises(recipes.RecipeError, match="image_size"):
        recipes.replace(recipes.WAV2PIX, image_size=96)
    for changed in ({"loss": "hinge"}, {"d_steps": 5}, {"g_ema": 0.999}):
        with pytest.raises(recipes.RecipeError, match="trains with"):
            recipes.replace(recipes.WAV2PIX, **changed)


@pytest.fixture(scope="module")
def trained(talking, tmp_path_factory):
    """A 4-step smoke run, scored every 2 steps with identity accuracy picking the best."""
    run = tmp_path_factory.mktemp("wav2pix") / "run"
    assert main(_fit(talking, run, 4, "--eval-every", "2", "--set",
                     "best_metric=accuracy")) == 0
    return run


@pytest.mark.slow
def test_fit_trains_on_pairs_and_generate_makes_a_face_per_speech_file(talking, trained,
                                                                       tmp_path, capsys):
    run = trained
    logged = {key for line in (run / "metrics.jsonl").read_text().splitlines()
              for key in json.loads(line)}
    assert {"identity_loss", "mismatched", "l1", "eval/accuracy_identity"} <= logged
    best = json.loads((run / "best" / "best.json").read_text())
    assert best["step"] in (2, 4) and 0.0 <= best["accuracy_identity"] <= 1.0
    assert (run / "samples" / "step_0000004.png").is_file()
    assert '"num_classes": 3' in (run / "recipe.json").read_text()
    speech = sorted(talking.glob("*/*.wav"))[:3]
    assert main(["generate", "--run-dir", str(run), "--speech", *map(str, speech),
                 "--out", str(tmp_path / "faces")]) == 0
    faces = sorted((tmp_path / "faces").glob("speech_*.png"))
    assert len(faces) == 3 + 1  # one per file and the grid
    assert Image.open(faces[0]).size == (64, 64)
    capsys.readouterr()
    assert main(["generate", "--run-dir", str(run)]) == 2
    assert "pass --speech FILE" in capsys.readouterr().err
    assert main(["generate", "--run-dir", str(run), "--speech", str(talking / "pairs.csv")]) == 2
    assert "pairs.csv" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_scores_faces_made_from_held_out_speech(trained, capsys):
    assert main(["evaluate", "--run-dir", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "-n does not apply" in out and "a proxy for the paper's landmark detection" in out
    result = json.loads((trained / "evaluation.json").read_text())
    assert 1 <= result["n"] < 12  # one face per held-out pair of the 12
    real, untrained = result["scores"]["real (held-out)"], result["scores"]["untrained"]
    for scores in result["scores"].values():
        assert {"accuracy_identity", "face_detected", "fd_identity"} <= set(scores)
    # The real faces are faces; an untrained decoder's grey is not.
    assert real["face_detected"] >= 0.5 and untrained["face_detected"] == 0.0
    assert real["fd_identity"] < untrained["fd_identity"]
    assert (trained / "evaluation.png").is_file()


@pytest.mark.slow
def test_export_serves_a_face_from_speech_and_converts_to_tflite(talking, trained, tmp_path):
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from keras_avgan.generate import generate
    from keras_avgan.serving import tflite
    from keras_avgan.serving.client import build_body, speech_clips
    from keras_avgan.serving.export import read_metadata

    assert main(["export", "--run-dir", str(trained), "--base", str(tmp_path / "models")]) == 0
    model = tmp_path / "models" / "wav2pix" / "1"
    meta = read_metadata(model)
    assert meta["signatures"] == ["serving_default"] and meta["latent_dim"] is None
    assert meta["inputs"]["speech"] == {"dtype": "float32", "shape": [None, 16000],
                                        "sample_rate": 16000}
    # What a client sends: one second as read from the file, at any scale (the model divides
    # by the peak); the face equals the one `generate --speech` writes.
    files = sorted(talking.glob("*/*.wav"))[:2]
    clips = speech_clips(files, 16000)
    serve = tf.saved_model.load(str(model)).signatures["serving_default"]
    served = serve(speech=tf.constant(0.3 * clips))["image"].numpy()
    assert served.shape == (2, 64, 64, 3) and 0.0 <= served.min() <= served.max() <= 1.0
    made = generate(trained, speech=files, out=tmp_path / "faces")
    written = np.stack([np.asarray(Image.open(f), np.float32) / 255 for f in made.files])
    np.testing.assert_allclose(served, written, atol=1 / 255 + 1e-6)
    body = build_body("serving_default", "row", speech=clips)
    assert [len(row["speech"]) for row in body["instances"]] == [16000, 16000]

    info = tflite.convert_saved_model(model)
    assert info["parity_ok"] and not any(op.startswith(("Flex", "custom:"))
                                         for op in info["ops"])
    runner = Interpreter(model_path=info["path"]).get_signature_runner("serving_default")
    assert runner.get_input_details()["speech"]["shape"].tolist() == [1, 16000]
    face = runner(speech=0.3 * clips[:1])["image"]
    np.testing.assert_allclose(face, served[:1], atol=1e-4)


def test_request_reads_one_second_of_each_speech_file(tmp_path, capsys):
    import soundfile

    from keras_avgan.serving.client import speech_clips

    t = np.arange(8000) / 8000
    soundfile.write(str(tmp_path / "half.wav"), 0.5 * np.sin(2 * np.pi * 200 * t[:4000]), 8000)
    soundfile.write(str(tmp_path / "long.flac"), 0.5 * np.sin(2 * np.pi * 200 * t), 8000)
    clips = speech_clips([tmp_path / "half.wav", tmp_path / "long.flac"], 16000)
    assert clips.shape == (2, 16000)
    assert np.abs(clips[0, 8100:]).max() == 0.0 and np.abs(clips[1, 15000:]).max() > 0.4
    (tmp_path / "notes.txt").write_text("not a sound")
    assert main(["request", "http://127.0.0.1:9/v1/models/wav2pix",
                 "--speech", str(tmp_path / "notes.txt")]) == 2
    assert "--speech" in capsys.readouterr().err


@pytest.mark.slow
def test_wav2pix_resumes_to_the_same_weights(talking, tmp_path):
    """2 + 2 steps in two processes equal 4 straight: dropout, mismatched faces and the
    iterator included."""
    assert_resumes_exactly("wav2pix", talking, tmp_path, seed=2)


def test_a_single_identity_cannot_train_wav2pix(talking, tmp_path, capsys):
    assert main(_fit(talking / "id00", tmp_path / "run", 1)) == 2
    assert "at least 2" in capsys.readouterr().err
