"""The `keras_avgan` command: parse, call one library function, print.

Exit codes: 0 ok, 2 usage or bad input (the message names the file or flag), 1 unexpected
or a failed run (diverged, disk full, a lost worker), 130 / 143 stopped by SIGINT / SIGTERM.
TensorFlow is imported only by the commands that need it, so `recipes` and `show` are quick.
"""

import argparse
import os
import sys

from keras_avgan import recipes
from keras_avgan.errors import DiskFull, Interrupted, TrainingDiverged, UserError, WorkerLost
from keras_avgan.quiet_logs import without_tf_chatter


def _resolve_recipe(args) -> recipes.Recipe:
    recipe = recipes.get_recipe(args.recipe)
    if getattr(args, "smoke", False):
        recipe = recipes.with_smoke(recipe)
    recipe = recipes.apply_overrides(recipe, args.set or [])
    # `is not None`: a 0 given on the command line is checked (and refused), not dropped.
    for flag, field in (("--batch-size", "batch_size"), ("--eval-every", "eval_every")):
        if getattr(args, field, None) is not None:
            try:
                recipe = recipes.replace(recipe, **{field: getattr(args, field)})
            except recipes.RecipeError as err:
                raise recipes.RecipeError(f"{flag} {getattr(args, field)}: {err}") from None
    return recipe


def parse_conditions(items) -> dict[str, list[str]]:
    """`--cond pitch=60` or `--cond pitch=48,60,72` -> {"pitch": ["60"]} / [...]."""
    parsed = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise UserError(f"--cond expects NAME=VALUE[,VALUE...], got {item!r}")
        parsed[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return parsed


def cmd_recipes(args) -> None:
    rows = [(r.name, r.data_kind, r.summary) for r in recipes.RECIPES.values()]
    width = max(len(r[0]) for r in rows)
    print(f"{'recipe':<{width}}  data   makes")
    for name, kind, summary in rows:
        print(f"{name:<{width}}  {kind:<6} {summary}")


def cmd_show(args) -> None:
    recipe = _resolve_recipe(args)
    print(recipes.to_json(recipe))
    if args.summary:
        from keras_avgan.training.builders import build_gan

        gan = build_gan(recipe)
        gan.build_all()
        for role, network in (("generator", gan.generator),
                              ("discriminator", gan.discriminator)):
            print(f"{role} parameters: {network.count_params()}{_trainable_note(network)}")
            # A critic made of parts (face2music's: critic, frozen audio metric, auxiliary
            # critic) is counted part by part too.
            for name, part in getattr(network, "parts", {}).items():
                print(f"  {name} parameters: {part.count_params()}{_trainable_note(part)}")


def _trainable_note(network) -> str:
    """Papers count trainable weights; batch-norm statistics and spectral norm's vectors
    are weights too in Keras: both are said when they differ."""
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in network.trainable_weights)
    return "" if trainable == network.count_params() else f" ({trainable} trainable)"


def cmd_data_demo(args) -> None:
    from pipelines import demo

    path = demo.ensure_demo(args.kind, out=args.out, fmt=args.format)
    written = "" if args.format == demo.DEFAULT_FORMAT else f" (as {args.format})"
    print(f"demo dataset '{args.kind}'{written} ready in {path}")


def cmd_data_video(args) -> None:
    from pipelines import video

    def progress(index, total, result):
        print(video.progress_line(index, total, result), flush=True)

    settings = {"identity": args.identity, "size": args.size, "crops": args.crops,
                "seed": args.seed}
    if args.runner is None:  # in this process, a line per video as each is done
        summary = video.video_pairs(args.path, args.out, progress=progress, **settings)
    else:
        from pipelines.video.beam_pipeline import video_pairs_on_beam

        summary = video_pairs_on_beam(args.path, args.out, runner=args.runner,
                                      beam_options=args.beam_option, verbose=args.verbose,
                                      **settings)
        for index, result in enumerate(summary.results):  # the lines once the runner is done
            progress(index, len(summary.results), result)
    print(video.describe(summary))


