"""Pairs of one face picture and one sound: finding them, checking both files, reporting.

Three layouts are read:
- folders `<identity>/<stem>.<sound>` + `<identity>/<stem>.<picture>`: one pair per stem in
  a folder, the folder's name the identity (what `data demo talking` and `data video` write);
- Wav2Pix's published layout, `<identity>/cropped_face_frame_<N>.png` (JPEG bytes, read by
  content) + `<identity>/preprocessed_frame_<N>.wav`: paired by N;
- a `pairs.csv` (in the folder, or passed as the path) with `audio`, `image` and `identity`
  columns, paths relative to the CSV.
A file without its other half is named as unpaired, never dropped silently; identities are
sorted naturally, so their ids are the same in every run on the same data.
"""

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import listing
from pipelines.audio.scan import AUDIO_EXTENSIONS, AudioFileInfo, check_audio_files
from pipelines.errors import DataError
from pipelines.images.scan import IMAGE_EXTENSIONS, ImageFileInfo, check_image_files
from pipelines.labels import natural_key

PAIRS_FILE = "pairs.csv"
PAIR_COLUMNS = ("audio", "image", "identity")
# Wav2Pix names a pair's halves differently; both map to the key "frame_<N>".
_WAV2PIX_NAMES = re.compile(r"^(?:cropped_face|preprocessed)_(frame_\d+)$")


@dataclass(frozen=True)
class Pair:
    audio: AudioFileInfo
    image: ImageFileInfo
    identity: str

    @property
    def path(self) -> str:
        """The picture's path: what judges see, and what names the pair in evaluation's
        train/held-out split and its judges' cache."""
        return self.image.path

    @property
    def paths(self) -> tuple[str, str]:
        """Both halves: what a judge's cache name must cover (a voice judge's included)."""
        return self.image.path, self.audio.path


@dataclass
class PairScan:
    pairs: list = field(default_factory=list)  # Pair
    unpaired: list = field(default_factory=list)  # (path, reason): the other half is missing
    bad: list = field(default_factory=list)  # (path, reason): a half that cannot be read
    source: str = ""  # how the pairs were found: "folders" or the pairs.csv

    @property
    def identities(self) -> list[str]:
        """Sorted identity names: an identity's id is its index here."""
        return sorted({p.identity for p in self.pairs}, key=natural_key)


def _pair_key(stem: str) -> str:
    match = _WAV2PIX_NAMES.match(stem)
    return match.group(1) if match else stem


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(AUDIO_EXTENSIONS):
        return "audio"
    if lower.endswith(IMAGE_EXTENSIONS):
        return "image"
    return None


def _from_folders(root: Path):
    """(audio path, image path, identity) candidates and (path, reason) unpaired files."""
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            kind = _kind(name)
            if kind is None or name.startswith("."):
                continue
            key = (folder, _pair_key(os.path.splitext(name)[0]))
            groups.setdefault(key, {"audio": [], "image": []})[kind].append(
                os.path.join(folder, name))
    candidates, unpaired = [], []
    for (folder, key), halves in sorted(groups.items()):
        sounds, pictures = halves["audio"], halves["image"]
        if len(sounds) == 1 and len(pictures) == 1:
            # The folder holding the pair names its identity (the root's own name too).
            candidates.append((sounds[0], pictures[0], os.path.basename(folder)))
            continue
        for path in sounds + pictures:
            if not sounds or not pictures:
                other = "picture" if not pictures else "sound"
                unpaired.append((path, f"no {other} named '{key}' beside it"))
            else:
                unpaired.append((path, f"{len(sounds)} sounds and {len(pictures)} pictures "
                                       f"share the name '{key}': rename so each has one"))
    return candidates, unpaired


