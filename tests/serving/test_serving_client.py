"""REST client against a tiny stand-in for TF Serving on 127.0.0.1 that answers with the
exported SavedModel's own outputs in TF Serving's documented JSON formats."""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # keep float rounding comparable

import json  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402
from toy_generators import AUDIO, LATENT, audio_generator  # noqa: E402

from keras_avgan import latents  # noqa: E402
from keras_avgan.errors import UserError  # noqa: E402
from keras_avgan.serving import client as serving_client  # noqa: E402
from keras_avgan.serving import export  # noqa: E402
from keras_avgan.serving.client import ServingError  # noqa: E402


def _tensors(signature, columns: dict) -> dict:
    specs = signature.structured_input_signature[1]
    return {k: tf.constant(v, dtype=specs[k].dtype) for k, v in columns.items()}


def _predict(signatures, body: dict) -> dict:
    """TF Serving's REST predict, reduced to what our exports use."""
    if ("instances" in body) == ("inputs" in body):
        raise ValueError("exactly one of 'instances' or 'inputs' is required")
    signature = signatures[body.get("signature_name", "serving_default")]
    if "instances" in body:  # row: one object per example, stacked into a batch
        rows = body["instances"]
        columns = {k: [row[k] for row in rows] for k in rows[0]}
        outputs = {k: v.numpy().tolist() for k, v in signature(**_tensors(signature,
                                                                           columns)).items()}
        if len(outputs) == 1:
            return {"predictions": next(iter(outputs.values()))}
        return {"predictions": [dict(zip(outputs, vals, strict=True))
                                for vals in zip(*outputs.values(), strict=True)]}
    outputs = {k: v.numpy().tolist()
               for k, v in signature(**_tensors(signature, body["inputs"])).items()}
    return {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}


def _handler(signatures):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if not self.path.startswith("/v1/models/wavegan") or ":predict" not in self.path:
                return self._reply(404, {"error": "Servable not found for request: "
                                                  f"Latest({self.path.split('/')[3]})"})
            try:
                return self._reply(200, _predict(signatures, body))
            except (ValueError, KeyError, tf.errors.OpError) as err:
                return self._reply(400, {"error": str(err).splitlines()[0]})

        def _reply(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep the test output quiet
            pass

    return Handler


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    gen = audio_generator()
    path = export.export_generator(gen, tmp_path_factory.mktemp("m") / "1", **AUDIO)
    return gen, tf.saved_model.load(str(path)).signatures


@pytest.fixture(scope="module")
def server(model):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model[1]))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/models/wavegan"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _keras(gen, z):
    return np.asarray(gen(z, training=False))[..., 0]


def test_sample_goes_columnar_and_is_seeded(model, server):
    gen, _ = model
    first = serving_client.request(server, n=3, seed=4, timeout=10)
    assert list(first) == ["audio"] and first["audio"].shape == (3, 256)
    expected = _keras(gen, latents.sample_latents(3, LATENT, "uniform", 4))
    assert np.max(np.abs(first["audio"] - expected)) <= 1e-5
    again = serving_client.request(server + ":predict", n=3, seed=4, fmt="columnar")
    assert np.array_equal(again["audio"], first["audio"])


@pytest.mark.parametrize("fmt", ["row", "columnar"])
def test_latents_in_row_and_columnar(model, server, fmt):
    gen, _ = model
    z = np.random.default_rng(0).uniform(-1, 1, (2, LATENT)).astype(np.float32)
    out = serving_client.request(server, z=z, fmt=fmt, timeout=10)
    assert np.max(np.abs(out["audio"] - _keras(gen, z))) <= 1e-5


def test_bodies_follow_the_rest_format():
    body = serving_client.build_body("sample", None, n=2, seed=5)
    assert body == {"signature_name": "sample", "inputs": {"seed": 5, "n": 2}}
    row = serving_client.build_body("serving_default", "row", z=np.zeros((2, 3)),
                                    cond={"pitch": [1, 2]})
    assert row["instances"][1] == {"z": [0.0, 0.0, 0.0], "pitch": 2} and "inputs" not in row
    with pytest.raises(UserError, match="row format"):
        serving_client.build_body("sample", "row", n=1, seed=0)
    with pytest.raises(UserError, match="draws its own"):
        serving_client.build_body("sample", None, z=np.zeros((1, 3)))


