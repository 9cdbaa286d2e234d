"""The one direction of imports (docs/design.md), checked on the source text:
cli -> training / serving / evaluation -> modalities / networks -> layers; everything may use
pipelines, which imports no keras_avgan; recipes is standard library only."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPPER = ("keras_avgan.cli", "keras_avgan.generate", "keras_avgan.training",
         "keras_avgan.evaluation", "keras_avgan.serving")
# Each entry: module prefix -> prefixes it must not import.
FORBIDDEN = {
    "pipelines": ("keras_avgan",),
    "keras_avgan.recipes": ("tensorflow", "keras", "numpy", "pipelines", "keras_avgan.errors",
                            "keras_avgan.training", "keras_avgan.modalities",
                            "keras_avgan.networks"),
    "keras_avgan.layers": UPPER + ("keras_avgan.networks", "keras_avgan.modalities"),
    "keras_avgan.networks": UPPER + ("keras_avgan.modalities",),
    "keras_avgan.modalities": UPPER,
    "keras_avgan.media": UPPER + ("tensorflow", "keras", "keras_avgan.modalities",
                                  "keras_avgan.networks"),
    "keras_avgan.training": ("keras_avgan.cli", "keras_avgan.generate", "keras_avgan.serving"),
    "keras_avgan.evaluation": ("keras_avgan.cli", "keras_avgan.generate", "keras_avgan.serving"),
    # Fixed embeddings are what training uses, built from networks' parts and pipelines.
    "keras_avgan.embeddings": UPPER + ("keras_avgan.modalities",),
    "keras_avgan.serving": ("keras_avgan.cli", "keras_avgan.generate", "keras_avgan.evaluation"),
    # The REST client runs wherever numpy does: no TensorFlow.
    "keras_avgan.serving.client": ("tensorflow", "keras"),
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
                           if any(name == b or name.startswith(b + ".") for b in banned)]
    assert not broken, broken
