"""A run directory: its layout, its resolved recipe, and the rules for resuming it."""

import errno
import fcntl
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from keras_avgan import recipes
from keras_avgan.errors import UserError

# Fields that may change between the first command and a resume without changing the run.
RESUMABLE_CHANGES = frozenset({"steps", "checkpoint_every", "keep_checkpoints", "sample_every",
                               "log_every", "eval_every"})


@dataclass(frozen=True)
class RunDir:
    root: Path

    @property
    def recipe_file(self) -> Path:
        return self.root / "recipe.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best(self) -> Path:
        return self.root / "best"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def metrics_file(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def loss_plot(self) -> Path:
        return self.root / "loss.png"

    @property
    def state_file(self) -> Path:
        return self.root / "run.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "fit.lock"

    def exists(self) -> bool:
        return self.recipe_file.is_file()


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, then rename: readers never see half a file.

    The temp file is created with mode 0666 for the kernel to apply the umask, as for any
    other file (tempfile.mkstemp would make it 0600, and the rename would keep that).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_recipe(run: RunDir) -> recipes.Recipe:
    if not run.root.is_dir():
        raise UserError(f"run dir {run.root} does not exist; train one with "
                        f"'keras_avgan fit --recipe R --data PATH --run-dir {run.root}'")
    if not run.exists():
        raise UserError(f"{run.root} is not a run dir (no recipe.json); pass the --run-dir "
                        "that 'keras_avgan fit' wrote")
    try:
        data = json.loads(run.recipe_file.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"{run.recipe_file} is unreadable ({err}); restore it or start a new "
                        "run dir") from None
    return recipes.from_dict(data)


def open_for_training(run: RunDir, recipe: recipes.Recipe, settings: dict) -> recipes.Recipe:
    """Create the run dir, or check that a resume uses the same recipe and settings.

    `settings` are run-level choices outside the recipe (seed, precision, data) that must
    match too, or the resumed run would not continue the same training.
    """
    if run.exists():
        saved = load_recipe(run)
        _check_same(run, recipes.to_dict(saved), recipes.to_dict(recipe), RESUMABLE_CHANGES,
                    "--set / --smoke / --recipe")
        if run.state_file.is_file():
            # The strategy may change: a checkpoint holds variables and the global data
            # order, whatever devices trained them (docs/distributed.md).
            _check_same(run, json.loads(run.state_file.read_text()), settings,
                        frozenset({"strategy"}), "--seed / --mixed-precision / --data")
        recipe = recipes.replace(saved, **{k: getattr(recipe, k) for k in RESUMABLE_CHANGES})
    run.root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.recipe_file, recipes.to_json(recipe) + "\n")
    atomic_write_text(run.state_file, json.dumps(settings, indent=2, sort_keys=True) + "\n")
    return recipe


def _check_same(run: RunDir, saved: dict, wanted: dict, allowed: frozenset, flags: str) -> None:
    changed = sorted(k for k in set(saved) | set(wanted)
                     if k not in allowed and k != "smoke" and saved.get(k) != wanted.get(k))
    if changed:
        detail = ", ".join(f"{k}: {saved.get(k)!r} -> {wanted.get(k)!r}" for k in changed)
        raise UserError(
            f"{run.root} was trained with other settings ({detail}); resuming needs the same "
            f"{flags} as the first command, or pass a new --run-dir"
        )


# Filesystems without flock (some network and FUSE mounts) say so with one of these.
_NO_FLOCK = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


class RunLock:
    """One `fit` per run dir: an flock on fit.lock, which names its holder.

    The kernel drops an flock when its holder dies, SIGKILL included, so a killed run never
    leaves the run locked; the holder's pid, host and start time stay in the file for the
    message the next `fit` prints. The file is emptied on release and never deleted: a
    deleted lock file lets two processes lock two different files of the same name. Where
    flock is not supported, a pid that is still alive on this host holds the run instead.
    """

    def __init__(self, run: RunDir, log=print):
        self.run, self.log, self.fd = run, log, None

    def __enter__(self) -> "RunLock":
        self.run.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.run.lock_file, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            previous = self._lock(fd)
            info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        if previous:
            self.log(f"{self.run.lock_file}: taking over the lock of a fit that ended without "
                     f"releasing it ({describe_holder(previous)}, no longer running)")
        self.fd = fd
        return self

    def _lock(self, fd: int) -> dict:
        """Lock, or raise a UserError naming the holder; returns a dead holder's record."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._refuse(_read_holder(fd))
        except OSError as err:
            if err.errno not in _NO_FLOCK:
                raise
            if holder_alive(_read_holder(fd)):  # racy without flock, but better than nothing
                self._refuse(_read_holder(fd))
        return _read_holder(fd)

    def _refuse(self, holder: dict) -> None:
        raise UserError(
            f"{self.run.root} is being trained by another process ({describe_holder(holder)});"
            " two fits on one run dir would interleave their steps. Wait for it to finish, "
            "stop it (kill PID: it saves a checkpoint first), or pass another --run-dir")

    def __exit__(self, *exc) -> None:
        os.ftruncate(self.fd, 0)  # empty: a clean stop, not a holder to report as stale
        os.close(self.fd)  # closing drops the flock
        self.fd = None


def _read_holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:  # half written when its writer died; it names nobody
        return {}


def read_holder(run: RunDir) -> dict:
    """The record in fit.lock: {} after a clean stop or before the first fit."""
    try:
        fd = os.open(run.lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return {}
    try:
        return _read_holder(fd)
    finally:
        os.close(fd)


def holder_alive(holder: dict) -> bool:
    """Whether a lock record names a live process; one on another host counts as alive
    (it cannot be checked from here)."""
    if not holder.get("pid"):
        return False
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def describe_holder(holder: dict) -> str:
    if not holder.get("pid"):
        return "its pid is not recorded"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.get("started", 0)))
    return f"pid {holder['pid']} on host {holder.get('host', '?')}, started {started}"
