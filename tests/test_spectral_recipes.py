"""The specgan and gansynth recipes end to end at smoke size: fit, resume, generate, export."""

import json
import os

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf
import tflite_helpers
from ai_edge_litert.interpreter import Interpreter
from resumed_runs import assert_resumes_exactly

from keras_avgan import recipes
from keras_avgan.cli import main
from keras_avgan.modalities import audio_representations as representations
from keras_avgan.modalities import conditions
from keras_avgan.serving import export, tflite
from keras_avgan.training.builders import build_gan


def _fit(recipe, data, run_dir, steps, *extra):
    return ["fit", "--recipe", recipe, "--smoke", "--data", str(data), "--run-dir",
            str(run_dir), "--steps", str(steps), "--seed", "3", *extra]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tones_writer):
    """One smoke run of each spectral recipe on three-pitch tones with a labels.csv."""
    root = tmp_path_factory.mktemp("spectral")
    data = tones_writer(root / "tones", count=12)
    made = {}
    for name in ("specgan", "gansynth"):
        assert main(_fit(name, data, root / name, 4)) == 0
        made[name] = root / name
    return made, data


def test_recipe_shapes_follow_the_stft():
    assert (recipes.SPECGAN.spec_height, recipes.SPECGAN.spec_width,
            recipes.SPECGAN.spec_channels) == (128, 128, 1)
    assert (recipes.GANSYNTH.spec_height, recipes.GANSYNTH.spec_width,
            recipes.GANSYNTH.spec_channels) == (128, 256, 2)
    gan = build_gan(recipes.replace(recipes.GANSYNTH, num_classes=61))
    assert gan.generator.compute_output_shape([(None, 256), (None,)]) == (None, 128, 256, 2)
    # The paper's SpecGAN at d=64 (counted in test_specgan_networks) from the recipe itself.
    specgan = build_gan(recipes.SPECGAN)
    assert (specgan.generator.count_params(), specgan.discriminator.count_params()) == (
        19_065_345, 17_427_969)


@pytest.mark.parametrize("changes, message", [
    ({"n_fft": 512}, "n_fft=256"),
    ({"slice_len": 1000}, "multiple of hop"),
    ({"label_column": ""}, "label_column"),
    ({"g_ema": 1.0}, "g_ema"),
])
def test_bad_spectral_settings_are_refused(changes, message):
    base = recipes.SPECGAN if "n_fft" in changes else recipes.GANSYNTH
    with pytest.raises(recipes.RecipeError, match=message):
        recipes.replace(base, **changes)


def _wavs(folder):
    files = sorted(folder.glob("*.wav"))
    return files, [soundfile.read(f, dtype="float32")[0] for f in files]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["specgan", "gansynth"])
def test_generate_writes_audible_audio_and_spectrograms(runs, name, tmp_path):
    made, _ = runs
    run = made[name]
    assert (run / "samples" / "step_0000004_spectrogram.png").is_file()
    assert main(["generate", "--run-dir", str(run), "-n", "3", "--out", str(tmp_path)]) == 0
    files, clips = _wavs(tmp_path)
    recipe = json.loads((run / "recipe.json").read_text())
    assert len(files) == 3
    for clip in clips:
        assert clip.shape == (recipe["slice_len"],) and np.all(np.isfinite(clip))
        assert np.abs(clip).max() <= 1.0 and np.sqrt(np.mean(clip**2)) > 1e-4  # not silent
        # Trained on peak-normalised clips, so inverted outputs are peak-normalised, not
        # clipped: log-scale magnitudes make loudness the easiest thing to get wrong.
        assert np.abs(clip).max() > 0.99 and np.mean(np.abs(clip) > 0.999) < 0.01
    assert (tmp_path / "seed0.png").is_file() and (tmp_path / "seed0_spectrogram.png").is_file()


