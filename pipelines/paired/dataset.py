"""Face/sound pairs to tf.data: each element the pair's sound, its face, its identity id and
a face of another identity (the mismatched face a pair critic is shown as a fake pair).

The mismatched face is drawn in-graph from the element's position and the seed alone
(stateless random ops): another identity uniformly, then one of its faces uniformly, so the
stream is deterministic and a restored iterator continues exactly.

Faces and voices of a small folder are decoded once (pipelines.tfdata.decoded_rows): else
each pair's face would be decoded and resized twice per epoch, as its own and as another's.
"""

import numpy as np
import tensorflow as tf

from pipelines.audio.dataset import clip_decoder, pad_to, peak_normalize
from pipelines.errors import DataError
from pipelines.images.dataset import picture_decoder
from pipelines.tfdata import DECODED_BYTES_MAX, checkpointable, decoded_rows


def identity_ids(pairs, identities) -> np.ndarray:
    """int32 [N]: each pair's identity as its index in the sorted identity names."""
    index = {name: i for i, name in enumerate(identities)}
    return np.asarray([index[p.identity] for p in pairs], np.int32)


def _faces_by_identity(ids: np.ndarray, count: int):
    """(order, starts, counts): pair indices sorted by identity, and where each identity's
    run starts in that order and how long it is: identity k's faces are
    order[starts[k]:starts[k] + counts[k]]."""
    order = np.argsort(ids, kind="stable").astype(np.int32)
    counts = np.bincount(ids, minlength=count).astype(np.int32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    return order, starts, counts


def voice_decoder(sample_rate, slice_len, any_in_graph, any_python, normalize=True):
    """(path, in_graph) -> float32 [slice_len, 1]: the pair's sound as training hears it (its
    first slice_len samples, peak-normalised, zero-padded); the shards' writer uses it too."""
    decode = clip_decoder(sample_rate, any_in_graph, any_python)

    def voice(path, in_graph):
        clip = decode(path, in_graph)
        if normalize:
            clip = peak_normalize(clip)
        return tf.ensure_shape(pad_to(clip, slice_len)[:slice_len], [slice_len, 1])
    return voice


def paired_dataset(pairs, identities, *, sample_rate, slice_len, image_size, batch_size,
                   seed, shuffle=True, repeat=True, mismatched=True, normalize=True,
                   decoded_bytes_max=DECODED_BYTES_MAX):
    """Batches of {"audio": float32 [B, slice_len, 1] (first slice_len samples, zero-padded),
    "image": float32 [B, S, S, 3] in [-1, 1], "identity": int32 [B], and with `mismatched`
    "mismatched_image": a face of another identity} from scan_pairs' pairs. Pairs whose
    decoded halves fit in `decoded_bytes_max` are decoded once; the batches are the same."""
    if not pairs:
        raise DataError("no usable face/sound pairs to build a dataset from")
    ids = identity_ids(pairs, identities)
    if mismatched and len(identities) < 2:
        raise DataError(f"mismatched faces need at least 2 identities; the data has "
                        f"{len(identities)} ({', '.join(identities)})")
    fast_audio = [bool(p.audio.in_graph and p.audio.sample_rate == sample_rate) for p in pairs]
    fast_image = [bool(p.image.in_graph) for p in pairs]
    decode_voice = voice_decoder(sample_rate, slice_len, any(fast_audio), not all(fast_audio),
                                 normalize)
    decode_image = picture_decoder(int(image_size), any(fast_image), not all(fast_image))
    pair_bytes = 4 * (int(image_size) ** 2 * 3 + slice_len)  # both halves held, or neither
    face_of = decoded_rows(decode_image, [p.image.path for p in pairs], fast_image, pair_bytes,
                           decoded_bytes_max)
    voice_of = decoded_rows(decode_voice, [p.audio.path for p in pairs], fast_audio, pair_bytes,
                            decoded_bytes_max)
    order, starts, counts = (tf.constant(a) for a in _faces_by_identity(ids, len(identities)))
    seed = int(seed) % (2 ** 31)

    ds = tf.data.Dataset.from_tensor_slices((np.arange(len(pairs), dtype=np.int32), ids))
    if shuffle:
        ds = ds.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.enumerate()

    def other_face(position, identity):
        draw = tf.random.stateless_uniform([2], seed=tf.stack([tf.cast(seed, tf.int64),
                                                               position]))
        shift = 1 + tf.cast(draw[0] * (len(identities) - 1), tf.int32)
        other = (identity + tf.minimum(shift, len(identities) - 1)) % len(identities)
        pick = tf.minimum(tf.cast(draw[1] * tf.cast(counts[other], tf.float32), tf.int32),
                          counts[other] - 1)
        return face_of(order[starts[other] + pick])

    def load(position, item):
        row, identity = item
        element = {"audio": voice_of(row), "image": face_of(row), "identity": identity}
        if mismatched:
            element["mismatched_image"] = other_face(position, identity)
        return element

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return checkpointable(ds)
