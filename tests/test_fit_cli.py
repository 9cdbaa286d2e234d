"""End-to-end runs of the CLI as a user types it: fit, resume after SIGKILL, generate, errors."""

import errno
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
from model_state import checkpoint_values

from keras_avgan.cli import main

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def _fit_args(data, run_dir, steps, *extra):
    return ["fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
            str(run_dir), "--steps", str(steps), "--seed", "7", *extra]


STEPS = 40  # enough steps after the start-up for a signal to land mid-run
# --deterministic only in subprocesses: it switches op determinism on for the whole process,
# which would also turn XLA off for every later in-process test.
EVERY = ["--deterministic", "--set", "checkpoint_every=2", "sample_every=1000", "log_every=2"]


@pytest.fixture(scope="module")
def straight_run(tiny_tones, tmp_path_factory):
    """The weights an uninterrupted run ends with, for resumed runs to match bit for bit."""
    run = tmp_path_factory.mktemp("straight") / "run"
    subprocess.run(CLI + _fit_args(tiny_tones, run, STEPS, *EVERY), env=ENV, check=True,
                   capture_output=True)
    return checkpoint_values(run)


def _assert_same_weights(run_dir: Path, want: dict) -> None:
    got = checkpoint_values(run_dir)
    assert want.keys() == got.keys() and len(want) > 20
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def _saved_step(run_dir: Path) -> int:
    return int(tf.train.load_checkpoint(str(run_dir / "checkpoints")).get_tensor(
        "step/.ATTRIBUTES/VARIABLE_VALUE"))


def _logged_steps(run_dir: Path) -> list[int]:
    if not (run_dir / "metrics.jsonl").is_file():
        return []
    return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").open()
            if line.endswith("\n")]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(tiny_tones, tmp_path, straight_run):
    killed = tmp_path / "killed"
    proc = subprocess.Popen(CLI + _fit_args(tiny_tones, killed, STEPS, *EVERY), env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "ckpt-6.index").exists():
        assert proc.poll() is None and time.time() < deadline, "run ended before the kill"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    interrupted_at = _saved_step(killed)
    # The kill may land after ckpt-6's data files but before the index names it: then the
    # index still points at ckpt-4, which is the atomic write doing its job.
    assert 4 <= interrupted_at < STEPS

    resumed = subprocess.run(CLI + _fit_args(tiny_tones, killed, STEPS, *EVERY), env=ENV,
                             capture_output=True, text=True, check=True)
    assert f"resuming {killed} from step {interrupted_at}" in resumed.stdout
    _assert_same_weights(killed, straight_run)
    logged = [json.loads(line)["step"] for line in (killed / "metrics.jsonl").open()]
    assert logged == list(range(2, STEPS + 1, 2))  # rows past the checkpoint were dropped


