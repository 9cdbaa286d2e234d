"""`keras_avgan convert`: an exported SavedModel -> a batch-1 TFLite file with builtin ops only.

Only `serving_default` (z and conditions in, or what a model made from inputs takes: speech,
or a face picture and a pitch; audio or image out) is converted; a phone draws its own
latents. The file is checked the way a phone would use it: it must hold no Flex or
custom ops, and it must run in ai_edge_litert and match the SavedModel it came from.
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from keras_avgan.errors import UserError
from keras_avgan.serving.export import read_metadata

QUANTIZE = ("none", "float16", "dynamic")
SIGNATURE = "serving_default"
# Agreement a converted file must reach with its SavedModel (README of saved_models/).
FLOAT32_MAX_ABS = 1e-4
# ...or, for graphs that invert spectrograms (Griffin-Lim iterates, IF integrates the phase),
# float32 rounding that stays 60 dB below the signal: inaudible, where 1e-4 can be exceeded.
FLOAT32_MIN_DB = 60.0
QUANTIZED_MIN_DB = 30.0


def convert_saved_model(saved_model_dir, out_path=None, quantize: str = "none", *,
                        check: bool = True, samples: int = 4, runs: int = 5) -> dict:
    """Convert, write atomically, then (with `check`) measure parity, size and latency.

    Returns {"path", "quantize", "ops", "size_bytes": {"tflite", "saved_model"},
    and with `check`: "max_abs_diff", "snr_db" (audio) or "psnr_db" (image), "parity_ok",
    "latency_ms": {"tflite", "saved_model"} per sample at batch 1 (median of `runs`)}.
    """
    saved_model_dir = Path(saved_model_dir)
    if not (saved_model_dir / "saved_model.pb").is_file():
        raise UserError(f"{saved_model_dir} is not a SavedModel (no saved_model.pb); give a "
                        "version directory written by 'keras_avgan export', e.g. "
                        "saved_models/wavegan/1")
    if quantize not in QUANTIZE:
        raise UserError(f"--quantize must be one of {', '.join(QUANTIZE)}; got {quantize!r}")
    out_path = Path(out_path) if out_path else default_tflite_path(saved_model_dir, quantize)
    if out_path.is_dir():
        raise UserError(f"--out {out_path} is a directory; give a file name ending in .tflite")
    flatbuffer = _convert(saved_model_dir, quantize)
    ops = tflite_ops(flatbuffer)
    foreign = [op for op in ops if op.startswith("Flex") or op.startswith("custom:")]
    if foreign:
        raise UserError(f"converting {saved_model_dir} produced non-builtin ops "
                        f"{', '.join(foreign)}, which stock TFLite runtimes cannot run; "
                        f"nothing was written to {out_path}")
    _write_atomically(out_path, flatbuffer)
    info = {"path": str(out_path), "quantize": quantize, "ops": ops,
            "size_bytes": {"tflite": len(flatbuffer),
                           "saved_model": _dir_size(saved_model_dir)}}
    if check:
        info.update(check_parity(saved_model_dir, flatbuffer, quantize, samples, runs))
    return info


def default_tflite_path(saved_model_dir, quantize: str = "none") -> Path:
    """saved_models/wavegan/1 -> saved_models/wavegan/wavegan-1[-float16].tflite.

    Beside the versions, not inside one: a served version directory is never modified, and
    TF Serving ignores non-integer names in a model directory.
    """
    path = Path(saved_model_dir).resolve()
    stem = f"{path.parent.name}-{path.name}" if path.name.isdigit() else path.name
    suffix = "" if quantize == "none" else f"-{quantize}"
    return path.parent / f"{stem}{suffix}.tflite"


def _convert(saved_model_dir: Path, quantize: str) -> bytes:
    # The exported signature has a dynamic batch; converted as it is, TFLite keeps SHAPE/PACK
    # ops to compute it at run time and GPU delegates want static shapes. Rather than publish
    # an extra batch-1 signature to every TF Serving client, we re-trace the loaded signature
    # with batch-1 specs into a throwaway SavedModel: the static shape then folds away.
    with tempfile.TemporaryDirectory(prefix="keras_avgan_tflite_") as tmp:
        _batch1_saved_model(saved_model_dir, Path(tmp) / "b1")
        converter = tf.lite.TFLiteConverter.from_saved_model(str(Path(tmp) / "b1"),
                                                             signature_keys=[SIGNATURE])
        # Builtins only: SELECT_TF_OPS would turn anything unsupported into Flex ops that
        # ai_edge_litert and phone runtimes cannot execute.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
        try:
            return converter.convert()
        except Exception as err:  # the converter raises several internal error types
            raise UserError(
                f"{saved_model_dir} does not convert with builtin TFLite ops only: "
                f"{_first_lines(err)}. A generator trained under mixed_float16 must be "
                "exported from a float32 rebuild (keras_avgan.export.float32_copy)") from err


def _batch1_saved_model(saved_model_dir: Path, out_dir: Path) -> None:
    loaded = tf.saved_model.load(str(saved_model_dir))
    if SIGNATURE not in loaded.signatures:
        raise UserError(f"{saved_model_dir} has no '{SIGNATURE}' signature to convert")
    specs = batch1_specs(loaded.signatures[SIGNATURE])
    holder = tf.Module()
    holder.loaded = loaded  # keeps the variables reachable from the new SavedModel

    @tf.function(input_signature=[specs])
    def serve(inputs):
        return holder.loaded.signatures[SIGNATURE](**inputs)

    tf.saved_model.save(holder, str(out_dir), signatures={SIGNATURE: serve})


def batch1_specs(signature) -> dict:
    """The signature's input specs with the batch fixed to 1 (and every dim static)."""
    specs = {}
    for name, spec in signature.structured_input_signature[1].items():
        shape = [1, *spec.shape.as_list()[1:]]
        if None in shape:
            raise UserError(f"input {name!r} has shape {spec.shape}; TFLite export needs "
                            "every dimension but the batch to be fixed")
        specs[name] = tf.TensorSpec(shape, spec.dtype, name=name)
    return specs


