"""Demo datasets: synthetic notes, spoken digits (with a stand-in espeak-ng), the cache."""

import csv
import re
import sys

import numpy as np
import pytest
import soundfile

from pipelines import demo
from pipelines.demo import digits
from pipelines.demo import notes as demo_notes
from pipelines.errors import DataError

PER_CELL = 2
FAKE_ESPEAK = """#!{python}
# Stand-in for espeak-ng: writes a short 22.05 kHz tone to the -w path.
import sys, wave, math, struct
args = sys.argv[1:]
out = args[args.index("-w") + 1]
pitch = int(args[args.index("-p") + 1])
frames = [int(12000 * math.sin(2 * math.pi * (150 + pitch) * i / 22050)) for i in range(9000)]
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
    w.writeframes(b"".join(struct.pack("<h", f) for f in [0] * 2000 + frames + [0] * 2000))
"""


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    return demo_notes.build_notes(tmp_path_factory.mktemp("demo") / "notes", seed=0,
                            per_cell=PER_CELL)


def _rows(root):
    with open(root / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_notes_layout_labels_and_format(notes):
    rows = _rows(notes)
    expected = len(demo_notes.FAMILIES) * len(demo_notes.PITCHES) * PER_CELL
    assert len(rows) == expected == len(list(notes.rglob("*.wav")))
    assert set(rows[0]) == {"path", "pitch", "family", "velocity"}
    assert {r["family"] for r in rows} == set(demo_notes.FAMILIES)
    assert {int(r["pitch"]) for r in rows} == set(demo_notes.PITCHES)
    for row in rows[::7]:
        name = row["path"]
        assert re.fullmatch(rf"{row['family']}/{row['family']}_\d{{3}}-"
                            rf"{int(row['pitch']):03d}-{int(row['velocity']):03d}\.wav", name)
        info = soundfile.info(str(notes / name))
        assert (info.samplerate, info.frames, info.channels, info.subtype) == (
            16000, 16000, 1, "PCM_16")
        peak = np.abs(soundfile.read(str(notes / name))[0]).max()
        assert 0.29 <= peak <= 0.91


def test_notes_are_deterministic(notes, tmp_path):
    again = demo_notes.build_notes(tmp_path / "again", seed=0, per_cell=PER_CELL)
    other = demo_notes.build_notes(tmp_path / "other", seed=1, per_cell=PER_CELL)
    assert (again / "labels.csv").read_text() == (notes / "labels.csv").read_text()
    name = _rows(notes)[5]["path"]
    assert (again / name).read_bytes() == (notes / name).read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    first = soundfile.read(str(notes / name))[0]
    other_name = _rows(other)[5]["path"]
    assert not np.array_equal(first, soundfile.read(str(other / other_name))[0])


def test_families_and_pitches_differ_audibly():
    rng = np.random.default_rng(0)
    spectra = {}
    for family in demo_notes.FAMILIES:
        note = demo_notes.synth_note(family, 60, 100, rng)
        spectra[family] = np.abs(np.fft.rfft(note[2000:10000]))
    # reed has odd harmonics only: its 2nd harmonic (523 Hz) is tiny next to the organ's
    bin_2nd = int(round(523.25 * 8000 / 16000))
    assert spectra["reed"][bin_2nd - 3:bin_2nd + 4].max() < 0.05 * spectra["organ"][
        bin_2nd - 3:bin_2nd + 4].max()
    low, high = (demo_notes.synth_note("organ", p, 100, rng) for p in (48, 72))
    assert np.argmax(np.abs(np.fft.rfft(high))) > 3 * np.argmax(np.abs(np.fft.rfft(low)))


def test_build_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("user data")
    with pytest.raises(DataError, match="not empty"):
        demo_notes.build_notes(tmp_path, per_cell=1)
    assert (tmp_path / "keep.txt").read_text() == "user data"


def test_ensure_demo_builds_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_DATA", str(tmp_path / "cache"))
    calls = []

    def small(out_dir):
        calls.append(out_dir)
        return demo_notes.build_notes(out_dir, per_cell=1)

    monkeypatch.setitem(demo.DEMO_KINDS, "notes", small)
    path = demo.ensure_demo("notes")
    assert path == tmp_path / "cache" / "notes" and (path / "labels.csv").is_file()
    assert demo.ensure_demo("notes") == path and len(calls) == 1
    assert demo.ensure_demo("notes", out=tmp_path / "elsewhere") == tmp_path / "elsewhere"
    with pytest.raises(DataError, match="digits.*notes"):
        demo.ensure_demo("birdsong")
    with pytest.raises(DataError, match="already holds the 'notes' demo"):
        demo.ensure_demo("digits", out=path)


def test_demo_root_default(monkeypatch):
    monkeypatch.delenv("KERAS_AVGAN_DATA", raising=False)
    assert str(demo.demo_root()).endswith("keras_avgan/demo")


def test_digits_need_espeak(tmp_path, monkeypatch):
    monkeypatch.setattr(digits.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match="apt-get install espeak-ng"):
        demo.ensure_demo("digits", out=tmp_path / "digits")
    assert not (tmp_path / "digits").exists()


def test_digits_with_a_stand_in_espeak(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "espeak-ng"
    fake.parent.mkdir()
    fake.write_text(FAKE_ESPEAK.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{demo.os.environ['PATH']}")
    monkeypatch.setattr(digits, "_speakers", lambda seed: [("en+m1", 40, 150)])  # one speaker
    root = digits.build_digits(tmp_path / "digits")
    rows = _rows(root)
    assert len(rows) == 10 * 2 and {r["digit"] for r in rows} == set(digits.DIGITS)
    for row in rows[:3]:
        assert re.fullmatch(rf"{row['digit']}_[0-9a-f]{{8}}_nohash_\d\.wav", row["path"])
        info = soundfile.info(str(root / row["path"]))
        assert (info.samplerate, info.frames, info.subtype) == (16000, 16000, "PCM_16")


def test_espeak_failure_is_a_data_error(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "espeak-ng"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'no such voice' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{demo.os.environ['PATH']}")
    with pytest.raises(DataError, match="no such voice"):
        digits.build_digits(tmp_path / "digits")
    assert not (tmp_path / "digits").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
