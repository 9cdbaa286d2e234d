"""face2music's notes and faces as shards: `data shard --recipe face2music` of each folder,
read back by `fit` as the same notes, pitches, families, faces and identities as the files
give, and the shards it cannot read refused with what to run."""

import io
import shutil

import numpy as np
import pytest
from shard_runs import made_shards, run_shard

from keras_avgan import modalities, recipes
from keras_avgan.cli import main
from keras_avgan.modalities.faces_notes_data import read_faces, read_notes
from pipelines.demo.faces import MIN_IDENTITIES, build_faces
from pipelines.demo.notes import build_notes

IN_PROCESS = ["--beam-option", "direct_running_mode=in_memory"]  # no worker start-up


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("face2music")
    return (build_notes(root / "notes", per_cell=1),
            build_faces(root / "faces", identities=MIN_IDENTITIES, per_identity=2, size=64))


@pytest.fixture(scope="module")
def shard_folders(folders, tmp_path_factory):
    notes, faces = folders
    out = tmp_path_factory.mktemp("shards")
    notes_shards, printed = made_shards(notes, out / "notes", "face2music", *IN_PROCESS)
    assert f"--data {out / 'notes'} --faces FACES" in printed  # how to train on them
    faces_shards, printed = made_shards(faces, out / "faces", "face2music", *IN_PROCESS)
    assert f"--data NOTES --faces {out / 'faces'}" in printed
    return notes_shards, faces_shards


def _by_content(arrays, *labels):
    """The rows in an order set by their content, whatever order they were read in."""
    flat = arrays.reshape(len(arrays), -1)
    order = np.lexsort([flat[:, i] for i in range(0, flat.shape[1], max(1, flat.shape[1] // 64))])
    return (arrays[order], *(np.asarray(label)[order] for label in labels))


def test_the_shards_hold_what_the_files_give(folders, shard_folders):
    recipe = recipes.FACE2MUSIC
    modality = modalities.for_recipe(recipe)
    report = io.StringIO()
    from_files = modality.load(recipe, folders[0], report, faces=folders[1])
    from_shards = modality.load(recipe, shard_folders[0], report, faces=shard_folders[1])
    assert from_shards.family_names == from_files.family_names
    assert from_shards.identity_names == from_files.identity_names
    assert from_shards.files == [] and len(from_files.files) == len(from_files.notes) == 40
    for made, read in ((from_files.notes, from_shards.notes), (from_files.faces,
                                                               from_shards.faces)):
        assert made.shape == read.shape and made.dtype == read.dtype == np.float32
    notes, pitches, families = _by_content(from_files.notes, from_files.pitch_ids,
                                           from_files.family_ids)
    again = _by_content(from_shards.notes, from_shards.pitch_ids, from_shards.family_ids)
    np.testing.assert_allclose(again[0], notes, atol=1e-6)
    np.testing.assert_array_equal(again[1], pitches)
    np.testing.assert_array_equal(again[2], families)
    faces, identities = _by_content(from_files.faces, from_files.identity_ids)
    faces_again, identities_again = _by_content(from_shards.faces, from_shards.identity_ids)
    np.testing.assert_allclose(faces_again, faces, atol=1e-6)
    np.testing.assert_array_equal(identities_again, identities)
    # Mixed: shards for one, files for the other.
    mixed = modality.load(recipe, shard_folders[0], report, faces=folders[1])
    assert mixed.faces.shape == from_files.faces.shape and len(mixed.notes) == 40
    assert read_notes(folders[0], recipe, report)[3] == from_shards.family_names
    assert read_faces(folders[1], recipe, report)[2] == from_shards.identity_names


def test_shards_made_for_another_reading_are_refused(folders, shard_folders, tmp_path, capsys):
    wavegan_notes, _ = made_shards(folders[0], tmp_path / "wavegan", "wavegan", "--smoke",
                                   *IN_PROCESS)
    run = ["fit", "--recipe", "face2music", "--smoke", "--run-dir", str(tmp_path / "run")]
    assert main([*run, "--data", str(wavegan_notes), "--faces", str(shard_folders[1])]) == 2
    said = capsys.readouterr().err
    assert "slice_len=16384 (the recipe: 8192)" in said and "--recipe face2music" in said
    # Faces where the notes go, and the other way round: named, with what they are.
    assert main([*run, "--data", str(shard_folders[1]), "--faces", str(shard_folders[0])]) == 2
    assert "image shards" in capsys.readouterr().err
    for part, folder in zip(("notes", "faces"), folders, strict=True):
        shutil.copytree(folder, tmp_path / "both" / part)
    code, _ = run_shard(tmp_path / "both", "--out", tmp_path / "s", "--recipe", "face2music")
    assert code == 2 and "both sounds and pictures" in capsys.readouterr().err
