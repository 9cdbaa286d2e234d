"""End-to-end runs of the CLI as a user types it: fit, resume after SIGKILL, generate, errors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from keras_avgan.cli import main

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def _fit_args(data, run_dir, steps, *extra):
    return ["fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
            str(run_dir), "--steps", str(steps), "--seed", "7", *extra]


def _checkpoint_values(run_dir: Path) -> dict:
    """Every saved tensor but the iterator's serialized state and the save counter."""
    reader = tf.train.load_checkpoint(str(run_dir / "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "iterator" not in name and "save_counter" not in name}


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(tiny_tones, tmp_path):
    steps = 24
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    # --deterministic only in subprocesses: it switches op determinism on for the whole
    # process, which would also turn XLA off for every later in-process test.
    every = ["--deterministic", "--set", "checkpoint_every=2", "sample_every=1000", "log_every=2"]
    subprocess.run(CLI + _fit_args(tiny_tones, straight, steps, *every), env=ENV, check=True,
                   capture_output=True)

    proc = subprocess.Popen(CLI + _fit_args(tiny_tones, killed, steps, *every), env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "ckpt-6.index").exists():
        assert proc.poll() is None and time.time() < deadline, "run ended before the kill"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    interrupted_at = tf.train.load_checkpoint(str(killed / "checkpoints")).get_tensor(
        "step/.ATTRIBUTES/VARIABLE_VALUE")
    # The kill may land after ckpt-6's data files but before the index names it: then the
    # index still points at ckpt-4, which is the atomic write doing its job.
    assert 4 <= interrupted_at < steps

    resumed = subprocess.run(CLI + _fit_args(tiny_tones, killed, steps, *every), env=ENV,
                             capture_output=True, text=True, check=True)
    assert f"resuming {killed} from step {interrupted_at}" in resumed.stdout
    want, got = _checkpoint_values(straight), _checkpoint_values(killed)
    assert want.keys() == got.keys() and len(want) > 20
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    logged = [json.loads(line)["step"] for line in (killed / "metrics.jsonl").open()]
    assert logged == list(range(2, steps + 1, 2))  # rows past the checkpoint were dropped


@pytest.mark.slow
def test_fit_writes_a_complete_run_dir_and_generate_is_deterministic(tiny_tones, tmp_path):
    run = tmp_path / "run"
    assert main(_fit_args(tiny_tones, run, 4)) == 0
    for name in ("recipe.json", "run.json", "metrics.jsonl", "loss.png", "logs"):
        assert (run / name).exists(), name
    assert list((run / "samples").glob("step_*.wav")) and list((run / "checkpoints").iterdir())
    assert json.loads((run / "recipe.json").read_text())["model_dim"] == 2

    assert main(["generate", "--run-dir", str(run), "-n", "3", "--seed", "5",
                 "--out", str(tmp_path / "a")]) == 0
    assert main(["generate", "--run-dir", str(run), "-n", "3", "--seed", "5",
                 "--out", str(tmp_path / "b")]) == 0
    first = sorted((tmp_path / "a").glob("*.wav"))
    assert len(first) == 3 and (tmp_path / "a" / "seed5.png").is_file()
    for path in first:
        audio, rate = soundfile.read(path, dtype="int16")
        info = soundfile.info(path)
        assert rate == 16000 and info.subtype == "PCM_16" and audio.shape == (16384,)
        np.testing.assert_array_equal(audio, soundfile.read(tmp_path / "b" / path.name,
                                                            dtype="int16")[0])

    assert main(["generate", "--run-dir", str(run), "--seed", "5", "--interpolate", "4",
                 "--out", str(tmp_path / "i")]) == 0
    interp = sorted((tmp_path / "i").glob("*.wav"))
    assert len(interp) == 4
    start = soundfile.read(interp[0], dtype="int16")[0]
    np.testing.assert_array_equal(start, soundfile.read(first[0], dtype="int16")[0])


@pytest.mark.parametrize("argv, message", [
    (["fit", "--recipe", "wavegun", "--data", "x"], "unknown recipe"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "model_dim=big"], "model_dim"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "bogus=1"], "bogus"),
    (["generate", "--run-dir", "/nonexistent/run"], "does not exist"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--strategy", "mirrored"], "--strategy"),
    (["data", "check", "/nonexistent/sounds"], "/nonexistent/sounds"),
])
def test_user_mistakes_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_fit_on_missing_or_unusable_data_fails_before_building(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_fit_args(tmp_path / "nowhere", run, 2)) == 2
    assert str(tmp_path / "nowhere") in capsys.readouterr().err
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.wav").write_text("not audio")
    assert main(_fit_args(junk, run, 2)) == 2
    assert "a.wav" in capsys.readouterr().err
    assert not run.exists()


def test_resume_with_another_recipe_is_refused(tiny_tones, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_fit_args(tiny_tones, run, 1)) == 0
    assert main(_fit_args(tiny_tones, run, 2, "--set", "model_dim=3")) == 2
    assert "model_dim" in capsys.readouterr().err


def test_recipes_and_show(capsys):
    assert main(["recipes"]) == 0
    assert "wavegan" in capsys.readouterr().out
    assert main(["show", "wavegan", "--smoke", "--summary"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[: out.index("generator parameters")])["model_dim"] == 2
    assert "discriminator parameters:" in out


def test_data_check_reports_bad_files(tiny_tones, tmp_path, capsys):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for path in list(Path(tiny_tones).glob("*.wav"))[:3]:
        (mixed / path.name).write_bytes(path.read_bytes())
    (mixed / "broken.wav").write_bytes(b"RIFF\x00\x00")
    assert main(["data", "check", str(mixed), "--recipe", "wavegan"]) == 0
    out = capsys.readouterr().out
    assert "broken.wav" in out and "3" in out


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tiny_tones, tmp_path,
                                                                    monkeypatch, capsys):
    from keras_avgan.training import gan as gan_module

    real_step = gan_module.GAN.train_step

    def step_then_diverge(self, data):
        logs = real_step(self, data)  # the G optimizer has now made this step's update
        poisoned = tf.cast(self.g_optimizer.iterations, tf.float32) >= 3
        return {**logs, "g_loss": tf.where(poisoned, float("nan"), logs["g_loss"])}

    monkeypatch.setattr(gan_module.GAN, "train_step", step_then_diverge)
    run = tmp_path / "run"
    assert main(_fit_args(tiny_tones, run, 6, "--set", "checkpoint_every=2")) == 1
    err = capsys.readouterr().err
    assert "diverged at step 3" in err and "g_loss=nan" in err and "step 2" in err
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-2")
