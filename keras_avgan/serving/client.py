"""`keras_avgan request`: ask a TF Serving REST endpoint for sounds or pictures.

Formats follow TF Serving's REST API: a body holds `instances` (row) or `inputs` (columnar),
never both; replies hold `predictions` or `outputs`. The `sample` signature takes two
scalars, `seed` and `n`. Row format stacks one value per instance into a batch, so a scalar
cannot be expressed in it: `sample` always goes columnar, `serving_default` (with latents
`z`) defaults to row. With one output TF Serving omits its name; our exports have one
output, `audio` (rank <= 3) or `image` (rank 4), so the name is restored from the rank.
No TensorFlow import: the client runs anywhere numpy does.
"""

import http.client
import json
import re
import time
import urllib.parse
from pathlib import Path

import numpy as np

from keras_avgan.errors import UserError
from keras_avgan.media.audio import write_wav
from keras_avgan.media.images import write_png

FORMATS = ("row", "columnar")
# The side of the pictures a served face2music takes (modalities.faces_notes_data.FACE_SIZE).
FACE_SIZE = 64
_URL = re.compile(r"(https?://[^/]+)(/v1/models/[^/:]+(?:/(?:versions|labels)/[^/:]+)?)"
                  r"(?::predict)?")
_START_HINT = ("Is TF Serving running? Start it with 'docker compose up serving' and check "
               "the host and the REST port (8501)")


class ServingError(UserError):
    """The server could not be reached, or answered with an error; the message says which."""


def predict_url(url: str) -> str:
    """http://host:8501/v1/models/NAME[/versions/V|/labels/L][:predict] -> the :predict URL."""
    match = _URL.fullmatch(url.strip().rstrip("/"))
    if not match:
        raise ServingError(f"{url!r} is not a TF Serving model URL; expected "
                           "http://HOST:8501/v1/models/NAME (optionally /versions/V)")
    return f"{match.group(1)}{match.group(2)}:predict"


def request(url: str, n: int | None = None, seed: int | None = None, z=None, *,
            cond: dict | None = None, fmt: str | None = None, signature: str | None = None,
            timeout: float = 60.0, speech=None, image=None) -> dict:
    """Outputs of one predict call as {name: float32 array with a batch axis}.

    Without `z` it calls `sample` (seed defaults to 0, n to 1); with `z` ([B, latent_dim])
    it calls `serving_default`. `cond` adds condition inputs by name, one value per example.
    `speech` ([B, samples], from `speech_clips`) asks a served Wav2Pix for a face per clip;
    `image` ([B, 64, 64, 3], from `face_images`) with `cond={"pitch": ids}` asks a served
    face2music for a note per picture.
    """
    given = _fed(z, speech, image)
    signature = signature or ("serving_default" if given else "sample")
    body = build_body(signature, fmt, n=n, seed=seed, z=z, cond=cond, speech=speech,
                      image=image)
    target = predict_url(url)
    payload = _post(target, body, timeout)
    return parse_response(payload, target)


def _fed(z, speech, image) -> dict:
    """{input name: value} of whichever of z, speech and image is given (one at most)."""
    fed = {k: v for k, v in (("z", z), ("speech", speech), ("image", image)) if v is not None}
    if len(fed) > 1:
        raise UserError(f"a model takes one of latents z, speech or images; got "
                        f"{' and '.join(fed)}")
    return fed


