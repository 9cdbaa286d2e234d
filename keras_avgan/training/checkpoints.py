"""Checkpoints that make a killed run resume exactly, and survive damaged files.

One tf.train.Checkpoint holds the GAN (both networks, both optimizers with their slots, the
GAN's SeedGenerator state), the step counter and the tf.data iterator (its position and
shuffle buffers). CheckpointManager writes the data files into `ckpt-N_temp/`, renames them
to `ckpt-N.*`, and writes the `checkpoint` index last through a rename: the index is the
commit point, so a kill mid-save leaves the previous checkpoint as the latest.

What a kill, a full disk or a bad disk can still leave is handled when a run is opened
(`restore_newest`): staging folders are removed, a damaged checkpoint or index is moved
into `damaged/` (never deleted: it may be all there is) and the newest one that restores
is used, each step said on the log.
"""

import errno
import json
import re
import shutil
from pathlib import Path

import tensorflow as tf

from keras_avgan.errors import DiskFull, UserError
from keras_avgan.runs import atomic_write_text

INDEX = "checkpoint"  # CheckpointManager's index file
DAMAGED = "damaged"


class NothingRestores(UserError):
    """Checkpoints exist but none of them restores; `summary` names them and their damage."""

    def __init__(self, summary: str, advice: str):
        super().__init__(f"{summary}. {advice}")
        self.summary = summary


class RunCheckpoint:
    def __init__(self, directory: Path, gan, iterator=None, max_to_keep: int = 3):
        self.directory, self.max_to_keep = Path(directory), max_to_keep
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        objects = {"gan": gan, "step": self.step}
        if iterator is not None:
            objects["iterator"] = iterator
        self.checkpoint = tf.train.Checkpoint(**objects)
        self._manager = None  # made after restore_latest has repaired the index it reads

    @property
    def manager(self) -> tf.train.CheckpointManager:
        if self._manager is None:
            self._manager = tf.train.CheckpointManager(
                self.checkpoint, str(self.directory), max_to_keep=self.max_to_keep,
                checkpoint_name="ckpt")
        return self._manager

    def restore_latest(self, log=print) -> int:
        """Restore the newest checkpoint that restores; returns the step it holds (0: none).

        Only a process that owns the run (fit, holding its lock) calls this: it removes
        staging folders and moves damaged files aside."""
        clean_staging(self.directory, log)
        step = self._restore_from(self.directory, log, repair=True)
        if not step and any((self.directory / DAMAGED).glob("*")):
            log(f"warning: nothing to resume from, so training starts at step 0; the damaged "
                f"checkpoints of this run are kept in {self.directory / DAMAGED}")
        return step

    def restore_shared(self, directory: Path, log=print) -> int:
        """restore_latest from another process's checkpoints (a multi-worker run's, which
        its chief writes and repairs): the newest that restores, moving nothing."""
        return self._restore_from(Path(directory), log, repair=False)

    def _restore_from(self, directory: Path, log, repair: bool) -> int:
        restore_newest(directory, "ckpt",
                       lambda path: self.checkpoint.restore(path).assert_existing_objects_matched(),
                       log, repair=repair)
        return int(self.step.numpy())

    def save(self, step: int) -> str:
        self.step.assign(step)
        previous = self.manager.latest_checkpoint
        try:
            return self.manager.save(checkpoint_number=step)
        except (OSError, tf.errors.OpError) as err:
            if not is_disk_full(err):
                raise
            target = self.directory / f"ckpt-{step}"
            needed = _size(*_files_of(Path(previous))) if previous else 0
            if str(target) not in self.manager.checkpoints:  # never a committed one
                _discard_partial(target)
            raise DiskFull(disk_full_message(
                f"checkpoint {target}", self.directory, needed,
                "the partial save was removed; " + (
                    f"the previous checkpoint {previous} is intact" if previous else
                    "there is no earlier checkpoint"))) from None


