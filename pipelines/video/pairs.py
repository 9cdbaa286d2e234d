"""Videos -> face/speech pairs on disk, the layout paired audio-visual data is read from:

    <out>/<identity>/<stem>.wav   one second, 16-bit PCM, 16 kHz mono
    <out>/<identity>/<stem>.png   the face seen at that second, RGB, size x size
    <out>/pairs.csv               audio,image,identity,source,time_s,crop (paths relative to out)

`time_s` is the frame's time from the start of the video (reading.py says which frame).
A stem is `<video>_t<ms>` (that time in milliseconds), `<video>_t<ms>_c<k>` for the
k-th random crop of its audio; `crop` is 0 for the centred window and 1..K for the crops.
Every file is written under a hidden temporary name and renamed when complete, and the
manifest (rewritten the same way) lists only finished videos, so an interrupted run leaves
no half file under a finished name. Re-running over the same output replaces the rows and
files of the videos it reads again and keeps the others.
"""

import csv
import os
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

from pipelines.errors import DataError
from pipelines.listing import list_files
from pipelines.paired.scan import PAIRS_FILE
from pipelines.video import windows
from pipelines.video.faces import FaceCropper
from pipelines.video.reading import RATE, Unusable, read_video

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi")
MANIFEST = PAIRS_FILE  # the pair list pipelines.paired reads: the crops share one picture
COLUMNS = ("audio", "image", "identity", "source", "time_s", "crop")
MANIFEST_EVERY = 5.0  # seconds between rewrites of the manifest during a run (and at the end)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PAIR_STEM = re.compile(r"^(.*)_t\d+(?:_c\d+)?$")


@dataclass
class VideoResult:
    """One video's outcome, as the progress callback gets it."""

    source: str
    identity: str
    pairs: int = 0
    frames: int = 0  # frames sampled, one per second of video
    faceless: list = field(default_factory=list)  # their times (s) where no face was found
    no_audio: list = field(default_factory=list)  # times of faces without a window of audio
    skipped: str | None = None  # why nothing of the video could be used
    duration: float = 0.0  # seconds of video
    seconds: float = 0.0  # time taken


@dataclass
class PairSummary:
    out: Path
    results: list = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(r.pairs for r in self.results)

    @property
    def videos_read(self) -> int:
        return sum(r.skipped is None for r in self.results)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(r.source, r.skipped) for r in self.results if r.skipped is not None]

    @property
    def faceless(self) -> list[tuple[str, float]]:
        return [(r.source, t) for r in self.results for t in r.faceless]

    @property
    def no_audio(self) -> list[tuple[str, float]]:
        return [(r.source, t) for r in self.results for t in r.no_audio]


def list_videos(path) -> list[str]:
    """One file (any name: its content decides), the videos under a folder (searched
    recursively by extension, then opened), or those a CSV's `path` column names."""
    root = Path(path).expanduser()
    if root.is_file() and root.suffix.lower() != ".csv":
        return [str(path)]
    found = list_files(path, VIDEO_EXTENSIONS, "video")
    if not found:
        raise DataError(f"{path}: no video files found ({' '.join(VIDEO_EXTENSIONS)}, "
                        "searched recursively)")
    return found


def video_pairs(path, out, *, identity: str | None = None, size: int = 128,
                margin: float = 0.2, crops: int = 0, spread: float = 1.0, seed: int = 0,
                progress=None) -> PairSummary:
    """Write face/speech pairs from the video(s) at `path` into `out` (layout above).

    One frame per second (reading.py says which); its largest face with `margin` of the face
    box around it, squared, resized to `size`. Audio: the second centred on the frame, or
    with `crops` = K > 0, K seeded random seconds inside frame time +- `spread` s instead,
    each written as its own pair with the same face. Identity: `identity`, else the name of
    each video's folder. `progress(index, total, result)` is called after each video.
    Videos that cannot be used, frames without a face and faces without audio are counted
    and named in the summary, never raised. (beam_pipeline.py runs the same per-video work
    on an Apache Beam runner.)
    """
    settings = PairSettings(size, margin, crops, spread, seed)
    out, manifest, jobs = plan(path, out, identity)
    cropper = settings.cropper()
    summary = PairSummary(out)
    try:
        for index, job in enumerate(jobs):
            result, rows = pairs_of_video(job, out, cropper, settings)
            manifest.replace(job.source, rows)
            summary.results.append(result)
            manifest.save(final=False)
            if progress is not None:
                progress(index, len(jobs), result)
    finally:
        manifest.save(final=True)
    return summary


