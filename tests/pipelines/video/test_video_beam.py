"""`keras_avgan data video --runner DirectRunner`: the videos read by two Beam worker
processes give the same pairs, byte for byte, as the in-process loop, with the same lines
naming what was skipped."""

import csv

from video_samples import blank_frames, encode, face_frames

from keras_avgan.cli import main
from pipelines import video


def _rows(out):
    with open(out / video.MANIFEST, newline="") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: row["audio"])


def test_beam_pairs_are_the_in_process_pairs(tmp_path, capsys):
    videos = tmp_path / "videos"
    for folder in ("id03", "id05", "nobody"):
        (videos / folder).mkdir(parents=True)
    encode(videos / "id03" / "talk.mp4", face_frames(3))
    encode(videos / "id05" / "talk.mp4", face_frames(2, person=5))
    encode(videos / "nobody" / "wall.mp4", blank_frames(2))
    (videos / "id03" / "broken.mp4").write_bytes(b"not a video at all")
    here, beam = tmp_path / "here", tmp_path / "beam"
    assert main(["data", "video", str(videos), "--out", str(here), "--crops", "2"]) == 0
    capsys.readouterr()
    assert main(["data", "video", str(videos), "--out", str(beam), "--crops", "2",
                 "--runner", "DirectRunner"]) == 0
    printed = capsys.readouterr().out
    assert "[1/4]" in printed and "[4/4]" in printed and "broken.mp4: skipped" in printed
    assert "10 pairs from 3 videos" in printed and "2 frames without a face" in printed
    rows = _rows(beam)
    assert rows == _rows(here) and len(rows) == 10
    for row in rows:
        for column in ("audio", "image"):
            assert (beam / row[column]).read_bytes() == (here / row[column]).read_bytes()
    assert not list(beam.rglob(".*"))  # no results file nor half-written file is left


def test_an_unknown_beam_option_is_exit_2_before_any_video_is_read(tmp_path, capsys):
    encode(tmp_path / "talk.mp4", face_frames(1))
    assert main(["data", "video", str(tmp_path / "talk.mp4"), "--out", str(tmp_path / "o"),
                 "--runner", "DirectRunner", "--beam-option", "direct_num_worker=2"]) == 2
    assert "direct_num_workers" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
