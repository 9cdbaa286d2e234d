"""What a command prints: its own lines, without TensorFlow's start-up chatter (unless
--verbose), and its errors."""

import os
import subprocess
import sys

from keras_avgan.quiet_logs import CHATTER

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user has it


def _run(*args):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, env=ENV,
                          timeout=300)


def test_a_command_starts_quietly_and_verbose_shows_tensorflows_lines():
    quiet = _run("show", "dcgan", "--smoke", "--summary")
    assert quiet.returncode == 0 and "generator parameters:" in quiet.stdout
    assert quiet.stderr.strip() == "", quiet.stderr
    loud = _run("--verbose", "show", "dcgan", "--smoke", "--summary")
    assert loud.returncode == 0
    assert any(CHATTER.match(line.encode()) for line in loud.stderr.splitlines())


def test_errors_still_reach_stderr_whole():
    failed = _run("evaluate", "--run-dir", "/nonexistent/run")
    assert failed.returncode == 2
    assert failed.stderr.startswith("error: run dir /nonexistent/run does not exist")


def test_progress_in_a_log_is_plain_lines(tmp_path, tones_writer):
    data = tones_writer(tmp_path / "tones", count=6)
    run = _run("fit", "--recipe", "wavegan", "--smoke", "--data", str(data), "--run-dir",
               str(tmp_path / "run"), "--steps", "3")
    assert run.returncode == 0, run.stderr
    assert "\x1b[" not in run.stdout and "\r" not in run.stdout and "\b" not in run.stdout
    assert "step 3/3  d_loss" in run.stdout
