"""Videos to face/speech pairs: one frame per second (`reading`), its face (`faces`), the
second of sound around it (`windows`), written as WAV + PNG pairs with a manifest (`pairs`)."""

from pipelines.video.faces import FaceCropper, faces_found, frontal_face_cascade, square_box
from pipelines.video.pairs import (
    COLUMNS,
    MANIFEST,
    VIDEO_EXTENSIONS,
    PairSettings,
    PairSummary,
    VideoJob,
    VideoResult,
    describe,
    list_videos,
    progress_line,
    video_pairs,
)
from pipelines.video.reading import RATE, Unusable, VideoRead, read_video

__all__ = [
    "COLUMNS", "MANIFEST", "RATE", "VIDEO_EXTENSIONS", "FaceCropper", "PairSettings",
    "PairSummary", "Unusable", "VideoJob", "VideoRead", "VideoResult", "describe",
    "faces_found", "frontal_face_cascade", "list_videos", "progress_line", "read_video",
    "square_box", "video_pairs",
]