@dataclass(frozen=True)
class PairSettings:
    """How a video's frames become pairs (video_pairs' arguments of the same names)."""

    size: int = 128
    margin: float = 0.2
    crops: int = 0
    spread: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.crops < 0 or self.spread < 0.5:
            raise DataError(f"crops must be >= 0 and spread >= 0.5 s, the half of a one-second "
                            f"crop (got crops={self.crops}, spread={self.spread})")

    def cropper(self) -> FaceCropper:
        return FaceCropper(self.size, self.margin)


@dataclass(frozen=True)
class VideoJob:
    """One video to read: its identity and the stem its pairs are named by."""

    source: str
    identity: str
    stem: str


def plan(path, out, identity: str | None):
    """(out folder, its manifest, a job per video at `path`): each video's identity and a
    stem no other video of its identity uses, decided before any is read, so that videos can
    be read in any order or on any worker."""
    sources = list_videos(path)
    if identity is not None and _safe(identity) != identity:
        raise DataError(f"identity {identity!r}: use letters, digits, '.', '_' or '-' only")
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out, sources)
    jobs = []
    for source in sources:
        who = identity or _safe(Path(os.path.abspath(source)).parent.name) or "unknown"
        jobs.append(VideoJob(source, who,
                             manifest.claim(who, _safe(Path(source).stem) or "video", source)))
    return out, manifest, jobs


def pairs_of_video(job: VideoJob, out: Path, cropper: FaceCropper,
                   settings: PairSettings) -> tuple[VideoResult, list[dict]]:
    """Read one video and write its pairs under `out`/identity: (its result, its manifest
    rows). Whatever FFmpeg or OpenCV chokes on skips the video, no more."""
    started = time.perf_counter()
    result = VideoResult(job.source, job.identity)
    try:
        video = read_video(job.source, cropper)
    except Unusable as err:
        result.skipped = str(err)
    except Exception as err:
        result.skipped = f"could not be read ({type(err).__name__}: {err})"
    if result.skipped is not None:
        result.seconds = time.perf_counter() - started
        return result, []
    result.frames, result.duration = len(video.frames), video.duration
    folder = Path(out) / job.identity
    rng_key = zlib.crc32(os.path.abspath(job.source).encode())  # crops stay put in any order
    rows = []
    for number, (when, face) in enumerate(video.frames):
        if face is None:
            result.faceless.append(round(when, 3))
            continue
        centre = int(round((when - video.audio_start) * RATE))
        if settings.crops:
            rng = np.random.default_rng([settings.seed, rng_key, number])
            starts = windows.random_crops(centre, len(video.audio), RATE, settings.crops,
                                          int(round(settings.spread * RATE)), rng)
        else:
            start = windows.centred(centre, len(video.audio), RATE)
            starts = [] if start is None else [start]
        if not starts:
            result.no_audio.append(round(when, 3))
            continue
        base = f"{job.stem}_t{int(round(when * 1000)):07d}"
        folder.mkdir(exist_ok=True)  # here: a video without a face leaves no empty folder
        _write_png(folder / f"{base}.png", face)
        for k, start in enumerate(starts, start=1 if settings.crops else 0):
            name = f"{base}_c{k}" if settings.crops else base
            _write_wav(folder / f"{name}.wav", video.audio[start:start + RATE])
            rows.append({"audio": f"{job.identity}/{name}.wav",
                         "image": f"{job.identity}/{base}.png", "identity": job.identity,
                         "source": job.source, "time_s": f"{when:.3f}", "crop": str(k)})
    result.pairs = len(rows)
    result.seconds = time.perf_counter() - started
    return result, rows


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.part")


