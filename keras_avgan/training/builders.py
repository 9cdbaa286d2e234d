"""A GAN model from a recipe, through plain dicts; and a trained generator back from a run."""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from keras_avgan import modalities, networks, recipes, runs
from keras_avgan.errors import UserError
from keras_avgan.modalities import conditions
from keras_avgan.modalities.sampler import Sampler
from keras_avgan.training import checkpoints, precision, terms
from keras_avgan.training.gan import GAN
from keras_avgan.training.speech_to_face import SpeechToFaceGAN

# One model class (and so one train_step) per training scheme.
SCHEMES = {"gan": GAN, "speech_to_face": SpeechToFaceGAN}


# A paired recipe's `r1_on` -> the generator outputs R1 takes the gradient with respect to.
R1_INPUTS = {"both": (), "face": ("image",), "voice": ("audio",)}


def loss_terms(recipe: recipes.Recipe) -> list:
    """The terms a recipe adds to its adversarial loss (WGAN-GP's penalty comes with it)."""
    added = []
    halves = ["face_logit", "voice_logit"] if getattr(recipe, "half_logits", False) else []
    if recipe.r1_gamma:
        added.append(terms.R1Penalty(recipe.r1_gamma, heads=("logit", *halves),
                                     every=recipe.r1_every,
                                     batch_shrink=recipe.r1_batch_shrink,
                                     inputs=R1_INPUTS[getattr(recipe, "r1_on", "both")]))
    added += [terms.HalfAdversarial(head, recipe.loss) for head in halves]
    if recipe.drift:
        added.append(terms.Drift(recipe.drift))
    if recipe.conditioning == "class":
        heads = ["classes"] + (["face_classes", "voice_classes"]
                               if getattr(recipe, "classes_per_half", False) else [])
        added += [terms.AuxiliaryClassifier(recipe.label_column, recipe.ac_weight,
                                            recipe.ac_on_fakes, head=head) for head in heads]
    if getattr(recipe, "mismatched_weight", 0.0):  # pair critics (AVGAN)
        added.append(terms.MismatchedPair(recipe.mismatched_weight, loss=recipe.loss))
    return added


@dataclass
class NetworkParts:
    """What a recipe's networks and terms take besides the recipe: measured on a run's data
    and kept in its run dir (face-to-music's face width, audio metric and distance
    constants). Most recipes need none."""

    generator: dict = field(default_factory=dict)  # the generator builder's keywords
    critic: dict = field(default_factory=dict)  # the critic builder's keywords
    conditions: tuple = ()
    critic_conditions: tuple = ()
    terms: list = field(default_factory=list)


def face_music_parts(recipe: recipes.Recipe, run_root=None) -> NetworkParts:
    """The run's phi and constants (embeddings.run_embeddings); with no run (`show
    --summary`) an untrained phi of the same shape and unit constants."""
    from keras_avgan.embeddings import run_embeddings
    from keras_avgan.networks.audiovisual.face2music_critic import DEFAULT_FACE_DIM

    kept = run_embeddings.load(run_root) if run_root is not None else None
    if run_root is not None and kept is None:
        raise UserError(f"{run_root} keeps no face2music embeddings "
                        f"({run_embeddings.RECORD_FILE}); train it with 'keras_avgan fit' first")
    if kept is None:
        metric, face_dim, face, note = run_embeddings.untrained_metric(), DEFAULT_FACE_DIM, \
            (0.0, 1.0), (0.0, 1.0)
    else:
        metric, face_dim, face, note = kept.metric, kept.face_dim, kept.face_distances, \
            kept.note_distances
    added = [terms.HalfAdversarial("aux_logit", recipe.loss)] if recipe.aux_critic else []
    if recipe.distance_weight:
        added.append(terms.DistancePreservation(recipe.distance_weight, *face, *note))
    return NetworkParts(generator={"face_dim": face_dim}, critic={"metric": metric},
                        conditions=("face", "pitch"), critic_conditions=("pitch",),
                        terms=added)


def _projected(recipe: recipes.Recipe, conditioned: tuple) -> tuple:
    """The conditions a projection critic takes (AVGAN's `projection`): the generator's."""
    projected = getattr(recipe, "projection", False) and recipe.conditioning == "class"
    return conditioned if projected else ()


