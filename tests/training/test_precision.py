"""Mixed precision and XLA: policies, optimizers, and a smoke WaveGAN train step under each."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_avgan import networks, recipes
from keras_avgan.training import precision
from keras_avgan.training.gan import GAN

SMOKE = recipes.replace(recipes.with_smoke(recipes.WAVEGAN), batch_size=2, d_steps=2)


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.config.set_dtype_policy("float32")


def smoke_gan(mode, jit=False):
    precision.set_precision(mode)
    recipe = SMOKE
    gan = GAN(networks.get_generator_builder(recipe.generator)(recipe),
              networks.get_discriminator_builder(recipe.discriminator)(recipe),
              latent_dim=recipe.latent_dim, loss=recipe.loss, d_steps=recipe.d_steps, seed=0)
    gan.compile(*precision.make_optimizers(recipe, mode), jit_compile=jit)
    return gan


def real_batch(recipe=SMOKE, seed=0):
    rows = recipe.batch_size * recipe.d_steps
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, (rows, recipe.slice_len, 1)).astype("float32")


@pytest.mark.parametrize("mode, policy", [("off", "float32"), ("float16", "mixed_float16"),
                                          ("bfloat16", "mixed_bfloat16")])
def test_set_precision_sets_the_global_policy(mode, policy):
    precision.set_precision(mode)
    assert keras.config.dtype_policy().name == policy
    assert precision.current_precision() == mode


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="bfloat16"):
        precision.set_precision("half")


@pytest.mark.parametrize("mode", precision.MODES)
def test_optimizers_are_adam_from_the_recipe_and_loss_scaled_for_float16_only(mode):
    recipe = recipes.replace(SMOKE, d_learning_rate=3e-4, g_learning_rate=2e-4, beta_2=0.99)
    d_opt, g_opt = precision.make_optimizers(recipe, mode)
    scaled = isinstance(d_opt, keras.optimizers.LossScaleOptimizer)
    assert scaled == (mode == "float16")
    assert isinstance(g_opt, keras.optimizers.LossScaleOptimizer) == scaled
    d_adam = d_opt.inner_optimizer if scaled else d_opt
    g_adam = g_opt.inner_optimizer if scaled else g_opt
    assert isinstance(d_adam, keras.optimizers.Adam) and isinstance(g_adam, keras.optimizers.Adam)
    assert float(d_adam.learning_rate) == pytest.approx(3e-4)
    assert float(g_adam.learning_rate) == pytest.approx(2e-4)
    assert (d_adam.beta_1, d_adam.beta_2) == (0.5, 0.99)


@pytest.mark.parametrize("mode, compute", [("float16", "float16"), ("bfloat16", "bfloat16")])
def test_mixed_precision_train_step_is_finite_with_float32_audio(mode, compute):
    gan = smoke_gan(mode)
    assert gan.generator.get_layer("up0").compute_dtype == compute
    assert gan.discriminator.get_layer("down0").compute_dtype == compute
    step = tf.function(gan.train_step)
    for seed in range(2):
        logs = {k: float(v) for k, v in step(tf.constant(real_batch(seed=seed))).items()}
        assert all(np.isfinite(v) for v in logs.values()), logs
    audio = gan.generate(3, seed=1)
    assert audio.dtype == "float32"
    assert np.all(np.abs(np.asarray(audio)) <= 1.0)
    assert all(np.all(np.isfinite(np.asarray(v))) for v in gan.generator.weights)


def test_jit_compiled_train_step_runs_on_cpu():
    gan = smoke_gan("off", jit=True)
    history = gan.fit(tf.data.Dataset.from_tensors(real_batch()).repeat(),
                      steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    assert gan.jit_compile is True
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    assert int(gan.d_optimizer.iterations) == 2 * SMOKE.d_steps


@pytest.mark.parametrize("jit", [False, True])
def test_critic_updates_are_a_loop_op_except_under_xla(jit):
    """XLA on CPU runs a loop op's body far slower than unrolled copies (make bench), so a
    step compiled with XLA unrolls its d_steps critic updates; otherwise one loop op keeps
    the graph the size of one update."""
    gan = smoke_gan("off", jit=jit)
    graph = tf.function(gan.train_step).get_concrete_function(
        tf.TensorSpec(real_batch().shape, tf.float32)).graph
    loops = [op for op in graph.get_operations() if op.type in ("While", "StatelessWhile")]
    assert bool(loops) is not jit


def test_jit_on_a_machine_without_a_gpu_says_it_slows_training(monkeypatch, capsys):
    from keras_avgan.cli import main
    from keras_avgan.training import xla

    # Said before anything is read, so a run with a bad --data still shows it.
    assert main(["fit", "--recipe", "wavegan", "--data", "/nonexistent", "--jit"]) == 2
    err = capsys.readouterr().err
    assert "--jit on CPU makes training slower" in err and "/nonexistent" in err
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["GPU:0"] if kind == "GPU" else [])
    assert xla.cpu_warning() is None


def test_lr_decay_is_linear_over_generator_steps_for_both_optimizers():
    recipe = recipes.replace(recipes.with_smoke(recipes.WAVEGAN), d_steps=5, lr_decay_steps=10,
                             d_learning_rate=4e-4, g_learning_rate=2e-4)
    d_opt, g_opt = precision.make_optimizers(recipe)
    d_opt.build([keras.Variable(0.0)])
    g_opt.build([keras.Variable(0.0)])
    d_opt.iterations.assign(25)  # 5 generator steps: D updated five times in each
    g_opt.iterations.assign(5)
    assert float(d_opt.learning_rate) == pytest.approx(2e-4)
    assert float(g_opt.learning_rate) == pytest.approx(1e-4)
    g_opt.iterations.assign(50)  # past the end: it stays at zero
    assert float(g_opt.learning_rate) == 0.0