def _from_csv(csv_file: Path):
    try:
        with open(csv_file, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            names = [n.strip() for n in reader.fieldnames or []]
            missing = [c for c in PAIR_COLUMNS if c not in names]
            if missing:
                raise DataError(f"{csv_file}: needs the columns {', '.join(PAIR_COLUMNS)} "
                                f"(missing {', '.join(missing)}; found {names})")
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{csv_file}: cannot be read ({err}); save it as UTF-8 CSV") from None
    candidates, unpaired = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        empty = [c for c in PAIR_COLUMNS if not row.get(c)]
        if empty:
            named = row.get("audio") or row.get("image") or f"{csv_file} line {number}"
            unpaired.append((named, f"{csv_file.name} line {number} has no "
                                    f"{' or '.join(empty)}"))
            continue
        candidates.append((listing.path_in_csv(csv_file, row["audio"]),
                           listing.path_in_csv(csv_file, row["image"]), row["identity"]))
    return candidates, unpaired


def csv_columns(csv_file) -> list[str]:
    """The header of a CSV ([] when it cannot be read): tells a pairs.csv from a labels CSV."""
    try:
        with open(csv_file, newline="", encoding="utf-8") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def pairs_source(path) -> Path | None:
    """The pairs.csv that lists the pairs (the path itself, or one at a folder's root)."""
    root = Path(path).expanduser()
    if root.is_file():
        return root if root.suffix.lower() == ".csv" else None
    return root / PAIRS_FILE if (root / PAIRS_FILE).is_file() else None


def find_pairs(path):
    """(candidates, unpaired, source) without opening any file: the (audio path, image
    path, identity) pairs the layout names, the files without their other half, and where
    the pairs came from ("folders" or the pairs.csv)."""
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{path}: no such file or folder; pass a folder of face/sound pairs "
                        f"or a {PAIRS_FILE} with {', '.join(PAIR_COLUMNS)} columns")
    csv_file = pairs_source(root)
    if root.is_file() and csv_file is None:
        raise DataError(f"{path}: expected a folder of pairs or a {PAIRS_FILE}")
    candidates, unpaired = _from_csv(csv_file) if csv_file else _from_folders(root)
    return candidates, unpaired, str(csv_file) if csv_file else "folders"


def scan_pairs(path, sample_rate=None) -> PairScan:
    """Find the pairs under `path` and open both halves of each: a pair whose sound or
    picture cannot be read is dropped with its reason in `bad`."""
    candidates, unpaired, source = find_pairs(path)
    scan = PairScan(unpaired=unpaired, source=source)
    if not candidates:
        return scan
    sounds = check_audio_files([a for a, _, _ in candidates], sample_rate)
    pictures = check_image_files([i for _, i, _ in candidates])
    good_sounds = {f.path: f for f in sounds.good}
    good_pictures = {f.path: f for f in pictures.good}
    scan.bad = sounds.bad + pictures.bad
    for audio, image, identity in candidates:
        if audio in good_sounds and image in good_pictures:
            scan.pairs.append(Pair(good_sounds[audio], good_pictures[image], identity))
        elif audio in good_sounds or image in good_pictures:
            half = audio if audio in good_sounds else image
            scan.unpaired.append((half, "its other half cannot be read (below)"))
    return scan


def looks_paired(path) -> bool:
    """Whether `path` holds pairs at all (a pairs.csv, or a sound and a picture sharing a
    name in one folder): `data check` reports them then."""
    listed = pairs_source(path)
    if listed is not None:
        return set(PAIR_COLUMNS) <= set(csv_columns(listed))
    root = Path(path).expanduser()
    return root.is_dir() and bool(find_pairs(root)[0])


def require_pairs(scan: PairScan, path, minimum_identities: int = 1) -> None:
    """Refuse data with no usable pairs (naming why), or fewer identities than needed."""
    if not scan.pairs:
        why = scan.bad[:3] + scan.unpaired[:3]
        shown = "; ".join(f"{name}: {reason}" for name, reason in why) or "nothing found"
        raise DataError(f"{path}: no usable face/sound pairs ({shown}); pairs are a sound and "
                        f"a picture with the same name in one folder, or rows of a "
                        f"{PAIRS_FILE}")
    if len(scan.identities) < minimum_identities:
        raise DataError(f"{path}: {len(scan.identities)} identity ({scan.identities[0]}); "
                        f"this needs at least {minimum_identities} (one folder per identity, "
                        "or the identity column of pairs.csv)")


def describe_pairs(scan: PairScan) -> str:
    """The paired part of `keras_avgan data check`."""
    identities = scan.identities
    counts = {name: 0 for name in identities}
    for pair in scan.pairs:
        counts[pair.identity] += 1
    source = "folders (one per identity)" if scan.source == "folders" else scan.source
    lines = [f"{len(scan.pairs)} face/sound pairs from {source}: {len(identities)} "
             f"identities, {len(scan.unpaired)} unpaired files, {len(scan.bad)} unreadable"]
    if counts:
        shown = ", ".join(f"{name} x{count}" for name, count in list(counts.items())[:12])
        more = f", ... ({len(counts) - 12} more)" if len(counts) > 12 else ""
        lines.append(f"pairs per identity: min {min(counts.values())}, "
                     f"max {max(counts.values())}: {shown}{more}")
    lines += [f"unpaired {path}: {reason}" for path, reason in scan.unpaired]
    lines += [f"skipped {path}: {reason}" for path, reason in scan.bad]
    return "\n".join(lines)
