"""wav2pix end to end at smoke size on a small talking demo: fit with previews from fixed
speech, an exact resume, a face per speech file from generate, and what is refused."""

import os
import subprocess
import sys

import numpy as np
import pytest
from model_state import checkpoint_values
from PIL import Image

from keras_avgan import recipes
from keras_avgan.cli import main
from keras_avgan.training.builders import build_gan
from pipelines.demo.talking import build_talking

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def _fit(data, run, steps, *extra):
    return ["fit", "--recipe", "wav2pix", "--smoke", "--data", str(data), "--run-dir", str(run),
            "--steps", str(steps), "--seed", "2", *extra]


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    return build_talking(tmp_path_factory.mktemp("talking") / "talking", identities=3,
                         per_identity=4)


def test_the_recipe_builds_the_reference_networks_sized_for_the_data():
    gan = build_gan(recipes.replace(recipes.WAV2PIX, num_classes=10))
    trainable = lambda m: sum(int(np.prod(w.shape)) for w in m.trainable_weights)  # noqa: E731
    assert (trainable(gan.generator), trainable(gan.discriminator)) == (24_764_998, 11_162_624)
    with pytest.raises(recipes.RecipeError, match="not available for speech-to-face"):
        recipes.replace(recipes.WAV2PIX, eval_every=100)
    with pytest.raises(recipes.RecipeError, match="image_size"):
        recipes.replace(recipes.WAV2PIX, image_size=96)
    for changed in ({"loss": "hinge"}, {"d_steps": 5}, {"g_ema": 0.999}):
        with pytest.raises(recipes.RecipeError, match="trains with"):
            recipes.replace(recipes.WAV2PIX, **changed)


@pytest.mark.slow
def test_fit_trains_on_pairs_and_generate_makes_a_face_per_speech_file(talking, tmp_path,
                                                                       capsys):
    run = tmp_path / "run"
    assert main(_fit(talking, run, 4)) == 0
    out = capsys.readouterr().out
    assert "identity_loss" in out and "mismatched" in out and "l1" in out
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
    # Not built yet for this recipe: said before anything is loaded, exit 2.
    for command in (["evaluate", "--run-dir", str(run), "-n", "4"],
                    ["export", "--run-dir", str(run), "--base", str(tmp_path / "models")]):
        assert main(command) == 2
        assert f"`keras_avgan {command[0]}` does not handle 'wav2pix' runs yet" in \
            capsys.readouterr().err
    assert not (tmp_path / "models").exists()


@pytest.mark.slow
def test_wav2pix_resumes_to_the_same_weights(talking, tmp_path):
    """2 + 2 steps in two processes equal 4 straight: dropout, mismatched faces and the
    iterator included."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    every = ["--deterministic", "--set", "checkpoint_every=1", "sample_every=100"]
    for run, steps in ((straight, 4), (split, 2), (split, 4)):
        subprocess.run(CLI + _fit(talking, run, steps, *every), env=ENV, check=True,
                       capture_output=True)

    want, got = checkpoint_values(straight), checkpoint_values(split)
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_a_single_identity_cannot_train_wav2pix(talking, tmp_path, capsys):
    assert main(_fit(talking / "id00", tmp_path / "run", 1)) == 2
    assert "at least 2" in capsys.readouterr().err
