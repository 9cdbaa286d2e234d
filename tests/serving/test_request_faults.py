"""`keras_avgan request` against a loopback server that misbehaves: it stalls, cuts its reply
short, or answers with NaN, ragged or non-numeric outputs. Each is exit 2 with a message,
within --timeout, and nothing is written."""

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from keras_avgan.cli import main
from keras_avgan.serving import client
from keras_avgan.serving.client import ServingError

MODEL = "/v1/models/wavegan"


def _serve_once(respond):
    """A one-connection HTTP server on 127.0.0.1 whose reply `respond(conn)` writes raw."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)  # the request; its contents do not matter here
            try:
                respond(conn)
            except OSError:
                pass  # the client gave up first, as it should
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}{MODEL}"


def _headers(length, status="200 OK"):
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def _json_reply(payload: str):
    def respond(conn):
        conn.sendall(_headers(len(payload)) + payload.encode())
    return respond


def test_a_server_sending_a_byte_a_second_is_cut_off_at_the_timeout():
    body = json.dumps({"outputs": [[0.0] * 64]}).encode()

    def trickle(conn):
        conn.sendall(_headers(len(body)))
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    started = time.monotonic()
    with pytest.raises(ServingError, match="within --timeout 1 s"):
        client.request(_serve_once(trickle), n=1, timeout=1.0)
    assert time.monotonic() - started < 3.0


def test_a_reply_cut_short_is_named():
    def truncated(conn):
        conn.sendall(_headers(500) + b'{"outputs": [[0.1, 0.2')

    with pytest.raises(ServingError, match="cut its reply short after"):
        client.request(_serve_once(truncated), n=1, timeout=5)


@pytest.mark.parametrize("payload, message", [
    ('{"outputs": [[0.1, NaN, 0.3]]}', "NaN or infinite"),
    ('{"outputs": [[0.1, 0.2], [0.3]]}', "not a rectangular array"),
    ('{"outputs": [["a", "b"]]}', "not a rectangular array"),
    ('[1, 2]', "not an object"),
])
def test_bad_outputs_are_refused_before_anything_is_written(payload, message, tmp_path,
                                                            capsys):
    url = _serve_once(_json_reply(payload))
    assert main(["request", url, "-n", "1", "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_request_starts_without_tensorflow():
    code = ("import sys; from keras_avgan.cli import main; "
            "main(['request', 'http://127.0.0.1:9/v1/models/w', '-n', '1']); "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    assert out.strip().endswith("False")