def tflite_ops(flatbuffer: bytes) -> list[str]:
    """Sorted op names in a .tflite file; custom ops (Flex included) as their custom code."""
    model = schema.Model.GetRootAs(flatbuffer, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    ops = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Op codes above 127 live in BuiltinCode; older files only fill the deprecated field.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = (code.CustomCode() or b"").decode()
            ops.add(custom if custom.startswith("Flex") else f"custom:{custom}")
        else:
            ops.add(names.get(builtin, f"builtin:{builtin}"))
    return sorted(ops)


def check_parity(saved_model_dir, flatbuffer: bytes, quantize: str, samples: int = 4,
                 runs: int = 5) -> dict:
    """TFLite vs SavedModel on the same batch-1 inputs: error figures and latencies.

    Each output is compared by its kind's measure (SNR for audio, PSNR for images; the
    kind comes from keras_avgan.json, or from the rank for other SavedModels); with several
    outputs the figures are the worst over them.
    """
    from ai_edge_litert.interpreter import Interpreter

    signature = tf.saved_model.load(str(saved_model_dir)).signatures[SIGNATURE]
    runner = Interpreter(model_content=flatbuffer).get_signature_runner(SIGNATURE)
    meta = read_metadata(saved_model_dir)
    feeds = [_example_inputs(batch1_specs(signature), meta, seed) for seed in range(samples)]
    ref, out = {}, {}
    for feed in feeds:
        expected = signature(**{k: tf.constant(v) for k, v in feed.items()})
        got = runner(**feed)
        for key, value in expected.items():
            ref.setdefault(key, []).append(value.numpy())
            out.setdefault(key, []).append(got[key])
    figures = {"max_abs_diff": 0.0}
    for key in sorted(ref):
        a, b = np.concatenate(ref[key]), np.concatenate(out[key])
        figures["max_abs_diff"] = max(figures["max_abs_diff"], float(np.max(np.abs(a - b))))
        measure, fn = FIDELITY[_output_kind(meta, key, a)]
        figures[measure] = min(figures.get(measure, float("inf")), fn(a, b))
    quality = min(v for k, v in figures.items() if k.endswith("_db"))
    if quantize == "none":
        figures["parity_ok"] = (figures["max_abs_diff"] <= FLOAT32_MAX_ABS
                                or figures.get("snr_db", 0.0) >= FLOAT32_MIN_DB)
    else:
        figures["parity_ok"] = quality >= QUANTIZED_MIN_DB
    tf_feed = {k: tf.constant(v) for k, v in feeds[0].items()}
    figures["latency_ms"] = {"tflite": _median_ms(lambda: runner(**feeds[0]), runs),
                             "saved_model": _median_ms(lambda: signature(**tf_feed), runs)}
    return figures


def _output_kind(meta: dict, name: str, values: np.ndarray) -> str:
    described = meta.get("outputs", {}).get(name, {})
    return described.get("kind") or ("image" if values.ndim == 4 else "audio")


def _example_inputs(specs: dict, meta: dict, seed: int) -> dict:
    """Latents drawn like the recipe draws them; integer conditions 0 (a valid class);
    inputs whose metadata gives a range (face2music's pictures) uniform in it."""
    rng = np.random.default_rng(seed)
    feed = {}
    for name, spec in specs.items():
        shape = spec.shape.as_list()
        value_range = meta.get("inputs", {}).get(name, {}).get("range")
        if not spec.dtype.is_floating:
            feed[name] = np.zeros(shape, spec.dtype.as_numpy_dtype)
        elif value_range:
            feed[name] = rng.uniform(*value_range, shape).astype(np.float32)
        elif meta.get("latent_dist") == "normal":
            feed[name] = rng.standard_normal(shape).astype(np.float32)
        else:
            feed[name] = rng.uniform(-1.0, 1.0, shape).astype(np.float32)
    return feed


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    noise = np.sum((reference - test) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(reference**2) / noise))


