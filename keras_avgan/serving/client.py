"""`keras_avgan request`: ask a TF Serving REST endpoint for sounds or pictures.

Formats follow TF Serving's REST API: a body holds `instances` (row) or `inputs` (columnar),
never both; replies hold `predictions` or `outputs`. The `sample` signature takes two
scalars, `seed` and `n`. Row format stacks one value per instance into a batch, so a scalar
cannot be expressed in it: `sample` always goes columnar, `serving_default` (with latents
`z`) defaults to row. With one output TF Serving omits its name; our exports have one
output, `audio` (rank <= 3) or `image` (rank 4), so the name is restored from the rank.
No TensorFlow import: the client runs anywhere numpy does.
"""

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from keras_avgan.errors import UserError
from keras_avgan.media.audio import write_wav
from keras_avgan.media.images import write_png

FORMATS = ("row", "columnar")
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
            timeout: float = 60.0) -> dict:
    """Outputs of one predict call as {name: float32 array with a batch axis}.

    Without `z` it calls `sample` (seed defaults to 0, n to 1); with `z` ([B, latent_dim])
    it calls `serving_default`. `cond` adds condition inputs by name, one value per example.
    """
    signature = signature or ("serving_default" if z is not None else "sample")
    body = build_body(signature, fmt, n=n, seed=seed, z=z, cond=cond)
    target = predict_url(url)
    payload = _post(target, body, timeout)
    return parse_response(payload, target)


def build_body(signature: str, fmt: str | None, *, n=None, seed=None, z=None,
               cond=None) -> dict:
    """The JSON body for `signature`, in row or columnar format (see the module docstring)."""
    cond = {k: np.asarray(v).tolist() for k, v in (cond or {}).items()}
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
        raise UserError("n and seed belong to the 'sample' signature; with z, leave them out")
    z = np.asarray(z, dtype=np.float32).tolist()
    fmt = fmt or "row"
    if fmt not in FORMATS:
        raise UserError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if fmt == "columnar":
        return {"signature_name": signature, "inputs": {"z": z, **cond}}
    instances = [{"z": row, **{k: v[i] for k, v in cond.items()}} for i, row in enumerate(z)]
    return {"signature_name": signature, "instances": instances}


def _post(url: str, body: dict, timeout: float) -> dict:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            text = reply.read()
    except urllib.error.HTTPError as err:
        raise ServingError(f"{url} answered HTTP {err.code}: {_error_text(err)}") from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ServingError(f"cannot reach {url} ({reason}). {_START_HINT}") from err
    try:
        payload = json.loads(text)
    except ValueError as err:
        raise ServingError(f"{url} did not answer with JSON: {text[:200]!r}") from err
    if isinstance(payload, dict) and "error" in payload:
        raise ServingError(f"{url} answered with an error: {payload['error']}")
    return payload


def _error_text(err: urllib.error.HTTPError) -> str:
    text = err.read().decode(errors="replace")
    try:
        return str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        return text[:300] or err.reason


def parse_response(payload: dict, url: str = "the server") -> dict:
    """{name: array} from a `predictions` (row) or `outputs` (columnar) reply."""
    if "predictions" in payload:
        rows = payload["predictions"]
        if rows and all(isinstance(r, dict) for r in rows):  # several outputs, one object each
            return {k: np.asarray([r[k] for r in rows], np.float32) for k in rows[0]}
        return _named(np.asarray(rows, np.float32))
    if "outputs" in payload:
        outputs = payload["outputs"]
        if isinstance(outputs, dict):  # several outputs keyed by name
            return {k: np.asarray(v, np.float32) for k, v in outputs.items()}
        return _named(np.asarray(outputs, np.float32))
    raise ServingError(f"{url} answered without 'predictions' or 'outputs': "
                       f"keys {sorted(payload)}")


def _named(array: np.ndarray) -> dict:
    return {"image" if array.ndim == 4 else "audio": array}


def _wav(path: Path, example, sample_rate):
    if not sample_rate:
        raise UserError("writing audio needs its sample rate (e.g. --sample-rate 16000)")
    return write_wav(path.with_suffix(".wav"), example, sample_rate)


# Output name -> how one example of it becomes a file.
WRITERS = {"audio": _wav, "image": lambda path, example, _: write_png(path.with_suffix(".png"),
                                                                      example)}


def write_outputs(outputs: dict, out_dir, sample_rate: int | None = None,
                  prefix: str = "sample") -> list[Path]:
    """One 16-bit WAV per `audio` example and one PNG per `image` example."""
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
            files.append(WRITERS[name](out_dir / f"{tag}_{i:0{width}d}", example, sample_rate))
    return files
