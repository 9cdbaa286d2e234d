"""--strategy mirrored and multiworker: the same training as one device on the same global
batch, across a resume and across worker counts, and a lost worker ends the run loudly.

Mirrored runs happen in subprocesses with KERAS_AVGAN_CPU_DEVICES=2: logical CPU devices
can only be made before TF starts, and this process's TF has. The multi-worker runs are
processes on loopback and take minutes on two cores: they run with `pytest -m multiworker`
(conftest.py skips them otherwise)."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from distributed_runs import CLI, ENV, finish, start_workers
from model_state import checkpoint_values
from resumed_runs import smoke_fit

from keras_avgan.cli import main

TWO_CPUS = {**ENV, "KERAS_AVGAN_CPU_DEVICES": "2"}
QUIET = ["--set", "sample_every=100"]


def assert_close_weights(run_dir: Path, want: dict) -> None:
    """Every checkpointed tensor of `run_dir` as in `want`: counters and seed states
    exactly, floats within rounding (the all-reduce sums in another order than one device;
    Adam moves the smoke weights by about 1e-4 a step)."""
    got = checkpoint_values(run_dir)
    names = [k for k in want if k != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    assert set(names) <= set(got) and len(names) > 20
    for name in names:
        a, b = np.asarray(got[name]), np.asarray(want[name])
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.fixture(scope="module")
def one_device(tiny_tones, tmp_path_factory):
    """3 steps of smoke wavegan on one device: the weights the other strategies must end on."""
    run = tmp_path_factory.mktemp("one_device") / "run"
    assert main(smoke_fit("wavegan", tiny_tones, run, 3, *QUIET)) == 0
    return checkpoint_values(run)


def test_a_tiny_conditional_gan_with_batch_norm_trains_on_two_replicas_as_on_one():
    checked = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "mirrored_check.py")],
                             env=TWO_CPUS, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr[-3000:]
    found = json.loads(checked.stdout.strip().splitlines()[-1])
    assert found["replicas"] == 2
    assert found["moved"] > 1e-2  # the weights did train...
    assert found["weights"] < 1e-5 and found["metrics"] < 1e-5  # ...and alike


def test_mirrored_resumes_a_one_device_run_and_ends_on_its_weights(tiny_tones, tmp_path,
                                                                  one_device):
    # Step 1 on one device, steps 2-3 mirrored over two CPUs: the checkpoint (variables and
    # the global data iterator) carries over, and the result is one device's 3 steps.
    run = tmp_path / "run"
    assert main(smoke_fit("wavegan", tiny_tones, run, 1, *QUIET)) == 0
    mirrored = subprocess.run(CLI + smoke_fit("wavegan", tiny_tones, run, 3, *QUIET,
                                              "--strategy", "mirrored"),
                              env=TWO_CPUS, capture_output=True, text=True, timeout=300)
    assert mirrored.returncode == 0, mirrored.stderr[-3000:]
    assert "--strategy mirrored: 2 replicas" in mirrored.stdout
    assert f"resuming {run} from step 1" in mirrored.stdout
    assert_close_weights(run, one_device)
    assert json.loads((run / "run.json").read_text())["strategy"] == "mirrored"


@pytest.mark.parametrize("argv, config, message", [
    (["--strategy", "multiworker"], None, "reads the cluster from TF_CONFIG, which is not set"),
    (["--strategy", "multiworker"], '{"cluster": {}}', "TF_CONFIG does not name this task"),
])
def test_strategy_mistakes_exit_2_before_anything_is_read(argv, config, message, monkeypatch,
                                                         capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if config is not None:
        monkeypatch.setenv("TF_CONFIG", config)
    assert main(["fit", "--recipe", "wavegan", "--data", "/nonexistent", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.multiworker
def test_two_workers_on_loopback_train_as_one_device(tiny_tones, tmp_path, one_device):
    run = tmp_path / "run"
    results = finish(start_workers(smoke_fit("wavegan", tiny_tones, run, 3, *QUIET,
                                             "--strategy", "multiworker"),
                                   env={"TMPDIR": str(tmp_path)}), timeout=300)
    (chief_rc, chief_out, chief_err), (rc, out, err) = results
    assert chief_rc == 0 and rc == 0, chief_err[-3000:] + err[-3000:]
    assert "--strategy multiworker: 2 workers, 2 replicas" in chief_out
    # The worker checked, at the final checkpoint, that its weights are the chief's.
    assert "worker 1: trained to step 3 with the chief's weights" in out
    assert f"run dir: {run}" in chief_out
    assert not list(tmp_path.glob("keras_avgan_worker*"))  # worker 1's copy is gone
    assert_close_weights(run, one_device)


@pytest.mark.multiworker
def test_a_killed_worker_stops_the_other_loudly_and_a_rerun_resumes(tiny_tones, tmp_path):
    run, steps = tmp_path / "run", 12
    argv = smoke_fit("wavegan", tiny_tones, run, steps, "--strategy", "multiworker", "--set",
                     "checkpoint_every=2", "sample_every=100")
    scratch = {"TMPDIR": str(tmp_path)}  # where worker 1 keeps its copy of the run
    workers = start_workers(argv, env=scratch)
    deadline = time.time() + 240
    while not (run / "checkpoints" / "ckpt-2.index").exists():
        assert workers[0].poll() is None and time.time() < deadline, "no checkpoint came"
        time.sleep(0.05)
    workers[1].send_signal(signal.SIGKILL)
    killed_at = time.time()
    # TF's coordination service misses the dead worker's heartbeats within about 10 s.
    (chief_rc, _, chief_err), (rc, _, _) = finish(workers, timeout=120)
    assert time.time() - killed_at < 120
    assert rc == -signal.SIGKILL
    assert chief_rc == 1, chief_err[-3000:]
    said = chief_err.strip().splitlines()[-1]
    assert said.startswith("error: worker 0 of 2: a worker stopped or cannot be reached"), said
    assert f"The newest checkpoint in {run} stands" in said

    saved = int(tf.train.load_checkpoint(str(run / "checkpoints")).get_tensor(
        "step/.ATTRIBUTES/VARIABLE_VALUE"))
    assert 2 <= saved < steps
    (chief_rc, chief_out, chief_err), (rc, out, err) = finish(start_workers(argv, env=scratch),
                                                              timeout=300)
    assert chief_rc == 0 and rc == 0, chief_err[-3000:] + err[-3000:]
    assert f"resuming {run} from step {saved}" in chief_out
    assert f"resuming {run} from step {saved}" in out  # the worker resumed from the same one
    assert f"run dir: {run} (step {steps};" in chief_out
    # The rerun's worker 1 removed its copy; the killed one could not.
    assert len(list(tmp_path.glob("keras_avgan_worker1_*"))) == 1


@pytest.mark.multiworker
def test_a_worker_whose_peers_never_start_gives_up(tiny_tones, tmp_path):
    lone = start_workers(smoke_fit("wavegan", tiny_tones, tmp_path / "run", 2, "--strategy",
                                   "multiworker"), env={"KERAS_AVGAN_WORKER_TIMEOUT": "5"})
    lone[1].kill()  # worker 1 never joins
    (rc, _, err), _ = finish(lone, timeout=120)
    assert rc == 1
    assert "if they have not within KERAS_AVGAN_WORKER_TIMEOUT=5 seconds, this one exits" in err
    assert "Timeout (0:00:05)!" in err  # and where it waited