def psnr_db(reference: np.ndarray, test: np.ndarray, peak: float = 1.0) -> float:
    mse = np.mean((reference - test) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))


def _median_ms(fn, runs: int) -> float:
    fn()  # the first call allocates and traces; not what a user waits for afterwards
    times = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def format_report(info: dict) -> str:
    """The figures of `convert_saved_model` as a few lines, TFLite and SavedModel side by side."""
    size = info["size_bytes"]
    lines = [f"wrote {info['path']} ({info['quantize']}, {len(info['ops'])} builtin op types)",
             f"size:    tflite {size['tflite'] / 1024:.1f} kB | "
             f"saved_model {size['saved_model'] / 1024:.1f} kB"]
    if "latency_ms" in info:
        lat = info["latency_ms"]
        lines.append(f"latency: tflite {lat['tflite']:.2f} ms | saved_model "
                     f"{lat['saved_model']:.2f} ms per sample (batch 1, median)")
        quality = "".join(f", {k.replace('_db', '')} {info[k]:.1f} dB"
                          for k in ("snr_db", "psnr_db") if k in info)
        verdict = "ok" if info["parity_ok"] else "OUT OF TOLERANCE"
        lines.append(f"parity:  max abs diff {info['max_abs_diff']:.2e}{quality} ({verdict})")
    return "\n".join(lines)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers see the old file or the new one, never a part
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _first_lines(err: Exception, limit: int = 2) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    # The converter's one useful line names the ops; the rest is MLIR source locations.
    summary = [line for line in lines if line.startswith("TF Select ops:")]
    return " / ".join(summary or lines[:limit]) or type(err).__name__


# How a converted output is compared with the SavedModel's, by the output's kind.
FIDELITY = {"audio": ("snr_db", snr_db), "image": ("psnr_db", psnr_db)}
