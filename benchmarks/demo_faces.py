"""The faces demo: build time for the default size, image count, and how many of the faces
OpenCV's Haar frontal-face cascade finds (with Wav2Pix's detection settings)."""

import csv
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipelines.demo.faces import build_faces


def frontal_face_cascade():
    if not hasattr(cv2, "CascadeClassifier"):
        raise SystemExit(f"OpenCV {cv2.__version__} has no Haar cascades (OpenCV 5 moved them "
                         "to opencv-contrib, without the cascade files); use "
                         "opencv-python-headless<5")
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def haar_rate(cascade, root: Path, rows) -> tuple[float, dict]:
    """Share of images with at least one detection, overall and per identity."""
    found = {}
    for row in rows:
        grey = np.asarray(Image.open(root / row["path"]).convert("L"))
        faces = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
        found.setdefault(row["identity"], []).append(len(faces) > 0)
    rate = np.mean([hit for hits in found.values() for hit in hits])
    return float(rate), {who: float(np.mean(hits)) for who, hits in found.items()}


def main() -> None:
    cascade = frontal_face_cascade()
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        root = build_faces(Path(tmp) / "faces")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        with open(root / "labels.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        rate, per_identity = haar_rate(cascade, root, rows)
    worst = min(per_identity, key=per_identity.get)
    print(f"faces demo: {len(rows)} images of {len(per_identity)} identities built in "
          f"{seconds:.1f} s ({cpu:.1f} s CPU); Haar cascade finds {rate:.1%} of them "
          f"(worst identity {worst}: {per_identity[worst]:.0%})")


if __name__ == "__main__":
    main()