def cmd_data_shard(args) -> None:
    from keras_avgan.modalities import sharded

    sharded.make_shards(args.path, args.out, _resolve_recipe(args) if args.recipe else None,
                        runner=args.runner, beam_options=args.beam_option,
                        num_shards=args.shards, verbose=args.verbose)


def cmd_data_check(args) -> None:
    from pathlib import Path

    from keras_avgan import modalities
    from pipelines import paired, shards
    from pipelines.audio import nsynth
    from pipelines.errors import DataError
    from pipelines.shards import launch

    recipe = _resolve_recipe(args) if args.recipe else None
    path = Path(args.path).expanduser()
    if not path.exists():
        raise DataError(f"{args.path}: no such file or folder; pass a folder of audio or image "
                        "files, or a CSV with a 'path' column")
    if shards.looks_sharded(path):  # made by `data shard`: its manifest says what it holds
        print(launch.describe(path))
        return
    if recipe is not None:
        print(modalities.for_recipe(recipe).describe(path, recipe))
        return
    if path.is_file() and paired.looks_paired(path):
        print(paired.describe_pairs(paired.scan_pairs(path)))
        return
    if nsynth.looks_like_nsynth(path):  # before the sounds: a jsonwav folder holds WAVs too
        print(nsynth.describe_nsynth(nsynth.scan_nsynth(path)))
        return
    # Modalities that share a report (the paired ones read pairs alike) print it once.
    present, reports = [], set()
    for modality in modalities.MODALITIES.values():
        if type(modality).describe not in reports and modality.find_files(path):
            present.append(modality)
            reports.add(type(modality).describe)
    if not present:
        raise DataError(f"{args.path}: no audio or image files found (searched recursively "
                        "for " + "; ".join(m.extensions_text for m in
                                            modalities.MODALITIES.values()) + ")")
    for modality in present:  # pairs too, when sounds and pictures in it are paired
        print(modality.describe(path))


def cmd_fit(args) -> None:
    from keras_avgan.training import fit

    recipe = _resolve_recipe(args)
    run_dir = args.run_dir or os.path.join("runs", recipe.name)
    options = fit.FitOptions(steps=args.steps, mixed_precision=args.mixed_precision,
                               jit=args.jit, seed=args.seed, deterministic=args.deterministic,
                               strategy=args.strategy)
    fit.fit(recipe, args.data, run_dir, options, faces=args.faces)


def cmd_generate(args) -> None:
    from keras_avgan.generate import generate

    result = generate(args.run_dir, n=args.n, seed=args.seed, out=args.out,
                      interpolate=args.interpolate, cond=parse_conditions(args.cond),
                      sweep=args.sweep, speech=args.speech, face=args.face,
                      face_embedding=args.face_embedding, pitch=args.pitch)
    print(f"generated {len(result.files)} files from the {result.checkpoint}")
    print(f"files: {result.files[0].parent}")
    print(f"overview: {result.overview}")
    for what, path in result.figures.items():
        print(f"{what}: {path}")


def cmd_evaluate(args) -> None:
    from keras_avgan.evaluation.evaluate import evaluate_run

    evaluate_run(args.run_dir, data=args.data, n=args.n, label_columns=args.label,
                 json_out=args.json, classifier=args.classifier, faces=args.faces)


def cmd_export(args) -> None:
    from keras_avgan.serving.export import export_run

    target, which = export_run(args.run_dir, name=args.name, base=args.base,
                               version=args.version, serving_root=args.serving_root)
    print(f"exported the {which}")
    print(f"saved model: {target}")
    print(f"TF Serving config: {os.path.join(args.base, 'models.config')}")


