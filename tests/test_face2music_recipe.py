"""face2music end to end at smoke size on small data built in the test: notes from a sound
folder or an NSynth TFRecord, faces from a folder; the run's embeddings, previews and
checkpoints, an exact resume, `evaluate` (the paper's judges, PC and SV), notes from
pictures and face vectors (`generate --face / --face-embedding --pitch`), the export with f
in its graph, its TFLite file and `request --face`, and the refusals (no --faces, bad faces,
vectors or pitches, evaluate options that do not apply)."""

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


def test_fit_keeps_its_embeddings_previews_and_checkpoints(small_data, straight):
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


def _notes(folder) -> dict:
    """{file name: samples} of the WAVs `generate` wrote, checked to be 8192 at 16 kHz."""
    import soundfile

    notes = {}
    for path in sorted(Path(folder).glob("*.wav")):
        notes[path.name], rate = soundfile.read(path, dtype="float32")
        assert rate == 16000 and notes[path.name].shape == (8192,), path
    return notes


def test_generate_makes_a_note_of_each_face_at_each_pitch(small_data, straight, tmp_path):
    """Pictures named one by one or by folder, then the same face as a vector: one WAV per
    face and pitch named after both, the same note from the vector as from its picture."""
    from keras_avgan.embeddings import run_embeddings
    from pipelines.images import eval_images

    faces = small_data[1]
    one = faces / "id00" / "id00_000.png"
    assert main(["generate", "--run-dir", str(straight), "--face", str(one), str(faces / "id01"),
                 "--pitch", "48", "72", "--out", str(tmp_path / "a")]) == 0
    made = _notes(tmp_path / "a")
    assert sorted(made) == sorted(f"{face}_pitch{p}.wav" for p in (48, 72) for face in
                                  ("id00_000", "id01_000", "id01_001", "id01_002"))
    assert (tmp_path / "a" / "notes.png").is_file()
    f = run_embeddings.load(straight).face_embedding
    np.save(tmp_path / "mine.npy", np.asarray(f(eval_images([one], 64)))[0])  # [d]
    assert main(["generate", "--run-dir", str(straight), "--face-embedding",
                 str(tmp_path / "mine.npy"), "--face", str(one), "--out", str(tmp_path / "b")]) == 0
    again = _notes(tmp_path / "b")  # the default pitch: middle C
    assert sorted(again) == ["id00_000_pitch60.wav", "mine_pitch60.wav"]
    np.testing.assert_allclose(again["mine_pitch60.wav"], again["id00_000_pitch60.wav"],
                               atol=1e-4)
    assert not np.allclose(made["id00_000_pitch48.wav"], made["id00_000_pitch72.wav"])


def test_generate_refuses_bad_faces_vectors_and_pitches(small_data, straight, tmp_path, capsys):
    one = str(small_data[1] / "id00" / "id00_000.png")
    (tmp_path / "face.png").write_text("not a picture")
    np.save(tmp_path / "narrow.npy", np.ones((2, 7), np.float32))
    np.save(tmp_path / "cube.npy", np.ones((2, 3, 128), np.float32))
    refused = {(): "pass --face IMAGE",
               ("--face", one, "--pitch", "23"): "MIDI 24-84",
               ("--face", one, "--pitch", "85"): "MIDI 24-84",
               ("--face", one, "--pitch", "C4"): "a MIDI number",
               ("--face", str(tmp_path / "nobody.png")): "no such file",
               ("--face", str(tmp_path / "face.png")): "face.png: not an image",
               ("--face", str(small_data[0])): "no image files",
               ("--face-embedding", str(tmp_path / "narrow.npy")): "shape [2, 7]",
               ("--face-embedding", str(tmp_path / "cube.npy")): "are [N, 128]",
               ("--face-embedding", str(tmp_path / "face.png")): "numpy.save",
               ("--face", one, "--cond", "pitch=60"): "--cond does not apply"}
    for flags, said in refused.items():
        assert main(["generate", "--run-dir", str(straight), *flags]) == 2, flags
        assert said in capsys.readouterr().err, flags
    assert not (straight / "generated").exists()


