"""Dockerfile and docker-compose.yml, checked as text (no Docker engine on CI machines).

PyYAML is not a dependency: the key lines are checked with regular expressions always, and
the compose file is parsed as YAML only where PyYAML happens to be installed.
"""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def _pip_install_spec(command: str) -> str:
    """The requirement a `pip install` command line installs, without its flags."""
    words = shlex.split(command[command.index("pip install") + len("pip install"):])
    specs = [w for w in words if not w.startswith("-")]
    assert len(specs) == 1, command
    return specs[0]


def test_dockerfile_installs_what_make_install_installs():
    makefile = (ROOT / "Makefile").read_text()
    make_line = next(line for line in makefile.splitlines() if "pip install" in line
                     and "--upgrade pip" not in line)
    docker_line = next(line for line in DOCKERFILE.splitlines()
                       if line.startswith("RUN") and "pip install" in line)
    assert _pip_install_spec(docker_line) == _pip_install_spec(make_line) == ".[dev]"


def test_dockerfile_base_matches_the_pinned_tensorflow():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    tf_pin = next(p for p in pins if p.startswith("tensorflow=="))
    base = re.search(r"^FROM tensorflow/tensorflow:(\S+)-gpu\s*$", DOCKERFILE, re.M)
    assert base, "the training image starts from an official TensorFlow GPU image"
    assert base.group(1).startswith(tf_pin.removeprefix("tensorflow==").rstrip("*"))


def test_dockerfile_runs_keras_avgan_as_a_user():
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["keras_avgan"\]', DOCKERFILE, re.M)
    assert re.search(r'^WORKDIR /work$', DOCKERFILE, re.M)
    volume = re.search(r"^VOLUME (\[.*\])", DOCKERFILE, re.M).group(1)
    for path in ("/work/runs", "/work/data", "/work/saved_models"):
        assert f'"{path}"' in volume
    # Every COPY source is in the build context, i.e. not excluded by .dockerignore.
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for line in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M):
        for source in line.split():
            assert (ROOT / source).exists() and source not in ignored, source


def test_compose_key_lines():
    assert re.search(r"^  train:\n    build: \.$", COMPOSE, re.M)
    serving = re.search(r"^    image: tensorflow/serving:(\S+)$", COMPOSE, re.M)
    assert serving and serving.group(1) != "latest", "pin the TF Serving tag"
    assert "--model_config_file=/models/models.config" in COMPOSE
    assert "--model_config_file_poll_wait_seconds=" in COMPOSE
    assert re.search(r"^      - \./saved_models:/models:ro$", COMPOSE, re.M)
    for port in ("8500", "8501"):
        assert f'"{port}:{port}"' in COMPOSE
    assert re.search(r"driver: nvidia\s+count: all\s+capabilities: \[gpu\]", COMPOSE)


def test_compose_host_paths_exist_or_are_made_at_run_time():
    hosts = set(re.findall(r"^      - (\./[^:]+):", COMPOSE, re.M))
    assert hosts == {"./runs", "./data", "./saved_models"}
    # saved_models/ is in the repository; runs/ is made by `keras_avgan fit`, data/ holds the
    # user's files; the compose header says to create both before the first run.
    assert (ROOT / "saved_models" / "README.md").is_file()
    assert "mkdir -p runs data" in COMPOSE


def test_compose_parses_as_yaml():
    yaml = pytest.importorskip("yaml", reason="PyYAML is optional; key lines are checked above")
    services = yaml.safe_load(COMPOSE)["services"]
    train, serving = services["train"], services["serving"]
    assert train["build"] == "."
    device = train["deploy"]["resources"]["reservations"]["devices"][0]
    assert device == {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}
    assert "./saved_models:/models:ro" in serving["volumes"]
    assert "--model_config_file=/models/models.config" in serving["command"]
    assert sorted(serving["ports"]) == ["8500:8500", "8501:8501"]
