"""The dcgan recipe end to end at smoke size on demo faces, as a user runs it: fit (with image
previews and a kept best checkpoint), resume, generate, evaluate, export, convert."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from model_state import checkpoint_values
from PIL import Image
from saved_model_checks import saved_model_cli_run

from keras_avgan.cli import main
from pipelines.demo import faces

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
SIZE = 64


def _fit(data, run_dir, steps, *extra):
    return ["fit", "--recipe", "dcgan", "--smoke", "--data", str(data), "--run-dir",
            str(run_dir), "--steps", str(steps), "--seed", "5", *extra]


@pytest.fixture(scope="module")
def faces_run(tmp_path_factory):
    """Ten demo identities of six faces each, and a smoke DCGAN run that evaluates at step 2."""
    root = tmp_path_factory.mktemp("dcgan")
    os.environ["KERAS_AVGAN_CACHE"] = str(root / "cache")
    data = faces.build_faces(root / "faces", identities=10, per_identity=6)
    run = root / "run"
    try:
        assert main(_fit(data, run, 4, "--eval-every", "2")) == 0
    finally:
        del os.environ["KERAS_AVGAN_CACHE"]
    return run, data


@pytest.mark.slow
def test_fit_previews_pictures_and_keeps_the_best_checkpoint(faces_run):
    run, _ = faces_run
    preview = Image.open(run / "samples" / "step_0000004.png")
    assert preview.mode in ("RGB", "RGBA") and min(preview.size) > 100
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"d_loss", "g_loss"} <= set(rows[0])
    assert [row["step"] for row in rows if "eval/fd_identity" in row] == [2, 4]
    assert (run / "best" / "best.json").is_file()
    events = [str(p) for p in (run / "logs").glob("events.out.tfevents.*")]
    tags = {value.tag for path in events for event in tf.compat.v1.train.summary_iterator(path)
            for value in event.summary.value}
    assert "samples" in tags and "d_loss" in tags  # the image summary, beside the scalars


@pytest.mark.slow
def test_generate_writes_pngs_a_grid_and_an_interpolation(faces_run, tmp_path, capsys):
    run, _ = faces_run
    assert main(["generate", "--run-dir", str(run), "-n", "3", "--seed", "4",
                 "--out", str(tmp_path)]) == 0
    assert "best checkpoint" in capsys.readouterr().out
    files = sorted(tmp_path.glob("seed4_0*.png"))
    assert len(files) == 3 and (tmp_path / "seed4_grid.png").is_file()
    pixels = np.asarray(Image.open(files[0]))
    assert pixels.shape == (SIZE, SIZE, 3) and pixels.dtype == np.uint8
    assert main(["generate", "--run-dir", str(run), "--seed", "4", "--interpolate", "4",
                 "--out", str(tmp_path / "path")]) == 0
    assert len(list((tmp_path / "path").glob("interp_seed4-5_0*.png"))) == 4
    # The first step of the path is seed 4's first image.
    first = np.asarray(Image.open(tmp_path / "path" / "interp_seed4-5_00.png"), np.int16)
    assert np.abs(first - pixels).max() <= 1


@pytest.mark.slow
def test_evaluate_judges_pictures_between_the_floor_and_real_faces(faces_run, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    run, _ = faces_run
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(run), "-n", "20", "--label", "identity",
                 "--json", str(out)]) == 0
    assert "training the 'identity' classifier" in capsys.readouterr().out
    result = json.loads(out.read_text())
    real, untrained = result["scores"]["real (held-out)"], result["scores"]["untrained"]
    assert {"is_identity", "fd_identity", "kid_identity", "nn_to_train", "nn_within"} <= set(real)
    assert "spectral_flatness" not in real  # an audio score has no meaning for pictures
    assert real["fd_identity"] < untrained["fd_identity"]
    assert Image.open(out.with_suffix(".png")).size[0] > 200


@pytest.mark.slow
def test_export_serves_images_and_converts_to_tflite(faces_run, tmp_path, capsys):
    run, _ = faces_run
    base = tmp_path / "saved_models"
    assert main(["export", "--run-dir", str(run), "--base", str(base)]) == 0
    model = base / "dcgan" / "1"
    meta = json.loads((model / "keras_avgan.json").read_text())
    assert meta["kind"] == "image" and meta["outputs"]["image"]["shape"] == [SIZE, SIZE, 3]
    assert meta["outputs"]["image"]["range"] == [0.0, 1.0]
    images = saved_model_cli_run(model, "sample", tmp_path, exprs="seed=1;n=2")["image"]
    assert images.shape == (2, SIZE, SIZE, 3) and 0.0 <= images.min() <= images.max() <= 1.0
    capsys.readouterr()
    assert main(["convert", str(model), "--out", str(tmp_path / "dcgan.tflite")]) == 0
    report = capsys.readouterr().out
    assert "psnr" in report and "(ok)" in report


@pytest.mark.slow
def test_a_killed_image_run_resumes_to_the_same_weights(faces_run, tmp_path):
    _, data = faces_run
    every = ["--deterministic", "--set", "checkpoint_every=2", "sample_every=1000"]
    for run, stops in ((tmp_path / "straight", (6,)), (tmp_path / "split", (2, 6))):
        for steps in stops:
            subprocess.run(CLI + _fit(data, run, steps, *every), env=ENV, check=True,
                           capture_output=True)

    want, got = checkpoint_values(tmp_path / "straight"), checkpoint_values(tmp_path / "split")
    assert want.keys() == got.keys() and any("moving_mean" in k for k in want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
