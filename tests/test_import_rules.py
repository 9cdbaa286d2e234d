"""DESIGN.md's one direction of imports, checked on the source text."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lower layers may not import upper ones: cli -> train/export/evaluation -> gan/networks/losses
# -> layers. Each entry: module prefix -> prefixes it must not import.
FORBIDDEN = {
    "pipelines": ("keras_avgan",),
    "keras_avgan.recipes": ("tensorflow", "keras", "numpy", "keras_avgan.", "pipelines"),
    "keras_avgan.layers": ("keras_avgan.networks", "keras_avgan.gan", "keras_avgan.train",
                           "keras_avgan.cli", "keras_avgan.export"),
    "keras_avgan.networks": ("keras_avgan.gan", "keras_avgan.train", "keras_avgan.cli",
                             "keras_avgan.export", "keras_avgan.evaluation"),
    "keras_avgan.losses": ("keras_avgan.gan", "keras_avgan.train", "keras_avgan.cli",
                           "keras_avgan.networks"),
    "keras_avgan.gan": ("keras_avgan.train", "keras_avgan.cli", "keras_avgan.export"),
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_imports_flow_one_way():
    sources = list((ROOT / "pipelines").rglob("*.py")) + list((ROOT / "keras_avgan").rglob("*.py"))
    assert sources
    broken = []
    for path in sources:
        module = _module_name(path)
        for prefix, banned in FORBIDDEN.items():
            if module == prefix or module.startswith(prefix + "."):
                broken += [f"{module} imports {name}" for name in _imports(path)
                           if any(name == b.rstrip(".") or name.startswith(b) for b in banned)]
    assert not broken, broken