def test_export_holds_f_and_serves_a_note_from_a_picture_and_a_pitch(small_data, straight,
                                                                      tmp_path, capsys,
                                                                      monkeypatch):
    """The served note is the Keras generator's on f of the picture, in TF2, in a TF1
    session, through saved_model_cli and in the TFLite file; `request --face` sends the
    pictures as generate reads them."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter
    from saved_model_checks import saved_model_cli_run, tf1_outputs

    from keras_avgan.embeddings import run_embeddings
    from keras_avgan.serving import client
    from keras_avgan.serving.export import read_metadata
    from keras_avgan.training.builders import load_generator

    assert main(["export", "--run-dir", str(straight), "--base", str(tmp_path / "models")]) == 0
    model = tmp_path / "models" / "face2music" / "1"
    meta = read_metadata(model)
    assert meta["signatures"] == ["serving_default"] and meta["latent_dim"] is None
    assert meta["inputs"]["image"] == {"dtype": "float32", "shape": [None, 64, 64, 3],
                                       "range": [0.0, 1.0], "layout": "HWC RGB"}
    assert meta["inputs"]["pitch"]["dtype"] == "int32" and meta["classes"]["pitch"][36] == "60"
    pictures, names = client.face_images([small_data[1] / "id01"])
    assert pictures.shape == (3, 64, 64, 3) and names == ["id01_000", "id01_001", "id01_002"]
    pitch = np.array([0, 36, 60], np.int32)
    served = tf.saved_model.load(str(model)).signatures["serving_default"](
        image=tf.constant(pictures), pitch=tf.constant(pitch))["audio"].numpy()
    _, generator, _ = load_generator(straight)
    f = run_embeddings.load(straight).face_embedding
    keras_notes = generator([np.zeros((3, 0), np.float32), f(pictures * 2 - 1), pitch])
    np.testing.assert_allclose(served, np.asarray(keras_notes)[..., 0], atol=1e-5)
    session = tf1_outputs(model, "serving_default", {"image": pictures, "pitch": pitch})
    np.testing.assert_allclose(session["audio"], served, atol=1e-5)
    cli = saved_model_cli_run(model, "serving_default", tmp_path / "cli",
                              arrays={"image": pictures[1:2]}, exprs="pitch=[36]")
    np.testing.assert_allclose(cli["audio"], served[1:2], atol=1e-5)

    capsys.readouterr()
    assert main(["convert", str(model), "--out", str(tmp_path / "f2m.tflite")]) == 0
    assert "(ok)" in capsys.readouterr().out
    runner = Interpreter(model_path=str(tmp_path / "f2m.tflite")).get_signature_runner()
    lite = runner(image=pictures[1:2], pitch=np.array([36], np.int32))["audio"]
    np.testing.assert_allclose(lite, served[1:2], atol=1e-4)

    def serve(url, body, timeout):  # TF Serving's row format, answered by the SavedModel
        rows = body["instances"]
        out = tf.saved_model.load(str(model)).signatures["serving_default"](
            image=tf.constant([r["image"] for r in rows], tf.float32),
            pitch=tf.constant([r["pitch"] for r in rows], tf.int32))
        return {"predictions": out["audio"].numpy().tolist()}

    monkeypatch.setattr(client, "_post", serve)
    assert main(["request", "http://localhost:8501/v1/models/face2music", "--face",
                 str(small_data[1] / "id01"), "--pitch", "24", "60", "--out",
                 str(tmp_path / "served")]) == 0
    written = _notes(tmp_path / "served")
    assert len(written) == 6
    np.testing.assert_allclose(written["id01_001_pitch60.wav"], served[1], atol=1e-4)


def test_request_refuses_what_a_face_model_cannot_take(tmp_path, capsys):
    url = "http://127.0.0.1:9/v1/models/face2music"  # never reached: each fails before
    (tmp_path / "face.png").write_text("not a picture")
    for flags, said in {("--pitch", "60"): "--pitch goes with --face",
                        ("--face", str(tmp_path / "face.png")): "face.png: not an image",
                        ("--face", str(tmp_path), "--pitch", "90"): "MIDI 24-84"}.items():
        assert main(["request", url, *flags]) == 2, flags
        assert said in capsys.readouterr().err, flags
