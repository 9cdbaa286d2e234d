"""Face to music (Kim, Port, Patel 2020): a note from a face, trained on faces and notes that
are not paired, so that faces that look alike give notes that sound alike."""

import dataclasses

from keras_avgan.recipes.base import SMOKE_RUN_KEEPING, Recipe, RecipeError, at_least

# The pitch classes the networks are sized for: NSynth's notes that the recipe's filter keeps
# (MIDI 24-84). A note's pitch id is its MIDI number minus LOWEST_PITCH.
LOWEST_PITCH = 24
HIGHEST_PITCH = 84
NUM_PITCHES = HIGHEST_PITCH - LOWEST_PITCH + 1


@dataclasses.dataclass(frozen=True)
class FaceMusicRecipe(Recipe):
    """Notes (`--data`: labelled by pitch and instrument family) and faces (`--faces`:
    labelled by identity, unless face_embedding names an embedding of your own)."""

    min_latent_dim = 0  # the paper's generator takes no noise: z is [B, 0]

    sample_rate: int = 16000
    slice_len: int = 8192  # the first 0.512 s of each note, what the networks make
    channels: int = 1
    model_dim: int = 64  # the paper's d, for both networks
    phase_shuffle: int = 2  # the critic's
    # Batch norm after each of the critic's convolutions, as the paper's table 4; off: it
    # undoes spectral norm's bound and the critic wins outright (networks/.../face2music.py)
    critic_batch_norm: bool = False
    aux_critic: bool = True  # an auxiliary critic on the audio metric's features
    distance_weight: float = 10.0  # the distance-preservation loss; 0: off
    # A .keras file or SavedModel folder mapping faces to vectors; "": one trained here on
    # the faces' identities (and cached)
    face_embedding: str = ""
    face_column: str = "identity"  # the faces' label column the face embedding trains on
    pitch_column: str = "pitch"  # the notes' label columns (NSynth: its own fields)
    family_column: str = "family"
    face_embedding_steps: int = 300  # triplet training of the face embedding f
    audio_metric_steps: int = 200  # triplet training of the audio metric's psi

    def validate(self) -> None:
        super().validate()
        if (self.sample_rate, self.slice_len, self.channels) != (16000, 8192, 1):
            raise RecipeError("face2music makes mono notes of 8192 samples at 16 kHz: leave "
                              "sample_rate, slice_len and channels as they are")
        if self.conditioning != "none":
            raise RecipeError("face2music is conditioned on faces and pitch by design: leave "
                              "conditioning=none")
        at_least(self, 1, "model_dim", "face_embedding_steps", "audio_metric_steps")
        at_least(self, 0, "phase_shuffle")
        if self.distance_weight < 0:
            raise RecipeError(f"distance_weight must be 0 (off) or positive, got "
                              f"{self.distance_weight}")
        if self.eval_every:
            raise RecipeError("evaluation during training is not yet supported for "
                              "face2music: leave eval_every=0")
        if self.batch_size < 2 and self.distance_weight:
            raise RecipeError("the distance-preservation loss compares pairs of a batch: "
                              "batch_size must be at least 2")


# The paper's setting: hinge loss, five critic updates per generator update, Adam 2e-4
# (0.5, 0.999) for both, batch 128, d = 64, no noise. Its decay, x 0.9 every 100 epochs, is
# in generator steps here: 100 epochs of NSynth's ~90 000 kept training notes, which the
# critic sees 5 x 128 a step, are ~14 000 steps.
FACE2MUSIC = FaceMusicRecipe(
    name="face2music",
    summary="a note from a face (face-to-music): faces alike, notes alike",
    data_kind="faces_notes",
    generator="note_from_face_generator",
    discriminator="face_to_music_critic",
    demo="notes",
    loss="hinge",
    latent_dim=0,
    batch_size=128,
    d_steps=5,
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    beta_1=0.5,
    beta_2=0.999,
    lr_decay_steps=14_000,
    lr_decay_rate=0.9,
    checkpoint_every=500,
    sample_every=500,
    smoke={"model_dim": 2, "batch_size": 4, "d_steps": 2, "steps": 4,
           "face_embedding_steps": 4, "audio_metric_steps": 4, **SMOKE_RUN_KEEPING},
)