def build_body(signature: str, fmt: str | None, *, n=None, seed=None, z=None,
               cond=None, speech=None, image=None) -> dict:
    """The JSON body for `signature`, in row or columnar format (see the module docstring);
    `speech` (models made from speech) or `image` (from faces) takes the place of `z`."""
    cond = {k: np.asarray(v).tolist() for k, v in (cond or {}).items()}
    name, z = next(iter(_fed(z, speech, image).items()), ("z", None))
    if signature == "sample":
        if z is not None:
            raise UserError("the 'sample' signature draws its own latents; drop z, or call "
                            "'serving_default'")
        if fmt == "row":
            raise UserError("the 'sample' signature takes the scalars seed and n, which TF "
                            "Serving's row format cannot express; use columnar")
        n = 1 if n is None else int(n)
        if n < 1:
            raise UserError(f"-n must be at least 1, got {n}")
        inputs = {"seed": 0 if seed is None else int(seed), "n": n, **cond}
        return {"signature_name": signature, "inputs": inputs}
    if z is None:
        raise UserError(f"the {signature!r} signature needs latents z")
    if n is not None or seed is not None:
        raise UserError(f"n and seed belong to the 'sample' signature; with {name}, leave them "
                        "out")
    z = np.asarray(z, dtype=np.float32).tolist()
    fmt = fmt or "row"
    if fmt not in FORMATS:
        raise UserError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if fmt == "columnar":
        return {"signature_name": signature, "inputs": {name: z, **cond}}
    instances = [{name: row, **{k: v[i] for k, v in cond.items()}} for i, row in enumerate(z)]
    return {"signature_name": signature, "instances": instances}


def speech_clips(paths, sample_rate: int) -> np.ndarray:
    """float32 [N, sample_rate]: one second of each sound file (any format the data scan
    reads), mixed to mono and resampled, cut or zero-padded; the served model divides each
    clip by its peak itself."""
    from pipelines.audio.scan import decode_file  # soundfile / PyAV: no TensorFlow

    clips = np.zeros((len(paths), sample_rate), np.float32)
    for row, path in enumerate(paths):
        try:
            mono = decode_file(str(Path(path).expanduser()), sample_rate)[:, 0]
        except Exception as err:  # soundfile and PyAV raise their own error types
            raise UserError(f"--speech {path}: cannot be read as audio ({err}); pass a sound "
                            "file (WAV, FLAC, MP3, ...)") from err
        clips[row, :min(len(mono), sample_rate)] = mono[:sample_rate]
    return clips


def face_images(paths, size: int = FACE_SIZE) -> tuple[np.ndarray, list[str]]:
    """(float32 [N, size, size, 3] in [0, 1], a name for each): each picture, or each under a
    folder, as face2music's training and `generate --face` read it (centre square,
    antialiased Lanczos resize), scaled to the [0, 1] a served model takes."""
    from pipelines.images import load_image, named_images  # Pillow: no TensorFlow

    named = named_images(paths, "--face")
    pictures = [(load_image(info.path, size) + 1.0) / 2.0 for info, _ in named]
    return np.stack(pictures).astype(np.float32), [name for _, name in named]


def _post(url: str, body: dict, timeout: float) -> dict:
    """POST `body` as JSON; the whole exchange (connect, send, every byte of the reply) is
    bounded by `timeout` seconds, not each socket operation alone."""
    deadline = time.monotonic() + timeout
    parts = urllib.parse.urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", parts.path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        text = _read_until(conn, reply, deadline, url, timeout)
    except http.client.IncompleteRead as err:
        raise ServingError(f"{url} cut its reply short after {len(err.partial)} bytes; "
                           "the server or a proxy closed the connection, try again") from err
    except TimeoutError as err:
        raise ServingError(f"{url} did not answer within --timeout {timeout:g} s") from err
    except (OSError, http.client.HTTPException) as err:
        raise ServingError(f"cannot reach {url} ({err}). {_START_HINT}") from err
    finally:
        conn.close()
    if reply.status >= 400:
        raise ServingError(f"{url} answered HTTP {reply.status}: {_error_text(text, reply)}")
    try:
        payload = json.loads(text)
    except ValueError as err:
        raise ServingError(f"{url} did not answer with JSON: {text[:200]!r}") from err
    if isinstance(payload, dict) and "error" in payload:
        raise ServingError(f"{url} answered with an error: {payload['error']}")
    if not isinstance(payload, dict):
        raise ServingError(f"{url} answered with JSON that is not an object: {text[:200]!r}")
    return payload


