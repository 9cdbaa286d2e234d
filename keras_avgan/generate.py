"""`keras_avgan generate`: files from a trained run, deterministic for a seed."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keras_avgan import latents, modalities, runs
from keras_avgan.errors import UserError
from keras_avgan.modalities import conditions
from keras_avgan.training.builders import load_sampler


@dataclass
class GenerateResult:
    files: list[Path]
    overview: Path
    checkpoint: str
    figures: dict = field(default_factory=dict)  # further figures by what they show


def generate(run_dir: str | Path, n: int = 16, seed: int = 0, out: str | Path | None = None,
             interpolate: int = 0, cond=None, sweep: bool = False,
             speech=None, face=None, face_embedding=None, pitch=None) -> GenerateResult:
    """`n` samples for `seed`; with `interpolate=K`, K steps from the first latent of `seed`
    to the first latent of `seed + 1` (the first file each of those seeds generates).

    Conditional runs: `cond` ({"pitch": ["60"]}) fixes the class of every sample (several
    values are taken in turn); without it samples go round the classes. `sweep` keeps each
    latent and plays it in every class: GANSynth's same timbre at every pitch.
    Face-to-music runs: a note from each `face` picture (or folder of them) and each vector
    of a `face_embedding` .npy, at each MIDI `pitch` (60 when none): generate_notes.
    """
    if n < 1:
        raise UserError(f"-n must be at least 1, got {n}")
    if interpolate == 1 or interpolate < 0:
        raise UserError(f"--interpolate needs at least 2 steps, got {interpolate}")
    if sweep and interpolate:
        raise UserError("--sweep and --interpolate do not combine; pick one")
    trained = runs.load_recipe(runs.RunDir(Path(run_dir)))
    modality = modalities.for_recipe(trained)
    modality.require_command("generate", trained)
    if modality.input_faces:
        from keras_avgan.generate_notes import notes_from_faces

        refused = {"--interpolate": interpolate, "--cond": cond, "--sweep": sweep,
                   "--speech": speech}
        return notes_from_faces(run_dir, trained, modality, faces=face or (),
                                vectors_file=face_embedding, pitches=pitch, seed=seed, out=out,
                                refused=refused)
    if face or face_embedding is not None or pitch:
        raise UserError(f"--face, --face-embedding and --pitch apply to runs that make a note "
                        f"from a face (face2music); this one is '{trained.name}'")
    recipe, sampler, which = load_sampler(run_dir)
    if modality.input_files or speech:
        return _from_files(run_dir, recipe, sampler, which, modality, speech, out)
    asked = _asked_ids(sampler.conditions, cond or {}, sweep)
    if interpolate:
        start, end = (latents.sample_latents(1, recipe.latent_dim, recipe.latent_dist, s)[0]
                      for s in (seed, seed + 1))
        z = np.asarray(latents.interpolate(start, end, interpolate))
        prefix = f"interp_seed{seed}-{seed + 1}"
        if asked is None and sampler.conditional:
            asked = sampler.conditions.cycle(1)  # one class along the whole path
    else:
        z = np.asarray(latents.sample_latents(n, recipe.latent_dim, recipe.latent_dist, seed))
        prefix = f"seed{seed}"
    ids = None
    if sweep:
        classes = len(sampler.conditions.classes)
        z, ids = np.repeat(z, classes, axis=0), np.tile(np.arange(classes, dtype=np.int32), n)
        prefix += "_sweep"
    elif asked is not None:
        ids = np.resize(asked, len(z)).astype(np.int32)
    made = sampler(z, ids)
    out_dir = Path(out) if out else Path(run_dir) / "generated"
    titles = conditions.titles(sampler.conditions, made.ids)
    written = modalities.for_recipe(recipe).write(made, recipe, out_dir, prefix, titles)
    return GenerateResult(files=written.pop("files"), overview=written.pop("overview"),
                          checkpoint=which, figures=written)


def _from_files(run_dir, recipe, sampler, which, modality, paths, out) -> GenerateResult:
    """One example per input file (Wav2Pix: a face per speech clip), named after the file."""
    flag = modality.input_files
    if not flag:
        raise UserError(f"recipe '{recipe.name}' makes examples from latents: --speech applies "
                        "to recipes that make a face from speech (wav2pix)")
    if not paths:
        raise UserError(f"recipe '{recipe.name}' makes each example from a {flag} file: pass "
                        f"--{flag} FILE [FILE ...]")
    made = sampler(modality.inputs_from_files(recipe, paths))
    out_dir = Path(out) if out else Path(run_dir) / "generated"
    titles = [Path(p).stem for p in paths]
    written = modality.write(made, recipe, out_dir, flag, titles)
    return GenerateResult(files=written.pop("files"), overview=written.pop("overview"),
                          checkpoint=which, figures=written)


def _asked_ids(conditions, cond: dict, sweep: bool):
    """Class ids asked with --cond (None when not asked), checked against the run's classes."""
    if conditions is None:
        if cond or sweep:
            raise UserError("this run's generator is not conditional: --cond and --sweep apply "
                            "to conditional recipes such as gansynth")
        return None
    unknown = sorted(set(cond) - {conditions.name})
    if unknown:
        raise UserError(f"--cond {unknown[0]}=...: this run is conditioned on "
                        f"'{conditions.name}' only (e.g. --cond {conditions.name}="
                        f"{conditions.classes[0]})")
    if sweep and cond:
        raise UserError("--sweep plays every class already; leave out --cond")
    return conditions.ids(cond[conditions.name]) if cond else None
