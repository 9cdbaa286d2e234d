"""Videos to face/speech pairs, on tiny videos PyAV encodes here: one frame at the centre of
each second whatever the time base, the face of that second cut out, the sound of that
second beside it, random crops, and unusable videos named instead of raised."""

import csv
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
import soundfile
from PIL import Image
from video_samples import blank_frames, encode, face_frames, frequency

from pipelines import video
from pipelines.errors import DataError

WEBM = all(name in av.codecs_available for name in ("libvpx-vp9", "libopus"))
SECONDS = 4


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    (root / "id03").mkdir()
    (root / "id05").mkdir()
    (root / "nobody").mkdir()
    made = {
        "mp4_25": encode(root / "id03" / "talk.mp4", face_frames(SECONDS)),
        "mov_30": encode(root / "id05" / "talk.mov", face_frames(3, person=5), fps=30,
                         time_base=Fraction(1, 12800), audio_rate=48000, layout="mono"),
        "blank": encode(root / "nobody" / "wall.mp4", blank_frames(3)),
        # AVI stamps frames by number (time base 1/fps); uncompressed sound at 22.05 kHz
        "avi_25": encode(root / "id05" / "old.avi", face_frames(3, person=5, seed=2),
                         time_base=Fraction(1, 25), video_codec="mpeg4",
                         audio_codec="pcm_s16le", audio_rate=22050, layout="mono"),
        "mkv_30": encode(root / "id05" / "clip.mkv", face_frames(3, person=5, seed=3), fps=30,
                         time_base=Fraction(1, 1000)),
    }
    if WEBM:
        made["webm_30"] = encode(root / "id03" / "other.webm", face_frames(3, seed=1), fps=30,
                                 time_base=Fraction(1, 1000), video_codec="libvpx-vp9",
                                 audio_codec="libopus", audio_rate=48000)
    return root, made


@pytest.fixture(scope="module")
def written(videos, tmp_path_factory):
    root, _ = videos
    out = tmp_path_factory.mktemp("pairs")
    calls = []
    summary = video.video_pairs(root, out, progress=lambda *args: calls.append(args))
    return out, summary, calls


