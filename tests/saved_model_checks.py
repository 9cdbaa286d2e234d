"""An exported SavedModel run the ways TF Serving and its users run it, shared by the export
tests: a TF1 graph session (what TF Serving's C++ loader does) and `saved_model_cli run`."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")
QUIET = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def tf1_outputs(saved_model_dir, signature: str, feeds: dict) -> dict:
    """{output name: array} of `signature` on `feeds` ({input name: array}), through
    tf.compat.v1's loader and a graph session."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(saved_model_dir))
        sig = meta.signature_def[signature]
        names = sorted(sig.outputs)
        fetched = sess.run([sig.outputs[k].name for k in names],
                           {sig.inputs[k].name: v for k, v in feeds.items()})
    return dict(zip(names, fetched, strict=True))


def saved_model_cli_run(saved_model_dir, signature: str, outdir, *, arrays: dict | None = None,
                        exprs: str = "") -> dict:
    """{output name: array} that `saved_model_cli run` writes for `signature`, fed `arrays`
    (saved as .npy files beside the outputs, passed with --inputs) and `exprs`
    (--input_exprs, e.g. "seed=1;n=2")."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    command = [str(SAVED_MODEL_CLI), "run", "--dir", str(saved_model_dir), "--tag_set", "serve",
               "--signature_def", signature, "--outdir", str(outdir), "--overwrite"]
    inputs = []
    for name, value in (arrays or {}).items():
        np.save(outdir / f"input_{name}.npy", value)
        inputs.append(f"{name}={outdir / f'input_{name}.npy'}")
    if inputs:
        command += ["--inputs", ";".join(inputs)]
    if exprs:
        command += ["--input_exprs", exprs]
    subprocess.run(command, check=True, capture_output=True, env=QUIET, timeout=120)
    return {p.stem: np.load(p) for p in outdir.glob("*.npy") if not p.stem.startswith("input_")}
