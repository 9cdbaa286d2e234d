"""`keras_avgan data shard` as the shard tests run it (imported by name: tests/ is on
sys.path)."""

import contextlib
import io

from keras_avgan.cli import main


def run_shard(*args) -> tuple[int, str]:
    """(exit code, stdout) of `keras_avgan data shard ARGS`."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = main(["data", "shard", *map(str, args)])
    return code, text.getvalue()


def made_shards(data, out, recipe: str, *args) -> tuple:
    """(the shard folder, what was printed) of a `data shard` that must succeed."""
    code, printed = run_shard(data, "--out", out, "--recipe", recipe, *args)
    assert code == 0, printed
    return out, printed
