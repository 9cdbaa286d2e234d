"""face2music end to end at smoke size on small data built in the test: notes from a sound
folder or an NSynth TFRecord, faces from a folder; the run's embeddings, previews and
checkpoints, an exact resume, `evaluate` (the paper's judges, PC and SV), and the refusals
(no --faces, commands it does not handle, evaluate options that do not apply)."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from model_state import checkpoint_values

from keras_avgan.cli import main
from pipelines.demo.faces import MIN_IDENTITIES, build_faces
from pipelines.demo.notes import build_notes

sys.path.insert(0, str(Path(__file__).parent / "pipelines" / "audio"))
from nsynth_files import features, serialize, write_records  # noqa: E402

# Every step checkpointed, so a run of 2 steps resumed to 4 can be compared with 4 straight.
EVERY_STEP = ["--deterministic", "--set", "checkpoint_every=1", "sample_every=4"]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """40 notes (5 families x 8 pitches) and 30 faces (10 identities x 3), 64 px."""
    root = tmp_path_factory.mktemp("face2music")
    return (build_notes(root / "notes", per_cell=1),
            build_faces(root / "faces", identities=MIN_IDENTITIES, per_identity=3, size=64))


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """One embeddings cache for the module's runs (the user's stays untouched)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_AVGAN_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def deterministic():
    """Op determinism for the module's runs, turned off again after (see conftest)."""
    from tensorflow.python.framework import config as tf_config

    was_on = tf_config.is_op_determinism_enabled()
    yield
    if not was_on:
        tf_config.disable_op_determinism()


@pytest.fixture(scope="module")
def straight(small_data, tmp_path_factory, deterministic):
    """4 steps in one go, checkpointed at each."""
    run = tmp_path_factory.mktemp("straight") / "run"
    assert main(_fit(*small_data, run, 4, *EVERY_STEP)) == 0
    return run


def _fit(notes, faces, run, steps, *extra):
    return ["fit", "--recipe", "face2music", "--smoke", "--data", str(notes), "--faces",
            str(faces), "--run-dir", str(run), "--steps", str(steps), *extra]


def test_fit_keeps_its_embeddings_previews_and_checkpoints(small_data, straight, capsys):
    run, faces = straight, small_data[1]
    record = json.loads((run / "face2music.json").read_text())
    assert record["face_dim"] == 128 and record["faces"] == 30 and record["notes"] == 40
    assert record["face_distances"]["std"] > 0 and record["note_distances"]["std"] > 0
    assert record["face_embedding"]["source"] == "trained"
    assert "held_out_centroid" in record["face_embedding"]["info"]
    for name in ("face_embedding.keras", "audio_metric.keras", "checkpoints/ckpt-4.index",
                 "samples/step_0000004.wav", "samples/step_0000004.png"):
        assert (run / name).is_file(), name
    logged = {k for line in (run / "metrics.jsonl").read_text().splitlines()
              for k in json.loads(line)}
    assert {"d_loss_aux", "g_loss_aux", "distance_loss", "distance_pc"} <= logged
    assert json.loads((run / "run.json").read_text())["faces"] == str(faces.resolve())
    capsys.readouterr()
    for command in ("generate", "export"):
        assert main([command, "--run-dir", str(run)]) == 2
        assert "face2music" in capsys.readouterr().err


def test_faces_are_required_and_only_for_face2music(small_data, tmp_path, capsys):
    notes, faces = small_data
    assert main(["fit", "--recipe", "face2music", "--data", str(notes), "--run-dir",
                 str(tmp_path / "r")]) == 2
    assert "--faces" in capsys.readouterr().err
    assert main(["fit", "--recipe", "wavegan", "--data", str(notes), "--faces", str(faces),
                 "--run-dir", str(tmp_path / "w")]) == 2
    assert "reads no faces" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "w").exists()


def test_data_check_says_what_each_folder_is_for(small_data, capsys):
    notes, faces = small_data
    assert main(["data", "check", str(notes), "--recipe", "face2music"]) == 0
    said = capsys.readouterr().out
    assert "40 notes of 5 families" in said and "data check FACES" in said
    assert main(["data", "check", str(faces), "--recipe", "face2music"]) == 0
    assert "reads these as its faces" in capsys.readouterr().out


