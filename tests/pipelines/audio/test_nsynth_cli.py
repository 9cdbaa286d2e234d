"""`data demo notes --format nsynth` and `data check` on NSynth data, as a user types them."""

from functools import partial

import numpy as np
import pytest
import tensorflow as tf
from nsynth_files import KEPT, NOTES, features, nsynth_records, serialize, write_records

from keras_avgan.cli import main
from pipelines import demo
from pipelines.audio import nsynth
from pipelines.demo import notes as demo_notes
from pipelines.demo import nsynth_notes

FULL_RECORD = {"audio", "note", "note_str", "instrument", "instrument_str", "pitch", "velocity",
               "sample_rate", "qualities", "qualities_str", "instrument_source",
               "instrument_source_str", "instrument_family", "instrument_family_str"}
DEMO_NOTES = len(demo_notes.FAMILIES) * len(demo_notes.PITCHES)  # one per cell


@pytest.fixture
def small_demos(monkeypatch):
    """The demo builders at one note per family and pitch (the CLI path is the same)."""
    monkeypatch.setitem(demo.DEMO_FORMATS["notes"], "nsynth",
                        partial(nsynth_notes.build_nsynth_notes, per_cell=1))
    monkeypatch.setitem(demo.DEMO_KINDS, "notes", partial(demo_notes.build_notes, per_cell=1))


def test_demo_notes_as_nsynth_then_data_check(tmp_path, capsys, small_demos):
    out = tmp_path / "notes-nsynth"
    assert main(["data", "demo", "notes", "--format", "nsynth", "--out", str(out)]) == 0
    assert f"demo dataset 'notes' (as nsynth) ready in {out}" in capsys.readouterr().out
    record = next(iter(tf.data.TFRecordDataset(str(out / nsynth_notes.RECORD_FILE))))
    example = tf.train.Example.FromString(record.numpy()).features.feature
    assert set(example) == FULL_RECORD
    audio = np.array(example["audio"].float_list.value, np.float32)
    family, _, pitch, velocity, note = next(demo_notes.demo_notes(seed=0, per_cell=1))
    np.testing.assert_array_equal(audio[:len(note)], note)  # the WAV demo's first note
    assert len(audio) == 64000 and not audio[len(note):].any()
    assert example["note_str"].bytes_list.value == [
        f"{family}_acoustic_000-{pitch:03d}-{velocity:03d}".encode()]
    assert example["instrument_source"].int64_list.value == [0]
    assert example["instrument_family"].int64_list.value == [nsynth.FAMILIES.index(family)]

    assert main(["data", "check", str(out)]) == 0
    report = capsys.readouterr().out
    assert f"{DEMO_NOTES} NSynth notes from 1 TFRecord file: {DEMO_NOTES} kept, 0 dropped" \
        in report
    assert "instrument_source not acoustic 0, pitch outside 24-84 0" in report
    assert "instrument families: brass x8, mallet x8, organ x8, reed x8, string x8" in report
    assert "pitch ranges: 24-35 x0, 36-47 x0, 48-59 x20, 60-71 x15, 72-83 x5, 84 x0" in report
    assert "qualities: fast_decay x8, percussive x16; without any: 24" in report


def test_the_demo_families_are_nsynth_families():
    assert set(nsynth_notes.FAMILY_NAMES) == set(demo_notes.FAMILIES)
    assert set(nsynth_notes.FAMILY_NAMES.values()) <= set(nsynth.FAMILIES)


def test_the_default_format_is_still_wavs(tmp_path, capsys, small_demos):
    out = tmp_path / "notes"
    assert main(["data", "demo", "notes", "--out", str(out)]) == 0
    assert f"demo dataset 'notes' ready in {out}" in capsys.readouterr().out
    assert (out / "labels.csv").is_file() and len(list(out.rglob("*.wav"))) == DEMO_NOTES
    assert main(["data", "demo", "faces", "--format", "nsynth", "--out", str(tmp_path / "f")]) == 2
    assert "the 'faces' demo is written only as files" in capsys.readouterr().err


def test_data_check_of_a_tfrecord_file_and_of_a_bad_one(tmp_path, capsys):
    path = nsynth_records(tmp_path / "nsynth-valid.tfrecord")
    assert main(["data", "check", str(path)]) == 0
    assert f"{len(NOTES)} NSynth notes from 1 TFRecord file: {len(KEPT)} kept, 4 dropped" \
        in capsys.readouterr().out
    bad = write_records(tmp_path / "bad.tfrecord",
                        [serialize(features(0, NOTES[0])), b"\x00garbage"])
    assert main(["data", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}, record 1: not an NSynth tf.train.Example")
