"""Finding, checking and decoding audio files on disk (no tf.data here)."""

import os
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from math import gcd

import numpy as np
import soundfile
from scipy.signal import resample_poly

from pipelines import labels, listing
from pipelines.audio import decoders
from pipelines.errors import DataError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".mp4",
                    ".aiff", ".aif", ".aifc", ".au", ".wma", ".caf", ".webm", ".mka")
# What each extension promises (content decides; this only words "renamed" in the report)
_EXTENSION_CONTAINERS = {".wav": ("WAV", "RF64", "W64"), ".flac": ("FLAC",), ".mp3": ("MP3",),
                         ".ogg": ("OGG",), ".oga": ("OGG",), ".opus": ("OGG",),
                         ".m4a": ("MP4",), ".mp4": ("MP4",), ".aac": ("ADTS", "MP4"),
                         ".aiff": ("AIFF",), ".aif": ("AIFF",), ".aifc": ("AIFF",),
                         ".au": ("AU",), ".wma": ("ASF",), ".caf": ("CAF",),
                         ".webm": ("MATROSKA",), ".mka": ("MATROSKA",)}
# Subtypes whose samples can be NaN/Inf or whose decoding can fail past the header: these
# files are read in full during a scan. Integer PCM WAV is checked from its header alone.
_READ_IN_FULL = {"FLOAT", "DOUBLE"}
_STREAMED_SIZES = (0, 0xFFFFFFFF)  # placeholders some recorders leave in the data chunk size
MIN_RATE, MAX_RATE = 1000, 384000
MAX_SLICE_SECONDS = 600


@dataclass(frozen=True)
class AudioFileInfo:
    path: str
    sample_rate: int
    frames: int
    channels: int
    subtype: str
    format: str  # the container by content: "WAV", "MP4", "OGG", ... whatever the extension
    in_graph: bool  # plain 16-bit PCM WAV at the target rate: tf.audio.decode_wav reads it
    decoder: str = decoders.SOUNDFILE  # what reads it in Python: "soundfile" or "pyav"


@dataclass
class AudioScan:
    good: list = field(default_factory=list)  # AudioFileInfo
    bad: list = field(default_factory=list)  # (path, reason)
    sample_rate: int | None = None
    slice_len: int | None = None


def list_audio_files(path) -> list[str]:
    """Audio files under a folder (recursive, sorted) or named by a CSV's `path` column."""
    return listing.list_files(path, AUDIO_EXTENSIONS, "audio")


def read_labels(root, label_from="auto", pattern="") -> labels.Labels:
    """Absolute path -> label row (pipelines.labels): from labels.csv (or the CSV passed),
    parent folders or file names; `auto` takes labels.csv when there is one, else folders."""
    return labels.read_labels(root, AUDIO_EXTENSIONS, "audio", label_from, pattern)


