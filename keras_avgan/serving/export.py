"""Exported generators: SavedModels that TF Serving serves as they are.

Every export of a generator of latents has two signatures (docs/design.md, "Exported
generators"):
  serving_default(z, *conditions) -> {"audio": [B, T] | [B, T, C] in [-1, 1]}
                                     and/or {"image": [B, H, W, 3] in [0, 1]}
  sample(seed, n, *conditions)    -> the same, with z drawn in-graph from the seed exactly as
                                     `keras_avgan generate --seed` draws it.
A generator of files has `serving_default` alone, taking what its modality serves (Wav2Pix:
serving_default(speech [B, 16000]) -> {"image": ...}; face2music: serving_default(image
[B, 64, 64, 3], pitch [B]) -> {"audio": ...}, its face embedding in the graph).
The outputs are what the recipe's modality publishes (`Renderer.publish`, in TF ops), so a
spectrogram generator hands out audio and an image generator pixels in [0, 1].
`keras_avgan.json` beside `saved_model.pb` says what the model makes, output by output (TF
Serving and `saved_model_cli` ignore extra files). `export_to_serving_base` lays exports out
the way TF Serving reads them: `<base>/<name>/<version>/`, listed in `<base>/models.config`.
"""

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import keras
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from keras_avgan import latents
from keras_avgan.errors import UserError

METADATA_FILE = "keras_avgan.json"
KINDS = ("audio", "image")
# Ops that call back into a Python interpreter: TF Serving's C++ server and TFLite have none.
PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})


def export_generator(generator: keras.Model, out_dir, *, publish, outputs: dict,
                     latent_dim: int | None, latent_dist: str | None,
                     cond_specs: dict | None = None, kind: str | None = None,
                     recipe: str | None = None, checkpoint: str | None = None,
                     classes: dict | None = None, served=None,
                     input_notes: dict | None = None) -> Path:
    """Write `generator` as a SavedModel with `serving_default` and `sample` into `out_dir`.

    Inputs come from the model: the input named `z` (or the only one) is the latent;
    every other named input is a condition and appears, under its name, in both signatures.
    `cond_specs` ({name: tf.TensorSpec with batch dim None}) supplies or overrides them, for
    models without `.inputs`. `publish` maps the raw generator output to {name: tensor} in
    TF ops; `outputs` ({name: spec dict with at least "kind"}) says what each one is, and
    the published names must be exactly its keys. `classes` ({condition name: [class
    values]}) goes into the metadata, so clients can map a value such as pitch 60 to the
    integer id the model takes.

    A generator made from inputs rather than latents (Wav2Pix: speech) passes `served`,
    (specs, prepare) from its modality's `served_inputs`: `serving_default` then takes those
    inputs, `prepare` turns them into the generator's, and there is no `sample`. A `prepare`
    that is a Keras layer (face2music's face embedding) is exported with its weights.
    `input_notes` ({input name: {...}}) adds to the metadata's description of an input
    (e.g. the sample rate speech must have).
    """
    _check_args(outputs, latent_dist if served is None else "uniform")
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise UserError(f"{out_dir} already exists; exports never overwrite, pick a new path")
    archive = keras.export.ExportArchive()
    archive.track(generator)
    if served is None:
        specs, order = input_specs(generator, latent_dim, cond_specs)
        conditions = {k: v for k, v in specs.items() if k != "z"}
        forward = _forward_fn(generator, order, publish, sorted(outputs))

        def sample(inputs):
            z = latents.sample_latents(inputs["n"], latent_dim, latent_dist, inputs["seed"])
            return forward({"z": z, **{k: inputs[k] for k in conditions}})

        archive.add_endpoint("serving_default", forward, input_signature=[specs])
        sample_specs = {"seed": tf.TensorSpec([], tf.int64, name="seed"),
                        "n": tf.TensorSpec([], tf.int32, name="n"), **conditions}
        archive.add_endpoint("sample", sample, input_signature=[sample_specs])
        signatures = ["serving_default", "sample"]
    else:
        specs, prepare = served
        if isinstance(prepare, keras.layers.Layer):  # its weights (face2music's f) go along
            archive.track(prepare)
        forward = _forward_fn(generator, ["prepared"], publish, sorted(outputs))
        archive.add_endpoint("serving_default",
                             lambda inputs: forward({"prepared": prepare(inputs)}),
                             input_signature=[specs])
        signatures, latent_dim, latent_dist = ["serving_default"], None, None
    described = {k: {**_describe(v), **(input_notes or {}).get(k, {})} for k, v in specs.items()}
    try:
        archive.write_out(str(out_dir), verbose=False)
        _refuse_python_ops(out_dir)
        rates = [o["sample_rate"] for o in outputs.values() if o.get("sample_rate")]
        meta = {"kind": kind or "+".join(sorted({o["kind"] for o in outputs.values()})),
                "outputs": outputs, "sample_rate": rates[0] if rates else None,
                "latent_dim": latent_dim, "latent_dist": latent_dist, "recipe": recipe,
                "checkpoint": checkpoint, "inputs": described, "classes": classes or {},
                "signatures": signatures}
        (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)  # no half-written model left behind
        raise
    return out_dir


