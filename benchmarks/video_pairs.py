"""Videos to face/speech pairs: seconds of work per minute of video at two frame sizes (an
H.264 + AAC MP4 at 25 fps, a procedural face pasted into a plain frame, new every second)."""

import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from pipelines.demo.faces import make_identities, random_variation, render_face
from pipelines.video import video_pairs

MINUTES, FPS, RATE = 1, 25, 44100


def encode(path: Path, width: int, height: int) -> None:
    who = make_identities(16)[0]
    seconds = MINUTES * 60
    with av.open(str(path), "w") as container:
        video = container.add_stream("h264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=RATE, layout="mono")
        rng = np.random.default_rng(0)
        for second in range(seconds):
            frame = np.full((height, width, 3), 90, np.uint8)
            side = height // 2
            face = render_face(who, random_variation(rng), side)
            frame[height // 4:height // 4 + side, (width - side) // 2:(width + side) // 2] = face
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for i in range(FPS):
                picture.pts = second * FPS + i
                picture.time_base = Fraction(1, FPS)
                for packet in video.encode(picture):
                    container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        noise = (0.1 * rng.standard_normal((1, seconds * RATE))).astype(np.float32)
        for start in range(0, noise.shape[1], 1024):
            block = av.AudioFrame.from_ndarray(np.ascontiguousarray(noise[:, start:start + 1024]),
                                               format="fltp", layout="mono")
            block.sample_rate, block.pts, block.time_base = RATE, start, Fraction(1, RATE)
            for packet in sound.encode(block):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)


def main() -> None:
    sizes = [(640, 360), (1280, 720)] if len(sys.argv) < 2 else \
        [tuple(map(int, s.split("x"))) for s in sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in sizes:
            path = Path(tmp) / f"speaker/{width}x{height}.mp4"
            path.parent.mkdir(exist_ok=True)
            encode(path, width, height)
            started, cpu = time.perf_counter(), time.process_time()
            summary = video_pairs(path, Path(tmp) / f"out{width}")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"{width}x{height}: {summary.pairs} pairs, {len(summary.faceless)} frames "
                  f"without a face; {seconds / MINUTES:.1f} s per minute of video "
                  f"({cpu / MINUTES:.1f} s CPU)")


if __name__ == "__main__":
    main()