def _read_until(conn, reply, deadline: float, url: str, timeout: float) -> bytes:
    """The whole body, or an error once `timeout` has passed since the request: a socket
    timeout alone bounds each read, so a server sending a byte a second would hold us."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ServingError(f"{url} did not finish its reply within --timeout {timeout:g} s "
                               f"({sum(map(len, chunks))} bytes received)")
        if conn.sock is not None:
            conn.sock.settimeout(left)  # each read waits at most what is left
        try:
            chunk = reply.read1(65536)
        except ConnectionError as err:  # reset mid-reply: cut short, not unreachable
            raise http.client.IncompleteRead(b"".join(chunks)) from err
        if not chunk:
            if reply.length:  # the server promised more than it sent
                raise http.client.IncompleteRead(b"".join(chunks), reply.length)
            return b"".join(chunks)
        chunks.append(chunk)


def _error_text(text: bytes, reply) -> str:
    try:
        return str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        return text.decode(errors="replace")[:300] or reply.reason


def parse_response(payload: dict, url: str = "the server") -> dict:
    """{name: float32 array} from a `predictions` (row) or `outputs` (columnar) reply;
    ragged, non-numeric or non-finite outputs are a ServingError naming the output."""
    if "predictions" in payload:
        rows = payload["predictions"]
        if rows and all(isinstance(r, dict) for r in rows):  # several outputs, one object each
            outputs = {k: [r.get(k) for r in rows] for k in rows[0]}
        else:
            outputs = {None: rows}
    elif "outputs" in payload:
        outputs = payload["outputs"]
        outputs = outputs if isinstance(outputs, dict) else {None: outputs}
    else:
        raise ServingError(f"{url} answered without 'predictions' or 'outputs': "
                           f"keys {sorted(payload)}")
    arrays = {name: _array(values, name, url) for name, values in outputs.items()}
    if None in arrays:  # one output: TF Serving leaves its name out
        return _named(arrays[None])
    return arrays


def _array(values, name, url) -> np.ndarray:
    what = f"output {name!r}" if name else "the output"
    try:
        array = np.asarray(values, np.float32)
    except (ValueError, TypeError) as err:
        raise ServingError(f"{url}: {what} is not a rectangular array of numbers "
                           f"({str(err).splitlines()[0][:120]})") from err
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ServingError(f"{url}: {what} holds {bad} NaN or infinite values; the model "
                           "diverged or the export is broken, nothing was written")
    return array


def _named(array: np.ndarray) -> dict:
    return {"image" if array.ndim == 4 else "audio": array}


def _wav(path: Path, example, sample_rate):
    if not sample_rate:
        raise UserError("writing audio needs its sample rate (e.g. --sample-rate 16000)")
    return write_wav(_named_file(path, ".wav"), example, sample_rate)


# Output name -> how one example of it becomes a file.
WRITERS = {"audio": _wav, "image": lambda path, example, _: write_png(_named_file(path, ".png"),
                                                                      example)}


def _named_file(path: Path, suffix: str) -> Path:
    # Appended, not with_suffix: a face called "me.v2" gives "me.v2_pitch60.wav".
    return path.with_name(path.name + suffix)


def write_outputs(outputs: dict, out_dir, sample_rate: int | None = None,
                  prefix: str = "sample", names=None) -> list[Path]:
    """One 16-bit WAV per `audio` example and one PNG per `image` example, called
    PREFIX_i, or by `names` (one per example, of a model with one output)."""
    unknown = sorted(set(outputs) - set(WRITERS))
    if unknown:
        raise ServingError(f"the reply holds outputs {unknown} that keras_avgan cannot write "
                           f"(it writes {', '.join(sorted(WRITERS))}); is this one of its "
                           "exports?")
    out_dir = Path(out_dir)
    files = []
    for name, batch in outputs.items():
        width = max(2, len(str(len(batch) - 1)))
        tag = f"{prefix}_{name}" if len(outputs) > 1 else prefix
        for i, example in enumerate(np.asarray(batch)):
            stem = f"{tag}_{i:0{width}d}" if names is None else \
                (names[i] if len(outputs) == 1 else f"{names[i]}_{name}")
            files.append(WRITERS[name](out_dir / stem, example, sample_rate))
    return files
