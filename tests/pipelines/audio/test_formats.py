"""Every audio format people have, read by content: soundfile first, PyAV (FFmpeg) after.

The files are made here with soundfile and PyAV's own encoders (no system ffmpeg): a 700 Hz
sine, so a file read at the wrong rate or from the wrong bytes shows a wrong frequency.
"""

import av
import numpy as np
import pytest
import soundfile

from pipelines import audio
from pipelines.audio.decoders import NOT_AUDIO

RATE = 16000
N = 8000
HZ = 700
# name -> (decoder, container by content, frames: exact for lossless codecs and for MP4, whose
# header declares the length; within one codec frame otherwise)
SOUNDFILE = {  # name -> soundfile format, subtype
    "a.opus": ("OGG", "OPUS"), "b.aiff": ("AIFF", "PCM_16"), "c.aif": ("AIFF", "PCM_24"),
    "d.au": ("AU", "PCM_16"), "e.flac": ("FLAC", "PCM_16"), "f.ogg": ("OGG", "VORBIS"),
    "g.mp3": ("MP3", None), "h.wav": ("WAV", "PCM_16"),
}
PYAV = {  # name -> codec, container format (PyAV's muxer)
    "i.m4a": ("aac", "ipod"), "j.mp4": ("aac", "mp4"), "k.aac": ("aac", "adts"),
    "l.wma": ("wmav2", "asf"), "renamed_m4a.mp3": ("aac", "ipod"),
}
EXPECTED = {  # name -> (decoder, container, exact length)
    "a.opus": ("soundfile", "OGG", False), "b.aiff": ("soundfile", "AIFF", True),
    "c.aif": ("soundfile", "AIFF", True), "d.au": ("soundfile", "AU", True),
    "e.flac": ("soundfile", "FLAC", True), "f.ogg": ("soundfile", "OGG", True),
    "g.mp3": ("soundfile", "MP3", False), "h.wav": ("soundfile", "WAV", True),
    "i.m4a": ("pyav", "MP4", True), "j.mp4": ("pyav", "MP4", True),
    "k.aac": ("pyav", "ADTS", False), "l.wma": ("pyav", "ASF", False),
    "renamed_m4a.mp3": ("pyav", "MP4", True), "padded.mp3": ("soundfile", "MP3", False),
}
CODEC_FRAME = 2048  # samples: AAC's priming and padding, WMA's block, Opus's pre-skip


def _sine(n=N):
    return (0.5 * np.sin(2 * np.pi * HZ * np.arange(n) / RATE)).astype(np.float32)


