"""`keras_avgan data shard` as a user types it (Beam's DirectRunner, 2 worker processes), the
shards' examples against the folder reader's, `fit --data SHARDS`, and the refusals."""

import contextlib
import csv
import io
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from resumed_runs import smoke_fit
from shard_runs import made_shards
from shard_runs import run_shard as _shard

from keras_avgan import modalities, recipes
from keras_avgan.cli import main
from pipelines import audio, images, shards
from pipelines.shards import options, reader

sys.path.insert(0, str(Path(__file__).parent / "pipelines" / "images"))
from odd_images import write_odd_images  # noqa: E402


@pytest.fixture(scope="module")
def tones(tones_writer, tmp_path_factory):
    root = tones_writer(tmp_path_factory.mktemp("tones") / "data")
    # Decoded in Python and resampled (the other route), then the corrupt one.
    t = np.arange(22050) / 22050
    soundfile.write(str(root / "tone_012.flac"), 0.3 * np.sin(2 * np.pi * 131 * t), 22050)
    with open(root / "labels.csv", "a") as handle:
        handle.write("tone_012.flac,48\n")
    (root / "broken.wav").write_text("a text file named .wav\n")
    return root


@pytest.fixture(scope="module")
def audio_shards(tones, tmp_path_factory):
    return made_shards(tones, tmp_path_factory.mktemp("audio") / "shards", "wavegan",
                       "--smoke", "--shards", 3)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    root = tmp_path_factory.mktemp("pictures") / "data"
    return root, write_odd_images(root)


@pytest.fixture(scope="module")
def image_shards(pictures, tmp_path_factory):
    return made_shards(pictures[0], tmp_path_factory.mktemp("images") / "shards", "dcgan",
                       "--shards", 2)


def _bad_rows(out: Path) -> list[tuple[str, str]]:
    with open(out / shards.BAD_FILES, newline="") as handle:
        return [(row["path"], row["reason"]) for row in csv.DictReader(handle)]


def test_the_corrupt_sound_is_named_in_the_side_output_and_on_stdout(audio_shards):
    out, printed = audio_shards
    assert "14 audio files: 13 sharded, 1 bad" in printed
    assert "broken.wav: not audio" in printed
    assert [name for name, _ in _bad_rows(out)] == ["broken.wav"]
    manifest = shards.read_manifest(out)
    assert (manifest.files, manifest.bad, manifest.examples) == (13, 1, 13)
    assert len(manifest.shards) == 3 and manifest.labels["pitch"]["classes"] == ["48", "55", "62"]
    checked = io.StringIO()
    with contextlib.redirect_stdout(checked):
        assert main(["data", "check", str(out)]) == 0  # the manifest's summary
    assert "14 audio files: 13 sharded, 1 bad" in checked.getvalue()


def test_audio_shards_hold_the_examples_the_folder_reader_makes(audio_shards, tones):
    recipe = recipes.with_smoke(recipes.get_recipe("wavegan"))
    found = reader.read_all(shards.read_manifest(audio_shards[0]), label_column="pitch")
    good, _ = modalities.for_recipe(recipe).usable_files(recipe, tones)
    folder = audio.audio_dataset(good, sample_rate=recipe.sample_rate, slice_len=recipe.slice_len,
                                 slice_mode="all", batch_size=1, seed=0, shuffle=False,
                                 repeat=False)
    want = np.concatenate(list(folder.as_numpy_iterator()))
    assert [p.decode() for p in found["path"]] == [Path(f.path).name for f in good]
    assert {f.in_graph for f in good} == {True, False}  # both routes are compared
    np.testing.assert_array_equal(found["example"], want)
    pitches = [(48, 55, 62)[int(Path(f.path).stem[-3:]) % 3] for f in good]
    assert [(48, 55, 62)[i] for i in found["label"]] == pitches


def test_image_shards_hold_the_pixels_of_both_decoding_routes(image_shards, pictures):
    out, printed = image_shards
    root, written = pictures
    assert f"{len(written['good']) + len(written['bad'])} image files: " \
           f"{len(written['good'])} sharded, {len(written['bad'])} bad" in printed
    assert sorted(name for name, _ in _bad_rows(out)) == sorted(written["bad"])
    found = reader.read_all(shards.read_manifest(out))
    scan = images.scan_images(str(root))
    assert {f.in_graph for f in scan.good} == {True, False}  # both routes are compared
    folder = images.image_dataset(scan.good, size=64, batch_size=1, seed=0, shuffle=False,
                                  repeat=False)
    by_name = dict(zip([Path(f.path).relative_to(root).as_posix() for f in scan.good],
                       np.concatenate(list(folder.as_numpy_iterator())), strict=True))
    assert sorted(by_name) == [p.decode() for p in found["path"]]
    for name, pixels in zip(found["path"], found["example"], strict=True):
        np.testing.assert_array_equal(pixels, by_name[name.decode()], err_msg=name)


