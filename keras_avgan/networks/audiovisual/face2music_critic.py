"""The face-to-music critic as the GAN scheme sees it: one model holding the projection critic,
the frozen audio metric phi and the auxiliary critic that reads phi's features, so that all
three are checkpointed together and phi's features reach the loss terms.

    critic([note [B, 8192, 1], pitch ids [B]]) -> {"logit": the projection critic's [B, 1],
        "aux_logit": the auxiliary critic's on phi(note) [B, 1] (when it has one),
        "metric": phi(note) [B, M]}

phi is given, already trained (keras_avgan.embeddings.audio_metric) and frozen: its weights
are never trained here, and its batch norm always runs in inference mode; the generator
trains through it (the distance-preservation loss, the auxiliary critic's verdict).
"""

import keras

from keras_avgan.networks.audiovisual.face2music import (
    AuxiliaryCritic,
    NoteFromFaceGenerator,
    ProjectionWaveCritic,
)
from keras_avgan.recipes.face2music import NUM_PITCHES

# What the face embedding trained here gives (embeddings.FaceEmbeddingSettings.dim): the
# generator's face width when no run says otherwise (`show --summary`).
DEFAULT_FACE_DIM = 128


@keras.saving.register_keras_serializable(package="keras_avgan")
class FaceToMusicCritic(keras.Model):
    def __init__(self, critic, metric, aux_critic=None, **kwargs):
        super().__init__(**kwargs)
        self.critic, self.metric, self.aux_critic = critic, metric, aux_critic
        self.metric.trainable = False
        self.built = True  # every part comes built

    @property
    def parts(self) -> dict:
        """The networks it holds, by role (what `show --summary` counts)."""
        named = {"critic": self.critic, "audio metric (frozen)": self.metric}
        return named if self.aux_critic is None else {**named, "auxiliary critic":
                                                      self.aux_critic}

    def call(self, inputs, training=False):
        audio, pitch = inputs
        out = {"logit": self.critic([audio, pitch], training=training)}
        # Inference mode always: phi is a fixed measure of the note, not a trained part.
        features = self.metric(keras.ops.cast(keras.ops.squeeze(audio, -1), "float32"),
                               training=False)
        out["metric"] = features
        if self.aux_critic is not None:
            out["aux_logit"] = self.aux_critic(features, training=training)
        return out

    def compute_output_shape(self, input_shape):
        batch = tuple(input_shape[0])[0]
        shapes = {"logit": (batch, 1), "metric": (batch, self.metric.output_shape[-1])}
        if self.aux_critic is not None:
            shapes["aux_logit"] = (batch, 1)
        return shapes

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {**super().get_config(), "critic": serialize(self.critic),
                "metric": serialize(self.metric),
                "aux_critic": None if self.aux_critic is None else serialize(self.aux_critic)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("critic", "metric", "aux_critic"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def build_note_generator(recipe, face_dim: int = DEFAULT_FACE_DIM) -> NoteFromFaceGenerator:
    """[z [B, latent_dim], face vectors [B, face_dim], pitch ids [B]] -> notes [B, 8192, 1]."""
    return NoteFromFaceGenerator(face_dim=face_dim, num_pitches=NUM_PITCHES,
                                 model_dim=recipe.model_dim, latent_dim=recipe.latent_dim,
                                 name="generator")


def build_face_to_music_critic(recipe, metric: keras.Model) -> FaceToMusicCritic:
    """The recipe's critic around `metric` (phi: [B, 8192] -> [B, M], frozen)."""
    critic = ProjectionWaveCritic(num_pitches=NUM_PITCHES, model_dim=recipe.model_dim,
                                  phase_shuffle=recipe.phase_shuffle,
                                  batch_norm=recipe.critic_batch_norm, name="critic")
    aux = AuxiliaryCritic(metric_dim=int(metric.output_shape[-1]), name="aux_critic") \
        if recipe.aux_critic else None
    return FaceToMusicCritic(critic, metric, aux, name="discriminator")