def cmd_convert(args) -> None:
    from keras_avgan.serving.tflite import convert_saved_model, format_report

    info = convert_saved_model(args.saved_model, args.out, args.quantize)
    print(format_report(info))
    if not info.get("parity_ok", True):
        raise UserError(f"{info.get('path')} converted but differs from the SavedModel beyond "
                        "the tolerance printed above; try --quantize none")


def _class_ids(items, n: int) -> dict:
    """`--cond pitch=4` (or 0,4,7 taken in turn) -> {"pitch": [n int ids]} for `request`."""
    import numpy as np

    ids = {}
    for name, values in parse_conditions(items).items():
        if not all(v.lstrip("-").isdigit() for v in values):
            raise UserError(f"--cond {name}={','.join(values)}: a served model takes class ids "
                            "(integers); its keras_avgan.json lists the class of each id")
        ids[name] = np.resize(np.array([int(v) for v in values]), n).tolist()
    return ids


def cmd_request(args) -> None:
    from keras_avgan.serving.client import request, write_outputs

    names = None
    if args.pitch and not args.face:
        raise UserError("--pitch goes with --face (models that make a note from a face); "
                        "other conditional models take --cond NAME=ID")
    if args.speech and args.face:
        raise UserError("a model takes speech or faces, not both: pass --speech or --face")
    if args.speech:  # a model made from speech (wav2pix): a face per file, no latents
        from keras_avgan.serving.client import speech_clips

        outputs = request(args.url, speech=speech_clips(args.speech, args.sample_rate),
                          timeout=args.timeout)
    elif args.face:  # a note from a face (face2music): every picture at every pitch
        from keras_avgan import pitches
        from keras_avgan.serving.client import face_images

        asked = pitches.pitch_ids(args.pitch)  # checked before any file is read
        images, faces = face_images(args.face)
        rows, ids, names, _ = pitches.each_face_at_each_pitch(faces, asked)
        outputs = request(args.url, image=images[rows], cond={"pitch": ids},
                          timeout=args.timeout)
    else:
        outputs = request(args.url, n=args.n, seed=args.seed, timeout=args.timeout,
                          cond=_class_ids(args.cond, args.n))
    files = write_outputs(outputs, args.out, sample_rate=args.sample_rate, names=names)
    print(f"wrote {len(files)} files to {args.out}")


