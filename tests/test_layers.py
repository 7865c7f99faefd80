"""The import rules of DEVELOPERS.md, checked on the source: layers point one way, no cycles, one home per
outside library, and the pure parts import no I/O.

Read from the files with ``ast`` (nothing is imported), so a rule broken anywhere in ``booth/`` fails here
with the module and the import named. Imports under ``if TYPE_CHECKING:`` are annotations only and are
not counted.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "booth"

#: Lowest first. A module may import its own layer and the layers below it, never one above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "booth",
            "booth.errors",
            "booth.atomic",
            "booth.paths",
            "booth.imaging",
            "booth.media",
            "booth.crops",
            "booth.sdnotify",
            "booth.secrets_file",
            "booth.durations",
            "booth.cpu_ledger",
            "booth.memory",
        ),
    ),
    ("settings and models on disk", ("booth.config", "booth.assets")),
    ("vision", ("booth.vision",)),
    ("looks", ("booth.looks", "booth.shot_lists")),
    ("policy and session", ("booth.policy", "booth.session", "booth.best_frame")),
    ("shooting", ("booth.shooting", "booth.settings_check")),
    ("adapters", ("booth.camera", "booth.hardware", "booth.storage", "booth.delivery")),
    ("service", ("booth.service",)),
    # The two front ends that drive the service: the page, and the fleet link (MQTT commands and status).
    ("front ends", ("booth.web", "booth.fleet")),
    (
        "entry points",
        (
            "booth.commands",
            "booth.cli",
            "booth.__main__",
            "booth.bench",
            "booth.bench_booth",
            "booth.evaluate",
            "booth.evaluate_mesh",
            "booth.doctor",
        ),
    ),
]

#: The pure parts: numpy in, dataclasses out. They read no settings file, camera, pins, disk or network.
PURE = (
    "booth.vision",
    "booth.looks",
    "booth.shot_lists",
    "booth.policy",
    "booth.session",
    "booth.best_frame",
    "booth.shooting",
)
PURE_LIBRARIES = {"numpy", "PIL"}

#: One home per outside library (module prefixes allowed to import it).
HOMES: dict[str, tuple[str, ...]] = {
    "picamera2": ("booth.camera.picam",),
    "libcamera": ("booth.camera.picam",),
    "gpiozero": ("booth.hardware",),
    "lgpio": ("booth.hardware",),
    "ai_edge_litert": ("booth.vision.runtime",),
    "tflite_runtime": ("booth.vision.runtime",),
    "flask": ("booth.web",),
    "werkzeug": ("booth.web",),
    "waitress": ("booth.web.serve",),
    "sqlite3": ("booth.storage",),
    "pydantic": ("booth.config",),
    "tomlkit": ("booth.config.toml_text",),
    "av": ("booth.media", "booth.camera.usb"),
    "qrcode": ("booth.web.links",),
    "mediapipe": ("booth.bench",),
    "boto3": ("booth.delivery.s3",),
    "botocore": ("booth.delivery.s3",),
    "paho": ("booth.fleet.mqtt",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(n) for child in node.body for n in ast.walk(child))
    return inside


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module ``name`` imports at run time (function-level imports included)."""
    path = modules()[name]
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules() else base)
    return frozenset(found)


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(name: str) -> int:
    best, index = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
                best, index = prefix, i
    return index


def booth_imports(name: str) -> set[str]:
    return {m for m in imports_of(name) if m in modules() and m != name}


def test_every_module_has_a_layer():
    assert [m for m in modules() if layer_of(m) < 0] == []


def test_layers_point_one_way():
    wrong = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
        for m in sorted(modules())
        for d in sorted(booth_imports(m))
        if layer_of(d) > layer_of(m)
    ]
    assert wrong == []


def test_no_import_cycles():
    graph = {m: booth_imports(m) for m in modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("library", sorted(HOMES))
def test_one_home_per_outside_library(library):
    users = [m for m in sorted(modules()) if any(i.split(".")[0] == library for i in imports_of(m))]
    assert [m for m in users if not under(m, HOMES[library])] == []


#: What a pure part may not import from the booth: settings, hardware, disk, the service and the page.
IMPURE_PARTS = (
    "booth.config",
    "booth.camera",
    "booth.hardware",
    "booth.storage",
    "booth.service",
    "booth.web",
    "booth.commands",
)
#: Standard-library modules that are I/O in themselves.
IO_STDLIB = {"sqlite3", "socket", "subprocess", "urllib", "http"}


def impure(imported: str) -> bool:
    top = imported.split(".")[0]
    if top == "booth":
        return under(imported, IMPURE_PARTS)
    if top in sys.stdlib_module_names:
        return top in IO_STDLIB
    return top not in PURE_LIBRARIES | {"ai_edge_litert", "tflite_runtime"}  # the model loader's runtime


def test_pure_parts_import_no_io():
    problems = [
        f"{m} imports {i}"
        for m in sorted(modules())
        if under(m, PURE)
        for i in sorted(imports_of(m))
        if impure(i)
    ]
    assert problems == []


def test_the_rules_see_real_imports():
    """The checker itself: it finds imports written every way the code writes them."""
    assert "booth.camera.picam" in imports_of("booth.camera.choose")  # from booth.camera import picam
    assert "picamera2" in {i.split(".")[0] for i in imports_of("booth.camera.picam")}  # inside a function
    assert "booth.policy" in imports_of("booth.service.lights")
    assert layer_of("booth.vision.pipeline") < layer_of("booth.looks.engine") < layer_of("booth.policy")
