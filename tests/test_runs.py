"""The run dir's own files: their permissions, and the lock that keeps one fit per run."""

import errno
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from keras_avgan import recipes, runs
from keras_avgan.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_run_files_follow_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        run = runs.RunDir(tmp_path / "run")
        runs.open_for_training(run, recipes.with_smoke(recipes.WAVEGAN), {"seed": 0})
    finally:
        os.umask(previous)
    for path in (run.recipe_file, run.state_file):
        assert path.stat().st_mode & 0o777 == mode, path
    assert [p.name for p in run.root.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_a_second_fit_on_a_locked_run_is_refused_naming_the_holder(tmp_path):
    run = runs.RunDir(tmp_path / "run")
    with runs.RunLock(run, log=pytest.fail):
        with pytest.raises(UserError) as caught, runs.RunLock(run):
            pass
        message = str(caught.value)
        assert f"pid {os.getpid()} on host {socket.gethostname()}, started 20" in message
        assert str(run.root) in message and "--run-dir" in message
    # Released: empty, so the next fit has no stale holder to report, and it may lock.
    assert run.lock_file.read_text() == ""
    with runs.RunLock(run, log=pytest.fail):
        assert json.loads(run.lock_file.read_text())["pid"] == os.getpid()


def test_the_lock_of_a_killed_fit_is_taken_over_with_a_message(tmp_path):
    run = runs.RunDir(tmp_path / "run")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from keras_avgan import runs; lock = runs.RunLock(runs.RunDir(Path(sys.argv[1])));"
         "lock.__enter__(); print('locked', flush=True); time.sleep(60)", str(run.root)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(UserError, match=f"pid {holder.pid} "):
        runs.RunLock(run).__enter__()
    holder.send_signal(signal.SIGKILL)  # no cleanup: the record stays, the flock goes
    holder.wait()
    said = []
    with runs.RunLock(run, log=said.append):
        assert len(said) == 1 and f"pid {holder.pid} " in said[0] and "taking over" in said[0]


def test_without_flock_a_live_pid_holds_the_run_and_a_dead_one_does_not(tmp_path, monkeypatch):
    def no_flock(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_flock)
    run = runs.RunDir(tmp_path / "run")
    run.root.mkdir()
    record = {"host": socket.gethostname(), "started": 0}
    run.lock_file.write_text(json.dumps({**record, "pid": os.getpid()}))
    with pytest.raises(UserError, match=f"pid {os.getpid()} "):
        runs.RunLock(run).__enter__()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)  # reaped: no process has this pid now (barring reuse)
    run.lock_file.write_text(json.dumps({**record, "pid": dead}))
    said = []
    with runs.RunLock(run, log=said.append):
        assert f"pid {dead} " in said[0]