def _manifest(out):
    with open(out / video.MANIFEST, newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == video.COLUMNS
        return list(reader)


def _rows_of(out, path):
    return [row for row in _manifest(out) if row["source"] == str(path)]


def _peak(samples, rate=video.RATE):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return np.argmax(spectrum) * rate / samples.size, spectrum


def test_layout_manifest_and_file_formats(written, videos):
    out, summary, calls = written
    rows = _manifest(out)
    assert len(rows) == summary.pairs > 0
    for row in rows:
        assert row["audio"][:-4] == row["image"][:-4]  # one stem per pair
        assert row["audio"].split("/")[0] == row["identity"] in ("id03", "id05")
        assert row["crop"] == "0"
        info = soundfile.info(str(out / row["audio"]))
        assert (info.samplerate, info.channels, info.frames, info.subtype) == \
            (16000, 1, 16000, "PCM_16")
        with Image.open(out / row["image"]) as image:
            assert (image.mode, image.size) == ("RGB", (128, 128))
    assert not list(out.rglob(".*"))  # no temporary file left
    assert summary.videos_read == len(videos[1]) and summary.skipped == []
    assert {source for source, _ in summary.faceless} == {str(videos[1]["blank"])}
    assert [index for index, _, _ in calls] == list(range(len(videos[1])))
    assert all(total == len(videos[1]) for _, total, _ in calls)
    assert "pairs from" in video.progress_line(*calls[0]) and "pairs from" in \
        video.describe(summary)


@pytest.mark.parametrize("name,times", [
    ("mp4_25", [0.52, 1.52, 2.52, 3.52]),  # 0.5 s falls between frames 12 and 13 at 25 fps
    ("mov_30", [0.5, 1.5, 2.5]),  # time base 1/12800
    ("avi_25", [0.52, 1.52, 2.52]),
    ("mkv_30", [0.5, 1.5, 2.5]),
    pytest.param("webm_30", [0.5, 1.5, 2.5],
                 marks=pytest.mark.skipif(not WEBM, reason="no VP9 / Opus encoder")),
])
def test_one_frame_at_the_centre_of_each_second(written, videos, name, times):
    rows = _rows_of(written[0], videos[1][name])
    assert [float(row["time_s"]) for row in rows] == times


def test_the_audio_is_the_second_of_its_frame(written):
    out = written[0]
    for row in _manifest(out):
        samples, _ = soundfile.read(str(out / row["audio"]), dtype="float32")
        peak, spectrum = _peak(samples)
        second = int(float(row["time_s"]))
        assert abs(peak - frequency(second)) < 3, row
        near = spectrum[int(frequency(second)) - 20:int(frequency(second)) + 21]
        assert (near ** 2).sum() > 0.95 * (spectrum ** 2).sum(), row  # that tone only


def _likeness(crop, picture):
    """Best normalised correlation of the crop, at any size, anywhere in the picture."""
    best = -1.0
    for side in range(80, picture.shape[0] + 1, 4):
        small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
        score = cv2.matchTemplate(picture, small, cv2.TM_CCOEFF_NORMED).max()
        best = max(best, float(score))
    return best


def test_the_face_is_the_one_shown_that_second(written, videos):
    out = written[0]
    pictures = face_frames(SECONDS)
    for row in _rows_of(out, videos[1]["mp4_25"]):
        crop = np.asarray(Image.open(out / row["image"]))
        scores = [_likeness(crop, picture) for picture in pictures]
        second = int(float(row["time_s"]))
        assert scores[second] > 0.9, scores
        assert np.argmax(scores) == second, scores


def test_a_blank_video_gives_no_pair_and_names_its_frames(written, videos):
    out, summary, _ = written
    blank = str(videos[1]["blank"])
    assert _rows_of(out, blank) == []
    assert [(s, t) for s, t in summary.faceless if s == blank] == \
        [(blank, 0.52), (blank, 1.52), (blank, 2.52)]
    assert not (out / "nobody").exists()


def test_unusable_videos_are_skipped_and_named(videos, tmp_path):
    _, made = videos
    bad = tmp_path / "bad"
    bad.mkdir()
    data = made["mp4_25"].read_bytes()
    (bad / "cut.mp4").write_bytes(data[:len(data) // 2])
    (bad / "notes.mkv").write_text("not a video\n")
    encode(bad / "silent.mp4", face_frames(2), audio=False)
    targets = {"cut.mp4": "not a readable video", "notes.mkv": "not a readable video",
               "silent.mp4": "no audio stream"}
    if WEBM:
        data = made["webm_30"].read_bytes()
        (bad / "cut.webm").write_bytes(data[:len(data) // 2])  # Matroska decodes what is left
        targets["cut.webm"] = "truncated"
    summary = video.video_pairs(bad, tmp_path / "out")
    reasons = {source.rsplit("/", 1)[-1]: why for source, why in summary.skipped}
    assert sorted(reasons) == sorted(targets)
    for name, start in targets.items():
        assert reasons[name].startswith(start), reasons
    assert summary.pairs == summary.videos_read == 0
    assert _manifest(tmp_path / "out") == []
    assert "skipped videos" in video.describe(summary)


def test_random_crops_give_k_pairs_per_face_seeded(videos, tmp_path):
    source = videos[1]["mp4_25"]
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        summary = video.video_pairs(source, tmp_path / name, crops=2, seed=seed, size=64)
        rows = _manifest(tmp_path / name)
        assert summary.pairs == len(rows) == 2 * SECONDS
        runs[name] = [soundfile.read(str(tmp_path / name / r["audio"]))[0] for r in rows]
    assert [r["crop"] for r in rows] == ["1", "2"] * SECONDS
    assert all(r["image"] == rows[i - i % 2]["image"] for i, r in enumerate(rows))
    assert all(np.array_equal(x, y) for x, y in zip(runs["a"], runs["b"], strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(runs["a"], runs["c"], strict=True))
    for row, samples in zip(rows, runs["c"], strict=True):
        second = int(float(row["time_s"]))  # inside time +- 1 s: only neighbouring tones
        peak, _ = _peak(samples.astype(np.float32))
        assert min(abs(peak - frequency(k)) for k in (second - 1, second, second + 1)) < 3


def test_a_second_run_replaces_its_videos_rows_and_files(videos, tmp_path):
    source = videos[1]["mov_30"]
    out = tmp_path / "out"
    video.video_pairs(source, out, identity="speaker")
    first = _manifest(out)
    assert {r["identity"] for r in first} == {"speaker"} and len(first) == 3
    video.video_pairs(source, out, identity="speaker", crops=1)
    again = _manifest(out)
    assert len(again) == 3 and {r["crop"] for r in again} == {"1"}
    assert sorted(p.name for p in (out / "speaker").glob("*.wav")) == \
        sorted(r["audio"].split("/")[1] for r in again)  # the centred windows are gone


def test_audio_shorter_than_a_second_is_counted(tmp_path):
    (tmp_path / "who").mkdir()
    path = encode(tmp_path / "who" / "short.mp4", face_frames(2), audio_seconds=0.6)
    summary = video.video_pairs(path, tmp_path / "out")
    assert summary.pairs == 0 and summary.videos_read == 1
    assert [t for _, t in summary.no_audio] == [0.52, 1.52]


def test_square_box_keeps_a_margin_inside_the_frame():
    assert video.square_box((50, 50, 40, 40), 0.2, 200, 200) == (42, 42, 56)
    assert video.square_box((0, 10, 40, 30), 0.2, 200, 200) == (0, 0, 56)  # moved inside
    assert video.square_box((10, 10, 90, 90), 0.5, 120, 100) == (5, 0, 100)  # frame-limited


def test_bad_arguments_and_missing_input(tmp_path):
    with pytest.raises(DataError, match="no video files"):
        video.video_pairs(tmp_path, tmp_path / "out")
    with pytest.raises(DataError, match="no such file"):
        video.video_pairs(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(DataError, match="crops"):
        video.video_pairs(tmp_path, tmp_path / "out", crops=-1)


def test_same_names_in_two_folders_do_not_overwrite(videos, tmp_path):
    data = videos[1]["mov_30"].read_bytes()
    for place in ("a", "b"):
        (tmp_path / place / "id05").mkdir(parents=True)
        (tmp_path / place / "id05" / "talk.mov").write_bytes(data)
    summary = video.video_pairs(tmp_path, tmp_path / "out")
    rows = _manifest(tmp_path / "out")
    assert summary.pairs == len(rows) == 6 == len({r["audio"] for r in rows})
    assert len(list((tmp_path / "out" / "id05").glob("*.png"))) == 6


def test_an_interrupted_run_lists_only_finished_videos(videos, tmp_path):
    root, _ = videos

    def stop(index, total, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        video.video_pairs(root, tmp_path / "out", progress=stop)
    rows = _manifest(tmp_path / "out")
    assert len({r["source"] for r in rows}) == 1 and rows
    assert all((tmp_path / "out" / r["audio"]).is_file() for r in rows)
    assert not list((tmp_path / "out").rglob(".*"))


def test_faces_found_in_64_px_face_pictures_not_in_blank_ones():
    """Evaluation's face-detection rate: small faces are enlarged for the cascade, so 64 px
    pictures of faces count as faces; a blank backdrop does not."""
    faces = [np.asarray(Image.fromarray(f).resize((64, 64), Image.BILINEAR))
             for f in face_frames(6)]
    blank = [f[:64, :64] for f in blank_frames(2)]
    found = video.faces_found(np.stack(faces + blank))
    assert found[6:].tolist() == [False, False]
    assert found[:6].sum() >= 5
    unit = video.faces_found(np.stack(faces).astype(np.float32) / 255.0)  # published [0, 1]
    np.testing.assert_array_equal(unit, found[:6])