def _check_args(outputs: dict, latent_dist) -> None:
    if not outputs:
        raise ValueError("an export needs at least one output")
    for name, spec in outputs.items():
        if spec.get("kind") not in KINDS:
            raise ValueError(f"output {name!r}: kind must be one of {', '.join(KINDS)}; "
                             f"got {spec.get('kind')!r}")
    if latent_dist not in ("uniform", "normal"):
        raise ValueError(f"latent_dist must be 'uniform' or 'normal'; got {latent_dist!r}")


def input_specs(generator, latent_dim: int, cond_specs: dict | None = None):
    """({name: TensorSpec} with `z` first, [export names in the model's input order])."""
    model_inputs = list(getattr(generator, "inputs", None) or [])
    names = [_input_name(t) for t in model_inputs]
    if len(names) > 1 and "z" not in names:
        raise ValueError(f"the generator's inputs are {names}; name its latent input 'z' "
                         "(keras.Input(name='z')) so the export knows which one to sample")
    latent = "z" if "z" in names or not names else names[0]
    specs = {"z": tf.TensorSpec([None, latent_dim], tf.float32, name="z")}
    for name, tensor in zip(names, model_inputs, strict=True):
        if name != latent:
            specs[name] = tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype, name=name)
    for name, spec in (cond_specs or {}).items():
        specs[name] = tf.TensorSpec(spec.shape, spec.dtype, name=name)
    if model_inputs and len(specs) != len(model_inputs):
        raise ValueError(f"the generator takes {len(model_inputs)} inputs {names}, but the "
                         f"export would feed {list(specs)}; name them with keras.Input(name=)")
    # The latent may be called otherwise inside the model; it is published as `z`.
    order = ["z" if n == latent else n for n in names] or list(specs)
    return specs, order


def _input_name(tensor) -> str:
    # Keras names unnamed inputs 'keras_tensor_N' or 'input_layer...': not an API to publish.
    return tensor.name.split(":")[0]


def _forward_fn(generator, order: list[str], publish, names: list[str]):
    """inputs dict -> {output name: float32 tensor in the published range}."""

    def forward(inputs):
        args = [inputs[n] for n in order]
        published = publish(generator(args if len(args) > 1 else args[0], training=False))
        if sorted(published) != names:
            raise ValueError(f"publish returned {sorted(published)}; the export declares "
                             f"the outputs {names}")
        return {k: tf.cast(v, tf.float32) for k, v in published.items()}

    return forward


def _describe(spec: tf.TensorSpec) -> dict:
    return {"dtype": spec.dtype.name, "shape": spec.shape.as_list()}


def graph_ops(saved_model_dir) -> set[str]:
    """Every op type in the SavedModel's graphs, including inside its functions."""
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(saved_model_dir) / "saved_model.pb").read_bytes())
    ops = set()
    for meta in proto.meta_graphs:
        ops.update(node.op for node in meta.graph_def.node)
        for function in meta.graph_def.library.function:
            ops.update(node.op for node in function.node_def)
    return ops


def _refuse_python_ops(saved_model_dir: Path) -> None:
    found = graph_ops(saved_model_dir) & PYTHON_OPS
    if found:
        raise ValueError(f"the exported graph calls Python ({', '.join(sorted(found))}), which "
                         "TF Serving and TFLite cannot run; write the postprocess with TF ops "
                         "instead of tf.py_function / tf.numpy_function")


