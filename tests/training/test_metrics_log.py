"""metrics.jsonl across a resume: rows past the checkpoint go, the clock goes on."""

import json

from keras_avgan import recipes, runs
from keras_avgan.training.callbacks import MetricsLog

RECIPE = recipes.with_smoke(recipes.WAVEGAN)


def test_a_resumed_log_drops_later_and_torn_rows_and_continues_the_time(tmp_path):
    run = runs.RunDir(tmp_path)
    rows = [{"step": 2, "time": 500.0, "d_loss": 1.0}, {"step": 4, "time": 1000.0},
            {"step": 6, "time": 1500.0}]
    # Step 6 is past the checkpoint (a kill between them); the last line was cut mid-write.
    run.metrics_file.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 8, "ti')
    log = MetricsLog(run, RECIPE, start_step=4)
    log.write(5, {"d_loss": 2.0})
    kept = [json.loads(line) for line in run.metrics_file.open()]
    assert kept[:2] == rows[:2] and [r["step"] for r in kept] == [2, 4, 5]
    assert 1000.0 <= kept[-1]["time"] < 1100.0  # not restarted at 0
