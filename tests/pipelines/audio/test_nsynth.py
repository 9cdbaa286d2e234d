"""NSynth reading: TFRecord and jsonwav round trips, the filters, and bad notes named."""

import json

import numpy as np
import pytest
import tensorflow as tf
from nsynth_files import (
    KEPT,
    NOTES,
    features,
    note_audio,
    nsynth_records,
    serialize,
    write_jsonwav,
    write_records,
)

from pipelines.audio import nsynth
from pipelines.audio.nsynth import tfrecord
from pipelines.errors import DataError

DROPPED = {"instrument_source": 2, "pitch": 2}


def _read_all(ds):
    """(audio [N, samples], {column: [N] or [N, 10]}) of a whole unbatched dataset."""
    clips, labels = [], []
    for clip, label in ds.as_numpy_iterator():
        clips.append(clip)
        labels.append(label)
    return np.stack(clips), {k: np.stack([row[k] for row in labels]) for k in labels[0]}


def _expect_kept(ds, table, samples=8192):
    clips, labels = _read_all(ds)
    kept_index = [NOTES.index(n) for n in KEPT]
    np.testing.assert_allclose(clips, [note_audio(i)[:samples] for i in kept_index], atol=1e-6)
    assert table.values("pitch", labels["pitch"]) == [str(n[0]) for n in KEPT]
    assert table.values("velocity", labels["velocity"]) == [str(n[1]) for n in KEPT]
    assert table.values("instrument_family", labels["instrument_family"]) == [n[3] for n in KEPT]
    assert table.values("qualities", labels["qualities"]) == [n[4] for n in KEPT]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return nsynth_records(tmp_path_factory.mktemp("nsynth") / "nsynth-test.tfrecord")


def test_a_tfrecord_round_trips_filtered_and_cut(records):
    ds, table, scan = nsynth.nsynth_dataset(records)
    assert (scan.format, scan.total, len(scan.kept), scan.dropped) == (
        nsynth.TFRECORD, len(NOTES), len(KEPT), DROPPED)
    assert ds.element_spec[0].shape == [8192]
    assert table.classes["pitch"] == ("24", "60", "70", "84")
    _expect_kept(ds, table)
    report = nsynth.describe_nsynth(scan)
    assert f"{len(NOTES)} NSynth notes from 1 TFRecord file: {len(KEPT)} kept, 4 dropped" in report
    assert "instrument_source not acoustic 2, pitch outside 24-84 2" in report
    assert "instrument families: brass x1, flute x1, mallet x1, organ x1" in report
    assert "pitch ranges: 24-35 x1, 36-47 x0, 48-59 x0, 60-71 x2, 72-83 x0, 84 x1" in report


def test_the_filter_settings_are_parameters(records):
    wide = nsynth.NSynthFilter(sources=("acoustic", "electronic"), pitch_min=0, pitch_max=127,
                               samples=100)
    ds, _, scan = nsynth.nsynth_dataset(records, wide)
    assert (len(scan.kept), scan.dropped) == (7, {"instrument_source": 1, "pitch": 0})
    assert ds.element_spec[0].shape == [100]
    with pytest.raises(DataError, match="samples=70000"):
        nsynth.NSynthFilter(samples=70000)


def test_index_only_records_take_names_from_the_tables_and_str_fields_win(tmp_path):
    plain = features(0, (60, 50, "acoustic", "guitar", ("dark", "reverb")), full=False)
    twin = features(1, (61, 50, "acoustic", "guitar", ()))
    twin["instrument_family_str"] = tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[b"keyboard"]))  # disagrees with index 3
    path = write_records(tmp_path / "a.tfrecord", [serialize(plain), serialize(twin)])
    notes = nsynth.scan_nsynth(path).kept
    assert [(n.instrument_family, n.qualities) for n in notes] == [
        ("guitar", ("dark", "reverb")), ("keyboard", ())]