def read_metadata(saved_model_dir) -> dict:
    """`keras_avgan.json` of an export, or {} for SavedModels written by something else."""
    path = Path(saved_model_dir) / METADATA_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def float32_copy(generator: keras.Model, build_fn) -> keras.Model:
    """`build_fn()` rebuilt under the float32 policy, carrying `generator`'s weights.

    A mixed_float16 graph needs Flex ops in TFLite (float16 transposed convs, bias adds);
    the weights themselves are float32 variables, so a float32 twin is the same model.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        copy = build_fn()
    finally:
        keras.config.set_dtype_policy(previous)
    weights = generator.get_weights()
    if len(weights) != len(copy.weights):
        raise ValueError(f"build_fn made a model with {len(copy.weights)} weights; "
                         f"the generator has {len(weights)}: build the same architecture")
    copy.set_weights(weights)
    return copy


# TF Serving puts the name in URLs (/v1/models/<name>) and the base path in a text proto.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
CONFIG_FILE = "models.config"
# compose mounts ./saved_models at /models inside the serving container.
CONTAINER_BASE = "/models"


def export_to_serving_base(generator: keras.Model, *, name: str, base="saved_models",
                           version: int | None = None, serving_root: str = CONTAINER_BASE,
                           **export_kwargs) -> Path:
    """Export into `<base>/<name>/<version>/` and rewrite `<base>/models.config`, whose
    base paths start with `serving_root`: where the server sees `base`.

    `version` defaults to the highest existing version + 1. An existing version is never
    replaced: the model is written beside it under a dot-name TF Serving ignores, then renamed,
    so the server never sees a half-written version. `export_kwargs` go to `export_generator`.
    """
    model_dir = _model_dir(Path(base), name)
    if version is None:
        version = max(versions(model_dir), default=0) + 1
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise UserError(f"--version must be a positive integer, got {version!r}")
    target = model_dir / str(version)
    _refuse_existing(target)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir))
    try:
        export_generator(generator, staging / "model", **export_kwargs)
        _refuse_existing(target)  # another export may have taken it meanwhile
        os.rename(staging / "model", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not any(model_dir.iterdir()):
            model_dir.rmdir()  # a failed first export leaves no empty model dir behind
    write_models_config(base, serving_root)
    return target


def _model_dir(base: Path, name: str) -> Path:
    if not _NAME.fullmatch(name or ""):
        raise UserError(f"--name {name!r} is not usable in a TF Serving URL; use letters, "
                        "digits, '_', '-' or '.', starting with a letter or digit")
    if base.exists() and not base.is_dir():
        raise UserError(f"--base {base} is a file; give a directory (default: saved_models)")
    model_dir = base / name
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create {model_dir}: {err.strerror}; check --base") from err
    return model_dir


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise UserError(f"{target} already exists and versions are never overwritten; pass "
                        "another --version or leave it out to take the next free one")


def versions(model_dir) -> list[int]:
    """Integer version directories, as TF Serving sees them."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def write_models_config(base="saved_models", serving_root: str = CONTAINER_BASE) -> Path:
    """Rewrite `<base>/models.config` to list every model directory that has a version.

    TF Serving resolves base paths on its own file system: `serving_root` is where it sees
    `base` (/models in the compose service's container; "local" for `base`'s own absolute
    path, for a server on this machine).
    """
    base = Path(base)
    root = str(base.resolve()) if serving_root == "local" else serving_root.rstrip("/")
    names = sorted(p.name for p in base.iterdir()
                   if p.is_dir() and _NAME.fullmatch(p.name) and versions(p))
    lines = ["# Written by `keras_avgan export`; rewritten on every export, so edits are lost.",
             f"# Base paths assume the server sees {base.resolve()} as {root} "
             "(export --serving-root).",
             "# TF Serving re-reads it every --model_config_file_poll_wait_seconds.",
             "model_config_list {"]
    for name in names:
        lines += ["  config {", f'    name: "{name}"',
                  f'    base_path: "{root}/{name}"',
                  '    model_platform: "tensorflow"',
                  "    model_version_policy { all {} }", "  }"]
    lines.append("}")
    path = base / CONFIG_FILE
    tmp = base / f".{CONFIG_FILE}.tmp"
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)  # the server polls this file: it must never see half of it
    return path


def export_run(run_dir, *, name: str | None = None, base="saved_models",
               version: int | None = None,
               serving_root: str = CONTAINER_BASE) -> tuple[Path, str]:
    """Export a trained run's generator (best checkpoint when kept, else the latest)."""
    from keras_avgan import modalities, runs
    from keras_avgan.training.builders import load_sampler

    trained = runs.load_recipe(runs.RunDir(Path(run_dir)))
    modality = modalities.for_recipe(trained)
    modality.require_command("export", trained)
    recipe, sampler, which = load_sampler(run_dir)
    specs = modality.output_specs(recipe)
    served = modality.served_inputs(recipe, run_root=run_dir)
    notes, classes = modality.served_description(recipe) if served else ({}, {})
    cond_specs = None
    if sampler.conditions is not None:
        label = sampler.conditions.name
        cond_specs = {label: tf.TensorSpec([None], tf.int32, name=label)}
        classes = {**classes, label: list(sampler.conditions.classes)}
    target = export_to_serving_base(
        sampler.generator, name=name or recipe.name, base=base, version=version,
        serving_root=serving_root, publish=sampler.renderer.publish,
        outputs={spec.name: spec.to_dict() for spec in specs}, kind=modality.kind,
        latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist,
        cond_specs=cond_specs, recipe=recipe.name, checkpoint=which, classes=classes,
        served=served, input_notes=notes)
    return target, which
