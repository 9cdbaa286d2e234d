"""The WaveGAN critic's spectrogram branch: what it hears, what it adds, that it trains."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_avgan import recipes
from keras_avgan.networks.audio.spectrogram_critic import MAGNITUDE_FLOOR, SpectrogramCritic
from keras_avgan.networks.audio.wavegan import WaveGANDiscriminator
from keras_avgan.training.builders import build_gan

RATE = 16000


def _tone(freq, seconds=16384 / RATE, amplitude=0.8):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("float32")


def test_log_magnitude_puts_a_tone_in_its_bin_and_has_the_stft_shape():
    log_mag = keras.ops.convert_to_numpy(
        SpectrogramCritic(2).log_magnitude(_tone(1000.0)[None, :, None]))
    assert log_mag.shape == (1, 1 + (16384 - 1024) // 256, 513, 1)
    assert np.all(log_mag[0, :, :, 0].argmax(axis=1) == 64)  # 1000 Hz / 15.625 Hz per bin


def test_noise_20_db_under_a_note_lifts_the_gaps_between_its_partials():
    # The branch exists to hear what fills the gaps between partials. White noise 20 dB under
    # a 220 Hz note (the level at which the family judge hears organ and reed as brass) lifts
    # the bins half-way between its first two partials by over a nat; without noise they sit
    # within half a nat of the floor.
    clean = sum(_tone(220.0 * k, amplitude=0.5 / k) for k in (1, 2, 3))
    noisy = clean + np.random.default_rng(0).normal(0, 0.05, clean.shape).astype("float32")
    critic = SpectrogramCritic(2)
    gap = slice(20, 23)  # 312-344 Hz, seven bins from either partial
    gaps = [np.median(keras.ops.convert_to_numpy(critic.log_magnitude(x[None, :, None]))[0, :, gap])
            for x in (clean, noisy)]
    assert gaps[0] < np.log(MAGNITUDE_FLOOR) + 0.5
    assert gaps[1] > gaps[0] + 1.0


def test_the_branch_adds_its_weights_and_its_logit_to_the_waveform_critic():
    keras.utils.set_random_seed(0)
    plain = WaveGANDiscriminator(model_dim=8, phase_shuffle=0)
    keras.utils.set_random_seed(0)
    both = WaveGANDiscriminator(model_dim=8, phase_shuffle=0, spectral_branch=True)
    # conv0..conv3 and the logit map at d=8: (27+1)*8 + (27*8+1)*16 + (27*16+1)*32
    # + (9*32+1)*32 + (9*32+1)*1
    assert both.count_params() - plain.count_params() == 27_089
    x = np.random.default_rng(1).uniform(-1, 1, (2, 16384, 1)).astype("float32")
    for layer_plain, layer_both in zip(plain._sequence(), both._sequence(), strict=True):
        layer_both.set_weights(layer_plain.get_weights())
    difference = keras.ops.convert_to_numpy(both(x) - plain(x))
    np.testing.assert_allclose(difference, keras.ops.convert_to_numpy(both.spectral(x)),
                               rtol=1e-4, atol=1e-5)
    clone = WaveGANDiscriminator.from_config(both.get_config())
    assert clone.spectral_branch and clone.count_params() == both.count_params()


def test_its_input_gradient_is_finite_on_silence_so_r1_can_be_taken():
    critic = WaveGANDiscriminator(model_dim=2, spectral_branch=True)
    silence = tf.zeros((2, 16384, 1))
    with tf.GradientTape() as tape:
        tape.watch(silence)
        logits = critic(silence, training=True)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(tape.gradient(logits, silence))))


def test_a_wavegan_with_the_branch_and_r1_trains_a_step():
    recipe = recipes.apply_overrides(recipes.with_smoke(recipes.WAVEGAN), [
        "spectral_branch=true", "loss=dcgan", "d_steps=1", "r1_gamma=10", "batch_size=2"])
    keras.utils.set_random_seed(0)
    gan = build_gan(recipe, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in gan.discriminator.spectral.get_weights()]
    real = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 16384, 1)).astype("float32")
    results = gan.train_step(tf.constant(real))
    assert all(np.isfinite(float(results[k])) for k in ("d_loss", "g_loss", "r1"))
    after = gan.discriminator.spectral.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))


def test_only_wavegan_has_the_branch():
    assert recipes.apply_overrides(recipes.WAVEGAN, ["spectral_branch=true"]).spectral_branch
    with pytest.raises(recipes.RecipeError, match="spectral_branch"):
        recipes.apply_overrides(recipes.SPECGAN, ["spectral_branch=true"])


def test_with_minibatch_stddev_the_branch_also_hears_how_much_a_group_varies():
    plain = SpectrogramCritic(8)
    grouped = SpectrogramCritic(8, minibatch_stddev=4)
    plain.build((None, 16384, 1))
    grouped.build((None, 16384, 1))
    assert grouped.count_params() - plain.count_params() == 9 * 32  # conv3 sees one more map
    assert SpectrogramCritic.from_config(grouped.get_config()).minibatch_stddev == 4
    # Changing one clip of a group moves the other clips' logits: they share the feature.
    clips = np.stack([_tone(220.0 * (k + 1)) for k in range(4)])[:, :, None]
    varied = clips.copy()
    varied[3] = _tone(97.0)[:, None]
    for critic, coupled in ((grouped, True), (plain, False)):
        before, after = (keras.ops.convert_to_numpy(critic(x))[:3] for x in (clips, varied))
        assert (not np.allclose(before, after, atol=1e-6)) == coupled


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_under_mixed_precision_the_branch_adds_a_float32_logit(policy):
    keras.config.set_dtype_policy(policy)
    try:
        critic = WaveGANDiscriminator(model_dim=2, spectral_branch=True, minibatch_stddev=2)
        audio = keras.ops.cast(_tone(220.0)[None, :, None].repeat(2, axis=0), "float16")
        assert critic.spectral.conv1.compute_dtype != "float32"
        assert critic(audio, training=True).dtype == "float32"
    finally:
        keras.config.set_dtype_policy("float32")
