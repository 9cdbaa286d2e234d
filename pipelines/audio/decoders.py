"""What an audio file really is (from its first bytes, whatever its name) and the libraries
that read it: soundfile (libsndfile) first, PyAV (the FFmpeg inside its wheels) after.

The content decides, not the extension: libsndfile picks its MP3 decoder from a `.mp3` name
and then reports an AAC file so named as "File does not exist", and people rename files.
"""

import os
from dataclasses import dataclass

import av
import numpy as np
import soundfile

SOUNDFILE, PYAV = "soundfile", "pyav"
DECODER_NAMES = {SOUNDFILE: "soundfile", PYAV: "PyAV"}  # as reports spell them
_HEAD = 64  # bytes: enough for every signature below (an Ogg codec sits at 28..36)
_ZERO_PAD = 4096  # bytes of leading zeros looked past for an MPEG frame
_W64 = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_ASF = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"
_OGG_CODECS = ((b"\x01vorbis", "VORBIS"), (b"OpusHead", "OPUS"), (b"\x7fFLAC", "FLAC"),
               (b"Speex   ", "SPEEX"))
_MAGIC = ((b"fLaC", "FLAC"), (b".snd", "AU"), (b"caff", "CAF"), (b"\x1aE\xdf\xa3", "MATROSKA"),
          (b"#!AMR", "AMR"), (b"MAC ", "APE"), (b"wvpk", "WAVPACK"), (b"MPCK", "MUSEPACK"),
          (b"MP+", "MUSEPACK"), (b"TTA1", "TTA"), (b"\x0b\x77", "AC3"))
# Containers libsndfile reads; the rest (MP4/M4A, ADTS AAC, WMA, Matroska/WebM, ...) only
# FFmpeg does. A file libsndfile fails on is still offered to FFmpeg.
_LIBSNDFILE = {"WAV", "RF64", "W64", "AIFF", "AU", "CAF", "FLAC", "OGG", "MP3"}
NOT_AUDIO = "not audio: its content matches no audio format (a text or other file?)"


@dataclass(frozen=True)
class Content:
    container: str  # "WAV", "MP4", "OGG", "MP3", "ADTS", "ASF", ...
    codec: str = ""  # when the first bytes tell it (an Ogg stream's codec)

    @property
    def label(self) -> str:
        return f"{self.container}/{self.codec}" if self.codec else self.container

    @property
    def readers(self) -> tuple[str, ...]:
        return (SOUNDFILE, PYAV) if self.container in _LIBSNDFILE else (PYAV,)


def sniff(path: str) -> Content | None:
    """The format a file's first bytes announce (an ID3 tag is skipped), or None."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
        if head[:3] == b"ID3" and len(head) >= 10:  # tagged MP3 (or ADTS AAC, or FLAC)
            size = 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
            size += 10 if head[5] & 0x10 else 0  # a footer repeats the header
            handle.seek(size)
            # the decoders resync past padding after a tag: MP3 unless something else is there
            return _signature(handle.read(_HEAD)) or Content("MP3")
        found = _signature(head)
        if found is None and head[:1] == b"\0":  # MP3 encoders that pad the start with zeros
            sync = _frame_sync((head + handle.read(_ZERO_PAD)).lstrip(b"\0")[:4])
            found = Content(sync) if sync else None
    return found


def _signature(head: bytes) -> Content | None:
    riff = head[8:12]
    if head[:4] == b"RIFF" and riff == b"WAVE":
        return Content("WAV")
    if head[:4] in (b"RF64", b"BW64") and riff == b"WAVE":
        return Content("RF64")
    if head[:4] == b"FORM" and riff in (b"AIFF", b"AIFC"):
        return Content("AIFF")
    if head[:16] == _W64:
        return Content("W64")
    if head[:16] == _ASF:
        return Content("ASF")  # WMA (or a WMV video)
    if head[4:8] == b"ftyp":
        return Content("MP4")  # .m4a, .mp4, .m4b, .3gp: ISO media files
    if head[:4] == b"OggS":
        codec = next((name for magic, name in _OGG_CODECS if head[28:36].startswith(magic)), "")
        return Content("OGG", codec)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return Content(name)
    sync = _frame_sync(head[:4])
    return Content(sync) if sync else None


def _frame_sync(head: bytes) -> str | None:
    """An MPEG audio frame header: layer bits 00 are ADTS AAC, the others MPEG layers I-III."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if (head[1] >> 1) & 3 == 0:
        return "ADTS" if head[1] & 0xF0 == 0xF0 else None
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return "MP3" if bitrate != 0xF and rate != 3 else None


# --- PyAV ------------------------------------------------------------------------------
class NoAudioStream(Exception):
    """The container holds no audio (a silent video, subtitles)."""


def pyav_blocks(path: str):
    """(float32 [channels, n] blocks, rate, codec name) of a file's first audio stream.

    MP4 files declare their exact length (the encoder's padding is past it), so their last
    block is cut there; other containers give what their decoder gives.
    """
    with av.open(path, metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise NoAudioStream("no audio stream (a video without sound?)")
        stream = container.streams.audio[0]
        seconds = None
        if container.format.name.startswith("mov") and stream.duration and stream.time_base:
            seconds = stream.duration * stream.time_base
        resampler, limit, done = None, None, 0
        for frame in _and_flush(container.decode(stream)):
            if resampler is None:  # planar float at the first frame's rate and layout
                if frame is None:
                    return  # nothing decoded
                rate = frame.sample_rate
                resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
                limit = None if seconds is None else int(round(seconds * rate))
            for out in resampler.resample(frame):
                block = out.to_ndarray()
                if limit is not None:
                    block = block[:, :max(limit - done, 0)]
                done += block.shape[1]
                if block.shape[1]:
                    yield block, rate, stream.codec_context.name


def _and_flush(frames):
    """The frames, then None: the resampler's signal to hand out what it still holds (after a
    change of rate or layout inside the stream)."""
    yield from frames
    yield None


def read_pyav(path: str) -> tuple[np.ndarray, int]:
    """float32 [samples, channels] and the rate, by FFmpeg."""
    blocks, rates = [], []
    for block, rate, _ in pyav_blocks(path):
        blocks.append(block)
        rates.append(rate)
    if not blocks:
        raise ValueError("no audio frames decode")
    return np.concatenate(blocks, axis=1).T, rates[0]


def read_soundfile(path: str) -> tuple[np.ndarray, int]:
    return soundfile.read(path, dtype="float32", always_2d=True)


READERS = {SOUNDFILE: read_soundfile, PYAV: read_pyav}


def read(path: str, decoder: str | None = None) -> tuple[np.ndarray, int]:
    """float32 [samples, channels] and the rate. Without `decoder`, the content picks the
    readers and the first that succeeds is used, the same order the scan tried them in."""
    if decoder:
        return READERS[decoder](path)
    content = sniff(path) if os.path.isfile(path) else None
    if content is None:
        raise ValueError(f"{path}: {NOT_AUDIO}")
    for name in content.readers[:-1]:
        try:
            return READERS[name](path)
        except Exception:  # any failure: the next reader may read it (as the scan found)
            continue
    return READERS[content.readers[-1]](path)
