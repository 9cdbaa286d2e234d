"""Audio listing, scanning, decoding, transforms and the tf.data pipeline."""

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from pipelines import audio
from pipelines.errors import DataError

RATE = 16000
N = 8000  # half a second keeps every decode cheap


def _signal(rate=RATE, n=N):
    t = np.arange(n) / rate
    return (0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t)).astype(
        np.float32)


def _peak_hz(x, rate=RATE):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * rate / len(x)


FORMATS = {  # name -> (file name, soundfile subtype, absolute tolerance vs the float signal)
    "pcm16": ("a_pcm16.wav", "PCM_16", 1e-4),
    "pcm8": ("b_pcm8.wav", "PCM_U8", 1e-2),
    "pcm24": ("c_pcm24.wav", "PCM_24", 1e-4),
    "pcm32": ("d_pcm32.wav", "PCM_32", 1e-4),
    "float": ("e_float.wav", "FLOAT", 1e-6),
    "flac": ("f.flac", "PCM_16", 1e-4),
}


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    x = _signal()
    for name, subtype, _ in FORMATS.values():
        soundfile.write(str(root / name), x, RATE, subtype=subtype)
    soundfile.write(str(root / "g.ogg"), x, RATE, subtype="VORBIS")
    soundfile.write(str(root / "h_stereo.wav"), np.stack([x, x], 1), RATE, subtype="PCM_16")
    soundfile.write(str(root / "i_44k.wav"), _signal(44100, 22050), 44100, subtype="PCM_16")
    return root


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    soundfile.write(str(root / "good.wav"), _signal(), RATE, subtype="PCM_16")
    (root / "empty.wav").write_bytes(b"")
    (root / "text.wav").write_text("not audio at all\n" * 20)
    soundfile.write(str(root / "zero.wav"), np.zeros(0, np.float32), RATE, subtype="PCM_16")
    whole = (root / "good.wav").read_bytes()
    (root / "truncated.wav").write_bytes(whole[:len(whole) // 2])
    nan = _signal()
    nan[100] = np.nan
    soundfile.write(str(root / "nan.wav"), nan, RATE, subtype="FLOAT")
    (root / "notes.txt").write_text("ignored: not an audio extension")
    return root


def _decode_all(files, slice_len=N, normalize=False):
    ds = audio.audio_dataset(files, sample_rate=RATE, slice_len=slice_len, slice_mode="first",
                             normalize=normalize, batch_size=1, seed=0, shuffle=False,
                             repeat=False)
    return [batch[0, :, 0] for batch in ds.as_numpy_iterator()]


def test_every_format_decodes_to_the_same_signal(formats):
    scan = audio.scan_audio(str(formats), sample_rate=RATE)
    assert not scan.bad
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in scan.good}
    assert by_name["a_pcm16.wav"].in_graph and by_name["h_stereo.wav"].in_graph
    assert not any(by_name[n].in_graph for n in ("b_pcm8.wav", "c_pcm24.wav", "e_float.wav",
                                                   "f.flac", "g.ogg", "i_44k.wav"))
    names = [f.path.rsplit("/", 1)[-1] for f in scan.good]
    decoded = dict(zip(names, _decode_all(scan.good), strict=True))
    x = _signal()
    for name, _, tol in FORMATS.values():
        np.testing.assert_allclose(decoded[name], x, atol=tol, err_msg=name)
        np.testing.assert_allclose(audio.decode_file(str(formats / name), RATE)[:, 0], x,
                                   atol=tol, err_msg=name)
    np.testing.assert_allclose(decoded["h_stereo.wav"], x, atol=1e-4)
    # lossy and resampled files: the tones survive where they were
    for name in ("g.ogg", "i_44k.wav"):
        assert abs(_peak_hz(decoded[name]) - 440) < 5, name
        assert np.corrcoef(decoded[name][1000:7000], x[1000:7000])[0, 1] > 0.95, name


def test_resampling_44k_keeps_the_frequency(formats):
    clip = audio.decode_file(str(formats / "i_44k.wav"), RATE)
    assert clip.shape == (8000, 1) and clip.dtype == np.float32
    only_1k = np.sin(2 * np.pi * 1000 * np.arange(44100) / 44100).astype(np.float32)
    path = formats.parent / "sine_1k_44k.wav"
    soundfile.write(str(path), only_1k, 44100, subtype="PCM_24")
    assert abs(_peak_hz(audio.decode_file(str(path), RATE)[:, 0]) - 1000) < 2


def test_16_bit_wav_that_decode_wav_rejects_goes_through_soundfile(tmp_path):
    # An extensible header and an oversized fmt chunk are valid WAV that decode_wav refuses.
    soundfile.write(str(tmp_path / "ext.wav"), _signal(), RATE, subtype="PCM_16",
                    format="WAVEX")
    plain = (tmp_path / "ext.wav").with_name("plain.wav")
    soundfile.write(str(plain), _signal(), RATE, subtype="PCM_16")
    raw = plain.read_bytes()  # fmt chunk 16 -> 20 bytes, RIFF size +4
    riff = int.from_bytes(raw[4:8], "little") + 4
    (tmp_path / "fmt20.wav").write_bytes(raw[:4] + riff.to_bytes(4, "little") + raw[8:16]
                                         + (20).to_bytes(4, "little") + raw[20:36]
                                         + b"\0" * 4 + raw[36:])
    plain.unlink()
    scan = audio.scan_audio(str(tmp_path), sample_rate=RATE)
    assert len(scan.good) == 2 and not any(f.in_graph for f in scan.good), scan
    for clip in _decode_all(scan.good):
        np.testing.assert_allclose(clip, _signal(), atol=1e-4)


def test_mp3_when_libsndfile_writes_it(tmp_path):
    if "MP3" not in soundfile.available_formats():
        pytest.skip("this libsndfile build has no MP3 support")
    soundfile.write(str(tmp_path / "x.mp3"), _signal(), RATE)
    scan = audio.scan_audio(str(tmp_path), sample_rate=RATE)
    assert len(scan.good) == 1 and not scan.bad
    assert abs(_peak_hz(_decode_all(scan.good)[0]) - 440) < 5


def test_bad_files_are_skipped_and_named(bad_dir):
    scan = audio.scan_audio(str(bad_dir), sample_rate=RATE, slice_len=16384)
    assert [f.path.rsplit("/", 1)[-1] for f in scan.good] == ["good.wav"]
    reasons = {path.rsplit("/", 1)[-1]: why for path, why in scan.bad}
    assert set(reasons) == {"empty.wav", "text.wav", "zero.wav", "truncated.wav", "nan.wav"}
    assert "truncated" in reasons["truncated.wav"] and "NaN" in reasons["nan.wav"]
    assert reasons["empty.wav"] == "empty file (0 bytes)"
    assert reasons["text.wav"] == audio.decoders.NOT_AUDIO  # by content, whatever the name
    report = audio.describe_scan(scan)
    assert "6 audio files: 1 usable, 5 skipped" in report
    assert "shorter than slice_len=16384: 1" in report
    for name in reasons:
        assert name in report


def test_missing_and_unusable_paths_raise(tmp_path, bad_dir):
    with pytest.raises(DataError, match="nowhere"):
        audio.scan_audio(str(tmp_path / "nowhere"))
    (tmp_path / "junk.wav").write_text("junk")
    with pytest.raises(DataError, match="no usable audio file under .*junk.wav"):
        audio.require_usable(audio.scan_audio(str(tmp_path)), str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no audio files"):
        audio.require_usable(audio.scan_audio(str(empty)), str(empty))
    scan = audio.scan_audio(str(bad_dir))
    for rate, length in ((0, 16384), (16000, -1), (16000.5, 16384), (16000, 10 ** 12)):
        with pytest.raises(DataError):
            audio.check_recipe_fit(scan, rate, length)
    audio.check_recipe_fit(scan, 16000, 16384)


def test_csv_listing_and_labels(tmp_path, tiny_tones):
    sub = tmp_path / "sub"
    sub.mkdir()
    soundfile.write(str(sub / "x.wav"), _signal(), RATE, subtype="PCM_16")
    listing = tmp_path / "files.csv"
    listing.write_text(f"path,kind\nsub/x.wav,rel\n{tiny_tones / 'tone_001.wav'},abs\n")
    assert audio.list_audio_files(str(listing)) == [str(sub / "x.wav"),
                                                    str(tiny_tones / "tone_001.wav")]
    rows = audio.read_labels(str(listing))
    assert rows[str((sub / "x.wav").resolve())]["kind"] == "rel"
    assert rows[str((sub / "x.wav").resolve())]["folder"] == "sub"
    labels = audio.read_labels(str(tiny_tones))
    assert len(labels) == 12 and labels[str(tiny_tones.resolve() / "tone_003.wav")]["pitch"] == "48"
    fallback = audio.read_labels(str(tmp_path))[str((sub / "x.wav").resolve())]
    assert fallback["folder"] == fallback["label"] == "sub"
    (tmp_path / "gone.csv").write_text("path\nmissing.wav\n")
    assert audio.scan_audio(str(tmp_path / "gone.csv")).bad == [
        (str(tmp_path / "missing.wav"), "file not found (listed but missing)")]
    bad = tmp_path / "bad.csv"
    bad.write_text("file\nx.wav\n")
    with pytest.raises(DataError, match="'path' column"):
        audio.list_audio_files(str(bad))


def test_transforms_match_eagerly_and_in_tf_data():
    rng = np.random.default_rng(0)
    clips = [rng.normal(size=(n, 2)).astype(np.float32) for n in (300, 1000, 2500)]
    seed = tf.constant([7, 3], tf.int64)

    def chain(x):
        x = audio.peak_normalize(audio.to_mono(x))
        return (audio.pad_to(x, 1200), audio.first_slice(x, 512),
                audio.random_slice(x, 512, seed), audio.all_slices(x, 512),
                audio.all_slices(x, 512, pad_short=False))

    ds = tf.data.Dataset.from_generator(lambda: iter(clips),
                                        output_signature=tf.TensorSpec([None, 2], tf.float32))
    for eager, graph in zip(map(chain, clips), ds.map(chain).as_numpy_iterator(), strict=True):
        for a, b in zip(eager, graph, strict=True):
            np.testing.assert_allclose(a.numpy(), b, rtol=1e-6)
    mono = audio.to_mono(clips[0]).numpy()
    np.testing.assert_allclose(mono[:, 0], clips[0].mean(1), rtol=1e-6)
    assert np.abs(audio.peak_normalize(clips[0]).numpy()).max() == pytest.approx(1.0)
    assert not np.any(np.isnan(audio.peak_normalize(np.zeros((10, 1))).numpy()))
    assert audio.pad_to(clips[0], 200).shape == (300, 2)
    assert audio.all_slices(clips[2][:, :1], 1000).shape == (3, 1000, 1)
    assert audio.all_slices(clips[2][:, :1], 1000, pad_short=False).shape == (2, 1000, 1)
    assert audio.all_slices(clips[0][:, :1], 1000).shape == (1, 1000, 1)
    assert audio.all_slices(clips[0][:, :1], 1000, pad_short=False).shape == (0, 1000, 1)


def test_slice_modes_and_short_clips(formats, tmp_path):
    files = audio.scan_audio(str(formats), sample_rate=RATE).good[:3]  # 8000 samples each
    common = dict(sample_rate=RATE, batch_size=1, seed=0, shuffle=False, repeat=False)
    counts = {mode: len(list(audio.audio_dataset(files, slice_len=3000, slice_mode=mode,
                                                 **common)))
              for mode in audio.SLICE_MODES}
    assert counts == {"random": 3, "first": 3, "all": 9}  # 8000 = 2 whole + 1 padded
    padded = list(audio.audio_dataset(files, slice_len=10000, slice_mode="first", **common))
    assert len(padded) == 3 and not np.any(padded[0].numpy()[0, 8000:])
    with pytest.raises(DataError, match="pad_short"):
        audio.audio_dataset(files, slice_len=10000, pad_short=False, **common)
    soundfile.write(str(tmp_path / "long.wav"), _signal(n=12000), RATE, subtype="PCM_16")
    long_file = audio.scan_audio(str(tmp_path)).good
    kept = list(audio.audio_dataset(files + long_file, slice_len=10000, pad_short=False,
                                    **common))
    assert len(kept) == 1


def _tone_dataset(tiny_tones, seed, **kw):
    files = audio.scan_audio(str(tiny_tones), sample_rate=RATE).good
    return audio.audio_dataset(files, sample_rate=RATE, slice_len=4096, batch_size=4,
                               seed=seed, **kw)


def test_dataset_shapes_labels_and_seed(tiny_tones):
    first = [b.numpy() for b in _tone_dataset(tiny_tones, 3).take(4)]
    again = [b.numpy() for b in _tone_dataset(tiny_tones, 3).take(4)]
    other = [b.numpy() for b in _tone_dataset(tiny_tones, 4).take(4)]
    assert first[0].shape == (4, 4096, 1) and first[0].dtype == np.float32
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    assert np.abs(first[0]).max() <= 1.0 + 1e-6
    ids = list(range(12))
    clips, labels = next(iter(_tone_dataset(tiny_tones, 3, labels=ids)))
    assert clips.shape == (4, 4096, 1) and labels.shape == (4,) and labels.dtype == tf.int32


def test_iterator_checkpoint_resumes_exactly(tiny_tones, tmp_path):
    ds = _tone_dataset(tiny_tones, 5)
    iterator = iter(ds)
    for _ in range(3):
        next(iterator)
    path = tf.train.Checkpoint(it=iterator).write(str(tmp_path / "ckpt"))
    expected = [next(iterator).numpy() for _ in range(4)]
    fresh = iter(ds)
    tf.train.Checkpoint(it=fresh).read(path).assert_consumed()
    for want in expected:
        np.testing.assert_array_equal(next(fresh).numpy(), want)


def test_checkpoint_with_soundfile_decode(formats, tmp_path):
    files = audio.scan_audio(str(formats), sample_rate=RATE).good
    ds = audio.audio_dataset(files, sample_rate=RATE, slice_len=2048, batch_size=2, seed=1)
    iterator = iter(ds)
    next(iterator)
    path = tf.train.Checkpoint(it=iterator).write(str(tmp_path / "ckpt"))
    expected = [next(iterator).numpy() for _ in range(3)]
    fresh = iter(ds)
    tf.train.Checkpoint(it=fresh).read(path).assert_consumed()
    for want in expected:
        np.testing.assert_array_equal(next(fresh).numpy(), want)


def test_eval_clips_are_first_slices(formats):
    files = audio.scan_audio(str(formats), sample_rate=RATE).good
    clips = audio.eval_clips(files, RATE, 10000)
    assert clips.shape == (len(files), 10000) and clips.dtype == np.float32
    np.testing.assert_allclose(np.abs(clips).max(axis=1), 1.0, atol=1e-5)
    assert not np.any(clips[0, 8000:])
    graph = _decode_all(files[:1], slice_len=10000, normalize=True)[0]
    np.testing.assert_allclose(clips[0], graph, atol=1e-6)


def test_peak_normalize_per_row_of_a_batch():
    batch = np.array([[0.5, -0.25], [0.0, 0.0], [2.0, 1.0]], np.float32)
    rows = audio.peak_normalize(batch, axis=-1).numpy()
    np.testing.assert_allclose(rows, [[1.0, -0.5], [0.0, 0.0], [1.0, 0.5]])
    whole = audio.peak_normalize(batch).numpy()  # one clip: one peak for everything
    np.testing.assert_allclose(whole, batch / 2.0)
