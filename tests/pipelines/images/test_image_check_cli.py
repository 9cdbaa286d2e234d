"""`keras_avgan data check` on folders of pictures, as a user types it."""

import numpy as np
import soundfile
from odd_images import write_odd_images

from keras_avgan.cli import main


def test_data_check_reports_an_odd_image_folder(tmp_path, capsys):
    written = write_odd_images(tmp_path / "odd")
    assert main(["data", "check", str(tmp_path / "odd")]) == 0
    out = capsys.readouterr().out
    total = len(written["good"]) + len(written["bad"])
    assert f"{total} image files: {len(written['good'])} usable, {len(written['bad'])} skipped" \
        in out
    for fmt in ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "BMP"):
        assert fmt in out
    for name in written["bad"]:
        assert name in out  # every bad file is named with its reason
    assert "audio files" not in out  # no audio here, so no audio report


def test_data_check_with_a_recipe_says_what_the_recipe_makes_of_the_images(tmp_path, capsys):
    write_odd_images(tmp_path / "odd")
    assert main(["data", "check", str(tmp_path / "odd"), "--recipe", "dcgan"]) == 0
    assert "resized to 64 x 64" in capsys.readouterr().out


def test_a_folder_with_both_kinds_gets_both_reports(tmp_path, capsys):
    write_odd_images(tmp_path / "mixed")
    soundfile.write(str(tmp_path / "mixed" / "tone.wav"),
                    np.sin(np.arange(8000) / 10).astype(np.float32), 16000, subtype="PCM_16")
    assert main(["data", "check", str(tmp_path / "mixed")]) == 0
    out = capsys.readouterr().out
    assert "1 audio files: 1 usable" in out and "image files:" in out


def test_nothing_usable_or_nothing_at_all_is_exit_2_naming_the_folder(tmp_path, capsys):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "notes.jpg").write_text("not a picture")
    assert main(["data", "check", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "no usable image file" in err and "notes.jpg" in err
    (tmp_path / "empty").mkdir()
    assert main(["data", "check", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "no audio or image files found" in err and ".png" in err and ".wav" in err
    assert main(["fit", "--recipe", "dcgan", "--data", str(tmp_path / "bad"), "--run-dir",
                 str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run").exists()  # refused before anything was written
    assert main(["data", "check", str(tmp_path / "nowhere")]) == 2