def _add_recipe_flags(parser, required=True) -> None:
    parser.add_argument("--recipe", required=required, help="recipe name (keras_avgan recipes)")
    parser.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE",
                        help="override recipe fields, e.g. --set model_dim=32 batch_size=16")
    parser.add_argument("--smoke", action="store_true", help="tiny dimensions (seconds on a CPU)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keras_avgan", description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own start-up and device log lines")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("recipes", help="list the recipes").set_defaults(func=cmd_recipes)

    show = sub.add_parser("show", help="print a resolved recipe as JSON")
    show.add_argument("recipe")
    show.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE")
    show.add_argument("--smoke", action="store_true")
    show.add_argument("--summary", action="store_true", help="build the networks, count weights")
    show.set_defaults(func=cmd_show)

    data = sub.add_parser("data", help="demo datasets and data checks")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    demo = data_sub.add_parser("demo", help="build a demo dataset (no download)")
    demo.add_argument("kind", help="notes | faces | talking | digits (digits needs espeak-ng)")
    demo.add_argument("--out", help="folder to write (default: the cache --data demo reads)")
    demo.add_argument("--format", choices=("files", "nsynth"), default="files",
                      help="files: WAVs or PNGs with a labels.csv (what --data demo reads); "
                           "nsynth: notes only, one NSynth-schema TFRecord file")
    demo.set_defaults(func=cmd_data_demo)
    check = data_sub.add_parser("check", help="diagnose a data folder or CSV")
    check.add_argument("path")
    _add_recipe_flags(check, required=False)
    check.set_defaults(func=cmd_data_check)
    vid = data_sub.add_parser("video", help="videos -> face/speech pairs (one per second)")
    vid.add_argument("path", help="a video, a folder of videos, or a CSV with a path column")
    vid.add_argument("--out", required=True, help="folder to write the pairs into")
    vid.add_argument("--identity", help="identity of every face (default: each video's "
                                        "parent folder name)")
    vid.add_argument("--size", type=int, default=128, help="face picture side in pixels")
    vid.add_argument("--crops", type=int, default=0, metavar="K",
                     help="K random one-second crops of the audio around each face frame "
                          "instead of the centred second")
    vid.add_argument("--seed", type=int, default=0, help="draws the crops")
    from pipelines.shards import options as shard_options  # no Beam loaded: its names only

    vid.add_argument("--runner", choices=shard_options.RUNNERS,
                     help="read the videos on this Apache Beam runner (default: one after "
                          "another in this process)")
    vid.add_argument("--beam-option", action="append", metavar="KEY=VALUE",
                     help="a Beam pipeline option with --runner, passed through (repeatable)")
    vid.set_defaults(func=cmd_data_video)

    shard = data_sub.add_parser("shard", help="decode, check and slice files into TFRecord "
                                              "shards with Apache Beam (fit --data reads them)")
    shard.add_argument("path", help="a folder or CSV of sounds or pictures, a folder of "
                                    "face/sound pairs, or 'demo' (with --recipe: its demo "
                                    "data)")
    shard.add_argument("--out", required=True, help="a new or empty folder for the shards")
    _add_recipe_flags(shard, required=False)
    shard.add_argument("--runner", default="DirectRunner", choices=shard_options.RUNNERS)
    shard.add_argument("--beam-option", action="append", metavar="KEY=VALUE",
                       help="a Beam pipeline option, passed through (repeatable), e.g. "
                            "direct_num_workers=4 or project=P")
    shard.add_argument("--shards", type=int, help="how many shard files (default: one per "
                                                  "128 files)")
    shard.set_defaults(func=cmd_data_shard)

    fit = sub.add_parser("fit", help="train a recipe (re-run to resume)")
    _add_recipe_flags(fit)
    fit.add_argument("--data", required=True, help="data folder, CSV, or 'demo'")
    fit.add_argument("--faces", help="face2music: a folder of face images (with identities) "
                                     "beside the notes of --data; 'demo' for the demo faces "
                                     "(what --data demo brings)")
    fit.add_argument("--run-dir", help="where the run lives (default runs/RECIPE)")
    fit.add_argument("--steps", type=int, help="total generator steps to reach")
    fit.add_argument("--batch-size", type=int)
    fit.add_argument("--mixed-precision", choices=recipes.PRECISIONS, default="off")
    fit.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    fit.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                     default="default")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--eval-every", type=int, help="evaluate every N steps, keep the best")
    fit.add_argument("--deterministic", action="store_true",
                     help="deterministic ops (bit-identical reruns on one machine; slower)")
    fit.set_defaults(func=cmd_fit)

    gen = sub.add_parser("generate", help="write WAV or PNG files from a trained run")
    gen.add_argument("--run-dir", required=True)
    gen.add_argument("-n", type=int, default=16)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", help="output folder (default RUN_DIR/generated)")
    gen.add_argument("--interpolate", type=int, default=0, metavar="K",
                     help="K latents from --seed's to --seed+1's")
    gen.add_argument("--cond", nargs="+", action="extend", metavar="NAME=VALUE[,VALUE...]",
                     help="conditional runs: the class of every sample, e.g. pitch=60")
    gen.add_argument("--speech", nargs="+", metavar="FILE",
                     help="wav2pix: a face from each of these speech files")
    gen.add_argument("--face", nargs="+", metavar="IMAGE",
                     help="face2music: a note from each of these pictures (or folders of them)")
    gen.add_argument("--face-embedding", metavar="VECTORS.npy",
                     help="face2music: a note from each face vector ([N, d] or [d]) in this file")
    gen.add_argument("--pitch", nargs="+", metavar="MIDI",
                     help="face2music: every face at each of these MIDI pitches, 24-84 "
                          "(default 60)")
    gen.add_argument("--sweep", action="store_true",
                     help="conditional runs: each of the -n latents in every class")
    gen.set_defaults(func=cmd_generate)

    ev = sub.add_parser("evaluate", help="score a run against an untrained floor and real data")
    ev.add_argument("--run-dir", required=True)
    ev.add_argument("--data", help="labelled data (default: what the run trained on)")
    ev.add_argument("-n", type=int, default=1000, help="generated samples to score")
    ev.add_argument("--label", nargs="+", help="labels.csv columns to score (default: the "
                    "recipe's label_column, or every column with 2-64 classes)")
    ev.add_argument("--json", help="write the figures here (default RUN_DIR/evaluation.json)")
    ev.add_argument("--classifier", help="a .keras file or SavedModel to judge with (with --label)")
    ev.add_argument("--faces", help="face2music: the faces to make notes from (default: the "
                                    "run's; 'demo' for the demo faces)")
    ev.set_defaults(func=cmd_evaluate)

    exp = sub.add_parser("export", help="SavedModel for TF Serving: BASE/NAME/VERSION")
    exp.add_argument("--run-dir", required=True)
    exp.add_argument("--name", help="model name in TF Serving (default: the recipe name)")
    exp.add_argument("--version", type=int, help="default: the next free version")
    exp.add_argument("--base", default="saved_models")
    exp.add_argument("--serving-root", default="/models",
                     help="where TF Serving sees --base: models.config's base paths start here "
                          "(default /models, as docker-compose.yml mounts it; 'local': the "
                          "absolute path of --base, for a server on this machine)")
    exp.set_defaults(func=cmd_export)

    conv = sub.add_parser("convert", help="TFLite file (builtin ops only, batch 1)")
    conv.add_argument("saved_model", metavar="SAVED_MODEL_DIR")
    conv.add_argument("--quantize", choices=("none", "float16", "dynamic"), default="none")
    conv.add_argument("--out", help="the .tflite file (default: beside the model's versions)")
    conv.set_defaults(func=cmd_convert)

    req = sub.add_parser("request", help="ask a TF Serving server for sounds or images")
    req.add_argument("url", help="e.g. http://localhost:8501/v1/models/wavegan")
    req.add_argument("-n", type=int, default=4)
    req.add_argument("--seed", type=int, default=0)
    req.add_argument("--out", default="served")
    req.add_argument("--sample-rate", type=int, default=16000,
                     help="for the WAV headers, and the rate --speech is resampled to")
    req.add_argument("--speech", nargs="+", metavar="FILE",
                     help="models made from speech (wav2pix): one second of each file in, "
                          "a face out")
    req.add_argument("--face", nargs="+", metavar="IMAGE",
                     help="models that make a note from a face (face2music): each picture, or "
                          "each in a folder, in (64 px, as generate --face reads them)")
    req.add_argument("--pitch", nargs="+", metavar="MIDI",
                     help="with --face: every face at each of these MIDI pitches, 24-84 "
                          "(default 60)")
    req.add_argument("--timeout", type=float, default=60.0)
    req.add_argument("--cond", nargs="+", action="extend", metavar="NAME=ID[,ID...]",
                     help="conditional models: class ids, e.g. pitch=4 (see keras_avgan.json)")
    req.set_defaults(func=cmd_request)
    return parser


def _user_errors() -> tuple[type, ...]:
    from pipelines.errors import DataError

    return (UserError, recipes.RecipeError, DataError)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        with without_tf_chatter(not args.verbose):
            args.func(args)
    except _user_errors() as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (TrainingDiverged, DiskFull, WorkerLost) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Interrupted as err:
        print(str(err), file=sys.stderr)
        return 128 + err.signum
    except KeyboardInterrupt:
        print("interrupted; re-run the same command to resume from the last checkpoint",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
