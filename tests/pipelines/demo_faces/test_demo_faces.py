"""The faces demo: layout, determinism, identities built from shared attributes, per-photo
variation, a mouth that opens on demand, and faces that OpenCV's Haar cascade finds."""

import csv
import functools
import json
import re
from collections import defaultdict

import cv2
import numpy as np
import pytest
from PIL import Image

from pipelines import demo
from pipelines.demo import faces
from pipelines.errors import DataError

IDENTITIES, PER_IDENTITY = 16, 3


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return faces.build_faces(tmp_path_factory.mktemp("demo") / "faces", seed=0,
                             identities=IDENTITIES, per_identity=PER_IDENTITY)


def _rows(root):
    with open(root / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _grey(rgb):
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def test_layout_labels_and_format(built):
    rows = _rows(built)
    assert len(rows) == IDENTITIES * PER_IDENTITY == len(list(built.rglob("*.png")))
    assert list(rows[0]) == ["path", "identity", *faces.ATTRIBUTES]
    assert sorted({r["identity"] for r in rows}) == [f"id{i:02d}" for i in range(IDENTITIES)]
    for row in rows:
        assert re.fullmatch(rf"{row['identity']}/{row['identity']}_\d{{3}}\.png", row["path"])
        for name, values in faces.ATTRIBUTES.items():
            assert row[name] in values
    with Image.open(built / rows[0]["path"]) as image:
        assert (image.mode, image.size) == ("RGB", (128, 128))
    marker = json.loads((built / "demo.json").read_text())
    assert marker == {"kind": "faces", "seed": 0, "files": len(rows)}


def test_same_seed_same_bytes_other_seed_differs(built, tmp_path):
    again = faces.build_faces(tmp_path / "again", seed=0, identities=IDENTITIES, per_identity=1)
    other = faces.build_faces(tmp_path / "other", seed=1, identities=IDENTITIES, per_identity=1)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    name = "id03/id03_000.png"
    assert (again / name).read_bytes() == (built / name).read_bytes()
    first = [r for r in _rows(built) if r["path"].endswith("_000.png")]
    assert _rows(again) == first
    assert (other / name).read_bytes() != (built / name).read_bytes()
    assert _rows(other) != first  # another seed deals the attributes out differently too


def test_identities_are_distinct_combinations_of_shared_values(built):
    people = {r["identity"]: tuple(r[a] for a in faces.ATTRIBUTES) for r in _rows(built)}
    assert len(people) == IDENTITIES and len(set(people.values())) == IDENTITIES
    for k, name in enumerate(faces.ATTRIBUTES):
        owners = defaultdict(set)
        for who, values in people.items():
            owners[values[k]].add(who)
        # no single attribute value names a person: each is worn by two or more identities
        assert min(len(o) for o in owners.values()) >= 2, name
    with pytest.raises(DataError, match="at least"):
        faces.make_identities(faces.MIN_IDENTITIES - 1)


def test_photos_of_one_identity_vary(built):
    rows = [r for r in _rows(built) if r["identity"] == "id05"]
    images = [np.asarray(Image.open(built / r["path"]), np.float32) for r in rows]
    for a, b in zip(images, images[1:], strict=False):
        assert np.abs(a - b).mean() > 8  # pose, lighting and backdrop all move
    rng = np.random.default_rng(0)
    drawn = [faces.random_variation(rng) for _ in range(20)]
    for field in ("angle", "scale", "mouth_open", "smile", "light_azimuth", "light_intensity"):
        assert np.ptp([getattr(v, field) for v in drawn]) > 0.1, field
    assert len({v.background for v in drawn}) == 20


def test_light_direction_shades_the_face():
    who = faces.make_identities()[0]
    left, right = (_grey(faces.render_face(who, faces.FaceVariation(light_azimuth=az)))
                   for az in (-50, 50))
    cheeks = (slice(70, 90), slice(40, 56)), (slice(70, 90), slice(72, 88))
    balance = [float(img[cheeks[0]].mean()) - float(img[cheeks[1]].mean())
               for img in (left, right)]
    assert balance[0] > 10 and balance[1] < -10  # the lit side is the brighter one


def test_mouth_opens_with_mouth_open():
    for who in faces.make_identities()[::3]:
        dark = []
        for amount in (0.0, 0.5, 1.0):
            grey = _grey(faces.render_face(who, faces.FaceVariation(mouth_open=amount)))
            skin = np.median(grey[60:100, 40:88])
            dark.append(int((grey[84:100, 52:77] < 0.5 * skin).sum()))
        assert dark[0] <= 3 and dark[0] < dark[1] < dark[2] and dark[2] >= 50, (who, dark)


def test_render_face_is_pure_and_sized():
    who, var = faces.make_identities()[7], faces.FaceVariation(angle=5, mouth_open=0.3)
    first = faces.render_face(who, var, size=64)
    assert first.shape == (64, 64, 3) and first.dtype == np.uint8
    assert np.array_equal(first, faces.render_face(who, var, size=64))


def test_haar_cascade_finds_most_faces(built):
    assert hasattr(cv2, "CascadeClassifier"), (
        f"OpenCV {cv2.__version__} has no CascadeClassifier: OpenCV 5 moved the Haar cascades "
        "to opencv-contrib and its wheels ship no cascade files; use opencv-python-headless<5")
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades +
                                    "haarcascade_frontalface_default.xml")
    assert not cascade.empty()
    found = [len(cascade.detectMultiScale(_grey(np.asarray(Image.open(built / r["path"]))),
                                          scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)))
             for r in _rows(built)]
    assert np.mean([n > 0 for n in found]) >= 0.75, found


def test_ensure_demo_builds_faces(tmp_path, monkeypatch):
    assert demo.DEMO_KINDS["faces"] is faces.build_faces
    small = functools.partial(faces.build_faces, per_identity=1)
    monkeypatch.setitem(demo.DEMO_KINDS, "faces", small)
    path = demo.ensure_demo("faces", out=tmp_path / "faces")
    assert path == tmp_path / "faces" and len(list(path.rglob("*.png"))) == 16
    assert demo.ensure_demo("faces", out=path) == path  # reused, not rebuilt
    with pytest.raises(DataError, match="'faces' demo"):
        demo.ensure_demo("notes", out=path)
