"""Finding the face in a frame and cutting it out: OpenCV's Haar frontal-face cascade, the
largest face, a margin around it, squared, clipped to the frame, resized."""

import cv2
import numpy as np

from pipelines.errors import DataError

# Wav2Pix's detection settings (as benchmarks/demo_faces.py measures the demo faces with)
SCALE_FACTOR, MIN_NEIGHBORS, MIN_FACE = 1.1, 5, 40
DETECT_SIDE = 640  # px: larger frames are shrunk for the detector only, whose cost grows with
# the pixels; a face under 40 / 640 of the frame's side is too small to keep anyway
# A face picture is brought to this side before asking whether it holds a face: a 64 px
# face is under the detector's 40 px minimum more often than not.
PICTURE_SIDE = 128


def frontal_face_cascade():
    if not hasattr(cv2, "CascadeClassifier"):
        raise DataError(f"OpenCV {cv2.__version__} has no Haar cascades (OpenCV 5 moved them "
                        "to opencv-contrib, without the cascade files); install "
                        "'opencv-python-headless<5'")
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise DataError(f"OpenCV's frontal-face cascade did not load from "
                        f"{cv2.data.haarcascades}; reinstall opencv-python-headless")
    return cascade


def square_box(box, margin: float, width: int, height: int) -> tuple[int, int, int]:
    """(left, top, side) of the square around a detection (x, y, w, h) grown by `margin` of its
    side on every side, moved inside the frame, and shrunk only if the frame is narrower."""
    x, y, w, h = (float(v) for v in box)
    side = min(max(w, h) * (1 + 2 * margin), width, height)
    left = min(max(x + w / 2 - side / 2, 0.0), width - side)
    top = min(max(y + h / 2 - side / 2, 0.0), height - side)
    side = int(side)
    return min(int(round(left)), width - side), min(int(round(top)), height - side), side


class FaceCropper:
    """rgb uint8 [H, W, 3] -> the largest face as uint8 [size, size, 3], or None."""

    def __init__(self, size: int = 128, margin: float = 0.2):
        if size < 8 or margin < 0:
            raise DataError(f"a face crop needs size >= 8 and margin >= 0 (got size {size}, "
                            f"margin {margin})")
        self.size, self.margin = size, margin
        self.cascade = frontal_face_cascade()

    def find(self, rgb: np.ndarray):
        """The largest detection (x, y, w, h) in frame pixels, or None."""
        height, width = rgb.shape[:2]
        scale = min(1.0, DETECT_SIDE / max(height, width))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if scale < 1:
            grey = cv2.resize(grey, (round(width * scale), round(height * scale)),
                              interpolation=cv2.INTER_AREA)
        found = self.cascade.detectMultiScale(grey, scaleFactor=SCALE_FACTOR,
                                              minNeighbors=MIN_NEIGHBORS,
                                              minSize=(MIN_FACE, MIN_FACE))
        if len(found) == 0:
            return None
        x, y, w, h = max(found, key=lambda b: b[2] * b[3])
        return tuple(v / scale for v in (x, y, w, h))

    def __call__(self, rgb: np.ndarray):
        box = self.find(rgb)
        if box is None:
            return None
        left, top, side = square_box(box, self.margin, rgb.shape[1], rgb.shape[0])
        crop = rgb[top:top + side, left:left + side]
        shrink = cv2.INTER_AREA if side > self.size else cv2.INTER_CUBIC
        return cv2.resize(crop, (self.size, self.size), interpolation=shrink)


def faces_found(pictures, cascade=None) -> np.ndarray:
    """bool [N]: whether the frontal cascade finds a face in each picture (float [N, H, W, 3]
    in [0, 1], or uint8), resized to PICTURE_SIDE first, with Wav2Pix's settings."""
    cascade = cascade or frontal_face_cascade()
    pictures = np.asarray(pictures)
    if pictures.dtype != np.uint8:
        pictures = np.round(np.clip(pictures, 0.0, 1.0) * 255).astype(np.uint8)
    found = []
    for rgb in pictures:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if grey.shape[:2] != (PICTURE_SIDE, PICTURE_SIDE):
            grow = grey.shape[0] < PICTURE_SIDE
            grey = cv2.resize(grey, (PICTURE_SIDE, PICTURE_SIDE),
                              interpolation=cv2.INTER_CUBIC if grow else cv2.INTER_AREA)
        hits = cascade.detectMultiScale(grey, scaleFactor=SCALE_FACTOR,
                                        minNeighbors=MIN_NEIGHBORS, minSize=(MIN_FACE, MIN_FACE))
        found.append(len(hits) > 0)
    return np.array(found, bool)