def test_fit_trains_on_shards_with_the_folders_batch_shapes(audio_shards, tones, tmp_path):
    recipe = recipes.apply_overrides(recipes.with_smoke(recipes.get_recipe("wavegan_ac")),
                                     ["label_column=pitch"])
    modality = modalities.for_recipe(recipe)
    specs = []
    for path in (tones, audio_shards[0]):
        data = modality.load(recipe, Path(path), io.StringIO())
        assert data.conditions.classes == ("48", "55", "62")
        renderer = modality.renderer(recipe, tmp_path)
        specs.append(modality.training_dataset(recipe, data, 0, renderer).element_spec)
    assert specs[0] == specs[1]
    assert main(smoke_fit("wavegan_ac", audio_shards[0], tmp_path / "run", 2, "--set",
                          "label_column=pitch")) == 0
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()


def test_fit_trains_dcgan_on_picture_shards(image_shards, pictures, tmp_path):
    recipe = recipes.with_smoke(recipes.get_recipe("dcgan"))
    modality = modalities.for_recipe(recipe)
    specs = [modality.training_dataset(recipe, modality.load(recipe, Path(p), io.StringIO()), 0,
                                       None).element_spec
             for p in (pictures[0], image_shards[0])]
    assert specs[0] == specs[1]
    assert main(smoke_fit("dcgan", image_shards[0], tmp_path / "run", 2)) == 0


def test_a_restored_shard_iterator_goes_on_exactly(audio_shards):
    manifest = shards.read_manifest(audio_shards[0])

    def stream():
        return iter(reader.shard_dataset(manifest, batch_size=4, seed=3, label_column="pitch"))

    first = stream()
    for _ in range(4):  # past an epoch of 13: the shard order and the buffer are reshuffled
        next(first)
    saved = tf.train.Checkpoint(iterator=first).write(str(audio_shards[0].parent / "it"))
    want = [next(first) for _ in range(3)]
    again = stream()
    tf.train.Checkpoint(iterator=again).read(saved).assert_consumed()
    for (clips, ids), (got_clips, got_ids) in zip(want, [next(again) for _ in range(3)],
                                                  strict=True):
        np.testing.assert_array_equal(got_clips, clips)
        np.testing.assert_array_equal(got_ids, ids)


@pytest.mark.parametrize("flags, said", [
    (["--beam-option", "direct_num_workerz=2"], "did you mean direct_num_workers"),
    (["--beam-option", "direct_num_workers=two"], "invalid int value"),
    (["--beam-option", "direct_running_mode=multi_threading"], "loses elements"),
    (["--shards", "0"], "--shards 0"),
])
def test_bad_flags_are_exit_2_with_a_message(tones, tmp_path, capsys, flags, said):
    code, _ = _shard(tones, "--out", tmp_path / "out", "--recipe", "wavegan", *flags)
    assert code == 2 and said in capsys.readouterr().err
    assert not (tmp_path / "out" / shards.MANIFEST).exists()


def test_shards_a_recipe_does_not_read_are_refused_before_training(audio_shards, tones,
                                                                    tmp_path, capsys):
    out = audio_shards[0]
    assert main(smoke_fit("specgan", out, tmp_path / "run", 2)) == 2  # 4096-sample slices
    assert "slice_len=16384 (the recipe: 4096)" in capsys.readouterr().err
    assert main(smoke_fit("wavegan", out, tmp_path / "run", 2, "--eval-every", "2")) == 2
    assert "--eval-every judges against the files" in capsys.readouterr().err
    assert main(smoke_fit("dcgan", out, tmp_path / "run", 2)) == 2
    assert "holds audio shards" in capsys.readouterr().err
    code, _ = _shard(tones, "--out", out, "--recipe", "wavegan")  # not empty
    assert code == 2 and "not an empty folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["data", "shard", str(out), "--out", str(tmp_path / "o"), "--runner", "Nope"])
    assert stopped.value.code == 2


def test_a_cluster_runner_takes_the_same_pipeline_with_its_own_options():
    flags = options.pipeline_flags("FlinkRunner", ["flink_master=host:8081",
                                                   "environment_type=LOOPBACK"])
    assert "--runner=FlinkRunner" in flags and "--flink_master=host:8081" in flags
    assert not any(flag.startswith("--direct_") for flag in flags)
    # A flag whose stored name differs (--extra_package fills extra_packages) is known too.
    assert "--extra_package=dist/x.whl" in options.pipeline_flags(
        "DataflowRunner", ["extra_package=dist/x.whl"])
