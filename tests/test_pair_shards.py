"""`keras_avgan data shard` on face/sound pairs: the voices and faces paired_dataset decodes,
the bad pair named, the in-batch mismatched faces and their exact resume, and `fit --recipe
avgan --data SHARDS` (with its refusals)."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from paired_runs import assert_resumes_exactly, small_talking, smoke_fit
from PIL import Image
from shard_runs import made_shards

from keras_avgan import modalities, recipes
from keras_avgan.cli import main
from pipelines import paired, shards
from pipelines.shards import pair_reader, reader


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    """3 identities x 4 pairs, one more on the Python routes (a 22.05 kHz FLAC, a TIFF),
    a pair whose sound is not audio, and a row without its picture."""
    root = small_talking(tmp_path_factory)
    clip, rate = soundfile.read(root / "id01" / "id01_000.wav")
    t = np.arange(int(len(clip) * 22050 / rate)) / 22050
    soundfile.write(str(root / "id01" / "extra.flac"), 0.4 * np.sin(2 * np.pi * 180 * t), 22050)
    Image.open(root / "id01" / "id01_001.png").save(root / "id01" / "extra.tif")
    (root / "id02" / "broken.wav").write_text("a text file named .wav\n")
    Image.open(root / "id02" / "id02_000.png").save(root / "id02" / "broken.png")
    with open(root / paired.PAIRS_FILE, "a") as handle:
        handle.write("id01/extra.flac,id01/extra.tif,id01\n"
                     "id02/broken.wav,id02/broken.png,id02\nid00/id00_000.wav,,id00\n")
    return root


@pytest.fixture(scope="module")
def pair_shards(talking, tmp_path_factory):
    return made_shards(talking, tmp_path_factory.mktemp("pairs") / "shards", "avgan", "--smoke",
                       "--shards", 2)


def test_the_bad_pair_is_named_on_stdout_and_in_bad_files(pair_shards):
    out, printed = pair_shards
    assert "14 face/sound pairs: 13 sharded, 1 bad" in printed
    assert "id02/broken.wav: not audio" in printed
    assert "left out, not in a pair (1):\n  " in printed
    with open(out / shards.BAD_FILES, newline="") as handle:
        assert [row["path"] for row in csv.DictReader(handle)] == ["id02/broken.wav"]
    manifest = shards.read_manifest(out)
    assert (manifest.spec.kind, manifest.files, manifest.bad) == ("pairs", 13, 1)
    assert manifest.identities == ["id00", "id01", "id02"]


def test_pair_shards_hold_the_voices_and_faces_paired_dataset_decodes(pair_shards, talking):
    recipe = recipes.with_smoke(recipes.get_recipe("avgan"))
    manifest = shards.read_manifest(pair_shards[0])
    stored = reader.records(manifest, 0, shuffle=False, repeat=False).map(
        reader.parser(manifest, "identity"))
    found = {row["path"].decode(): row for row in stored.as_numpy_iterator()}
    scan = paired.scan_pairs(talking, sample_rate=recipe.sample_rate)
    assert {p.audio.in_graph for p in scan.pairs} == {True, False}  # both routes compared
    assert {p.image.in_graph for p in scan.pairs} == {True, False}
    folder = paired.paired_dataset(scan.pairs, scan.identities, sample_rate=recipe.sample_rate,
                                   slice_len=recipe.slice_len, image_size=recipe.image_size,
                                   batch_size=1, seed=0, shuffle=False, repeat=False,
                                   mismatched=False)
    names = [Path(p.image.path).relative_to(talking).as_posix() for p in scan.pairs]
    assert sorted(found) == sorted(names)
    for name, want in zip(names, folder.as_numpy_iterator(), strict=True):
        np.testing.assert_array_equal(found[name]["audio"], want["audio"][0], err_msg=name)
        np.testing.assert_array_equal(found[name]["image"], want["image"][0], err_msg=name)
        assert found[name]["label"] == want["identity"][0]


def test_mismatched_faces_come_from_other_identities_of_the_batch(pair_shards):
    manifest = shards.read_manifest(pair_shards[0])
    tf.random.set_seed(0)  # a seeded shuffle also follows the global seed (a fit sets it)
    ds = pair_reader.pair_shard_dataset(manifest, batch_size=4, seed=5)
    previous, fallbacks = None, 0
    for batch in ds.take(60).as_numpy_iterator():  # 4 of 3 identities: some all one
        for row, (face, identity) in enumerate(zip(batch["mismatched_image"],
                                                   batch["identity"], strict=True)):
            allowed = [f for f, i in zip(batch["image"], batch["identity"], strict=True)
                       if i != identity]
            if not allowed and previous is not None:
                fallbacks += 1
                allowed = [f for f, i in zip(previous["image"], previous["identity"],
                                             strict=True) if i != identity]
            if not allowed:  # the first batch, all one identity: the row's own face
                allowed = [batch["image"][row]]
            assert any(np.array_equal(face, f) for f in allowed), row
        previous = batch
    assert fallbacks, "no batch of one identity in 60: the fallback went untested"


def test_a_restored_pair_iterator_goes_on_exactly(pair_shards, tmp_path):
    manifest = shards.read_manifest(pair_shards[0])

    def stream():
        return iter(pair_reader.pair_shard_dataset(manifest, batch_size=4, seed=3))

    first = stream()
    for _ in range(5):  # past an epoch of 13: reshuffled, and the scan's state is set
        next(first)
    saved = tf.train.Checkpoint(iterator=first).write(str(tmp_path / "it"))
    want = [next(first) for _ in range(3)]
    again = stream()
    tf.train.Checkpoint(iterator=again).read(saved).assert_consumed()
    for expected, got in zip(want, [next(again) for _ in range(3)], strict=True):
        for key in ("audio", "image", "identity", "mismatched_image"):
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_the_training_stream_has_the_folders_batch_shapes(pair_shards, talking, tmp_path):
    recipe = recipes.with_smoke(recipes.get_recipe("avgan"))
    modality = modalities.for_recipe(recipe)
    specs = []
    for path in (talking, pair_shards[0]):
        data = modality.load(recipe, path, io.StringIO())
        assert data.class_names == ("id00", "id01", "id02")
        specs.append(modality.training_dataset(recipe, data, 0, None).element_spec)
    assert specs[0] == specs[1]


@pytest.mark.parametrize("flags, said", [
    (["--set", "slice_len=32768"], "slice_len=16384 (the recipe: 32768)"),
    (["--set", "image_size=128"], "image_size=64 (the recipe: 128)"),
    (["--set", "sample_rate=22050"], "sample_rate=16000 (the recipe: 22050)"),
])
def test_shards_made_otherwise_are_refused_naming_the_setting(pair_shards, tmp_path, capsys,
                                                              flags, said):
    assert main(smoke_fit("avgan", pair_shards[0], tmp_path / "run", 2, *flags)) == 2
    err = capsys.readouterr().err
    assert said in err and str(pair_shards[0]) in err


def test_wav2pix_and_single_kind_recipes_refuse_pair_shards(pair_shards, tmp_path, capsys):
    assert main(smoke_fit("wav2pix", pair_shards[0], tmp_path / "run", 2)) == 2
    assert "trains from the pair files" in capsys.readouterr().err
    assert main(smoke_fit("dcgan", pair_shards[0], tmp_path / "run", 2)) == 2
    assert "holds pairs shards" in capsys.readouterr().err


@pytest.mark.slow
def test_avgan_fits_on_pair_shards_and_resumes_exactly(pair_shards, tmp_path):
    assert_resumes_exactly("avgan", pair_shards[0], tmp_path)
