"""How much the judge itself moves a run's scores (`make bench-judge`): the classifier that
`evaluate` trains is retrained from several seeds, and each copy scores the same real held-out
clips, untrained generator and trained generator.

The judge is a small network trained on a few hundred clips, so how confident it is, and
with it every Inception Score, depends on the draw of its training: two copies that agree on
every held-out clip can still score one generator 1.8 and 2.0. Differences between runs
smaller than the spread printed here are not differences in the generators.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_avgan import modalities  # noqa: E402
from keras_avgan.evaluation.evaluate import (  # noqa: E402
    generate_examples,
    score_sources,
    untrained_like,
)
from keras_avgan.evaluation.reference import (  # noqa: E402
    classifier_for,
    load_labelled,
    train_reference_classifier,
)
from keras_avgan.training.builders import load_sampler  # noqa: E402

SOURCES = ("real (held-out)", "untrained", "trained")


def _row(name: str, scores: dict, column: str, ratio: float) -> str:
    cells = " | ".join(f"{scores[s][f'is_{column}']:5.2f} {scores[s][f'fd_{column}']:6.1f}"
                       for s in SOURCES)
    return f"{name:>17} | {cells} | {ratio:5.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="runs/bench-quality/wavegan_r1",
                        help="a trained run (default: the quality benchmark's WaveGAN)")
    parser.add_argument("--label", default="family")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    if not (Path(args.run_dir) / "recipe.json").is_file():
        print(f"{args.run_dir}: no trained run there; run `make bench-quality` first or pass "
              "--run-dir RUN", file=sys.stderr)
        return 2
    recipe, sampler, which = load_sampler(args.run_dir)
    modality = modalities.for_recipe(recipe)
    labelled = load_labelled(modalities.resolve_data(recipe, "demo"), recipe, [args.label])
    made = {"untrained": generate_examples(untrained_like(sampler, recipe), recipe, args.n),
            "trained": generate_examples(sampler, recipe, args.n)}
    sources = {"real (held-out)": labelled.held_out,
               **{name: m[modality.output_name] for name, m in made.items()}}
    judges = {"evaluate's (cached)": classifier_for(labelled, args.label, recipe)[0]}
    for seed in args.seeds:
        judges[f"seed {seed}"] = train_reference_classifier(labelled, args.label, recipe,
                                                            seed=seed)[0]
    print(f"{args.run_dir} ({which}), {args.n} samples; '{args.label}' judges")
    print(f"{'judge':>17} | {'real IS, FD':>12} | {'untrained':>12} | {'trained':>12} | "
          "IS trained/untrained")
    ratios = []
    for name, model in judges.items():
        scores = score_sources(sources, {args.label: model}, labelled, [args.label], modality)
        ratios.append(scores["trained"][f"is_{args.label}"]
                      / scores["untrained"][f"is_{args.label}"])
        print(_row(name, scores, args.label, ratios[-1]), flush=True)
    print(f"IS trained/untrained over {len(ratios)} judges: {min(ratios):.2f} to "
          f"{max(ratios):.2f} (mean {np.mean(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
