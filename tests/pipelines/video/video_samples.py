"""Tiny test videos encoded with PyAV: a procedural face that changes every second, and a tone
whose frequency tells which second a stretch of the sound comes from."""

from fractions import Fraction

import av
import numpy as np

from pipelines.demo.faces import make_identities, random_variation, render_face

SIDE = 160


def frequency(second: int) -> float:
    return 400.0 + 300.0 * second


def tone(seconds: float, rate: int) -> np.ndarray:
    """A sine at frequency(k) during second k, its phase continuous across seconds."""
    t = np.arange(int(round(seconds * rate))) / rate
    phase = 2 * np.pi * np.cumsum(frequency(np.floor(t))) / rate
    return (0.4 * np.sin(phase)).astype(np.float32)


def face_frames(seconds: int, person: int = 3, seed: int = 0) -> list[np.ndarray]:
    """One RGB picture per second: the same person, a new pose, light and backdrop."""
    who = make_identities(16)[person]
    return [render_face(who, random_variation(np.random.default_rng([seed, person, k])), SIDE)
            for k in range(seconds)]


def blank_frames(seconds: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    ramp = np.linspace(60, 190, SIDE)[None, :, None]
    return [np.clip(ramp + rng.normal(0, 3, (SIDE, SIDE, 3)), 0, 255).astype(np.uint8)
            for _ in range(seconds)]


def encode(path, pictures, *, fps=25, time_base=Fraction(1, 90000), video_codec="h264",
           audio_codec="aac", audio_rate=44100, layout="stereo", audio=True, audio_seconds=None,
           fmt=None):
    """pictures[k] shown during second k at `fps`; tone() in every channel, as long as the
    video unless `audio_seconds` says otherwise."""
    seconds = len(pictures)
    with av.open(str(path), "w", format=fmt) as container:
        video = container.add_stream(video_codec, rate=fps)
        video.width = video.height = SIDE
        video.pix_fmt = "yuv420p"
        video.time_base = time_base
        sound = container.add_stream(audio_codec, rate=audio_rate, layout=layout) if audio \
            else None
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(pictures[i // fps], format="rgb24")
            frame.pts, frame.time_base = int(round(Fraction(i, fps) / time_base)), time_base
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is None:
            return path
        signal = tone(audio_seconds or seconds, audio_rate)
        channels = np.stack([signal] * sound.layout.nb_channels)
        hop = 960
        for start in range(0, signal.size, hop):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(channels[:, start:start + hop]),
                                               format="fltp", layout=layout)
            frame.sample_rate, frame.pts = audio_rate, start
            frame.time_base = Fraction(1, audio_rate)
            for packet in sound.encode(frame):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
    return path
