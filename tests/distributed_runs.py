"""Multi-worker runs on loopback: each worker a `keras_avgan fit` process with its own
TF_CONFIG (imported by name: tests/ is on sys.path)."""

import json
import os
import socket
import subprocess
import sys

CLI = [sys.executable, "-m", "keras_avgan.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound, read, released: another process may still take
    one before a worker does, which only fails that test run)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def start_workers(argv: list[str], count: int = 2, env: dict | None = None) -> list:
    """`count` workers of one cluster, each running `keras_avgan *argv`; their output is
    piped (read it with communicate)."""
    ports = free_ports(count)
    return [subprocess.Popen(CLI + argv, env={**ENV, **(env or {}),
                                              "TF_CONFIG": tf_config(ports, i)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(count)]


def finish(workers: list, timeout: float) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each worker; kills them all past `timeout` seconds."""
    results = []
    for worker in workers:
        try:
            out, err = worker.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for other in workers:
                other.kill()
            out, err = worker.communicate()
            raise AssertionError(f"a worker ran past {timeout} s:\n{out}\n{err}") from None
        results.append((worker.returncode, out, err))
    return results
