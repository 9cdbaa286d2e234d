"""Shards of face/sound pairs to the batches paired_dataset gives: {"audio", "image",
"identity", and with `mismatched` "mismatched_image"}.

paired_dataset draws each mismatched face from any picture on disk; shards hold the faces
inside the examples, so a face can only be taken from what the stream has read. Each row's
mismatched face is drawn uniformly from the rows of its own shuffled batch whose identity
differs; a batch that is all one identity (likely only with tiny batches or few identities)
draws from the previous batch's rows of other identities, and a row with none there either
(the first batch) gets its own face, a true pair counted as mismatched. The draw is stateless
random from the seed and the batch's position, and the previous batch is the state of a
tf.data scan, which an iterator checkpoint saves: a restored iterator continues exactly.
"""

import tensorflow as tf

from pipelines.errors import DataError
from pipelines.shards.reader import SHUFFLE_BUFFER, parser, records
from pipelines.shards.spec import PAIR_LABEL, Manifest
from pipelines.tfdata import checkpointable


def pair_shard_dataset(manifest: Manifest, *, batch_size: int, seed: int, shuffle=True,
                       repeat=True, mismatched=True):
    """Batches of {"audio": float32 [B, slice_len, 1], "image": [B, S, S, 3] in [-1, 1],
    "identity": int32 [B] (the index in manifest.identities), "mismatched_image"}."""
    if mismatched and len(manifest.identities) < 2:
        raise DataError(f"{manifest.root}: mismatched faces need at least 2 identities; the "
                        f"shards have {len(manifest.identities)}")
    seed = int(seed) % (2 ** 31)
    ds = records(manifest, seed, shuffle, repeat)
    ds = ds.map(parser(manifest, PAIR_LABEL), num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)
    if shuffle:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed + 1, reshuffle_each_iteration=True)
    ds = ds.map(lambda e: {"audio": e["audio"], "image": e["image"], "identity": e["label"]})
    ds = ds.batch(batch_size, drop_remainder=True)
    if mismatched:
        size = manifest.spec.image_size
        start = (tf.constant(0, tf.int64), tf.zeros([batch_size, size, size, 3]),
                 tf.fill([batch_size], -1))  # no previous batch: no identity there
        ds = ds.scan(start, _mismatched(seed))
    return checkpointable(ds.prefetch(tf.data.AUTOTUNE))


def _mismatched(seed: int):
    def draw(state, batch):
        position, last_faces, last_ids = state
        faces, ids = batch["image"], batch["identity"]
        rows = tf.shape(ids)[0]
        pool_faces = tf.concat([faces, last_faces], 0)
        pool_ids = tf.concat([ids, last_ids], 0)
        differs = tf.not_equal(pool_ids[None, :], ids[:, None]) & (pool_ids[None, :] >= 0)
        here, before = differs[:, :rows], differs[:, rows:]
        # The previous batch is drawn from only when this one has no other identity.
        allowed = tf.concat([here, before & ~tf.reduce_any(here, 1, keepdims=True)], 1)
        own = tf.one_hot(tf.range(rows), 2 * rows, on_value=True, off_value=False)
        allowed = tf.where(tf.reduce_any(allowed, 1, keepdims=True), allowed, own)
        counts = tf.reduce_sum(tf.cast(allowed, tf.int32), 1)
        draw = tf.random.stateless_uniform([rows], seed=tf.stack([tf.cast(seed, tf.int64),
                                                                  position]))
        pick = tf.minimum(tf.cast(draw * tf.cast(counts, tf.float32), tf.int32), counts - 1)
        # The pick-th allowed row (0-based): the first where the running count passes it.
        running = tf.cumsum(tf.cast(allowed, tf.int32), axis=1)
        chosen = tf.argmax(tf.cast(running > pick[:, None], tf.int32), axis=1)
        out = {**batch, "mismatched_image": tf.gather(pool_faces, chosen)}
        return (position + 1, faces, ids), out
    return draw
