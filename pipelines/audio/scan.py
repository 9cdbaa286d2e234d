"""Finding, checking and decoding audio files on disk (no tf.data here)."""

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from math import gcd

import numpy as np
import soundfile
from scipy.signal import resample_poly

from pipelines import listing
from pipelines.errors import DataError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
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
    format: str
    in_graph: bool  # plain 16-bit PCM WAV at the target rate: tf.audio.decode_wav reads it


@dataclass
class AudioScan:
    good: list = field(default_factory=list)  # AudioFileInfo
    bad: list = field(default_factory=list)  # (path, reason)
    sample_rate: int | None = None
    slice_len: int | None = None


def list_audio_files(path) -> list[str]:
    """Audio files under a folder (recursive, sorted) or named by a CSV's `path` column."""
    return listing.list_files(path, AUDIO_EXTENSIONS, "audio")


def read_labels(root) -> dict[str, dict[str, str]]:
    """Absolute path -> label row, from labels.csv (or the CSV passed), plus a `folder` column;
    without a labels.csv each audio file is labelled by its parent folder."""
    return listing.read_labels(root, AUDIO_EXTENSIONS, "audio")


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


def _check_file(path: str, sample_rate):
    """An AudioFileInfo, or the reason the file cannot be used (a str)."""
    if not os.path.isfile(path):
        return "file not found (listed but missing)"
    if os.path.getsize(path) == 0:
        return "empty file (0 bytes)"
    try:
        info = soundfile.info(path)
    except Exception as err:  # libsndfile raises several types for non-audio or cut headers
        return f"not a readable audio file ({_short(err, path)})"
    if info.frames <= 0:
        return "no audio frames (empty recording)"
    in_graph = False
    if info.format == "WAV":
        riff = _riff_header(path)
        if riff is not None:
            tag, fmt_size, bits, declared, present = riff
            # libsndfile quietly shortens a cut file; decode_wav would fail on it mid-training
            if declared not in _STREAMED_SIZES and declared > present:
                return (f"truncated: header declares {declared} bytes of audio, "
                        f"file holds {present}")
            # decode_wav rejects anything but a 16- or 18-byte fmt chunk of 16-bit PCM
            in_graph = (tag == 1 and bits == 16 and fmt_size in (16, 18)
                        and declared not in _STREAMED_SIZES
                        and info.samplerate == (sample_rate or info.samplerate))
    if info.format != "WAV" or info.subtype in _READ_IN_FULL:
        problem = _read_problem(path)
        if problem:
            return problem
    return AudioFileInfo(path, int(info.samplerate), int(info.frames), int(info.channels),
                         info.subtype, info.format, bool(in_graph))


def _read_problem(path: str):
    """Decode the whole file in blocks: catches broken streams and NaN/Inf samples."""
    try:
        frames = 0
        for block in soundfile.blocks(path, blocksize=1 << 16, dtype="float32", always_2d=True):
            if not np.all(np.isfinite(block)):
                return "contains NaN or Inf samples"
            frames += len(block)
    except Exception as err:
        return f"failed to decode ({_short(err, path)})"
    return None if frames else "no audio frames (nothing decodes)"


def _short(err: Exception, path: str = "") -> str:
    # libsndfile repeats "Error opening '<path>': "; the report already names the file
    text = str(err).replace(f"Error opening {path!r}: ", "").strip()
    return text.splitlines()[0][:160] if text else type(err).__name__


def scan_audio(path, sample_rate=None, slice_len=None) -> AudioScan:
    """Open every audio file under `path`, sorting it into usable files and (path, reason)."""
    files = list_audio_files(path)
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


def decode_file(path, sample_rate=None) -> np.ndarray:
    """float32 [samples, 1]: any soundfile format, mixed to mono, resampled to `sample_rate`."""
    if isinstance(path, bytes):
        path = path.decode()
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1, keepdims=True)
    target = int(sample_rate or rate)
    if target != rate and len(mono):
        step = gcd(target, rate)
        mono = resample_poly(mono, target // step, rate // step, axis=0)
    return np.nan_to_num(mono.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def describe_scan(scan: AudioScan) -> str:
    """The human report behind `keras_avgan data check`."""
    total = len(scan.good) + len(scan.bad)
    lines = [f"{total} audio files: {len(scan.good)} usable, {len(scan.bad)} skipped"]
    if scan.good:
        seconds = np.array([f.frames / f.sample_rate for f in scan.good])
        lines += [
            f"sample rates: {_counts(f.sample_rate for f in scan.good)}",
            f"durations (s): min {seconds.min():.3f}, mean {seconds.mean():.3f}, "
            f"max {seconds.max():.3f}",
            f"channels: {_counts(f.channels for f in scan.good)}",
            f"formats: {_counts(f'{f.format}/{f.subtype}' for f in scan.good)}",
        ]
        if scan.sample_rate:
            fast = sum(f.in_graph for f in scan.good)
            lines.append(f"decoded in-graph (16-bit WAV at {scan.sample_rate} Hz): {fast}; "
                         f"through soundfile (resampled to {scan.sample_rate} Hz when needed): "
                         f"{len(scan.good) - fast}")
        if scan.slice_len:
            short = sum(resampled_frames(f, scan.sample_rate) < scan.slice_len
                        for f in scan.good)
            lines.append(f"shorter than slice_len={scan.slice_len}: {short} "
                         "(zero-padded with pad_short, else dropped)")
    for path, reason in scan.bad:
        lines.append(f"skipped {path}: {reason}")
    return "\n".join(lines)


def _counts(values) -> str:
    tally = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return ", ".join(f"{key} x{count}" for key, count in sorted(tally.items(), key=str))