def restore_newest(directory: Path, name: str, restore, log, repair: bool) -> str | None:
    """Call `restore(path)` on the newest committed checkpoint `name-N` in `directory`,
    falling back to older ones whose files turn out damaged; returns the path restored, or
    None when there is no checkpoint at all.

    A checkpoint whose every tensor reads but which does not restore is not damaged (it was
    written for other networks): that is a UserError, and nothing is moved. With `repair`
    (the caller owns the run) damaged files go to `damaged/` and the index is rewritten to
    name what is left; without it (a `fit` may be writing) they are only skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    named = _read_index(directory, log, repair)
    on_disk = {_step(p.stem, name): directory / p.stem for p in directory.glob(f"{name}-*.index")}
    candidates = {**on_disk, **{_step(p.name, name): p for p in named or []}}
    candidates.pop(None, None)
    if named:
        # Files newer than the index's latest are a save killed before its commit.
        newest = max(_step(p.name, name) or 0 for p in named)
        candidates = {n: p for n, p in candidates.items() if n <= newest}
    skipped = []
    for number in sorted(candidates, reverse=True):
        path = candidates[number]
        try:
            restore(str(path))
        except Exception as err:  # any error: what the files hold decides, below
            damage = _damage(path)
            if damage is None:
                raise UserError(f"checkpoint {path} is intact but does not fit this run's "
                                f"networks ({_first_line(err)}); it was written by another "
                                "recipe or version: use the version that wrote it, or a new "
                                "--run-dir") from None
            skipped.append(f"{path.name} ({damage})")
            files = _files_of(path)
            if not files:
                action = "the index names it but its files are gone"
            elif repair:
                action = f"moved its files to {_move_aside(directory, files)}"
            else:
                action = "left in place while a fit holds the run"
            log(f"warning: skipping checkpoint {path}: {damage}; {action}")
            continue
        if skipped:
            log(f"using checkpoint {path} instead")
        if repair and (skipped or named is None):
            kept = [p for n, p in sorted(candidates.items())
                    if n <= number and p.with_name(f"{p.name}.index").exists()]
            _write_index(directory, path, kept)
        return str(path)
    if skipped:
        moved = ""
        if repair:
            moved = f"; they were moved to {directory / DAMAGED}"
            if (directory / INDEX).is_file():  # it names only those: the next start is step 0
                _move_aside(directory, [directory / INDEX])
        raise NothingRestores(
            f"no checkpoint in {directory} restores: {', '.join(skipped)}{moved}",
            f"Copy an intact checkpoint back into {directory} (its .index and .data files), "
            "or run fit again to train from step 0")
    return None


def clean_staging(directory: Path, log) -> None:
    """Remove `ckpt-N_temp/` folders: a save killed before its rename leaves them (TF never
    reuses or removes them), several MB each. Only the run's owner may call this."""
    for staging in sorted(Path(directory).glob("*_temp")):
        if staging.is_dir():
            size = _size(*staging.rglob("*"))
            shutil.rmtree(staging, ignore_errors=True)
            log(f"removed {staging} ({_megabytes(size)}), the unfinished save of a stopped run")


def check_readable(path: str) -> None:
    """A `restore` for restore_newest that only checks that the files read."""
    damage = _damage(Path(path))
    if damage:
        raise ValueError(damage)


def restore_weights(gan, path: str) -> None:
    """Restore only the networks' weights (generation, export): optimizers and data are ignored."""
    tf.train.Checkpoint(gan=gan).restore(path).expect_partial()


def is_disk_full(err: BaseException) -> bool:
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    # TF's file system maps ENOSPC to RESOURCE_EXHAUSTED; out-of-memory is that too.
    return isinstance(err, tf.errors.ResourceExhaustedError) and any(
        text in str(err) for text in ("No space left", "quota", "ENOSPC"))


def disk_full_message(what: str, directory: Path, needed: int, kept: str) -> str:
    free = shutil.disk_usage(_existing(directory)).free
    wants = f", about {_megabytes(needed)} needed" if needed else ""
    return (f"no space left on the device while writing {what}: {_megabytes(free)} free "
            f"there{wants}; {kept}. Free some space (or move the run dir elsewhere) and run "
            "the same command again to resume")