def _riff_header(path: str):
    """(format tag, fmt size, bits, data bytes declared, data bytes present) or None."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        tag = bits = fmt_size = None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            name, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if name == b"fmt " and length >= 16:
                fmt = handle.read(length + (length & 1))
                tag, bits = struct.unpack("<H", fmt[:2])[0], struct.unpack("<H", fmt[14:16])[0]
                fmt_size = length
            elif name == b"data":
                return tag, fmt_size, bits, length, size - handle.tell()
            else:
                handle.seek(length + (length & 1), os.SEEK_CUR)


class _Unusable(Exception):
    """A file that opens but cannot be used (no frames, NaN, cut short): no reader helps."""


def _check_file(path: str, sample_rate):
    """An AudioFileInfo, or the reason the file cannot be used (a str). The readers its
    content calls for are tried in turn (soundfile, then PyAV); a reason names them all."""
    if not os.path.isfile(path):
        return "file not found (listed but missing)"
    if os.path.getsize(path) == 0:
        return "empty file (0 bytes)"
    content = decoders.sniff(path)
    if content is None:
        return decoders.NOT_AUDIO
    failures = []
    for reader in content.readers:
        try:
            return _PROBES[reader](path, content, sample_rate)
        except _Unusable as err:
            return str(err)
        except decoders.NoAudioStream as err:
            return f"{content.label} file with {err}"
        except Exception as err:  # libsndfile and FFmpeg raise many types for broken data
            failures.append(f"{decoders.DECODER_NAMES[reader]}: {_short(err, path)}")
    return f"cannot decode this {content.label} file, broken or cut short ({'; '.join(failures)})"


def _probe_soundfile(path: str, content, sample_rate):
    info = soundfile.info(path)
    if info.frames <= 0:
        raise _Unusable("no audio frames (empty recording)")
    in_graph = False
    if info.format == "WAV":
        riff = _riff_header(path)
        if riff is not None:
            tag, fmt_size, bits, declared, present = riff
            # libsndfile quietly shortens a cut file; decode_wav would fail on it mid-training
            if declared not in _STREAMED_SIZES and declared > present:
                raise _Unusable(f"truncated: header declares {declared} bytes of audio, "
                                f"file holds {present}")
            # decode_wav rejects anything but a 16- or 18-byte fmt chunk of 16-bit PCM
            in_graph = (tag == 1 and bits == 16 and fmt_size in (16, 18)
                        and declared not in _STREAMED_SIZES
                        and info.samplerate == (sample_rate or info.samplerate))
    if info.format != "WAV" or info.subtype in _READ_IN_FULL:
        _read_in_full(path)
    return AudioFileInfo(path, int(info.samplerate), int(info.frames), int(info.channels),
                         info.subtype, content.container, bool(in_graph))


def _probe_pyav(path: str, content, sample_rate):
    """Decodes the whole stream: FFmpeg's header durations are estimates for some
    containers (ADTS, ASF), and a broken stream must fail here, not mid-training."""
    frames, first = 0, None
    for block, rate, codec in decoders.pyav_blocks(path):
        if not np.all(np.isfinite(block)):
            raise _Unusable("contains NaN or Inf samples")
        frames += block.shape[1]
        first = first or (rate, block.shape[0], codec)
    if not frames:
        raise _Unusable("no audio frames (nothing decodes)")
    rate, channels, codec = first
    return AudioFileInfo(path, int(rate), frames, channels, codec.upper(), content.container,
                         False, decoders.PYAV)


def _read_in_full(path: str) -> None:
    """Decode the whole file in blocks: catches broken streams (raised, so that PyAV gets
    its turn) and NaN/Inf samples or nothing decoding (no reader helps those)."""
    frames = 0
    for block in soundfile.blocks(path, blocksize=1 << 16, dtype="float32", always_2d=True):
        if not np.all(np.isfinite(block)):
            raise _Unusable("contains NaN or Inf samples")
        frames += len(block)
    if not frames:
        raise _Unusable("no audio frames (nothing decodes)")


_PROBES = {decoders.SOUNDFILE: _probe_soundfile, decoders.PYAV: _probe_pyav}


def _short(err: Exception, path: str = "") -> str:
    # libsndfile repeats "Error opening '<path>': ", FFmpeg ": '<path>'"; the report names it
    text = str(err).replace(f"Error opening {path!r}: ", "").replace(f": {path!r}", "")
    text = re.sub(r"^\[Errno -?\d+\] ", "", text.strip())  # FFmpeg's error number says nothing
    return text.splitlines()[0][:160] if text else type(err).__name__


def scan_audio(path, sample_rate=None, slice_len=None) -> AudioScan:
    """Open every audio file under `path`, sorting it into usable files and (path, reason)."""
    return check_audio_files(list_audio_files(path), sample_rate, slice_len)


def check_audio_files(files, sample_rate=None, slice_len=None) -> AudioScan:
    """`scan_audio` for a list of paths."""
    scan = AudioScan(sample_rate=sample_rate, slice_len=slice_len)
    if not files:
        return scan
    workers = min(8, 2 * (os.cpu_count() or 1), len(files))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # libsndfile releases the GIL
        results = list(pool.map(lambda p: _check_file(p, sample_rate), files))
    for file, result in zip(files, results, strict=True):
        if isinstance(result, AudioFileInfo):
            scan.good.append(result)
        else:
            scan.bad.append((file, result))
    return scan


def resampled_frames(info: AudioFileInfo, sample_rate=None) -> int:
    """Length after resampling to `sample_rate` (resample_poly rounds up)."""
    rate = sample_rate or info.sample_rate
    return -(-info.frames * rate // info.sample_rate)


def require_usable(scan: AudioScan, path) -> None:
    listing.require_usable(scan.good, scan.bad, path, AUDIO_EXTENSIONS, "audio")


def check_recipe_fit(scan: AudioScan, sample_rate, slice_len) -> None:
    """Reject a rate or slice length no data could satisfy, padded or not."""
    for name, value in (("sample_rate", sample_rate), ("slice_len", slice_len)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise DataError(f"recipe {name}={value!r}: must be a positive integer")
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise DataError(f"recipe sample_rate={sample_rate}: outside {MIN_RATE}..{MAX_RATE} Hz; "
                        "set a usual audio rate such as 16000")
    if slice_len > MAX_SLICE_SECONDS * sample_rate:
        raise DataError(f"recipe slice_len={slice_len}: longer than {MAX_SLICE_SECONDS} s at "
                        f"{sample_rate} Hz; use a shorter slice")


def decode_file(path, sample_rate=None, decoder=None) -> np.ndarray:
    """float32 [samples, 1]: any format the scan reads, mixed to mono, resampled (scipy) to
    `sample_rate`. `decoder` is the scan's AudioFileInfo.decoder; without it the content
    picks, trying the readers in the scan's order."""
    if isinstance(path, bytes):
        path = path.decode()
    data, rate = decoders.read(path, decoder)
    mono = data.mean(axis=1, keepdims=True)
    target = int(sample_rate or rate)
    if target != rate and len(mono):
        step = gcd(target, rate)
        mono = resample_poly(mono, target // step, rate // step, axis=0)
    return np.nan_to_num(mono.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def describe_scan(scan: AudioScan, notes=()) -> str:
    """The human report behind `keras_avgan data check`; `notes` (e.g. the labels found)
    come before the list of skipped files, which can be long."""
    total = len(scan.good) + len(scan.bad)
    lines = [f"{total} audio files: {len(scan.good)} usable, {len(scan.bad)} skipped"]
    if scan.good:
        seconds = np.array([f.frames / f.sample_rate for f in scan.good])
        lines += [
            f"sample rates: {_counts(f.sample_rate for f in scan.good)}",
            f"durations (s): min {seconds.min():.3f}, mean {seconds.mean():.3f}, "
            f"max {seconds.max():.3f}",
            f"channels: {_counts(f.channels for f in scan.good)}",
        ]
        for decoder, name in decoders.DECODER_NAMES.items():
            read = [f"{f.format}/{f.subtype}" for f in scan.good if f.decoder == decoder]
            if read:
                lines.append(f"formats read by {name} (by content): {_counts(read)}")
        misnamed = [f for f in scan.good if _misnamed(f)]
        if misnamed:
            lines.append(f"content differs from the extension: {len(misnamed)} (read by "
                         f"content), e.g. {misnamed[0].path} is {misnamed[0].format}")
        if scan.sample_rate:
            fast = sum(f.in_graph for f in scan.good)
            by = {name: sum(f.decoder == d and not f.in_graph for f in scan.good)
                  for d, name in decoders.DECODER_NAMES.items()}
            python = ", ".join(f"{name} {n}" for name, n in by.items() if n) or "none"
            lines.append(f"decoded in-graph (16-bit WAV at {scan.sample_rate} Hz): {fast}; "
                         f"in Python, resampled to {scan.sample_rate} Hz when needed: {python}")
        if scan.slice_len:
            short = sum(resampled_frames(f, scan.sample_rate) < scan.slice_len
                        for f in scan.good)
            lines.append(f"shorter than slice_len={scan.slice_len}: {short} "
                         "(zero-padded with pad_short, else dropped)")
    lines += [note for note in notes if note]
    for path, reason in scan.bad:
        lines.append(f"skipped {path}: {reason}")
    return "\n".join(lines)


def _misnamed(info: AudioFileInfo) -> bool:
    expected = _EXTENSION_CONTAINERS.get(os.path.splitext(info.path)[1].lower())
    return expected is not None and info.format not in expected


def _counts(values) -> str:
    tally = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return ", ".join(f"{key} x{count}" for key, count in sorted(tally.items(), key=str))
