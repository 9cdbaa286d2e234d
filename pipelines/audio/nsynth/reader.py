"""Reading NSynth from either format into one NSynthScan: the notes kept, in order, and how
many each filter dropped."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.audio.nsynth import jsonwav, tfrecord
from pipelines.audio.nsynth.notes import NSynthFilter
from pipelines.audio.nsynth.sources import examples_file, list_record_files
from pipelines.errors import DataError

TFRECORD, JSONWAV = "TFRecord", "jsonwav"


@dataclass
class NSynthScan:
    path: str
    format: str  # TFRECORD or JSONWAV
    files: list  # the TFRecord files read, or [examples.json]
    filters: NSynthFilter
    kept: list = field(default_factory=list)  # NSynthNote, in the order they are read
    dropped: dict = field(default_factory=dict)  # filter (NSynthFilter.reasons) -> notes
    kept_mask: np.ndarray | None = None  # TFRecord: one flag per record, files in turn
    wavs: list | None = None  # jsonwav: the kept notes' AudioFileInfo

    @property
    def total(self) -> int:
        return len(self.kept) + sum(self.dropped.values())


def scan_nsynth(path, filters: NSynthFilter | None = None) -> NSynthScan:
    """Read every note's labels under `path` (a .tfrecord file, a folder of them, or a
    jsonwav folder), check them, and filter them; a bad note is a DataError naming it."""
    filters = filters or NSynthFilter()
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{path}: no such file or folder; pass an NSynth .tfrecord file, a "
                        "folder of them, or a jsonwav folder (examples.json and audio/)")
    examples = examples_file(root)
    if examples is not None:
        scan = NSynthScan(str(path), JSONWAV, [examples], filters)
        _filter(scan, jsonwav.iter_jsonwav_notes(examples))
        if not scan.total:
            raise DataError(f"{examples}: lists no note; pass NSynth's own examples.json")
        scan.wavs = jsonwav.check_wavs(scan.kept)
        return scan
    files = list_record_files(root)
    if not files:
        raise DataError(f"{path}: no NSynth data: no .tfrecord file and no examples.json "
                        "there; pass nsynth-*.tfrecord files or a jsonwav folder")
    scan = NSynthScan(str(path), TFRECORD, files, filters)
    flags = []
    for file in files:
        flags += _filter(scan, tfrecord.iter_record_notes(file))
    scan.kept_mask = np.array(flags, bool)
    if not scan.total:
        raise DataError(f"{path}: its {len(files)} TFRecord file(s) hold no record; pass "
                        "NSynth's nsynth-*.tfrecord files")
    return scan


def _filter(scan: NSynthScan, notes) -> list[bool]:
    """Sort `notes` into scan.kept and scan.dropped; one kept flag per note."""
    for reason in scan.filters.reasons:
        scan.dropped.setdefault(reason, 0)
    flags = []
    for note in notes:
        reason = scan.filters.drop_reason(note)
        if reason is None:
            scan.kept.append(note)
        else:
            scan.dropped[reason] += 1
        flags.append(reason is None)
    return flags
