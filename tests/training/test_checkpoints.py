"""Checkpoints on a bad day: damaged files and index, staging left by a kill, a full disk.

A tf.Module with one variable stands in for the GAN: what is tested is the files, and a
value per step shows which checkpoint was restored.
"""

import errno
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_avgan.errors import DiskFull, UserError
from keras_avgan.training import checkpoints
from keras_avgan.training.checkpoints import RunCheckpoint, restore_newest


class Holder(tf.Module):
    def __init__(self, size=2000):
        super().__init__()
        self.weights = tf.Variable(tf.zeros(size))


def saved_run(directory, steps=(2, 4), keep=3):
    """Checkpoints at `steps`, each holding its step number in every weight."""
    holder = Holder()
    ckpt = RunCheckpoint(directory, holder, max_to_keep=keep)
    ckpt.restore_latest(log=lambda m: None)
    for step in steps:
        holder.weights.assign(tf.fill([2000], float(step)))
        ckpt.save(step)
    return ckpt


def reopen(directory, keep=3):
    """A new process's view: restore, and everything it said."""
    said = []
    holder = Holder()
    ckpt = RunCheckpoint(directory, holder, max_to_keep=keep)
    step = ckpt.restore_latest(log=said.append)
    return ckpt, holder, step, "\n".join(said)


def truncate(path):
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)


def scramble(path):
    path.write_bytes(np.random.default_rng(0).bytes(path.stat().st_size))


@pytest.mark.parametrize("damage, file", [
    (truncate, "ckpt-4.data-00000-of-00001"),
    (scramble, "ckpt-4.data-00000-of-00001"),  # same size: only the CRC32C tells
    (truncate, "ckpt-4.index"),
])
def test_a_damaged_newest_checkpoint_falls_back_and_is_moved_aside(tmp_path, damage, file):
    saved_run(tmp_path)
    damage(tmp_path / file)
    ckpt, holder, step, said = reopen(tmp_path)
    assert step == 2 and float(holder.weights[0]) == 2.0
    assert f"skipping checkpoint {tmp_path / 'ckpt-4'}" in said
    assert f"moved its files to {tmp_path / 'damaged'}" in said
    assert sorted(p.name for p in (tmp_path / "damaged").iterdir()) == [
        "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
    # The index names what is left, so the manager goes on from there.
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    ckpt.save(6)
    assert [os.path.basename(p) for p in ckpt.manager.checkpoints] == ["ckpt-2", "ckpt-6"]


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00 not text", b"", b"model_checkpoint_path"])
def test_a_damaged_index_is_moved_aside_and_rebuilt_from_the_files(tmp_path, garbage):
    saved_run(tmp_path)
    (tmp_path / "checkpoint").write_bytes(garbage)
    ckpt, holder, step, said = reopen(tmp_path)
    assert step == 4 and float(holder.weights[0]) == 4.0
    assert "checkpoint index" in said and "damaged" in said
    assert (tmp_path / "damaged" / "checkpoint").read_bytes() == garbage
    # The rebuilt index still lets the manager prune beyond max_to_keep (TF keeps
    # checkpoints without timestamps forever).
    ckpt.save(6)
    ckpt.save(8)
    assert [os.path.basename(p) for p in ckpt.manager.checkpoints] == ["ckpt-4", "ckpt-6",
                                                                       "ckpt-8"]
    assert not (tmp_path / "ckpt-2.index").exists()


def test_no_restorable_checkpoint_is_a_user_error_naming_the_files(tmp_path):
    saved_run(tmp_path)
    truncate(tmp_path / "ckpt-2.data-00000-of-00001")
    truncate(tmp_path / "ckpt-4.index")
    with pytest.raises(checkpoints.NothingRestores) as caught:
        reopen(tmp_path)
    assert isinstance(caught.value, UserError)
    message = str(caught.value)
    assert "ckpt-2 (" in message and "ckpt-4 (" in message and "damaged" in message
    assert sorted(p.name for p in (tmp_path / "damaged").iterdir()) == [  # never deleted
        "checkpoint", "ckpt-2.data-00000-of-00001", "ckpt-2.index", "ckpt-4.data-00000-of-00001",
        "ckpt-4.index"]
    # The index named only those: a new start is from step 0, not the same error again.
    assert reopen(tmp_path)[2] == 0


def test_an_intact_checkpoint_of_other_networks_is_refused_not_moved(tmp_path):
    saved_run(tmp_path)
    other = RunCheckpoint(tmp_path, Holder(size=3))
    with pytest.raises(UserError, match="intact but does not fit"):
        other.restore_latest(log=lambda m: None)
    assert (tmp_path / "ckpt-4.index").exists() and not (tmp_path / "damaged").exists()


def test_a_reader_without_repair_skips_but_moves_nothing(tmp_path):
    saved_run(tmp_path)
    truncate(tmp_path / "ckpt-4.data-00000-of-00001")
    holder, said = Holder(), []
    path = restore_newest(tmp_path, "ckpt", tf.train.Checkpoint(gan=holder).restore,
                          said.append, repair=False)
    assert path.endswith("ckpt-2") and float(holder.weights[0]) == 2.0
    assert "left in place" in said[0]
    assert (tmp_path / "ckpt-4.index").exists() and not (tmp_path / "damaged").exists()


def test_staging_left_by_a_killed_save_is_removed_at_the_next_start(tmp_path):
    saved_run(tmp_path)
    staging = tmp_path / "ckpt-6_temp"
    staging.mkdir()
    (staging / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x" * 5000)
    _, _, step, said = reopen(tmp_path)
    assert step == 4 and not staging.exists()
    assert f"removed {staging} (5.0 kB)" in said


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    tf.errors.ResourceExhaustedError(None, None, "ckpt-4_temp/part: No space left on device"),
])
def test_a_full_disk_during_a_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, error):
    ckpt = saved_run(tmp_path, steps=(2,))
    real_write = tf.train.Checkpoint._write

    def write_half_then_fail(self, prefix, options=None):
        os.makedirs(f"{prefix}_temp")  # what TF stages before the disk fills
        with open(f"{prefix}_temp/part-00000-of-00001.data-00000-of-00001", "wb") as handle:
            handle.write(b"x" * 100)
        raise error

    monkeypatch.setattr(tf.train.Checkpoint, "_write", write_half_then_fail)
    with pytest.raises(DiskFull) as caught:
        ckpt.save(4)
    message = str(caught.value)
    assert f"writing checkpoint {tmp_path / 'ckpt-4'}" in message
    assert re.search(r"[\d.]+ [kM]B free there, about [\d.]+ kB needed", message)
    assert f"previous checkpoint {tmp_path / 'ckpt-2'} is intact" in message
    assert not (tmp_path / "ckpt-4_temp").exists()
    monkeypatch.setattr(tf.train.Checkpoint, "_write", real_write)
    _, holder, step, _ = reopen(tmp_path)
    assert step == 2 and float(holder.weights[0]) == 2.0


def test_other_save_errors_are_not_called_a_full_disk(tmp_path, monkeypatch):
    ckpt = saved_run(tmp_path, steps=(2,))

    def fail(self, prefix, options=None):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(tf.train.Checkpoint, "_write", fail)
    with pytest.raises(OSError, match="Input/output"):
        ckpt.save(4)