def test_a_folder_of_shards_and_gzip_files_reads_in_name_order(tmp_path):
    root = tmp_path / "shards"
    nsynth_records(root / "n.tfrecord-00000-of-00002", NOTES[:4])
    gzip = tf.io.TFRecordOptions(compression_type="GZIP")
    write_records(root / "part" / "n.tfrecord-00001-of-00002.gz",
                  [serialize(features(i + 4, n)) for i, n in enumerate(NOTES[4:])], gzip)
    ds, table, scan = nsynth.nsynth_dataset(root)
    assert len(scan.files) == 2 and scan.dropped == DROPPED
    _expect_kept(ds, table)


def test_jsonwav_reads_as_the_tfrecord_does(tmp_path):
    root = write_jsonwav(tmp_path / "nsynth-valid")
    ds, table, scan = nsynth.nsynth_dataset(root)
    assert (scan.format, len(scan.kept), scan.dropped) == (nsynth.JSONWAV, len(KEPT), DROPPED)
    _expect_kept(ds, table)
    assert nsynth.scan_nsynth(root / "examples.json").dropped == DROPPED


def test_bad_records_are_named_with_their_file_and_index(tmp_path, monkeypatch):
    monkeypatch.setattr(tfrecord, "SCAN_BATCH", 2)  # the bad records sit in a later batch
    good = [serialize(features(i, n)) for i, n in enumerate(NOTES[:3])]
    cases = {
        "malformed": (b"not a tf.train.Example", r"record 3: not an NSynth tf\.train\.Example"),
        "no_pitch": ({k: v for k, v in features(3, NOTES[0]).items() if k != "pitch"},
                     r"record 3: no 'pitch' feature"),
        "short": (features(3, NOTES[0], audio=np.zeros(1000, np.float32)),
                  r"record 3: audio has 1000 samples; NSynth notes have 64000"),
        "float_pitch": ({**features(3, NOTES[0]), "pitch": tf.train.Feature(
            float_list=tf.train.FloatList(value=[60.0]))}, r"record 3: not an NSynth"),
    }
    for name, (record, message) in cases.items():
        record = record if isinstance(record, bytes) else serialize(record)
        path = write_records(tmp_path / f"{name}.tfrecord", good + [record] + good)
        with pytest.raises(DataError, match=message) as caught:
            nsynth.scan_nsynth(path)
        assert str(path) in str(caught.value) and "fix or remove" in str(caught.value)


def test_a_cut_short_file_names_the_record_it_breaks_in(tmp_path):
    path = nsynth_records(tmp_path / "cut.tfrecord", NOTES[:3])
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(DataError, match=r"cut\.tfrecord, record 2: cannot be read"):
        nsynth.scan_nsynth(path)


def test_bad_jsonwav_entries_and_wavs_are_named(tmp_path):
    short = write_jsonwav(tmp_path / "short", NOTES[:3], lengths={1: 8192})
    with pytest.raises(DataError, match=r"flute_acoustic_001-060-050\.wav: 8192 samples"):
        nsynth.scan_nsynth(short)
    missing = write_jsonwav(tmp_path / "missing", NOTES[:3])
    entries = json.loads((missing / "examples.json").read_text())
    del entries[next(iter(entries))]["velocity"]
    (missing / "examples.json").write_text(json.dumps(entries))
    with pytest.raises(DataError, match=r"examples\.json, entry 0 \(.*\): no 'velocity'"):
        nsynth.scan_nsynth(missing)
    next(iter(entries.values()))["velocity"] = "loud"
    (missing / "examples.json").write_text(json.dumps(entries))
    with pytest.raises(DataError, match=r"entry 0 \(.*\): 'velocity' is \['loud'\], not one whole"):
        nsynth.scan_nsynth(missing)
    (missing / "examples.json").write_text("{not json")
    with pytest.raises(DataError, match=r"examples\.json: cannot be read as JSON"):
        nsynth.scan_nsynth(missing)
