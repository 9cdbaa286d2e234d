"""What `--jit` (XLA) buys on the devices at hand.

On CPU it costs: XLA's CPU backend runs the transposed convolutions of every generator here,
and the input and filter gradients of strided convolutions in every critic, as dilated
convolutions several times slower than TF's own kernels (`make bench` times steps with and
without it, compile time apart). On GPUs XLA hands convolutions to cuDNN, so there it can
pay; the warning stays quiet when a GPU is visible.
"""

import tensorflow as tf


def cpu_warning() -> str | None:
    """A warning for `--jit` when no GPU is visible, else None."""
    if tf.config.list_physical_devices("GPU"):
        return None
    return ("warning: --jit on CPU makes training slower, not faster: XLA's CPU backend runs "
            "transposed convolutions and convolution gradients several times slower than "
            "TF's kernels (make bench shows the ratio); it is worth trying on a GPU")