def test_nsynth_notes_are_what_fit_reads(small_data, tmp_path):
    """A TFRecord of 8 notes (two acoustic families, pitches 36-71) and one electronic note
    the filter drops, as fit reads it for --data: pitch ids from MIDI 24, families by name."""
    from keras_avgan import modalities, recipes

    notes = [(36 + 5 * i, 100, "acoustic", ("flute", "brass")[i % 2], ()) for i in range(8)]
    notes.append((60, 100, "electronic", "bass", ()))
    records = write_records(tmp_path / "nsynth" / "train.tfrecord",
                            [serialize(features(i, n)) for i, n in enumerate(notes)])
    recipe = recipes.with_smoke(recipes.FACE2MUSIC)
    data = modalities.for_recipe(recipe).load(recipe, records, sys.stderr, faces=small_data[1])
    assert data.notes.shape == (8, 8192) and np.abs(data.notes).max() == pytest.approx(1.0)
    assert data.pitch_ids.tolist() == [36 + 5 * i - 24 for i in range(8)]
    assert [data.family_names[i] for i in data.family_ids] == ["flute", "brass"] * 4
    assert data.faces.shape == (30, 64, 64, 3) and len(data.identity_names) == 10


def test_a_resumed_run_ends_as_the_straight_one(small_data, straight, tmp_path):
    """2 steps, then the same command to 4: the weights of 4 straight, phi, both optimizers
    and every random state included (the iterator's bytes aside)."""
    split = tmp_path / "split"
    for steps in (2, 4):
        assert main(_fit(*small_data, split, steps, *EVERY_STEP)) == 0
    # The object graph names layers by how many a process has made: not state.
    want, got = ({k: v for k, v in checkpoint_values(run).items()
                  if k != "_CHECKPOINTABLE_OBJECT_GRAPH"} for run in (straight, split))
    assert want.keys() == got.keys()
    assert any("metric" in key for key in want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_evaluate_scores_as_the_paper_does(straight, tmp_path, capsys):
    """FD and IS of a pitch and a family judge for the three sources; PC and SV for the
    generators' notes only (real notes are not made from faces)."""
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(straight), "-n", "12", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "training the 'pitch' classifier" in printed and "sv_families" in printed
    result = json.loads(out.read_text())
    assert set(result["classifiers"]) == {"pitch", "family"}
    assert all(0 <= c["held_out_accuracy"] <= 1 for c in result["classifiers"].values())
    scores = result["scores"]
    assert set(scores) == {"real (held-out)", "untrained", "trained"}
    for source, values in scores.items():
        for key in ("fd_pitch", "is_pitch", "fd_family", "is_family", "accuracy_pitch"):
            assert np.isfinite(values[key]), (source, key)
        made = source != "real (held-out)"
        assert ("pc" in values, "sv" in values) == (made, made), source
    for source in ("untrained", "trained"):
        values = scores[source]
        assert -1 <= values["pc"] <= 1
        # After 4 steps every note may be heard as one family: SV is then undefined.
        assert np.isfinite(values["sv"]) or values["sv_families"] == 1, values
    assert "12 of the run's 30 faces" in result["generated_from"]["faces"]
    assert out.with_suffix(".png").is_file()


def test_evaluate_refuses_what_does_not_apply(straight, tmp_path, capsys):
    assert main(["evaluate", "--run-dir", str(straight), "--label", "pitch"]) == 2
    assert "do not apply" in capsys.readouterr().err
    assert main(["evaluate", "--run-dir", str(straight), "-n", "2"]) == 2
    assert "at least 3" in capsys.readouterr().err
    bare = tmp_path / "run"  # a run whose embeddings are gone
    shutil.copytree(straight, bare)
    (bare / "face2music.json").unlink()
    assert main(["evaluate", "--run-dir", str(bare)]) == 2
    assert "keeps no face2music embeddings" in capsys.readouterr().err
