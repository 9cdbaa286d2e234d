"""Sound: folders of audio files in, WAV files and spectrogram figures out, log-mel judges."""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_avgan.layers.log_mel import LogMelSpectrogram
from keras_avgan.layers.noise_floor import RandomNoiseFloor
from keras_avgan.media import audio as audio_files
from keras_avgan.media import plots
from keras_avgan.modalities import audio_representations as representations
from keras_avgan.modalities import sharded, tonality
from keras_avgan.modalities.base import Modality, OutputSpec, TrainingData, label_source
from keras_avgan.networks import judge
from pipelines import audio

PREVIEW_GAP_SECONDS = 0.5  # silence between the clips of a preview strip


class AudioModality(Modality):
    kind = "audio"
    output_name = "audio"
    score_notes = ("spectral_flatness: noisiness at 50-2000 Hz (near 0: clean partials, 0.56: "
                   "white noise; compare with real's)",)

    # --- data -------------------------------------------------------------------------
    extensions_text = "audio: " + " ".join(audio.AUDIO_EXTENSIONS)

    def find_files(self, path: Path) -> list[str]:
        return audio.list_audio_files(str(path))

    def usable_files(self, recipe, path: Path):
        sharded.refuse_files(path)
        scan = audio.scan_audio(str(path), sample_rate=recipe.sample_rate,
                                slice_len=recipe.slice_len)
        audio.require_usable(scan, str(path))
        audio.check_recipe_fit(scan, recipe.sample_rate, recipe.slice_len)
        return scan.good, scan.bad

    def describe(self, path: Path, recipe=None) -> str:
        scan = audio.scan_audio(str(path), sample_rate=recipe and recipe.sample_rate,
                                slice_len=recipe and recipe.slice_len)
        audio.require_usable(scan, str(path))
        if recipe:
            audio.check_recipe_fit(scan, recipe.sample_rate, recipe.slice_len)
        return audio.describe_scan(scan, notes=[self.describe_labels(path, recipe, scan.good)])

    def label_rows(self, path: Path, recipe=None):
        return audio.read_labels(str(path), *label_source(recipe))

    def prepare(self, recipe, run, data: TrainingData):
        if sharded.is_sharded(data):
            return representations.prepare(recipe, run, data.files, sharded.first_slices(data),
                                           data.manifest.files)
        return representations.prepare(recipe, run, data.files)

    def renderer(self, recipe, run_root):
        return representations.for_run(recipe, run_root)

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer):
        batch_size = recipe.batch_size * recipe.d_steps
        if sharded.is_sharded(data):
            ds, labelled = sharded.examples(data, seed, batch_size), data.conditions
        else:
            ds = audio.audio_dataset(
                data.files, sample_rate=recipe.sample_rate, slice_len=recipe.slice_len,
                slice_mode=recipe.slice_mode, pad_short=recipe.pad_short,
                normalize=recipe.normalize, batch_size=batch_size, seed=seed, shuffle=True,
                repeat=True, labels=data.label_ids)
            labelled = data.label_ids
        if labelled is None:
            def named(clips):
                return {"audio": renderer.to_model(clips)}
        else:
            def named(clips, ids):
                return {"audio": renderer.to_model(clips), data.conditions.name: ids}
        return ds.map(named, num_parallel_calls=tf.data.AUTOTUNE,
                      deterministic=True).prefetch(tf.data.AUTOTUNE)

    # --- outputs ----------------------------------------------------------------------
    def output_spec(self, recipe) -> OutputSpec:
        shape = (recipe.slice_len,) if recipe.channels == 1 else (recipe.slice_len,
                                                                  recipe.channels)
        return OutputSpec("audio", self.kind, shape, (-1.0, 1.0),
                          extra={"sample_rate": recipe.sample_rate})

    def write(self, made, recipe, out_dir: Path, prefix: str, titles=None) -> dict:
        files, grid = audio_files.write_audio_batch(made["audio"], recipe.sample_rate,
                                                    out_dir, prefix, titles=titles)
        written = {"files": files, "overview": grid}
        if _is_spectrogram(made.raw):
            written["generator spectrograms"] = plots.spectrogram_images(
                made.raw, out_dir / f"{prefix}_spectrogram.png", titles=titles)
        return written

    def preview(self, made, recipe, out_dir: Path, name: str, titles=None) -> None:
        clips, rate = made["audio"], recipe.sample_rate
        gap = np.zeros((len(clips), int(rate * PREVIEW_GAP_SECONDS)), np.float32)
        strip = np.concatenate([clips.reshape(len(clips), -1), gap], axis=1).reshape(-1)
        audio_files.write_wav(out_dir / f"{name}.wav", strip, rate)
        plots.audio_grid(clips[:8], rate, out_dir / f"{name}.png", titles=titles)
        if _is_spectrogram(made.raw):
            plots.spectrogram_images(made.raw, out_dir / f"{name}_spectrogram.png",
                                     titles=titles)

    def summarize(self, made, recipe, step: int) -> None:
        clips = made["audio"][:4]
        tf.summary.audio("samples", clips.reshape(len(clips), -1, 1), recipe.sample_rate,
                         max_outputs=4, step=step)

    # --- judging ----------------------------------------------------------------------
    def labelled_examples(self, recipe, files) -> np.ndarray:
        return audio.eval_clips(files, recipe.sample_rate, recipe.slice_len,
                                normalize=recipe.normalize)

    def judge_key(self, recipe) -> str:
        return f"{recipe.sample_rate}:{recipe.slice_len}"

    def build_judge(self, recipe, num_classes: int, seed: int = 0, frame_length: int = 1024,
                    frame_step: int = 256, num_mels: int = 64, **sizes) -> keras.Model:
        """[B, slice_len, 1] audio in [-1, 1] -> logits, via an in-graph log-mel spectrogram
        (64 bands, 40-7800 Hz; 64x64 for one 16384-sample second). In training a random
        noise floor is added first: clean (e.g. synthesised) clips otherwise teach the judge
        that silence is a feature, and a generator's noise floor would then set its score."""
        with judge.float32_policy():
            inputs = keras.Input((recipe.slice_len, 1), name="audio")
            x = RandomNoiseFloor(seed=seed, name="noise_floor")(inputs)
            x = LogMelSpectrogram(recipe.sample_rate, frame_length, frame_step, num_mels,
                                  name="log_mel")(x)
            # Log-mel values sit far from zero mean and unit scale; BN learns the offset.
            x = keras.layers.BatchNormalization(momentum=judge.BN_MOMENTUM,
                                                name="input_norm")(x)
            return judge.build_classifier(inputs, x, num_classes, "audio_classifier",
                                          seed=seed, **sizes)

    def judge_inputs(self, published: np.ndarray) -> np.ndarray:
        clips = np.asarray(published, np.float32)
        return clips[..., None] if clips.ndim == 2 else clips

    def classifier_free_scores(self, published: np.ndarray, recipe) -> dict:
        return {"spectral_flatness": tonality.spectral_flatness(published, recipe.sample_rate)}

    def comparison_figure(self, real, generated, recipe, out: Path) -> Path:
        return plots.audio_comparison(real[:4], generated[:4], recipe.sample_rate, out)


def _is_spectrogram(raw) -> bool:
    """Spectrogram recipes' generators make images [B, time, freq, C]; worth a figure."""
    return isinstance(raw, np.ndarray) and raw.ndim == 4
