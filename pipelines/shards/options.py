"""Beam pipeline options from `data shard`'s flags: the runner, and `--beam-option KEY=VALUE`
passed through unchanged, each checked against the options Beam knows before anything runs.

On the DirectRunner the files are decoded by 2 worker processes by default
(`direct_running_mode=multi_processing`): decoding and resampling run in Python, where
threads would share one interpreter lock. `multi_threading` is refused: with Beam 2.77 it
lost a few of 600 elements on the way into a GroupByKey in most runs here whenever each
took milliseconds to process (the pipeline's own count catches that, but only at the end).
`in_memory` (one worker, in this process) is exact too, and starts faster: each worker
process imports TensorFlow first, some seconds.
"""

import contextlib
import difflib
import io
import logging

from pipelines.errors import DataError

RUNNERS = ("DirectRunner", "DataflowRunner", "FlinkRunner", "SparkRunner")
DIRECT_DEFAULTS = {"direct_num_workers": "2", "direct_running_mode": "multi_processing"}
QUIET_WORKERS = {"default_sdk_harness_log_level": "ERROR"}  # Beam's workers log at INFO


def pipeline_flags(runner: str, items, verbose: bool = False) -> list[str]:
    """Beam's command-line flags for `runner` and the `KEY=VALUE` (or bare `KEY`, for a
    switch) items; a KEY Beam does not know, or a value it refuses, is a DataError."""
    if runner not in RUNNERS:
        raise DataError(f"--runner {runner}: choose one of {', '.join(RUNNERS)}")
    given = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not key:
            raise DataError(f"--beam-option expects KEY=VALUE (a Beam pipeline option, e.g. "
                            f"direct_num_workers=4), got {item!r}")
        given[key] = value if sep else None
    if "runner" in given:
        raise DataError("--beam-option runner=...: pass the runner as --runner")
    if given.get("direct_running_mode") == "multi_threading":
        raise DataError("--beam-option direct_running_mode=multi_threading: Beam's threaded "
                        "local runner loses elements of this pipeline; use multi_processing "
                        "(the default) or in_memory")
    defaults = dict(QUIET_WORKERS) if not verbose else {}
    if runner == "DirectRunner":
        defaults.update(DIRECT_DEFAULTS)
    flags = [f"--runner={runner}"]
    for key, value in {**defaults, **given}.items():
        flags.append(f"--{key}" if value is None else f"--{key}={value}")
    _check(flags, set(given))
    return flags


def _check(flags: list[str], keys: set) -> None:
    with quiet_beam():
        from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    # Beam's own parser, as PipelineOptions builds it: its flag names (not always the names
    # options are stored under: --extra_package fills extra_packages), types and choices.
    parser = _BeamArgumentParser(allow_abbrev=False)
    for cls in PipelineOptions.__subclasses__():
        cls._add_argparse_args(parser)
    known = {name[2:] for name in parser._option_string_actions if name.startswith("--")}
    unknown = sorted(keys - known)
    if unknown:
        near = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise DataError(f"--beam-option {unknown[0]}: not a Beam pipeline option{hint}; "
                        "docs/data.md lists the usual ones of each runner")
    errors = io.StringIO()
    try:  # it exits on a bad value after printing why: said here as ours
        with contextlib.redirect_stderr(errors):
            parser.parse_known_args(flags)
    except SystemExit:
        said = errors.getvalue().strip().splitlines() or ["a value is not of its type"]
        reason = said[-1].partition("error: ")[2] or said[-1]
        raise DataError(f"--beam-option: Beam refuses it: {reason}") from None


def check_runner_installed(runner: str) -> None:
    """Dataflow needs Beam's GCP extras; say so before the pipeline is built."""
    if runner != "DataflowRunner":
        return
    try:
        import apitools  # noqa: F401  (what apache-beam[gcp] brings)
    except ImportError:
        raise DataError("--runner DataflowRunner needs Beam's Google Cloud extras: pip "
                        "install 'apache-beam[gcp]>=2.77'") from None


@contextlib.contextmanager
def quiet_beam(enabled: bool = True):
    """Beam's INFO and WARNING lines (and, on import, a root-logger warning about GCP
    libraries the local runners do not need) stay out of the command's output."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(), logging.getLogger("apache_beam")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
