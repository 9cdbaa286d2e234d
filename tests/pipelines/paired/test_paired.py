"""Face/sound pairs: the three layouts, unpaired and unreadable halves named, stable
identity ids, and the training stream's mismatched faces."""

import io

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from PIL import Image

from pipelines import paired
from pipelines.errors import DataError

RATE = 16000
# One colour per identity, so a decoded face says whose it is.
COLOURS = {"id2": (250, 10, 10), "id10": (10, 250, 10), "ana": (10, 10, 250)}


def _sound(path, freq=220.0):
    t = np.arange(RATE) / RATE
    soundfile.write(str(path), 0.5 * np.sin(2 * np.pi * freq * t), RATE, subtype="PCM_16")


def _face(path, colour, fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(buffer, fmt)
    path.write_bytes(buffer.getvalue())


def _folders(root, per_identity=3):
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for k in range(per_identity):
            _sound(root / name / f"take{k}.wav", 110.0 * (k + 1))
            _face(root / name / f"take{k}.png", colour)
    return root


def test_folders_pair_by_name_and_name_every_file_left_alone(tmp_path):
    root = _folders(tmp_path / "pairs")
    _sound(root / "ana" / "lonely.wav")
    _face(root / "id2" / "portrait.jpg", COLOURS["id2"], "JPEG")
    (root / "id10" / "take1.png").write_bytes(b"\x89PNG\r\n\x1a\n cut")  # truncated face
    _face(root / "ana" / "take0.jpg", COLOURS["ana"], "JPEG")  # two pictures named take0
    scan = paired.scan_pairs(root)
    # Sorted as class names are everywhere (numbers by value, then text), so ids are stable.
    assert scan.identities == ["ana", "id10", "id2"]
    assert len(scan.pairs) == 3 * 3 - 2
    unpaired = dict(scan.unpaired)
    assert "no picture named 'lonely'" in unpaired[str(root / "ana" / "lonely.wav")]
    assert "no sound named 'portrait'" in unpaired[str(root / "id2" / "portrait.jpg")]
    assert "2 pictures share the name 'take0'" in unpaired[str(root / "ana" / "take0.wav")]
    assert "cannot be read" in unpaired[str(root / "id10" / "take1.wav")]
    assert [path for path, _ in scan.bad] == [str(root / "id10" / "take1.png")]
    report = paired.describe_pairs(scan)
    assert "7 face/sound pairs" in report and "3 identities" in report
    assert "pairs per identity: min 2, max 3" in report
    assert f"unpaired {root / 'ana' / 'lonely.wav'}" in report
    ids = paired.identity_ids(scan.pairs, scan.identities)
    assert sorted(ids.tolist()) == [0, 0, 1, 1, 2, 2, 2]


def test_wav2pix_names_pair_by_frame_number_and_jpeg_bytes_in_a_png_are_read(tmp_path):
    folder = tmp_path / "dataset" / "train" / "youtuber"
    folder.mkdir(parents=True)
    for n in (3, 17):
        _face(folder / f"cropped_face_frame_{n}.png", (200, 120, 90), "JPEG")
        _sound(folder / f"preprocessed_frame_{n}.wav")
    _sound(folder / "preprocessed_frame_99.wav")
    scan = paired.scan_pairs(tmp_path / "dataset")
    assert len(scan.pairs) == 2 and scan.identities == ["youtuber"]
    assert {p.image.format for p in scan.pairs} == {"JPEG"}
    assert "no picture named 'frame_99'" in dict(scan.unpaired)[
        str(folder / "preprocessed_frame_99.wav")]


def test_a_pairs_csv_lists_pairs_relative_to_itself(tmp_path):
    root = _folders(tmp_path / "pairs", per_identity=1)
    csv = root / "pairs.csv"
    csv.write_text("audio,image,identity\nid2/take0.wav,id2/take0.png,Ann\n"
                   "ana/take0.wav,ana/take0.png,\n")
    scan = paired.scan_pairs(root)  # the folder's pairs.csv wins over its folder names
    assert scan.source == str(csv) and [p.identity for p in scan.pairs] == ["Ann"]
    assert "line 3 has no identity" in scan.unpaired[0][1]
    assert len(paired.scan_pairs(csv).pairs) == 1
    csv.write_text("audio,picture\nx.wav,x.png\n")
    with pytest.raises(DataError, match="needs the columns audio, image, identity"):
        paired.scan_pairs(root)


def test_data_without_pairs_or_with_one_identity_is_refused_with_the_reason(tmp_path):
    (tmp_path / "empty").mkdir()
    _sound(tmp_path / "empty" / "a.wav")
    scan = paired.scan_pairs(tmp_path / "empty")
    with pytest.raises(DataError, match="no picture named 'a'"):
        paired.require_pairs(scan, tmp_path / "empty")
    assert not paired.looks_paired(tmp_path / "empty")
    one = _folders(tmp_path / "one")
    for name in ("id10", "ana"):
        for path in (one / name).iterdir():
            path.unlink()
    with pytest.raises(DataError, match="at least 2"):
        paired.require_pairs(paired.scan_pairs(one), one, minimum_identities=2)


def _colour_owner(image) -> str:
    mean = (np.asarray(image).reshape(-1, 3).mean(axis=0) + 1) * 127.5
    return min(COLOURS, key=lambda n: np.abs(mean - np.array(COLOURS[n])).sum())


def _stream(scan, seed=0, **kwargs):
    return paired.paired_dataset(scan.pairs, scan.identities, sample_rate=RATE, slice_len=8000,
                                 image_size=16, batch_size=4, seed=seed, **kwargs)


def test_the_stream_gives_the_pair_and_a_face_of_another_identity(tmp_path):
    scan = paired.scan_pairs(_folders(tmp_path / "pairs"))
    batches = list(_stream(scan).take(12).as_numpy_iterator())
    first = batches[0]
    assert first["audio"].shape == (4, 8000, 1) and first["image"].shape == (4, 16, 16, 3)
    assert first["mismatched_image"].shape == (4, 16, 16, 3)
    assert np.abs(first["audio"]).max() == pytest.approx(1.0)  # peak-normalised
    others = set()
    for batch in batches:
        for image, wrong, identity in zip(batch["image"], batch["mismatched_image"],
                                          batch["identity"], strict=True):
            assert _colour_owner(image) == scan.identities[identity]  # its own face
            assert _colour_owner(wrong) != scan.identities[identity]  # another's
            others.add((int(identity), _colour_owner(wrong)))
    assert len(others) == 6  # every identity is shown both other identities' faces
    again = next(iter(_stream(scan).as_numpy_iterator()))
    for key, value in first.items():
        np.testing.assert_array_equal(again[key], value, err_msg=key)
    reseeded = next(iter(_stream(scan, seed=1).as_numpy_iterator()))
    assert any(not np.array_equal(reseeded[key], first[key]) for key in first)


def test_data_decoded_once_streams_what_its_files_give(tmp_path):
    """Held decoded in memory (the folder is small) or decoded per epoch from disk (a
    budget of 0 bytes): the same batches, mismatched faces included."""
    root = _folders(tmp_path / "pairs")
    _face(root / "ana" / "take1.png", COLOURS["ana"], fmt="JPEG")  # a JPEG's other decoder
    scan = paired.scan_pairs(root)
    held = list(_stream(scan).take(6).as_numpy_iterator())
    from_disk = list(_stream(scan, decoded_bytes_max=0).take(6).as_numpy_iterator())
    for want, got in zip(from_disk, held, strict=True):
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_a_restored_stream_continues_exactly(tmp_path):
    scan = paired.scan_pairs(_folders(tmp_path / "pairs"))
    iterator = iter(_stream(scan))
    next(iterator)
    checkpoint = tf.train.Checkpoint(iterator=iterator)
    path = checkpoint.write(str(tmp_path / "ckpt"))
    expected = [next(iterator) for _ in range(3)]
    restored = iter(_stream(scan))
    tf.train.Checkpoint(iterator=restored).read(path).assert_consumed()
    for want in expected:
        got = next(restored)
        for key in want:
            np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), err_msg=key)


