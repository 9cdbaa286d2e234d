"""How fast training reads shards against the files they were made from
(`python benchmarks/shard_reading.py [notes|faces]`): the demo notes (16-bit WAVs, decoded
in the graph) or faces (128 px PNGs, resized to 64), sharded once with Beam's in-process
runner, then the folder reader and the shard reader alternated, best round of each kept.

Imports only `pipelines`, so it runs while keras_avgan is being changed.
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pipelines import audio, demo, images, shards  # noqa: E402
from pipelines.shards import launch, options, reader  # noqa: E402

ROUNDS = 3
BATCH = 64
STEPS = 30  # batches per round: past an epoch of the 600 notes or 800 faces, twice
SPECS = {"notes": shards.ShardSpec("audio", sample_rate=16000, slice_len=16384),
         "faces": shards.ShardSpec("image", image_size=64)}


def _rate(dataset) -> float:
    iterator = iter(dataset)
    next(iterator)  # warm-up: tracing and thread start-up are not throughput
    start = time.perf_counter()
    for _ in range(STEPS):
        next(iterator)
    return STEPS * BATCH / (time.perf_counter() - start)


def measure(kind: str) -> dict:
    source = str(demo.ensure_demo(kind))
    spec = SPECS[kind]
    with tempfile.TemporaryDirectory() as out:
        rows, _ = launch.inputs(spec.kind, source)
        flags = options.pipeline_flags("DirectRunner", ["direct_running_mode=in_memory"])
        seconds = launch.run(spec, rows, out, flags=flags, source=source,
                             num_shards=launch.default_shards(len(rows)))
        manifest = shards.read_manifest(out)
        if spec.kind == "audio":
            files = audio.scan_audio(source, spec.sample_rate, spec.slice_len).good
            folder = audio.audio_dataset(files, sample_rate=spec.sample_rate,
                                         slice_len=spec.slice_len, batch_size=BATCH, seed=0)
        else:
            files = images.scan_images(source).good
            folder = images.image_dataset(files, size=spec.image_size, batch_size=BATCH,
                                          seed=0)
        sharded = reader.shard_dataset(manifest, batch_size=BATCH, seed=0)
        folder_rates, shard_rates = [], []
        for _ in range(ROUNDS):
            folder_rates.append(_rate(folder))
            shard_rates.append(_rate(sharded))
    return {"kind": kind, "files": len(rows), "shards": len(manifest.shards),
            "shard_seconds": seconds, "cores": os.cpu_count(),
            "folder_per_s": max(folder_rates), "shards_per_s": max(shard_rates)}


def main(argv) -> int:
    for kind in argv or list(SPECS):
        r = measure(kind)
        print(f"{r['kind']}: {r['files']} files sharded into {r['shards']} in "
              f"{r['shard_seconds']:.1f} s (in_memory runner); batch {BATCH}, {r['cores']} "
              f"cores: folder reader {r['folder_per_s']:.0f} examples/s, shard reader "
              f"{r['shards_per_s']:.0f} examples/s ({r['shards_per_s'] / r['folder_per_s']:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