@pytest.mark.slow
def test_sigterm_and_sigint_save_the_step_reached_and_resume_exactly(tiny_tones, tmp_path,
                                                                      straight_run):
    run = tmp_path / "stopped"
    # Checkpoints every 5 steps and a row every step: the save on a signal is visibly at
    # the step the run reached, not at the last periodic checkpoint.
    args = _fit_args(tiny_tones, run, STEPS, "--deterministic", "--set", "checkpoint_every=5",
                     "sample_every=1000", "log_every=1")
    reached = 0
    for signum, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        log = tmp_path / f"{signum}.err"
        with log.open("w") as err:
            proc = subprocess.Popen(CLI + args, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
            deadline = time.time() + 120
            while not any(step >= reached + 6 for step in _logged_steps(run)):
                assert proc.poll() is None and time.time() < deadline, "ended before the signal"
                time.sleep(0.01)
            proc.send_signal(signum)
            assert proc.wait(timeout=120) == code
        reached = _saved_step(run)
        said = log.read_text()
        assert reached == _logged_steps(run)[-1] and reached < STEPS, said
        name = signal.Signals(signum).name
        assert (f"stopped by {name} at step {reached}; saved {run}/checkpoints/ckpt-{reached}"
                in said), said
        assert "Traceback" not in said

    resumed = subprocess.run(CLI + args, env=ENV, capture_output=True, text=True, check=True)
    assert f"resuming {run} from step {reached}" in resumed.stdout
    _assert_same_weights(run, straight_run)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    times = [r["time"] for r in rows]
    assert times == sorted(times)  # a resumed run's clock goes on from its last row


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
    (["fit", "--recipe", "wavegan", "--data", "x", "--strategy", "mirrored", "--jit"], "--jit"),
    (["data", "check", "/nonexistent/sounds"], "/nonexistent/sounds"),
    # Values that would train on (into a diverged run, or silently with another value).
    (["fit", "--recipe", "wavegan", "--data", "x", "--batch-size", "0"],
     "--batch-size 0: batch_size must be at least 1"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--eval-every", "-1"], "--eval-every -1"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "d_learning_rate=-1e-4"],
     "d_learning_rate must be positive"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "g_learning_rate=nan"],
     "g_learning_rate must be a finite number"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "beta_2=1"], "beta_2 must be in"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--set", "gp_weight=nan"], "gp_weight"),
    (["fit", "--recipe", "wavegan", "--data", "x", "--steps", "0"], "steps must be at least"),
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


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def test_damaged_checkpoints_are_skipped_by_fit_and_generate(tiny_tones, tmp_path, capsys):
    run = tmp_path / "run"
    ckpts = run / "checkpoints"
    assert main(_fit_args(tiny_tones, run, 4)) == 0  # smoke: ckpt-2 and ckpt-4
    _truncate(ckpts / "ckpt-4.data-00000-of-00001")
    (ckpts / "checkpoint").write_bytes(b"\xff garbage")
    (ckpts / "ckpt-6_temp").mkdir()  # a save killed before its rename
    capsys.readouterr()
    assert main(_fit_args(tiny_tones, run, 6)) == 0
    out, err = capsys.readouterr()
    assert f"resuming {run} from step 2" in out
    assert f"the checkpoint index {ckpts / 'checkpoint'} is damaged (it is not text)" in err
    assert f"skipping checkpoint {ckpts / 'ckpt-4'}: Read less bytes" in err
    assert f"removed {ckpts / 'ckpt-6_temp'}" in err and not (ckpts / "ckpt-6_temp").exists()
    assert sorted(p.name for p in (ckpts / "damaged").iterdir()) == [
        "checkpoint", "ckpt-4.data-00000-of-00001", "ckpt-4.index"]

    # A damaged best checkpoint and a damaged newest one: generate takes the next older.
    (run / "best").mkdir()
    for path in ckpts.glob("ckpt-6.*"):
        (run / "best" / path.name.replace("ckpt", "best")).write_bytes(path.read_bytes())
    (run / "best" / "checkpoint").write_text('model_checkpoint_path: "best-6"\n')
    _truncate(run / "best" / "best-6.index")
    _truncate(ckpts / "ckpt-6.index")
    assert main(["generate", "--run-dir", str(run), "-n", "1", "--out", str(tmp_path / "g")]) == 0
    out, err = capsys.readouterr()
    assert f"no checkpoint in {run / 'best'} restores: best-6 (" in err
    assert "using the latest checkpoint instead" in err
    assert f"skipping checkpoint {ckpts / 'ckpt-6'}" in err
    assert f"from the latest checkpoint ({ckpts / 'ckpt-4'})" in out

    for path in ckpts.glob("ckpt-*.index"):
        _truncate(path)
    assert main(["generate", "--run-dir", str(run), "-n", "1", "--out", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert f"error: no checkpoint in {ckpts} restores: ckpt-4 (" in err and "ckpt-2 (" in err
    assert "Traceback" not in err


def test_a_second_fit_on_a_run_in_training_is_refused(tiny_tones, tmp_path, capsys):
    from keras_avgan import runs

    run = tmp_path / "run"
    with runs.RunLock(runs.RunDir(run)):
        assert main(_fit_args(tiny_tones, run, 2)) == 2
    err = capsys.readouterr().err
    assert f"error: {run} is being trained by another process (pid {os.getpid()} on host" in err
    assert not (run / "metrics.jsonl").exists()


def test_a_full_disk_stops_fit_with_exit_1_and_keeps_the_last_checkpoint(tiny_tones, tmp_path,
                                                                          monkeypatch, capsys):
    real_write = tf.train.Checkpoint._write

    def fill_the_disk_at_step_4(self, prefix, options=None):
        if prefix.endswith("ckpt-4"):
            raise OSError(errno.ENOSPC, "No space left on device", f"{prefix}_temp/part")
        return real_write(self, prefix, options=options)

    monkeypatch.setattr(tf.train.Checkpoint, "_write", fill_the_disk_at_step_4)
    run = tmp_path / "run"
    assert main(_fit_args(tiny_tones, run, 6)) == 1
    err = capsys.readouterr().err
    assert (f"error: no space left on the device while writing checkpoint "
            f"{run / 'checkpoints' / 'ckpt-4'}: ") in err
    assert " MB needed" in err and "ckpt-2 is intact" in err and "Traceback" not in err
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-2")


def test_eval_every_also_scores_the_final_step_once(tiny_tones, tmp_path, monkeypatch):
    from keras_avgan.evaluation import during_training

    class CountingKeeper:  # the real one trains a judge: seconds this test does not need
        def __init__(self, run, recipe, data_root, gan, sampler, log=print):
            pass

        def __call__(self, step):
            return {"eval/fake": float(step)}

    monkeypatch.setattr(during_training, "BestKeeper", CountingKeeper)
    run = tmp_path / "run"
    assert main(_fit_args(tiny_tones, run, 5, "--eval-every", "2")) == 0
    assert main(_fit_args(tiny_tones, run, 6, "--eval-every", "2")) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    assert [r["step"] for r in rows if "eval/fake" in r] == [2, 4, 5, 6]