def test_one_identity_has_no_mismatched_faces_to_give(tmp_path):
    root = _folders(tmp_path / "pairs")
    scan = paired.scan_pairs(root / "ana")
    assert scan.identities == ["ana"]
    with pytest.raises(DataError, match="at least 2 identities"):
        _stream(scan)
    plain = paired.paired_dataset(scan.pairs, scan.identities, sample_rate=RATE,
                                  slice_len=8000, image_size=16, batch_size=2, seed=0,
                                  mismatched=False)
    assert "mismatched_image" not in next(iter(plain))


def test_data_check_reports_the_pairs_beside_each_half(tmp_path, capsys):
    from keras_avgan.cli import main

    root = _folders(tmp_path / "pairs")
    _sound(root / "ana" / "lonely.wav")
    assert main(["data", "check", str(root)]) == 0
    out = capsys.readouterr().out
    assert "10 audio files" in out and "9 image files" in out
    assert "9 face/sound pairs from folders (one per identity): 3 identities, 1 unpaired" in out
    (root / "pairs.csv").write_text("audio,image,identity\nana/take0.wav,ana/take0.png,ana\n")
    assert main(["data", "check", str(root / "pairs.csv")]) == 0
    assert "1 face/sound pairs from" in capsys.readouterr().out
    labels = root / "labels.csv"
    labels.write_text("path,colour\nana/take0.wav,blue\n")
    assert not paired.looks_paired(labels)
