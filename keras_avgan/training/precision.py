"""Mixed precision: the global dtype policy and the optimizers that go with it.

`set_precision` must run BEFORE networks are built: a layer reads the global policy when it
is constructed. Variables stay float32 under both mixed policies; only compute changes.
float16 needs loss scaling (its small gradients underflow); bfloat16 has float32's exponent
range and does not. Keras' automatic loss scaling only wraps the single optimizer passed to
`Model.compile`, so a GAN with two optimizers wraps them itself here.
"""

import keras

MODES = ("off", "float16", "bfloat16")
POLICIES = {"off": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def _check(mode: str) -> None:
    if mode not in POLICIES:
        raise ValueError(f"mixed precision must be one of {', '.join(MODES)}; got {mode!r}")


def set_precision(mode: str) -> None:
    """Set Keras' global dtype policy for networks built after this call."""
    _check(mode)
    keras.config.set_dtype_policy(POLICIES[mode])


def current_precision() -> str:
    """The mode matching the global policy now in force ('off' for anything else)."""
    name = keras.config.dtype_policy().name
    return {policy: mode for mode, policy in POLICIES.items()}.get(name, "off")


def _adam(learning_rate: float, recipe, name: str, updates_per_step: int = 1):
    rate = learning_rate
    # Both schedules read the optimizer's own update count, which the D optimizer advances
    # d_steps times a generator step.
    if recipe.lr_decay_steps and recipe.lr_decay_rate:
        # x lr_decay_rate every lr_decay_steps generator steps (face-to-music: x 0.9).
        rate = keras.optimizers.schedules.ExponentialDecay(
            learning_rate, recipe.lr_decay_steps * updates_per_step, recipe.lr_decay_rate,
            staircase=True)
    elif recipe.lr_decay_steps:
        # Linear to zero over lr_decay_steps generator steps.
        rate = keras.optimizers.schedules.PolynomialDecay(
            learning_rate, recipe.lr_decay_steps * updates_per_step, end_learning_rate=0.0)
    return keras.optimizers.Adam(learning_rate=rate, beta_1=recipe.beta_1,
                                 beta_2=recipe.beta_2, name=name)


def make_optimizers(recipe, mode: str = "off"):
    """(d_optimizer, g_optimizer): Adam with the recipe's rates and betas.

    Every loss uses Adam from the recipe's fields; `lr_decay_steps` > 0 decays both rates
    linearly to zero over that many generator steps, or with `lr_decay_rate` multiplies them
    by it every that many steps. WaveGAN's own code uses Adam 1e-4 (0.5,
    0.9) for WGAN-GP, Adam 2e-4 (beta_1 0.5) for DCGAN and RMSProp 1e-4 for LSGAN; set the
    learning rates and betas in the recipe to approximate those rather than switching class.
    Under float16 both are wrapped in a LossScaleOptimizer (dynamic scale, starting at 2^15
    and doubling after 2000 finite steps); its `apply` unscales and skips non-finite steps.
    """
    _check(mode)
    d_opt = _adam(recipe.d_learning_rate, recipe, "d_adam", recipe.d_steps)
    g_opt = _adam(recipe.g_learning_rate, recipe, "g_adam")
    if mode == "float16":
        d_opt = keras.optimizers.LossScaleOptimizer(d_opt, name="d_optimizer")
        g_opt = keras.optimizers.LossScaleOptimizer(g_opt, name="g_optimizer")
    return d_opt, g_opt
