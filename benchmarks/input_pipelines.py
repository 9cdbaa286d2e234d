"""How much faster the input pipelines feed examples than a naive loop does, and than a train
step eats them (`python benchmarks/input_pipelines.py`, part of `make bench`).

Pipelines: demo notes through audio_dataset, demo faces through image_dataset, demo talking
faces through paired_dataset as the avgan recipe reads them (decoding every epoch, and held
decoded as a small folder is), and the demo notes sharded once by the Beam pipeline and read
by shard_dataset. For each, examples per second of the pipeline (warm-up batch excluded), of
a naive Python loop decoding the same files one at a time, and of the matching recipe's train
step (step_timing). Each measurement runs in a process of its own
(`--child`), so its peak memory (ru_maxrss) is its own; pipeline and naive rounds alternate.
"""

import argparse
import csv
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import image_pipeline  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

ROUNDS = 3  # alternated, best of each kept: the machine's other load hits both alike
BATCH, STEPS = 64, 20  # pipeline batches timed per round, after the warm-up one
SAMPLE_RATE, SLICE_LEN, SIZE = 16000, 16384, 64  # WaveGAN's and avgan's clip, DCGAN's side
PEAK_FLOOR = 1e-6  # pipelines.audio.PEAK_FLOOR, not imported: that would load TensorFlow
STEP_CALLS = 5
# "pairs" decodes its files on every epoch, as data too large to hold decoded is read;
# "held" is the same folder decoded once, as training reads the demo (pipelines.paired)
DEMOS = {"audio": "notes", "images": "faces", "pairs": "talking", "held": "talking",
         "shards": "notes"}
# recipe and overrides of the train step each pipeline feeds; avgan at its default networks
STEPS_OF = {"audio": ("wavegan", ["model_dim=16", "batch_size=16"]),
            "images": ("dcgan", ["model_dim=32", "batch_size=64"]),
            "pairs": ("avgan", ["batch_size=32"])}
STEPS_OF["shards"], STEPS_OF["held"] = STEPS_OF["audio"], STEPS_OF["pairs"]
NAIVE_OF = {"shards": "audio", "held": "pairs"}


def _demo(name) -> str:
    from pipelines import demo  # its builders only: no TensorFlow in the naive children
    return str(demo.ensure_demo(DEMOS[name]))


def _dataset(name, shard_dir):
    """The project's pipeline, with the arguments its modality passes."""
    from pipelines import audio, images, paired, shards
    from pipelines.shards import reader

    if name == "audio":
        files = audio.scan_audio(_demo(name), SAMPLE_RATE, SLICE_LEN).good
        return audio.audio_dataset(files, sample_rate=SAMPLE_RATE, slice_len=SLICE_LEN,
                                   batch_size=BATCH, seed=0)
    if name == "images":
        return images.image_dataset(images.scan_images(_demo(name)).good, size=SIZE,
                                    batch_size=BATCH, seed=0)
    if name in ("pairs", "held"):  # as PairedData.pair_batches, with mismatched faces
        scan = paired.scan_pairs(_demo(name), sample_rate=SAMPLE_RATE)
        held = {} if name == "held" else {"decoded_bytes_max": 0}
        return paired.paired_dataset(scan.pairs, scan.identities, sample_rate=SAMPLE_RATE,
                                     slice_len=SLICE_LEN, image_size=SIZE, batch_size=BATCH,
                                     seed=0, mismatched=True, **held)
    return reader.shard_dataset(shards.read_manifest(shard_dir), batch_size=BATCH, seed=0)


def naive_clip(path, rng=None):
    """What audio_dataset does to one file, in numpy: mono, peak-normalised, zero-padded, a
    window at a random offset (the first one without `rng`, as paired_dataset takes)."""
    data, _ = soundfile.read(path, dtype="float32", always_2d=True)
    clip = data.mean(axis=1, keepdims=True)
    clip = clip / max(float(np.abs(clip).max(initial=0.0)), PEAK_FLOOR)
    clip = np.pad(clip, [(0, max(SLICE_LEN - len(clip), 0)), (0, 0)])
    start = 0 if rng is None else int(rng.integers(0, len(clip) - SLICE_LEN + 1))
    return clip[start:start + SLICE_LEN]


def _per_second(work) -> float:
    start = time.perf_counter()
    return len(work()) / (time.perf_counter() - start)


