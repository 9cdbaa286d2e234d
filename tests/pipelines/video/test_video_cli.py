"""`keras_avgan data video` as a user runs it: progress per video, a summary naming what was
skipped, and pairs that `data check` and the paired pipeline read back, crops included."""

from video_samples import blank_frames, encode, face_frames

from keras_avgan.cli import main
from pipelines import paired


def test_data_video_writes_pairs_the_paired_pipeline_reads(tmp_path, capsys):
    videos = tmp_path / "videos"
    (videos / "id03").mkdir(parents=True)
    (videos / "nobody").mkdir()
    encode(videos / "id03" / "talk.mp4", face_frames(3))
    encode(videos / "nobody" / "wall.mp4", blank_frames(2))
    (videos / "id03" / "broken.mp4").write_bytes(b"not a video at all")
    out = tmp_path / "pairs"
    assert main(["data", "video", str(videos), "--out", str(out), "--crops", "2"]) == 0
    printed = capsys.readouterr().out
    assert "[1/3]" in printed and "[3/3]" in printed  # a line per video
    assert "broken.mp4" in printed and "6 pairs" in printed
    # Two crops of each second share one face: only the pairs.csv can pair them.
    scan = paired.scan_pairs(out)
    assert scan.source == str(out / "pairs.csv") and len(scan.pairs) == 6
    assert scan.identities == ["id03"] and not scan.unpaired and not scan.bad
    assert len({p.image.path for p in scan.pairs}) == 3
    assert main(["data", "check", str(out)]) == 0
    assert "6 face/sound pairs from" in capsys.readouterr().out


def test_data_video_without_videos_is_exit_2_naming_the_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["data", "video", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert str(tmp_path / "empty") in capsys.readouterr().err