def test_responses_with_several_outputs():
    row = {"predictions": [{"audio": [0.1, 0.2], "score": 1.0},
                           {"audio": [0.3, 0.4], "score": 2.0}]}
    parsed = serving_client.parse_response(row)
    assert parsed["audio"].shape == (2, 2) and parsed["score"].tolist() == [1.0, 2.0]
    columnar = serving_client.parse_response({"outputs": {"audio": [[0.5]], "score": [3.0]}})
    assert columnar["audio"].shape == (1, 1) and columnar["score"].tolist() == [3.0]
    image = serving_client.parse_response({"outputs": np.zeros((1, 2, 2, 3)).tolist()})
    assert list(image) == ["image"]


def test_error_responses_become_serving_errors(server):
    missing = server.replace("wavegan", "nosuchmodel")
    with pytest.raises(ServingError, match="Servable not found") as err:
        serving_client.request(missing, n=1, timeout=10)
    assert "nosuchmodel:predict" in str(err.value)
    with pytest.raises(ServingError, match="HTTP 400"):
        serving_client.request(server, z=np.zeros((1, LATENT)), signature="typo", timeout=10)
    assert isinstance(err.value, UserError)  # the CLI maps it to exit code 2


def test_unreachable_url_names_it():
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/models/wavegan"
    with pytest.raises(ServingError, match=f"127.0.0.1:{port}.*docker compose up serving"):
        serving_client.request(url, n=1, timeout=5)


@pytest.mark.parametrize("url, expected", [
    ("http://h:8501/v1/models/w", "http://h:8501/v1/models/w:predict"),
    ("http://h:8501/v1/models/w/", "http://h:8501/v1/models/w:predict"),
    ("http://h:8501/v1/models/w:predict", "http://h:8501/v1/models/w:predict"),
    ("http://h:8501/v1/models/w/versions/3", "http://h:8501/v1/models/w/versions/3:predict"),
])
def test_predict_url(url, expected):
    assert serving_client.predict_url(url) == expected


def test_bad_url_is_explained():
    with pytest.raises(ServingError, match="v1/models/NAME"):
        serving_client.predict_url("localhost:8501/wavegan")


def test_write_outputs(tmp_path):
    audio = {"audio": np.array([[0.0, 0.5, -0.5, 2.0], [0.1, 0.1, 0.1, 0.1]], np.float32)}
    wavs = serving_client.write_outputs(audio, tmp_path, sample_rate=8000)
    assert [p.name for p in wavs] == ["sample_00.wav", "sample_01.wav"]
    data, rate = soundfile.read(wavs[0], dtype="float32")
    assert rate == 8000 and soundfile.info(wavs[0]).subtype == "PCM_16"
    np.testing.assert_allclose(data, [0.0, 0.5, -0.5, 1.0], atol=1 / 32767)
    images = serving_client.write_outputs({"image": np.ones((1, 4, 5, 3)) * 0.5}, tmp_path)
    with Image.open(images[0]) as png:
        assert png.size == (5, 4) and png.mode == "RGB"
    with pytest.raises(UserError, match="sample rate"):
        serving_client.write_outputs(audio, tmp_path / "again")


def test_request_cond_takes_class_ids_in_turn():
    from keras_avgan.cli import _class_ids

    ids = _class_ids(["pitch=0,4"], 3)
    assert ids == {"pitch": [0, 4, 0]}
    body = serving_client.build_body("sample", None, n=3, seed=1, cond=ids)
    assert body["inputs"] == {"seed": 1, "n": 3, "pitch": [0, 4, 0]}
    with pytest.raises(UserError, match="class ids"):
        _class_ids(["pitch=C4"], 1)