def naive_rate(name) -> float:
    """Examples per second of one pass of the naive loop over the demo's files."""
    root, rng = _demo(name), np.random.default_rng(0)
    if name == "pairs":  # per pair: the sound, its face and another identity's, as the pipeline
        with open(os.path.join(root, "pairs.csv"), newline="") as handle:
            rows = [(os.path.join(root, r["audio"]), os.path.join(root, r["image"]),
                     r["identity"]) for r in csv.DictReader(handle)]
        others = [rows[rng.choice([j for j, r in enumerate(rows) if r[2] != who])][1]
                  for _, _, who in rows]  # drawn before the clock starts
        return _per_second(lambda: [(naive_clip(sound), image_pipeline.naive_loop(
            [face, other], SIZE)) for (sound, face, _), other in zip(rows, others, strict=True)])
    found = sorted(glob.glob(os.path.join(root, "**", "*.*"), recursive=True))
    if name == "images":
        paths = [path for path in found if path.endswith(".png")]
        return _per_second(lambda: image_pipeline.naive_loop(paths, SIZE))
    paths = [path for path in found if path.endswith(".wav")]
    return _per_second(lambda: np.stack([naive_clip(path, rng) for path in paths]))


def _shard(out) -> dict:
    """The demo notes sharded once, with Beam's in-process runner, as shard_reading.py does."""
    import shard_reading

    from pipelines.shards import launch, options

    spec, source = shard_reading.SPECS["notes"], _demo("shards")
    rows, _ = launch.inputs(spec.kind, source)
    seconds = launch.run(spec, rows, out, source=source, num_shards=launch.default_shards(
        len(rows)), flags=options.pipeline_flags("DirectRunner", ["direct_running_mode=in_memory"]))
    return {"files": len(rows), "seconds": seconds}


def _run(kind, name, shard_dir="") -> dict:
    """One measurement in a fresh process: its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--child", kind, name, "--shards",
                          shard_dir], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{kind} {name!r} failed:\n{out.stderr[-3000:]}")
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--shards", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        (kind, name), shard_dir = args.child, args.shards
        if kind == "pipeline":  # the iterator dies with the child: no prefetching left behind
            result = {"examples_per_second": STEPS * BATCH / image_pipeline._time_dataset(
                _dataset(name, shard_dir), STEPS)}
        elif kind == "naive":
            result = {"examples_per_second": naive_rate(name)}
        else:
            import step_timing

            result = _shard(shard_dir) if kind == "shard" else step_timing.measure_ours(
                *STEPS_OF[name], steps=STEP_CALLS)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(result))
        return 0
    started, runs = time.perf_counter(), {}

    def best(rounds) -> tuple[float, float]:  # the fastest round, the largest peak
        return max(r["examples_per_second"] for r in rounds), max(r["peak_rss_mb"] for r in rounds)

    with tempfile.TemporaryDirectory() as shard_dir:
        sharded = _run("shard", "shards", shard_dir)
        for _ in range(ROUNDS):
            for name in DEMOS:
                runs.setdefault(name, []).append(_run("pipeline", name, shard_dir))
                if name not in NAIVE_OF:  # whose naive loop is another's, over the same files
                    runs.setdefault(("naive", name), []).append(_run("naive", name))
    # a step measured once per recipe: the shards feed the same WaveGAN step as the audio
    steps = {recipe: best([_run("step", name)]) for name, (recipe, _) in STEPS_OF.items()
             if name not in NAIVE_OF}
    print(f"input pipelines against a naive one-file-at-a-time loop (goal >= 5x) and the train "
          f"step they feed (goal >= 20x)\nbatch {BATCH}, best of {ROUNDS} alternated rounds, "
          f"{os.cpu_count()} cores; {sharded['files']} notes sharded in {sharded['seconds']:.1f} s")
    print(f"  {'pipeline':<8} {'ex/s':>7} {'naive':>7} {'ratio':>6}      {'step':<8} "
          f"{'ex/s':>7} {'ratio':>7}       peak MB pipeline / naive / step")
    for name in DEMOS:
        rate, peak = best(runs[name])
        naive, naive_peak = best(runs["naive", NAIVE_OF.get(name, name)])
        recipe = STEPS_OF[name][0]
        step, step_peak = steps[recipe]
        print(f"  {name:<8} {rate:7.0f} {naive:7.0f} {rate / naive:5.1f}x "
              f"{'ok ' if rate >= 5 * naive else 'LOW'}  {recipe:<8} {step:7.1f} "
              f"{rate / step:6.1f}x {'ok ' if rate >= 20 * step else 'LOW'}   "
              f"{peak:5.0f} / {naive_peak:4.0f} / {step_peak:5.0f}")
    print(f"  ({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