def _read_index(directory: Path, log, repair: bool) -> list[Path] | None:
    """The checkpoints the index names (oldest first); None without an index or when it
    does not parse (then it is moved aside). TF raises on some of those (empty, not UTF-8)
    and ignores others, so it is parsed here: one `key: value` per line, nothing else."""
    path = directory / INDEX
    if not path.is_file():
        return None
    fields: dict[str, list] = {}
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = re.fullmatch(r"(\w+): (.+)", line.strip())
            if not found:
                raise ValueError(f"line {number} is not 'key: value'")
            fields.setdefault(found.group(1), []).append(_index_value(found.group(2)))
        if not fields.get("model_checkpoint_path"):
            raise ValueError("it names no latest checkpoint")
        latest = fields["model_checkpoint_path"][-1]
        names = [str(p) for p in fields.get("all_model_checkpoint_paths", [])] or [latest]
    except UnicodeDecodeError:
        reason = "it is not text"
    except (OSError, ValueError) as err:
        reason = str(err).splitlines()[0]
    else:
        return [directory / Path(str(n)).name for n in names]  # relative or absolute
    where = _move_aside(directory, [path]) if repair else None
    log(f"warning: the checkpoint index {path} is damaged ({reason}); "
        + (f"moved it to {where}, " if where else "") + "looking for checkpoints on disk instead")
    return None


def _index_value(text: str):
    """A text-proto value of the index: a quoted path (only its file name is used, so escapes
    in the folders before it do not matter) or a timestamp."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return float(text)


def _write_index(directory: Path, latest: Path, kept: list[Path]) -> None:
    """The index CheckpointManager writes. It deletes (beyond max_to_keep) only checkpoints
    stamped after last_preserved_timestamp, so each gets its file's time and that stamp
    lies before them all; without stamps they would be kept forever."""
    stamps = [p.with_name(f"{p.name}.index").stat().st_mtime for p in kept]
    lines = [f"model_checkpoint_path: {json.dumps(latest.name)}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(p.name)}" for p in kept]
    lines += [f"all_model_checkpoint_timestamps: {stamp!r}" for stamp in stamps]
    lines += [f"last_preserved_timestamp: {min(stamps, default=0.0) - 1.0!r}"]
    atomic_write_text(directory / INDEX, "\n".join(lines) + "\n")


def _damage(path: Path) -> str | None:
    """Why a checkpoint's files cannot be read (every tensor is read: TF checks each one's
    length and CRC32C), or None when they all read."""
    try:
        reader = tf.train.load_checkpoint(str(path))
        for key in reader.get_variable_to_shape_map():
            reader.get_tensor(key)
    except Exception as err:  # TF raises OpErrors, but also IndexError for a short file
        return _first_line(err) or type(err).__name__
    return None


def _files_of(prefix: Path) -> list[Path]:
    return sorted(prefix.parent.glob(f"{prefix.name}.*"))


def _move_aside(directory: Path, files: list[Path]) -> Path:
    target = directory / DAMAGED
    target.mkdir(exist_ok=True)
    for path in files:
        moved, copy = target / path.name, 1
        while moved.exists():  # the same number damaged twice: keep both
            moved, copy = target / f"{path.name}.{copy}", copy + 1
        path.rename(moved)
    return target


def _discard_partial(prefix: Path) -> None:
    """A save that failed before its commit: its staging folder and any renamed files (the
    index does not name them; a later save of the same step would overwrite them)."""
    shutil.rmtree(prefix.parent / f"{prefix.name}_temp", ignore_errors=True)
    for path in _files_of(prefix):
        path.unlink(missing_ok=True)


def _step(stem: str, name: str) -> int | None:
    found = re.fullmatch(rf"{re.escape(name)}-(\d+)", stem)
    return int(found.group(1)) if found else None


def _size(*paths: Path) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else ""
