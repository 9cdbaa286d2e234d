"""The face-to-music ablation (Kim, Port, Patel 2020, Table 1) on the demo faces and notes:
trains the baseline, + the distance-preservation loss, + the auxiliary critic, evaluates each
and prints a table shaped like the paper's with its figures beside it (`make bench-face2music`).

    python benchmarks/face2music.py [--steps N] [-n N] [--runs DIR] [--variants ...]

The paper's figures come from another dataset (VGGFace2 faces, NSynth notes, its own
judges): put beside ours for the shape of the findings, not to be matched number for
number. The script states whether this run shows the paper's two findings:
  1. the distance loss raises PC far above the baseline's;
  2. the auxiliary critic brings FD back down while keeping most of that PC.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_avgan import recipes  # noqa: E402
from keras_avgan.evaluation.evaluate import REAL, evaluate_run  # noqa: E402
from keras_avgan.training.fit import FitOptions, fit  # noqa: E402

# The demo setting of docs/face2music.md: d = 8, batch 32.
SETTING = ["model_dim=8", "batch_size=32", "checkpoint_every=250", "sample_every=250"]
VARIANTS = {
    "baseline": ["distance_weight=0", "aux_critic=false"],
    "+distance loss": ["aux_critic=false"],
    "+aux. critic": [],
}
# Table 1 of the paper: pitch FD, pitch IS, family FD, family IS, PC, SV.
PAPER = {
    "baseline": (21.84, 56.27, 51.02, 4.59, 0.090, -0.0051),
    "+distance loss": (46.69, 53.18, 90.99, 3.98, 0.683, 0.0112),
    "+aux. critic": (25.52, 54.97, 53.98, 5.89, 0.432, 0.0256),
}
COLUMNS = ("fd_pitch", "is_pitch", "fd_family", "is_family", "pc", "sv")
HEADERS = ("pitch FD", "pitch IS", "family FD", "family IS", "PC", "SV")
# What "far above" and "most of" are taken to mean for the two findings.
PC_RISE_MIN = 0.3  # PC with the distance loss at least this much above the baseline's
PC_KEPT_MIN = 0.5  # the auxiliary critic keeps at least this share of that PC


def train_and_evaluate(name: str, steps: int, n: int, runs_root: Path,
                       extra=()) -> tuple[dict, dict]:
    """(scores of the trained generator, {real held-out notes, untrained generator: scores});
    `extra`: overrides for every variant (--set), given before the variant's own."""
    recipe = recipes.apply_overrides(recipes.get_recipe("face2music"),
                                     SETTING + list(extra) + VARIANTS[name])
    run_dir = runs_root / name.strip("+").replace(" ", "_").replace(".", "")
    started = time.perf_counter()
    fit(recipe, "demo", run_dir, FitOptions(steps=steps, seed=0))
    minutes = (time.perf_counter() - started) / 60
    result = evaluate_run(run_dir, n=n)
    print(f"{name}: {steps} steps in {minutes:.1f} min ({run_dir})", flush=True)
    return result.scores["trained"], {"real notes": result.scores[REAL],
                                      "untrained": result.scores["untrained"]}


def _row(label: str, values) -> str:
    return f"{label:<22}" + "".join(f"{v:>11.4g}" if v is not None else f"{'-':>11}"
                                    for v in values)


def print_table(ours: dict, references: dict) -> None:
    print("\n" + f"{'':<22}" + "".join(f"{h:>11}" for h in HEADERS))
    for name, scores in references.items():
        print(_row(f"{name} (ours)", [scores.get(c) for c in COLUMNS]))
    for name, scores in ours.items():
        print(_row(f"{name} (ours)", [scores.get(c) for c in COLUMNS]))
        if name in PAPER:
            print(_row(f"{name} (paper)", PAPER[name]))
    print("(paper: VGGFace2 faces and NSynth notes with the paper's own judges, another "
          "dataset; ours: the demo faces and notes. FD lower and IS, PC, SV higher are "
          "better; PC and SV do not apply to real notes, which no face made.)")


def findings(ours: dict) -> list[str]:
    """The paper's two findings, each said to be shown or not, with the figures that decide."""
    said = []
    base, dist, aux = (ours.get(k) for k in VARIANTS)
    if base and dist:
        rise = dist["pc"] - base["pc"]
        shown = rise >= PC_RISE_MIN
        said.append(f"finding 1 {'SHOWN' if shown else 'NOT SHOWN'}: the distance loss "
                    f"raises PC from {base['pc']:.3f} to {dist['pc']:.3f} (+{rise:.3f}; "
                    f"asked: at least +{PC_RISE_MIN})")
    if dist and aux:
        fd_down = [c for c in ("fd_pitch", "fd_family") if aux[c] < dist[c]]
        kept = aux["pc"] / dist["pc"] if dist["pc"] > 0 else float("nan")
        shown = len(fd_down) == 2 and kept >= PC_KEPT_MIN
        said.append(f"finding 2 {'SHOWN' if shown else 'NOT SHOWN'}: with the auxiliary "
                    f"critic, pitch FD {dist['fd_pitch']:.4g} -> {aux['fd_pitch']:.4g}, family "
                    f"FD {dist['fd_family']:.4g} -> {aux['fd_family']:.4g} (asked: both "
                    f"down), PC kept {kept:.0%} (asked: at least {PC_KEPT_MIN:.0%})")
        if base:  # how far back toward the baseline: the paper's came most of the way
            for column in ("fd_pitch", "fd_family"):
                rise = dist[column] - base[column]
                back = (dist[column] - aux[column]) / rise if rise > 0 else float("nan")
                said.append(f"  {column}: the distance loss moved it {rise:+.4g} from the "
                            f"baseline's; the auxiliary critic took back {back:.0%} of that")
    return said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="generator steps per variant")
    parser.add_argument("-n", type=int, default=500, help="notes generated per evaluation")
    parser.add_argument("--runs", default="runs/bench-face2music")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="recipe overrides for every variant, e.g. distance_weight=2")
    args = parser.parse_args()
    ours, references = {}, {}
    for name in args.variants:
        ours[name], references = train_and_evaluate(name, args.steps, args.n, Path(args.runs),
                                                    args.set)
    print_table(ours, references)
    for line in findings(ours):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
