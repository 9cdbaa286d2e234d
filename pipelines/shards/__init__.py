"""Corpus-scale data preparation: files decoded, checked and sliced once by an Apache Beam
pipeline into TFRecord shards (`beam_pipeline`, started by `launch`), which training then
reads with interleaved parallel reads (`reader`; face/sound pairs with their mismatched faces:
`pair_reader`). `spec` says what a shard folder holds.

Only `spec` is imported here: the others load Beam or TensorFlow, imported where used.
"""

from pipelines.shards.spec import (
    BAD_FILES,
    INPUTS,
    MANIFEST,
    Manifest,
    ShardSpec,
    looks_sharded,
    read_manifest,
)

__all__ = ["BAD_FILES", "INPUTS", "MANIFEST", "Manifest", "ShardSpec", "looks_sharded",
           "read_manifest"]
