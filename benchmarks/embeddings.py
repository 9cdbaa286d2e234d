"""The face-to-music embeddings on the demo data: trains (or loads from the cache) the face
embedding on the demo faces and the audio metric on the demo notes, and prints how well
each tells held-out examples apart, with chance beside it.

    python benchmarks/embeddings.py [--faces DIR] [--notes DIR] [--seed S]

A folder given is read as the embeddings read one (faces with an `identity` column; notes
from NSynth or with a `family` column); the default is the demo data, built when missing.
"""

import argparse
import dataclasses
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_avgan import embeddings  # noqa: E402
from pipelines import demo  # noqa: E402


def _report(name: str, info: dict, seconds: float) -> None:
    print(f"{name}: {info['train_examples']} training, {info['held_out_examples']} held-out "
          f"examples, {info['dim']}-d ({seconds:.1f} s)")
    for score in ("held_out_verification", "held_out_centroid"):
        if score in info:
            found = info[score]
            print(f"  {score}: {found['accuracy']:.3f} (chance {found['chance']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", help="faces folder (default: the demo faces)")
    parser.add_argument("--notes", help="notes folder or NSynth (default: the demo notes)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    images, identities, _ = embeddings.faces_from_folder(args.faces or demo.ensure_demo("faces"))
    settings = dataclasses.replace(embeddings.FaceEmbeddingSettings(), seed=args.seed)
    start = time.perf_counter()
    _, info = embeddings.face_embedding(images, identities, settings)
    _report("face embedding f", info, time.perf_counter() - start)

    notes, families, _ = embeddings.notes_from_folder(args.notes or demo.ensure_demo("notes"))
    settings = dataclasses.replace(embeddings.AudioMetricSettings(), seed=args.seed)
    start = time.perf_counter()
    _, info = embeddings.audio_metric(notes, families, settings)
    _report("audio metric phi (psi's scores)", info, time.perf_counter() - start)
    print(f"  lambda1 = 1 / {info['psi_max_distance']:.4g}, "
          f"lambda2 = 1 / {info['mfcc_max_distance']:.4g}")


if __name__ == "__main__":
    main()
