"""Image recipes: DCGAN."""

import dataclasses

from keras_avgan.recipes.base import SMOKE_RUN_KEEPING, Recipe, RecipeError, at_least

IMAGE_SIZES = (64, 128)


@dataclasses.dataclass(frozen=True)
class ImageRecipe(Recipe):
    """Recipes whose data is a folder of pictures, centre-cropped and resized to a square."""

    image_size: int = 64
    model_dim: int = 128  # width of G's last hidden layer and of D's first (paper: 128)
    kernel_size: int = 5  # DCGAN's code uses 5x5; the PyTorch example 4x4
    spectral_norm: bool = False  # D's layers spectrally normalised (SNGAN), in place of its BN

    def validate(self) -> None:
        super().validate()
        if self.image_size not in IMAGE_SIZES:
            raise RecipeError(f"image_size must be one of {IMAGE_SIZES}, got {self.image_size}")
        at_least(self, 1, "model_dim")
        at_least(self, 2, "kernel_size")


# Radford et al. 2016: z (100, uniform) -> 4x4x1024 -> four stride-2 transposed convolutions
# -> 64x64x3 tanh; batch norm everywhere except G's output and D's input; ReLU in G,
# LeakyReLU 0.2 in D; Adam 2e-4 (0.5, 0.999); batch 128; weights from N(0, 0.02); the
# non-saturating loss with one D update per G update.
DCGAN = ImageRecipe(
    name="dcgan",
    summary="images 64x64 or 128x128 (DCGAN)",
    data_kind="image",
    generator="dcgan_generator",
    discriminator="dcgan_discriminator",
    demo="faces",
    loss="dcgan",
    d_steps=1,
    batch_size=128,
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    beta_1=0.5,
    beta_2=0.999,
    label_column="identity",
    checkpoint_every=500,
    sample_every=500,
    smoke={"model_dim": 2, "batch_size": 4, "steps": 4, **SMOKE_RUN_KEEPING},
)
