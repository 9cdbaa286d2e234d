"""Keep TensorFlow's start-up chatter out of a command's output (unless --verbose).

TF's C++ side logs through absl before `TF_CPP_MIN_LOG_LEVEL` takes effect ("All log
messages before absl::InitializeLog() is called are written to STDERR"), and straight to file
descriptor 2, so Python's logging cannot catch it: the oneDNN, cudart, cuInit and CPU
instruction lines reach every command's stderr. This reroutes descriptor 2 through a pipe
and drops the lines that are TF's own log records; everything else (our messages, Python
tracebacks, warnings) passes through unchanged, in order.
"""

import contextlib
import os
import re
import sys
import threading

# absl/glog records ("I0000 00:00:...  12345 file.cc:52] ...") and the banners around them.
CHATTER = re.compile(
    rb"^([IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w./-]+:\d+\]|"
    rb"WARNING: All log messages before absl::InitializeLog\(\)|"
    rb"To enable the following instructions:|"
    rb"INFO: Created TensorFlow Lite XNNPACK delegate|"
    # Beam's local worker processes (data shard), which log before their options apply
    rb"WARNING:root:apitools not found|INFO:__main__:Logging handler created)")


_unfiltered: list[int] = []  # the real stderr's descriptor while a filter is on


def unfiltered_stderr() -> int:
    """The descriptor that reaches the real stderr: for what must get out while the pump
    cannot run (a C++ call holding the GIL), or after it stops (a process ending at once)."""
    return _unfiltered[-1] if _unfiltered else 2


def _pump(source: int, target: int) -> None:
    with os.fdopen(source, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(4096):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not CHATTER.match(line):
                    os.write(target, line + b"\n")
        if pending and not CHATTER.match(pending):
            os.write(target, pending)


@contextlib.contextmanager
def without_tf_chatter(enabled: bool = True):
    """Filter descriptor 2 for the duration of the block (a no-op when not enabled)."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, original), daemon=True)
    pump.start()
    _unfiltered.append(original)
    try:
        yield
    finally:
        _unfiltered.pop()
        sys.stderr.flush()
        os.dup2(original, 2)  # closes the pipe's last write end: the pump drains and ends
        pump.join(timeout=5)
        os.close(original)
