"""The Apache Beam pipeline behind `keras_avgan data shard`: files in, TFRecord shards out.

    inputs.jsonl -> each file keyed by its shard -> group -> per shard: decode its files
                    and write them --------------------------> shard file + its counts
                                  \\--(tagged "bad")--------> (name, reason) -> bad_files.csv
    every shard's counts + the bad list -> shards.json (last: a folder with one is complete)

The same graph runs on any runner; only the options differ (options.py). Files are grouped
by shard before they are decoded, so what crosses the shuffle is a line per file rather
than the decoded examples (often ten times the files' size), and each shard is decoded and
written as a stream by one worker. A file's shard and an example's place in it are fixed by
hashes of the file's name: the same data makes the same shards on every runner, and a
retried step rewrites a shard with the same bytes. Files are written through tf.io.gfile,
which also writes gs:// paths.
"""

import csv
import io
import json
from collections import Counter

import apache_beam as beam

from pipelines.shards import examples as examples_lib
from pipelines.shards.spec import (
    BAD_FILES,
    INPUTS,
    MANIFEST,
    MAX_CLASSES,
    PAIR_LABEL,
    ShardSpec,
    manifest_json,
)

BAD = "bad"  # the tagged output of files that give no example


class WriteShard(beam.DoFn):
    """(shard, its files' rows {"path", "name", "labels"}; a pair's also "image" and
    "audio_name") -> the shard file and its counts;
    each file that gives no example goes to the `bad` output as (name, reason), so none is
    dropped without a word."""

    def __init__(self, spec: ShardSpec, out_dir: str, num_shards: int):
        self.spec, self.out_dir, self.num_shards = spec, out_dir, num_shards

    def process(self, keyed):
        import tensorflow as tf  # on the worker; the launcher need not load TF to build this

        shard, rows = keyed
        name = f"shard-{shard:05d}-of-{self.num_shards:05d}.tfrecord"
        path = f"{self.out_dir}/{name}"
        labels = {column: Counter() for column in self.spec.label_columns}
        examples = files = 0
        with tf.io.TFRecordWriter(path + ".tmp") as writer:
            for row in sorted(rows, key=lambda r: examples_lib.order_key(r["name"])):
                try:
                    found = examples_lib.decode(self.spec, row)
                except examples_lib.Unusable as err:  # a pair's bad half is the one named
                    named = row.get(f"{err.half}_name", row["name"])
                    yield beam.pvalue.TaggedOutput(BAD, (named, str(err)))
                    continue
                values = {c: row["labels"].get(c, "") for c in self.spec.label_columns}
                for window, example in enumerate(found):
                    writer.write(examples_lib.serialize(self.spec, example, row["name"],
                                                        window, values))
                for column, value in values.items():
                    labels[column][value] += len(found)
                examples, files = examples + len(found), files + 1
        if not examples:  # every file of this shard was bad
            tf.io.gfile.remove(path + ".tmp")
            return
        tf.io.gfile.rename(path + ".tmp", path, overwrite=True)  # no half shard is left
        yield {"name": name, "examples": examples, "files": files, "labels": labels}


def finish(shards, bad, out_dir: str, spec: ShardSpec, source: str, files: int) -> None:
    """bad_files.csv, then shards.json, from every shard's counts and the bad list."""
    import tensorflow as tf

    shards = sorted(shards, key=lambda s: s["name"])
    good = sum(s["files"] for s in shards)
    if good + len(bad) != files:  # every file asked for gives examples or a reason
        raise RuntimeError(f"{files} files asked for, {good} gave examples and {len(bad)} "
                           "were bad: the runner lost some; no manifest is written")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["path", "reason"])
    writer.writerows(sorted(bad))
    _write_atomic(tf, f"{out_dir}/{BAD_FILES}", text.getvalue())
    labels = _label_summary(spec, [s.pop("labels") for s in shards])
    _write_atomic(tf, f"{out_dir}/{MANIFEST}",
                  manifest_json(spec, shards, source, good, len(bad), labels))


def _label_summary(spec: ShardSpec, counts) -> dict:
    """column -> {"classes": values in natural order (None past MAX_CLASSES), "counts":
    examples per class, "values": how many, "unlabelled": examples without a value}."""
    from pipelines.labels import natural_key

    summary = {}
    for column in spec.label_columns:
        total = Counter()
        for shard in counts:
            total.update(shard.get(column, {}))
        unlabelled = total.pop("", 0)
        classes = sorted(total, key=natural_key)
        # A pair's identity id is its index in the list: always listed, however many.
        listed = len(classes) <= MAX_CLASSES or (spec.kind == "pairs" and column == PAIR_LABEL)
        summary[column] = {"classes": classes if listed else None,
                           "counts": [total[c] for c in classes] if listed else None,
                           "values": len(classes), "unlabelled": unlabelled}
    return summary


def _write_atomic(tf, path: str, text: str) -> None:
    with tf.io.gfile.GFile(path + ".tmp", "w") as handle:
        handle.write(text)
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)


def build(pipeline: beam.Pipeline, spec: ShardSpec, out_dir: str, num_shards: int,
          source: str, files: int) -> None:
    """The shard pipeline on `pipeline`, reading `out_dir`/inputs.jsonl."""
    written = (pipeline
               | "read inputs" >> beam.io.ReadFromText(f"{out_dir}/{INPUTS}")
               | "key by shard" >> beam.Map(_keyed, num_shards)
               | "group by shard" >> beam.GroupByKey()
               | "decode and write" >> beam.ParDo(WriteShard(spec, out_dir, num_shards))
               .with_outputs(BAD, main="shards"))
    bad = written[BAD] | "bad list" >> beam.combiners.ToList()
    (written.shards
     | "shard list" >> beam.combiners.ToList()
     | "manifest" >> beam.Map(finish, beam.pvalue.AsSingleton(bad), out_dir, spec, source,
                              files))


def _keyed(line: str, num_shards: int):
    row = json.loads(line)
    return examples_lib.shard_of(row["name"], num_shards), row
