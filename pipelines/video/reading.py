"""Reading one video in a single pass: its sound as 16 kHz mono and one frame per second.

Which frame: the first one at or after the centre of each second, t = 0.5, 1.5, 2.5, ... s
from the start, so that the one-second audio window centred on it covers that second. A
second with no frame in it (a gap in a variable-rate file) gives no frame rather than a
later one. Times come from each frame's pts times its stream's time base, kept as exact
fractions: rounding them, or taking pts for a frame number, finds only the first frame once
the time base is 1/90000 or 1/12800.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np

RATE = 16000  # Hz: the sample rate of every audio window written
# A file that ends this much before the duration its header declares is truncated (a cut
# download): FFmpeg decodes what is there without an error.
TRUNCATED_SLACK = 0.25  # seconds; a few frames, well over any rounding of the declared length


class Unusable(Exception):
    """A video that cannot be used as a whole; the message is the reason shown to users."""


@dataclass
class VideoRead:
    """What one video gave: mono audio, when its first sample plays, and the kept frames."""

    audio: np.ndarray  # float32 [samples] at RATE
    audio_start: float  # seconds from the start of the video
    frames: list = field(default_factory=list)  # (time in seconds, keep(rgb)) per second
    duration: float = 0.0  # seconds of video decoded (the last frame's time)


def _video_stream(container):
    """The first video stream that is not a cover picture (an MP4's or MKV's album art)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def read_video(path: str, keep) -> VideoRead:
    """Decode `path` once; `keep(rgb uint8 [H, W, 3])` is called on each second's frame and
    what it returns is stored, so the full-size frames are never held. Raises Unusable."""
    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as err:
        raise Unusable(f"not a readable video ({_message(err)})") from None
    with container:
        video, audio = _video_stream(container), next(iter(container.streams.audio), None)
        if video is None:
            raise Unusable("no video stream (an audio file or a still image?)")
        if audio is None:
            raise Unusable("no audio stream (a video without sound?)")
        video.thread_type = "AUTO"  # decode on several threads; every frame is decoded
        # every time is counted from the container's start, as a player shows it
        origin = (Fraction(container.start_time, av.time_base)
                  if container.start_time is not None else Fraction(0))
        sampler = _FrameSampler(origin, video.time_base, keep,
                                video.average_rate or video.guessed_rate)
        sound = _Sound(origin, audio.time_base)
        try:
            for packet in container.demux(video, audio):  # the last packets flush
                for frame in packet.decode():
                    if packet.stream is video:
                        sampler.add(frame)
                    else:
                        sound.add(frame)
        except av.FFmpegError as err:
            raise Unusable(f"damaged or truncated after {float(sampler.last):.1f} s of "
                           f"video ({_message(err)})") from None
        declared = container.duration / av.time_base if container.duration else None
    if sampler.count == 0:
        raise Unusable("no video frame decodes")
    samples, start = sound.finish()
    if samples is None:
        raise Unusable("no audio frame decodes")
    end = max(float(sampler.last + sampler.period), start + samples.size / RATE)
    if declared is not None and end < declared - TRUNCATED_SLACK:
        raise Unusable(f"truncated: only {end:.1f} s of the {declared:.1f} s its header "
                       "declares decode")
    return VideoRead(samples, start, sampler.kept, float(sampler.last))


def _message(err) -> str:
    return getattr(err, "strerror", None) or str(err)


class _FrameSampler:
    def __init__(self, origin: Fraction, base, keep, rate):
        self.origin, self.base, self.keep = origin, base, keep  # base: if a frame has none
        self.period = 1 / Fraction(rate or 25)
        self.target = Fraction(1, 2)
        self.kept, self.count, self.last = [], 0, Fraction(0)

    def add(self, frame) -> None:
        if frame.pts is None:  # no timestamp at all: one frame period after the last one
            time = self.last + self.period
        else:
            time = frame.pts * (frame.time_base or self.base) - self.origin
        self.count += 1
        self.last = max(self.last, time)
        if time < self.target:
            return
        self.target += math.floor(time - self.target)  # seconds without a frame: none
        self.kept.append((float(time), self.keep(frame.to_ndarray(format="rgb24"))))
        self.target += 1


class _Sound:
    """Audio frames resampled to RATE as they decode; their channels are averaged (as the
    audio pipelines mix to mono). The first frame's time places the samples, which are taken
    as contiguous from there on (a gap in the timestamps is not filled with silence)."""

    def __init__(self, origin: Fraction, base):
        self.origin, self.base, self.start = origin, base, None
        self.resampler, self.blocks = None, []

    def add(self, frame) -> None:
        if self.resampler is None:
            self.start = (float(frame.pts * (frame.time_base or self.base) - self.origin)
                          if frame.pts is not None else 0.0)
            self.resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=RATE)
        self._take(self.resampler.resample(frame))

    def _take(self, frames) -> None:
        for out in frames:
            self.blocks.append(out.to_ndarray().mean(axis=0, dtype=np.float32))

    def finish(self):
        if self.resampler is None:
            return None, None
        self._take(self.resampler.resample(None))  # what the resampler still holds
        if not self.blocks:
            return None, None
        return np.concatenate(self.blocks), self.start
