"""Network builders by name: each takes a recipe and returns a built keras.Model.

Plain dicts (no registration by import side effect): a recipe's `generator` and
`discriminator` fields are keys here.
"""

from keras_avgan.errors import UserError
from keras_avgan.networks.audio import gansynth, specgan, wavegan
from keras_avgan.networks.audiovisual import avgan, face2music_critic, wav2pix
from keras_avgan.networks.image import dcgan

GENERATORS = {
    "wavegan_generator": wavegan.build_generator,
    "specgan_generator": specgan.build_specgan_generator,
    "gansynth_generator": gansynth.build_gansynth_generator,
    "dcgan_generator": dcgan.build_dcgan_generator,
    "wav2pix_generator": wav2pix.build_wav2pix_generator,
    "avgan_generator": avgan.build_avgan_generator,
    # Sized by the run's face embedding: builders.py passes face_dim.
    "note_from_face_generator": face2music_critic.build_note_generator,
}

DISCRIMINATORS = {
    "wavegan_discriminator": wavegan.build_discriminator,
    "specgan_discriminator": specgan.build_specgan_discriminator,
    "gansynth_discriminator": gansynth.build_gansynth_discriminator,
    "dcgan_discriminator": dcgan.build_dcgan_discriminator,
    "wav2pix_discriminator": wav2pix.build_wav2pix_discriminator,
    "pair_critic": avgan.build_pair_critic,
    # Holds the run's audio metric: builders.py passes it.
    "face_to_music_critic": face2music_critic.build_face_to_music_critic,
}


class UnknownNetworkError(UserError, ValueError):
    """A recipe names a network builder that does not exist."""


def _lookup(table: dict, kind: str, name: str):
    try:
        return table[name]
    except KeyError:
        raise UnknownNetworkError(
            f"unknown {kind} {name!r}; valid names: {', '.join(sorted(table))}"
        ) from None


def get_generator_builder(name: str):
    return _lookup(GENERATORS, "generator", name)


def get_discriminator_builder(name: str):
    return _lookup(DISCRIMINATORS, "discriminator", name)
