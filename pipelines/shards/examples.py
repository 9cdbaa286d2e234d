"""One file (or face/sound pair) to its training examples, and the tf.train.Example each is
stored as.

The file is checked and decoded by the folder reader's own functions (pipelines.audio,
pipelines.images and pipelines.paired: the same scan, the same in-graph or Python route, the
same normalising and slicing ops), run in a tf.function as tf.data runs them
(tf.numpy_function hands the Python route its path as bytes only in a graph), so a shard
holds exactly the examples reading the folder gives.
"""

import functools
import hashlib

import numpy as np
import tensorflow as tf

from pipelines.audio.dataset import all_slices, clip_decoder, first_slice, peak_normalize
from pipelines.audio.scan import check_audio_files
from pipelines.images.dataset import picture_decoder
from pipelines.images.scan import check_image_files
from pipelines.paired.dataset import voice_decoder
from pipelines.shards.spec import LABEL_PREFIX, ShardSpec


class Unusable(Exception):
    """A file that gives no example; the message is the reason bad_files.csv gives, `half`
    the pair's half ("audio" or "image") it is about, for pairs."""

    def __init__(self, reason: str, half: str = ""):
        super().__init__(reason)
        self.half = half


def decode(spec: ShardSpec, row: dict) -> list[dict]:
    """The examples of one inputs row ({feature: float32 array of spec.features' shape}),
    or Unusable."""
    try:
        if spec.kind == "pairs":
            return [_pair(spec, row["path"], row["image"])]
        if spec.kind == "audio":
            return [{"audio": piece} for piece in _audio(spec, row["path"])]
        return [{"image": _image(spec, row["path"])}]
    except Unusable:
        raise
    except Exception as err:  # a file the scan passed and a decoder still failed on
        raise Unusable(_failed(err)) from None


def _failed(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"failed to decode ({text[0][:160] if text else type(err).__name__})"


def _audio(spec: ShardSpec, path: str) -> np.ndarray:
    scan = check_audio_files([path], spec.sample_rate, spec.slice_len)
    if scan.bad:
        raise Unusable(scan.bad[0][1])
    info = scan.good[0]
    fast = bool(info.in_graph and info.sample_rate == spec.sample_rate)
    pieces, length = _audio_graph(spec, fast)(tf.constant(path))
    if not pieces.shape[0] or (not spec.pad_short and length < spec.slice_len):
        raise Unusable(f"shorter than slice_len={spec.slice_len} at {spec.sample_rate} Hz "
                       f"({int(length)} samples) and pad_short is off")
    return pieces.numpy()


@functools.lru_cache(maxsize=None)
def _audio_graph(spec: ShardSpec, fast: bool):
    """path -> (the file's slices [k, slice_len, 1], its length after resampling)."""
    decode, n = clip_decoder(spec.sample_rate, fast, not fast), spec.slice_len

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def run(path):
        clip = decode(path, fast)
        if spec.normalize:
            clip = peak_normalize(clip)
        pieces = first_slice(clip, n)[None] if spec.windows == "first" else \
            all_slices(clip, n, spec.pad_short)
        return pieces, tf.shape(clip)[0]
    return run


def _image(spec: ShardSpec, path: str) -> np.ndarray:
    scan = check_image_files([path])
    if scan.bad:
        raise Unusable(scan.bad[0][1])
    return _image_graph(spec, bool(scan.good[0].in_graph))(tf.constant(path)).numpy()


def _pair(spec: ShardSpec, audio_path: str, image_path: str) -> dict:
    """As scan_pairs checks a pair and paired_dataset decodes it; the first bad half is
    named (audio before image)."""
    sound = check_audio_files([audio_path], spec.sample_rate)
    if sound.bad:
        raise Unusable(sound.bad[0][1], "audio")
    picture = check_image_files([image_path])
    if picture.bad:
        raise Unusable(picture.bad[0][1], "image")
    info = sound.good[0]
    fast = bool(info.in_graph and info.sample_rate == spec.sample_rate)
    try:
        voice = _voice_graph(spec, fast)(tf.constant(audio_path)).numpy()
    except Exception as err:  # the scan passed it and the decoder still failed
        raise Unusable(_failed(err), "audio") from None
    try:
        face = _image_graph(spec, bool(picture.good[0].in_graph))(tf.constant(image_path))
    except Exception as err:
        raise Unusable(_failed(err), "image") from None
    return {"audio": voice, "image": face.numpy()}


@functools.lru_cache(maxsize=None)
def _voice_graph(spec: ShardSpec, fast: bool):
    """path -> float32 [slice_len, 1], as paired_dataset hears a pair's sound."""
    voice = voice_decoder(spec.sample_rate, spec.slice_len, fast, not fast, spec.normalize)
    return tf.function(lambda path: voice(path, fast),
                       input_signature=[tf.TensorSpec([], tf.string)])


@functools.lru_cache(maxsize=None)
def _image_graph(spec: ShardSpec, fast: bool):
    """path -> float32 [size, size, 3] in [-1, 1]."""
    decode = picture_decoder(spec.image_size, fast, not fast)
    return tf.function(lambda path: decode(path, fast),
                       input_signature=[tf.TensorSpec([], tf.string)])


def shard_of(name: str, count: int) -> int:
    """The shard a file's examples go to: a stable hash of its name, the same on any runner
    and in any run, so the same files always make the same shards."""
    return int.from_bytes(_digest(name)[:8], "big") % count


def order_key(name: str) -> str:
    """Where a file's examples sit in its shard: hashed names spread each folder (often one
    class) through the shard, where sorted names would keep it together."""
    return _digest(name).hex()


def _digest(name: str) -> bytes:
    return hashlib.sha1(name.encode("utf-8")).digest()


def serialize(spec: ShardSpec, example: dict, name: str, window: int,
              labels: dict) -> bytes:
    """A tf.train.Example: each raw float32 feature of the example, its file's name under the
    source (a pair's: its picture's), its window in that file, and each label column (""
    where the file has no value)."""
    def text(value: str):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode("utf-8")]))

    def raw(array):
        data = np.ascontiguousarray(array, "<f4").tobytes()
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[data]))

    features = {key: raw(example[key]) for key in spec.features}
    features.update({"path": text(name),
                     "window": tf.train.Feature(int64_list=tf.train.Int64List(value=[window]))})
    features.update({LABEL_PREFIX + column: text(str(labels.get(column, "")))
                     for column in spec.label_columns})
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def feature_spec(spec: ShardSpec) -> dict:
    """What tf.io.parse_example needs to read the examples back (reader.py)."""
    found = {key: tf.io.FixedLenFeature([], tf.string) for key in spec.features}
    found.update({"path": tf.io.FixedLenFeature([], tf.string),
                  "window": tf.io.FixedLenFeature([], tf.int64)})
    found.update({LABEL_PREFIX + c: tf.io.FixedLenFeature([], tf.string, default_value="")
                  for c in spec.label_columns})
    return found