def _write_wav(path: Path, samples: np.ndarray) -> None:
    tmp = _temporary(path)
    soundfile.write(str(tmp), np.clip(samples, -1, 1), RATE, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    tmp = _temporary(path)
    Image.fromarray(rgb).save(tmp, format="PNG", compress_level=1)  # fast; PNGs stay small
    os.replace(tmp, path)


class Manifest:
    """The rows of pairs.csv: those of an earlier run for videos not read again, then the
    rows of each video read. Files of a re-read video that it no longer yields are removed."""

    def __init__(self, out: Path, sources: list[str]):
        self.out, self.path = out, out / MANIFEST
        self.kept, self.earlier, self.rows, self.stems = [], {}, {}, {}
        self.saved = time.monotonic()
        again = set(sources)
        for row in self._read():
            if row["source"] in again:
                self.earlier.setdefault(row["source"], []).append(row)
            elif (out / row["audio"]).is_file() and (out / row["image"]).is_file():
                self.kept.append(row)
                self._claim_row(row)

    def _read(self) -> list[dict]:
        try:
            with open(self.path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if tuple(reader.fieldnames or ()) != COLUMNS:
                    raise DataError(f"{self.path}: not a video pairs manifest (its header is "
                                    f"{reader.fieldnames}); choose another output folder")
                return list(reader)
        except FileNotFoundError:
            return []

    def _claim_row(self, row) -> None:
        match = _PAIR_STEM.match(Path(row["audio"]).stem)
        if match:
            self.stems.setdefault((row["identity"], match.group(1)), row["source"])

    def claim(self, identity: str, stem: str, source: str) -> str:
        """A video stem no other video in this identity's folder uses (two folders of the same
        name, or the same file name in two folders, would overwrite each other)."""
        owner = self.stems.setdefault((identity, stem), source)
        if owner != source:
            stem = f"{stem}-{zlib.crc32(source.encode()):08x}"
            self.stems[(identity, stem)] = source
        return stem

    def replace(self, source: str, rows: list[dict]) -> None:
        self.rows[source] = rows
        now = {name for row in rows for name in (row["audio"], row["image"])}
        for row in self.earlier.pop(source, []):
            for name in (row["audio"], row["image"]):
                if name not in now:
                    (self.out / name).unlink(missing_ok=True)

    def save(self, final: bool) -> None:
        if not final and time.monotonic() - self.saved < MANIFEST_EVERY:
            return
        tmp = _temporary(self.path)
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.kept)
            for rows in self.rows.values():
                writer.writerows(rows)
        os.replace(tmp, self.path)
        self.saved = time.monotonic()


def progress_line(index: int, total: int, result: VideoResult) -> str:
    """One line per video for a command line to print."""
    head = f"[{index + 1}/{total}] {result.source}"
    if result.skipped is not None:
        return f"{head}: skipped, {result.skipped}"
    parts = [f"{result.pairs} pairs from {result.frames} frames ({result.duration:.0f} s)"]
    if result.faceless:
        parts.append(f"{len(result.faceless)} without a face")
    if result.no_audio:
        parts.append(f"{len(result.no_audio)} without audio")
    return f"{head}: {', '.join(parts)} in {result.seconds:.1f} s"


def describe(summary: PairSummary, shown: int = 5) -> str:
    """The summary in a few lines: totals, then the skipped videos and faceless frames by name
    (the first `shown` of each)."""
    lines = [f"{summary.pairs} pairs from {summary.videos_read} videos written to "
             f"{summary.out} ({summary.out / MANIFEST})"]
    for title, items in (("skipped videos", summary.skipped),
                         ("frames without a face", summary.faceless),
                         ("faces without audio", summary.no_audio)):
        if items:
            named = "; ".join(f"{s}: {_item(v)}" for s, v in items[:shown])
            more = f"; and {len(items) - shown} more" if len(items) > shown else ""
            lines.append(f"{len(items)} {title}: {named}{more}")
    return "\n".join(lines)


def _item(value) -> str:
    return f"{value:.2f} s" if isinstance(value, float) else str(value)