@pytest.mark.slow
def test_gansynth_conditions_come_from_the_labels(runs, tmp_path, capsys):
    made, _ = runs
    run = made["gansynth"]
    assert conditions.load(run) == conditions.Conditions("pitch", ("48", "55", "62"))
    assert json.loads((run / "recipe.json").read_text())["num_classes"] == 3

    assert main(["generate", "--run-dir", str(run), "-n", "2", "--sweep",
                 "--out", str(tmp_path / "sweep")]) == 0
    files, clips = _wavs(tmp_path / "sweep")
    assert len(files) == 6  # two latents, each at every pitch
    assert main(["generate", "--run-dir", str(run), "-n", "2", "--cond", "pitch=55",
                 "--out", str(tmp_path / "one")]) == 0
    _, asked = _wavs(tmp_path / "one")
    # Same seed, same latents: --cond pitch=55 is the sweep's middle column.
    np.testing.assert_allclose(asked[0], clips[1], atol=1e-3)  # batches of 2 vs 6
    np.testing.assert_allclose(asked[1], clips[4], atol=1e-3)

    capsys.readouterr()
    assert main(["generate", "--run-dir", str(run), "--cond", "pitch=61"]) == 2
    assert "48, 55, 62" in capsys.readouterr().err
    assert main(["generate", "--run-dir", str(run), "--cond", "colour=red"]) == 2
    assert "'pitch'" in capsys.readouterr().err
    assert main(["generate", "--run-dir", str(made["specgan"]), "--cond", "pitch=55"]) == 2
    assert "not conditional" in capsys.readouterr().err


@pytest.mark.slow
def test_specgan_keeps_its_moments_in_the_run(runs, tmp_path, capsys):
    made, _ = runs
    run = made["specgan"]
    moments = json.loads((run / representations.MOMENTS_FILE).read_text())
    assert len(moments["mean"]) == len(moments["std"]) == 128
    assert all(s > 0 for s in moments["std"])
    # Without them the spectrograms cannot be inverted: a clear error, not garbage audio.
    copy = tmp_path / "copy"
    copy.mkdir()
    for item in ("recipe.json", "run.json", "checkpoints"):
        os.symlink(run / item, copy / item)
    assert main(["generate", "--run-dir", str(copy)]) == 2
    assert "spectral_moments.json is missing" in capsys.readouterr().err


def test_conditional_recipe_needs_labels(tmp_path, tones_writer, capsys):
    data = tones_writer(tmp_path / "unlabelled", count=6)
    (data / "labels.csv").unlink()  # the parent folder is the only label left: one class
    assert main(_fit("gansynth", data, tmp_path / "run", 1)) == 2
    err = capsys.readouterr().err
    assert "'pitch' column" in err and "labels.csv" in err


@pytest.mark.slow
def test_gansynth_resumes_to_the_same_weights(runs, tmp_path):
    """2 + 2 steps equal 4 straight: EMA, classes and iterator included."""
    want = assert_resumes_exactly("gansynth", runs[1], tmp_path, seed=3)
    assert any("generator_ema" in k for k in want)


@pytest.mark.slow
def test_spectral_exports_hand_out_audio(runs, tmp_path):
    made, _ = runs
    base = tmp_path / "saved_models"
    for name in ("specgan", "gansynth"):
        assert main(["export", "--run-dir", str(made[name]), "--base", str(base)]) == 0
    loaded = tf.saved_model.load(str(base / "gansynth" / "1"))
    meta = json.loads((base / "gansynth" / "1" / "keras_avgan.json").read_text())
    assert meta["classes"] == {"pitch": ["48", "55", "62"]} and "pitch" in meta["inputs"]
    out = loaded.signatures["sample"](seed=tf.constant(1, tf.int64), n=tf.constant(2),
                                      pitch=tf.constant([0, 2]))["audio"]
    assert out.shape == (2, 2048) and np.all(np.abs(out.numpy()) <= 1.0)
    specgan = tf.saved_model.load(str(base / "specgan" / "1")).signatures["serving_default"]
    audio = specgan(z=tf.zeros([1, 100]))["audio"]
    assert audio.shape == (1, 4096)


@pytest.mark.slow
def test_specgan_converts_to_tflite_with_its_griffin_lim(runs, tmp_path):
    made, _ = runs
    base = tmp_path / "saved_models"
    assert main(["export", "--run-dir", str(made["specgan"]), "--base", str(base)]) == 0
    info = tflite.convert_saved_model(base / "specgan" / "1", tmp_path / "specgan.tflite")
    assert info["parity_ok"] and info["snr_db"] >= tflite.FLOAT32_MIN_DB


