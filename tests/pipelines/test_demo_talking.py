"""The talking demo: pairs on disk as pairs.csv names them, one-second 16 kHz clips, the same
bytes from the same seed, mouths that open with the clip's loudness, voices that differ in
pitch, and nothing left behind by a build that fails."""

import csv
import dataclasses
import functools
import json

import cv2
import numpy as np
import pytest
import soundfile
from PIL import Image

from pipelines import demo
from pipelines.demo import faces, talking, voices
from pipelines.errors import DataError

IDENTITIES, PER_IDENTITY = 3, 4


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return talking.build_talking(tmp_path_factory.mktemp("demo") / "talking", seed=0,
                                 identities=IDENTITIES, per_identity=PER_IDENTITY)


def _rows(root):
    with open(root / talking.PAIRS_FILE, newline="") as handle:
        return list(csv.DictReader(handle))


def _dark_mouth_pixels(rgb):
    """Pixels in a neutral face's mouth box much darker than its skin (as the faces tests)."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return int((grey[84:100, 52:77] < 0.5 * np.median(grey[60:100, 40:88])).sum())


def _autocorrelation_f0(clip, voiced, frame=640):
    """Median pitch of the fully voiced 40 ms frames, from the autocorrelation peak."""
    estimates = []
    for start in range(0, len(clip) - frame, frame // 2):
        if not voiced[start:start + frame].all():
            continue
        x = clip[start:start + frame] - clip[start:start + frame].mean()
        ac = np.correlate(x, x, "full")[frame - 1:]
        low, high = voices.RATE // 400, voices.RATE // 60
        lag = low + int(np.argmax(ac[low:high]))
        a, b, c = ac[lag - 1:lag + 2]  # parabolic interpolation between the lags
        estimates.append(voices.RATE / (lag + 0.5 * (a - c) / (a - 2 * b + c)))
    return float(np.median(estimates))


def test_layout_pairs_csv_and_format(built):
    rows = _rows(built)
    assert list(rows[0]) == list(talking.COLUMNS)
    assert list(rows[0])[:3] == ["audio", "image", "identity"]
    assert len(rows) == IDENTITIES * PER_IDENTITY
    on_disk = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    named = {r["audio"] for r in rows} | {r["image"] for r in rows}
    assert on_disk == named | {talking.PAIRS_FILE, "demo.json"}
    for row in rows:
        assert row["audio"].removesuffix(".wav") == row["image"].removesuffix(".png")
        assert row["audio"].split("/")[0] == row["identity"]
        info = soundfile.info(str(built / row["audio"]))
        assert (info.samplerate, info.frames, info.channels, info.subtype) == (
            16000, 16000, 1, "PCM_16")
        clip = soundfile.read(str(built / row["audio"]))[0]
        assert 0.39 <= np.abs(clip).max() < 0.91
        with Image.open(built / row["image"]) as image:
            assert (image.mode, image.size) == ("RGB", (128, 128))
    assert sorted({r["identity"] for r in rows}) == ["id00", "id01", "id02"]
    marker = json.loads((built / "demo.json").read_text())
    assert marker == {"kind": "talking", "seed": 0, "files": len(rows)}


def test_same_seed_same_bytes_other_seed_differs(built, tmp_path):
    again = talking.build_talking(tmp_path / "again", seed=0, identities=IDENTITIES,
                                  per_identity=PER_IDENTITY)
    other = talking.build_talking(tmp_path / "other", seed=1, identities=IDENTITIES,
                                  per_identity=PER_IDENTITY)
    assert (again / talking.PAIRS_FILE).read_bytes() == (built / talking.PAIRS_FILE).read_bytes()
    for name in ("id01/id01_002.wav", "id01/id01_002.png"):
        assert (again / name).read_bytes() == (built / name).read_bytes()
        assert (other / name).read_bytes() != (built / name).read_bytes()


def test_the_picture_mouth_follows_the_clip_loudness(built):
    rows = _rows(built)
    for row in rows:  # the recorded opening is the one the written clip's loudness gives
        clip = soundfile.read(str(built / row["audio"]))[0]
        assert abs(talking.mouth_opening(talking.centre_db(clip)) -
                   float(row["mouth_open"])) < 0.01
    assert talking.mouth_opening(-200.0) == 0.0 and talking.mouth_opening(0.0) == 1.0
    steps = [talking.mouth_opening(db) for db in np.linspace(-40, -5, 15)]
    assert all(a < b for a, b in zip(steps[1:-2], steps[2:-1], strict=True))
    # the same face and pose, a quiet and a loud centre: the loud one shows more open mouth
    clip = voices.synth_clip(voices.make_voices(4)[1], np.random.default_rng(3))[0]
    loud = clip / np.abs(clip[talking.CENTRE[0]:talking.CENTRE[1]]).max() * 0.95
    who, pose = faces.make_identities()[2], faces.FaceVariation(mouth_open=0.4)
    dark = [_dark_mouth_pixels(talking.talking_face(who, pose, c)) for c in (
        loud * 0.01, loud * 0.1, loud)]
    assert dark[0] <= 3 and dark[0] < dark[1] < dark[2] and dark[2] >= 50, dark


def test_openings_span_closed_to_open():
    speakers = voices.make_voices(16)
    openings = [talking.mouth_opening(talking.centre_db(
        voices.synth_clip(speakers[k % 16], np.random.default_rng(k))[0])) for k in range(48)]
    assert min(openings) < 0.2 and max(openings) > 0.8 and np.std(openings) > 0.15


def test_voices_are_fixed_by_identity_and_differ_in_pitch():
    speakers = voices.make_voices(16, seed=0)
    assert speakers == voices.make_voices(16, seed=0) != voices.make_voices(16, seed=1)
    centres = sorted(v.f0_centre for v in speakers)
    assert min(b / a for a, b in zip(centres, centres[1:], strict=False)) > 1.05
    assert len({v.formant_scale for v in speakers}) == 16
    low, high = (min(speakers, key=lambda v: v.f0_centre), max(speakers,
                                                                key=lambda v: v.f0_centre))
    measured = {}
    for voice in (low, high):
        clip, f0, voiced = voices.synth_clip(voice, np.random.default_rng(7))
        measured[voice] = _autocorrelation_f0(clip.astype(np.float64), voiced)
        # what an autocorrelation hears is the pitch the synthesis used, within 3 %
        assert abs(measured[voice] / np.median(f0[voiced]) - 1) < 0.03, voice
        assert voice.f0_low * 0.97 < measured[voice] < voice.f0_high * 1.03
    assert measured[high] > 2 * measured[low]


def test_a_failed_build_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise OSError("disk full")
        return faces.render_face(*args, **kwargs)

    monkeypatch.setattr(talking.faces, "render_face", failing)
    with pytest.raises(OSError, match="disk full"):
        talking.build_talking(tmp_path / "talking", identities=2, per_identity=3)
    assert len(calls) == 5 and list(tmp_path.iterdir()) == []


def test_ensure_demo_builds_talking(tmp_path, monkeypatch):
    assert demo.DEMO_KINDS["talking"] is talking.build_talking
    small = functools.partial(talking.build_talking, identities=2, per_identity=1)
    monkeypatch.setitem(demo.DEMO_KINDS, "talking", small)
    path = demo.ensure_demo("talking", out=tmp_path / "talking")
    assert len(_rows(path)) == 2 and demo.ensure_demo("talking", out=path) == path
    with pytest.raises(DataError, match="'talking' demo"):
        demo.ensure_demo("faces", out=path)
    with pytest.raises(DataError, match="at least 2"):
        talking.build_talking(tmp_path / "one", identities=1)


def test_variation_other_than_the_mouth_is_kept():
    who = faces.make_identities()[4]
    pose = faces.random_variation(np.random.default_rng(1))
    clip = np.zeros(voices.CLIP_SAMPLES, np.float32)
    closed = dataclasses.replace(pose, mouth_open=0.0)
    assert np.array_equal(talking.talking_face(who, pose, clip), faces.render_face(who, closed))