def _peak_hz(x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * RATE / len(x)


def _missing_encoder(codec):
    try:
        av.codec.Codec(codec, "w")
    except Exception as err:  # the wheel was built without it
        return f"this PyAV wheel has no {codec} encoder ({err})"
    return None


def _encode(path, codec, container, signal):
    """Mono float audio through a PyAV encoder, frame by frame as FFmpeg wants it."""
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        stream.bit_rate = 32000  # wmav2 refuses its default rate for 16 kHz mono
        size = stream.codec_context.frame_size or 1024
        for start in range(0, len(signal), size):
            frame = av.AudioFrame.from_ndarray(signal[None, start:start + size], format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    x, skipped = _sine(), {}
    for name, (fmt, subtype) in SOUNDFILE.items():
        if fmt not in soundfile.available_formats():
            skipped[name] = f"this libsndfile build cannot write {fmt}"
            continue
        soundfile.write(str(root / name), x, RATE, format=fmt, subtype=subtype)
    for name, (codec, container) in PYAV.items():
        skipped[name] = _missing_encoder(codec)
        if not skipped[name]:
            _encode(root / name, codec, container, x)
    if (root / "g.mp3").exists():  # zeros before the first frame: still MP3 by content
        (root / "padded.mp3").write_bytes(b"\0" * 300 + (root / "g.mp3").read_bytes())
    # not usable, each for its own reason
    (root / "notes.m4a").write_text("a text file with an audio extension\n" * 10)
    whole = (root / "i.m4a").read_bytes() if (root / "i.m4a").exists() else b""
    (root / "cut.m4a").write_bytes(whole[:len(whole) // 2])  # the index (moov) is at the end
    with av.open(str(root / "silent_video.mp4"), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width = stream.height = 16
        for _ in range(2):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    scan = audio.scan_audio(str(root), sample_rate=RATE, slice_len=N)
    good = {f.path.rsplit("/", 1)[-1]: f for f in scan.good}
    bad = {p.rsplit("/", 1)[-1]: why for p, why in scan.bad}
    return root, good, bad, {k: v for k, v in skipped.items() if v}, scan


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_decodes_at_its_rate_length_and_pitch(media, name):
    root, good, bad, skipped, _ = media
    if name in skipped or (name == "padded.mp3" and "g.mp3" in skipped):
        pytest.skip(skipped.get(name) or skipped["g.mp3"])
    assert name in good, bad.get(name)
    info = good[name]
    decoder, container, exact = EXPECTED[name]
    assert (info.decoder, info.format, info.sample_rate, info.channels) == (
        decoder, container, RATE, 1)
    assert info.in_graph == (name == "h.wav")  # only 16-bit WAV skips Python
    if exact:
        assert info.frames == N
    else:
        assert abs(info.frames - N) <= CODEC_FRAME, info.frames
    clip = audio.decode_file(info.path, RATE, info.decoder)[:, 0]
    assert len(clip) == info.frames  # what the scan counted is what decodes
    assert abs(_peak_hz(clip[:N]) - HZ) < 5
    rms = np.sqrt(np.mean(clip[2048:N - 2048] ** 2))  # past the codecs' onset and tail
    assert abs(rms - 0.5 / np.sqrt(2)) < 0.03  # the level survives: not noise, not silence
    # Without the scan's answer the content picks the same reader (the tf.data route).
    np.testing.assert_array_equal(audio.decode_file(info.path, RATE)[:, 0], clip)
    # Resampling a PyAV file goes through scipy as any other.
    assert len(audio.decode_file(info.path, 8000, info.decoder)) == -(-info.frames // 2)


def test_bad_files_are_named_with_a_true_reason(media):
    _, _, bad, _, _ = media
    assert bad["notes.m4a"] == NOT_AUDIO
    assert bad["silent_video.mp4"].startswith("MP4 file with no audio stream")
    assert bad["cut.m4a"].startswith("cannot decode this MP4 file, broken or cut short (PyAV:")
    assert "does not exist" not in " ".join(bad.values())  # libsndfile's misleading word
    assert set(bad) == {"notes.m4a", "silent_video.mp4", "cut.m4a"}


def test_tf_data_and_eval_clips_read_pyav_files(media):
    _, good, _, skipped, _ = media
    files = [good[n] for n in ("i.m4a", "l.wma", "h.wav") if n in good]
    if len(files) < 3:
        pytest.skip(", ".join(skipped.values()))
    ds = audio.audio_dataset(files, sample_rate=RATE, slice_len=N, slice_mode="first",
                             normalize=False, batch_size=1, seed=0, shuffle=False,
                             repeat=False)
    clips = [batch[0, :, 0] for batch in ds.as_numpy_iterator()]
    for info, clip in zip(files, clips, strict=True):
        want = audio.decode_file(info.path, RATE, info.decoder)[:N, 0]
        np.testing.assert_allclose(clip[:len(want)], want, atol=1e-6, err_msg=info.path)
    evaluated = audio.eval_clips(files, RATE, N, normalize=False)
    np.testing.assert_allclose(evaluated, np.stack(clips), atol=1e-6)


def test_data_check_reports_formats_by_content_and_decoders(media):
    root, good, _, skipped, scan = media
    report = audio.describe_scan(scan)
    assert f"{len(good) + 3} audio files: {len(good)} usable, 3 skipped" in report
    read_by = {line.split(" (by content)")[0]: line for line in report.splitlines()
               if line.startswith("formats read by")}
    assert set(read_by) == {"formats read by soundfile", "formats read by PyAV"}
    if not skipped:
        assert "MP4/AAC x3" in read_by["formats read by PyAV"]
        assert "ASF/WMAV2 x1" in read_by["formats read by PyAV"]
        assert "OGG/OPUS x1" in read_by["formats read by soundfile"]
        assert "in-graph (16-bit WAV at 16000 Hz): 1; in Python" in report
        assert f"PyAV {len(PYAV)}" in report
    assert f"e.g. {root / 'renamed_m4a.mp3'} is MP4" in report
