"""Training progress on the console: Keras' progress bar in a terminal, plain lines in a log.

Keras' bar draws with carriage returns and ANSI colour codes, which a log file (a CI job, a
`nohup` run, `docker logs`) keeps as garbage; there a line every `interval` seconds says the
same in plain text.
"""

import time

import keras

PLAIN_INTERVAL = 15.0  # seconds between lines in a log


class PlainProgress:
    def __init__(self, total: int, out, interval: float = PLAIN_INTERVAL):
        self.total, self.out, self.interval = total, out, interval
        self.shown_at = None

    def update(self, step: int, values) -> None:
        now = time.monotonic()
        if step != self.total and self.shown_at is not None and \
                now - self.shown_at < self.interval:
            return
        self.shown_at = now
        shown = "  ".join(f"{name} {value:.4g}" for name, value in values)
        print(f"step {step}/{self.total}  {shown}", file=self.out, flush=True)


def progress_for(total: int, out):
    """A bar for a terminal, plain lines otherwise; both take update(step, [(name, value)])."""
    if out.isatty():
        return keras.utils.Progbar(total, interval=0.5, stateful_metrics=["step/s"])
    return PlainProgress(total, out)
