"""`keras_avgan data video --runner R`: the videos read on an Apache Beam runner.

    a job per video -> reshuffle -> per worker: read the video, write its pairs -> results
    every video's result and rows -> DIR/.video_results.json (read back by the launcher)

Each job already holds the video's identity and the stem its pairs are named by (pairs.plan
decides them on the launching machine), so workers never need to agree on names, and a
retried job rewrites the same files. The launcher writes pairs.csv from the results as the
in-process loop does (pairs.video_pairs): the workers and the launcher must see `--out` as
one folder (a local folder on the DirectRunner; a shared file system on a cluster).
"""

import dataclasses
import json
import os
from pathlib import Path

import apache_beam as beam

from pipelines.shards import options
from pipelines.video import pairs as pairs_lib

RESULTS = ".video_results.json"  # in the output folder while the launcher reads it


class PairsFromVideo(beam.DoFn):
    """A VideoJob (as a dict) -> {"result": its VideoResult as a dict, "rows": its rows}."""

    def __init__(self, out: str, settings: pairs_lib.PairSettings):
        self.out, self.settings = out, settings

    def setup(self):
        self.cropper = self.settings.cropper()  # OpenCV's cascade, loaded once per worker

    def process(self, job: dict):
        result, rows = pairs_lib.pairs_of_video(pairs_lib.VideoJob(**job), Path(self.out),
                                                self.cropper, self.settings)
        yield {"result": dataclasses.asdict(result), "rows": rows}


def build(pipeline: beam.Pipeline, jobs: list[pairs_lib.VideoJob], out: str,
          settings: pairs_lib.PairSettings) -> None:
    """The pipeline on `pipeline`: every job read once, the results written to RESULTS."""
    (pipeline
     | "videos" >> beam.Create([dataclasses.asdict(job) for job in jobs])
     | "spread over workers" >> beam.Reshuffle()
     | "read and write pairs" >> beam.ParDo(PairsFromVideo(out, settings))
     | "all results" >> beam.combiners.ToList()
     | "write results" >> beam.Map(_write_results, out))


def _write_results(results: list, out: str) -> None:
    path = Path(out) / RESULTS
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(results), encoding="utf-8")
    os.replace(tmp, path)


def read_results(out) -> list[tuple[pairs_lib.VideoResult, list[dict]]]:
    """What the pipeline wrote, removed from the output folder once read."""
    path = Path(out) / RESULTS
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(f"the Beam pipeline ended without writing {path}: the runner lost "
                           "its results; no manifest is written") from None
    path.unlink()
    return [(pairs_lib.VideoResult(**item["result"]), item["rows"]) for item in results]


def video_pairs_on_beam(path, out, *, identity: str | None = None, size: int = 128,
                        margin: float = 0.2, crops: int = 0, spread: float = 1.0,
                        seed: int = 0, runner: str = "DirectRunner", beam_options=(),
                        verbose: bool = False) -> pairs_lib.PairSummary:
    """pairs.video_pairs (the same arguments, files, rows and summary) with the videos read
    on the Beam `runner` (`beam_options`: `--beam-option KEY=VALUE` items, checked before
    anything is read); the manifest is written here once every video is done."""
    from apache_beam.options.pipeline_options import PipelineOptions

    settings = pairs_lib.PairSettings(size, margin, crops, spread, seed)
    flags = options.pipeline_flags(runner, beam_options, verbose)
    options.check_runner_installed(runner)
    out, manifest, jobs = pairs_lib.plan(path, out, identity)
    (out / RESULTS).unlink(missing_ok=True)  # a killed run's, never read as this one's
    with options.quiet_beam(not verbose), beam.Pipeline(options=PipelineOptions(flags)) as p:
        build(p, jobs, str(out), settings)
    by_source = {result.source: (result, rows) for result, rows in read_results(out)}
    missing = [job.source for job in jobs if job.source not in by_source]
    if missing:  # every video gives pairs or a reason
        raise RuntimeError(f"{len(jobs)} videos asked for, {len(missing)} came back from the "
                           f"runner without a result (first: {missing[0]}); no manifest is "
                           "written")
    summary = pairs_lib.PairSummary(out)
    for job in jobs:
        result, rows = by_source[job.source]
        manifest.replace(job.source, rows)
        summary.results.append(result)
    manifest.save(final=True)
    return summary