# Recipes whose networks take more than the recipe, by data kind.
NETWORK_PARTS = {"faces_notes": face_music_parts}


def build_gan(recipe: recipes.Recipe, seed: int | None = None, run_root=None) -> GAN:
    """The recipe's GAN; `run_root` is the run whose kept parts the networks take (none for
    most recipes)."""
    parts = NETWORK_PARTS[recipe.data_kind](recipe, run_root) \
        if recipe.data_kind in NETWORK_PARTS else NetworkParts()
    build_generator = networks.get_generator_builder(recipe.generator)
    generator = build_generator(recipe, **parts.generator)
    discriminator = networks.get_discriminator_builder(recipe.discriminator)(recipe,
                                                                             **parts.critic)
    if recipe.train_scheme == "speech_to_face":
        return SpeechToFaceGAN(generator, discriminator, real_target=recipe.real_target,
                               matching_weight=recipe.matching_weight,
                               l1_weight=recipe.l1_weight,
                               identity_weight=recipe.identity_weight, seed=seed)
    average = {"generator_ema": build_generator(recipe, **parts.generator),
               "ema_decay": recipe.g_ema} if recipe.g_ema else {}
    conditioned = (recipe.label_column,) if recipe.conditioning == "class" else ()
    added = loss_terms(recipe) + parts.terms
    passed = tuple(t.key for t in added if isinstance(t, terms.MismatchedPair))
    return SCHEMES[recipe.train_scheme](
        generator, discriminator, latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist,
        loss=recipe.loss, d_steps=recipe.d_steps, gp_weight=recipe.gp_weight, terms=added,
        outputs=modalities.for_recipe(recipe).output_names,
        conditions=parts.conditions or conditioned,
        critic_conditions=parts.critic_conditions or _projected(recipe, conditioned),
        passed=passed, seed=seed, **average)


def load_generator(run_dir: str | Path, which: str = "auto", log=None):
    """(recipe, float32 generator, which checkpoint) for generate, evaluate and export.

    `auto` prefers the best checkpoint kept by evaluation during training, then the latest;
    a damaged checkpoint is skipped for the next older one, and said on `log` (stderr).
    The networks are rebuilt in float32 whatever precision the run trained in: variables are
    float32 under mixed precision, and float32 graphs are what TF Serving and TFLite want.
    """
    run = runs.RunDir(Path(run_dir))
    recipe = runs.load_recipe(run)
    precision.set_precision("off")
    model = build_gan(recipe, run_root=run.root)
    model.build_all()
    path, label = _pick_checkpoint(run, which, lambda p: checkpoints.restore_weights(model, p),
                                   log or (lambda m: print(m, file=sys.stderr)))
    return recipe, model.inference_generator, f"{label} ({path})"


def load_sampler(run_dir: str | Path, which: str = "auto", log=None):
    """(recipe, Sampler, which checkpoint): a trained run's generator with the run's
    renderer and conditions, so that it makes published examples."""
    recipe, generator, label = load_generator(run_dir, which, log)
    renderer = modalities.for_recipe(recipe).renderer(recipe, run_dir)
    return recipe, Sampler(generator, renderer, conditions.load(run_dir)), label


def _pick_checkpoint(run: runs.RunDir, which: str, restore, log) -> tuple[str, str]:
    """Restore the best (or latest) checkpoint into the model; returns (path, label)."""
    # Damaged files are moved aside only when no fit holds the run: one that does may be
    # saving into these folders right now.
    repair = not runs.holder_alive(runs.read_holder(run))
    if which in ("auto", "best"):
        try:
            best = checkpoints.restore_newest(run.best, "best", restore, log, repair)
        except checkpoints.NothingRestores as err:
            if which == "best":
                raise
            log(f"warning: {err.summary}; using the latest checkpoint instead")
            best = None
        if best:
            return best, "best checkpoint"
    if which == "best":
        raise UserError(f"{run.root} has no best checkpoint (train with --eval-every N); "
                        "use the latest instead")
    latest = checkpoints.restore_newest(run.checkpoints, "ckpt", restore, log, repair)
    if latest:
        return latest, "latest checkpoint"
    raise UserError(f"{run.root} has no checkpoint yet; train it with 'keras_avgan fit "
                    f"--run-dir {run.root} ...' first")
