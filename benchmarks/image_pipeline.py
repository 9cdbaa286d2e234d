"""How fast images reach the model (`python benchmarks/image_pipeline.py`): `image_dataset`
against a naive Python loop (Pillow open, convert, crop, resize, numpy, one file at a
time) over the same JPEGs, measured side by side in one run.

Imports only `pipelines`, so it runs while keras_avgan is being changed.
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pipelines import images  # noqa: E402

ROUNDS = 3  # alternated, best of each kept: the machine's other load hits both alike


def write_jpegs(root, count, side=128, seed=0) -> list[str]:
    """`count` photo-like JPEGs of about side x side (a few pixels either way, so every one
    is cropped and resized): smooth colour fields with some grain."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        width, height = (side + rng.integers(-8, 9, size=2)).tolist()
        field = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
        field = np.asarray(field.resize((width, height), Image.BICUBIC), np.float32)
        grain = rng.normal(0, 8, field.shape)
        pixels = np.clip(field + grain, 0, 255).astype(np.uint8)
        paths.append(os.path.join(root, f"photo_{i:05d}.jpg"))
        Image.fromarray(pixels).save(paths[-1], quality=90)
    return paths


def naive_loop(paths, size) -> np.ndarray:
    """The loop people write first: one file at a time, all in Python."""
    out = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            side = min(image.size)
            left, top = (image.width - side) // 2, (image.height - side) // 2
            image = image.crop((left, top, left + side, top + side))
            image = image.resize((size, size), Image.LANCZOS)
            out.append(np.asarray(image, np.float32) / 127.5 - 1.0)
    return np.stack(out)


def _time_dataset(dataset, steps) -> float:
    iterator = iter(dataset)
    next(iterator)  # warm-up: tracing and thread start-up are not throughput
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    return time.perf_counter() - start
    # the iterator dies here, so its prefetching cannot slow the naive loop that follows


def measure(size=64, count=512, batch=64) -> dict:
    """Images per second of the scan, image_dataset and the naive loop, and their ratio."""
    steps = max(1, count // batch)
    with tempfile.TemporaryDirectory() as root:
        paths = write_jpegs(root, count)
        start = time.perf_counter()
        scan = images.scan_images(root)
        scan_s = time.perf_counter() - start
        images.require_usable(scan, root)
        dataset = images.image_dataset(scan.good, size=size, batch_size=batch, seed=0)
        dataset_s, naive_s = [], []
        for _ in range(ROUNDS):
            dataset_s.append(_time_dataset(dataset, steps))
            start = time.perf_counter()
            naive_loop(paths, size)
            naive_s.append(time.perf_counter() - start)
    dataset_rate = steps * batch / min(dataset_s)
    naive_rate = count / min(naive_s)
    return {"size": size, "count": count, "batch": batch, "cores": os.cpu_count(),
            "in_graph": sum(f.in_graph for f in scan.good),
            "scan_images_per_s": count / scan_s,
            "dataset_images_per_s": dataset_rate, "naive_images_per_s": naive_rate,
            "ratio": dataset_rate / naive_rate}


def main() -> int:
    result = measure()
    print(f"{result['count']} JPEGs of ~128x128 -> {result['size']}x{result['size']}, "
          f"batch {result['batch']}, {result['cores']} cores, "
          f"{result['in_graph']} decoded in-graph")
    print(f"scan_images:    {result['scan_images_per_s']:8.0f} images/s")
    print(f"image_dataset:  {result['dataset_images_per_s']:8.0f} images/s")
    print(f"naive PIL loop: {result['naive_images_per_s']:8.0f} images/s")
    print(f"ratio:          {result['ratio']:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