def test_gansynth_converts_to_tflite_with_pitch_and_inversion(tmp_path):
    recipe = recipes.replace(recipes.with_smoke(recipes.GANSYNTH), num_classes=3)
    keras.utils.set_random_seed(0)  # the same weights whatever ran before
    generator = build_gan(recipe, seed=0).generator
    # An untrained GANSynth generator asks for magnitudes up to e^13 (tanh near 1 before
    # GANSynth's scaling); a trained one stays in the range of real notes. Scale the output
    # layer into that range, so parity is checked on the outputs phones will get.
    kernel, bias = generator.to_output.get_weights()
    generator.to_output.set_weights([kernel * 0.1, np.array([-0.1, 0.0], np.float32)])
    form = representations.for_run(recipe, tmp_path)
    path = export.export_generator(
        generator, tmp_path / "model", publish=form.publish,
        outputs={"audio": {"kind": "audio", "sample_rate": recipe.sample_rate}},
        latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist,
        cond_specs={"pitch": tf.TensorSpec([None], tf.int32)})
    info = tflite.convert_saved_model(path, tmp_path / "g.tflite")
    assert info["parity_ok"], info
    assert not tflite_helpers.non_builtin_ops((tmp_path / "g.tflite").read_bytes())
    runner = Interpreter(model_path=str(tmp_path / "g.tflite")).get_signature_runner()
    details = runner.get_input_details()
    assert {k: v["shape"].tolist() for k, v in details.items()} == {
        "z": [1, recipe.latent_dim], "pitch": [1]}
    audio = runner(z=np.ones((1, recipe.latent_dim), np.float32),
                   pitch=np.array([2], np.int32))["audio"]
    assert audio.shape == (1, recipe.slice_len) and np.sqrt(np.mean(audio**2)) > 1e-3


@pytest.mark.slow
def test_evaluate_scores_the_pitch_a_conditional_run_was_asked_for(runs, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("KERAS_AVGAN_CACHE", str(tmp_path / "cache"))
    made, _ = runs
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run-dir", str(made["gansynth"]), "-n", "12", "--label", "pitch",
                 "--json", str(out)]) == 0
    scores = json.loads(out.read_text())["scores"]
    for source in ("real (held-out)", "untrained", "trained"):
        assert 0.0 <= scores[source]["accuracy_pitch"] <= 1.0
    # Real clips carry their own labels: the classifier's held-out accuracy, by definition.
    held_out = json.loads(out.read_text())["classifiers"]["pitch"]["held_out_accuracy"]
    assert scores["real (held-out)"]["accuracy_pitch"] == pytest.approx(held_out)


def test_show_counts_gansynth_before_the_data_names_its_classes(capsys):
    # num_classes 0 waits for the data; until then the networks are counted with 61 pitches.
    assert main(["show", "gansynth", "--summary"]) == 0
    printed = capsys.readouterr().out
    assert "generator parameters: 6136578" in printed
    assert "discriminator parameters: 4039742" in printed


def test_gansynth_audio_has_no_wrapped_click_and_notes_still_come_back():
    form = representations.GANSynthSpectrogram(mel=False, n_fft=512, hop=128,
                                               sample_rate=16000)
    t = np.arange(16384) / 16000
    note = (0.5 * np.sin(2 * np.pi * 220 * t) * np.clip(1 - t / 0.8, 0, 1)).astype(np.float32)
    back = form.to_audio(form.to_model(note[None, :, None])).numpy().reshape(-1)
    error = note - back
    assert 10 * np.log10(np.sum(note ** 2) / np.sum(error ** 2)) >= 40.0
    # A generator's kind of attack: a broadband first frame, silence after (-1 is the scaled
    # log-magnitude floor). Circular framing would add the share of its window taken from
    # the tail back onto the clip's end (the last n_fft - hop samples): a click there.
    image = np.full((1, 128, 256, 2), -1.0, np.float32)
    image[0, 0, :, 0] = 0.5
    image[0, 0, :, 1] = np.random.default_rng(0).uniform(-1, 1, 256)
    attack = form.to_audio(image).numpy().reshape(-1)
    assert np.abs(attack[:128]).max() > 1e-2
    assert np.abs(attack[-384:]).max() < 1e-6
