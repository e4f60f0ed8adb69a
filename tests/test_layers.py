"""The house rule, from the imports: data -> model.contract -> model -> {hw, firmware} -> flow
-> {sim, power} -> {explore, stream} -> report -> ecg_snn.

A module may import only from its own layer or a layer below it (`hw` and `firmware` are siblings
and may not import each other), the contract imports no torch, Amaranth or cocotb, and the
project's modules form no import cycle (lazy imports inside functions count too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "data",
    "model",
    "hw",
    "firmware",
    "flow",
    "sim",
    "power",
    "explore",
    "stream",
    "report",
    "ecg_snn",
)
# (prefix, rank); the longest matching prefix wins. Equal ranks of different prefixes are
# siblings and may not import each other.
LAYERS = (
    ("data", 0),
    ("model.contract", 1),
    ("model", 2),
    ("hw", 3),  # the gateware generator
    ("firmware", 3),
    ("flow", 4),  # implementation: Verilog, FPGA, ASIC synthesis and timing
    ("sim", 5),  # RTL verification
    ("power", 5),  # energy from simulated activity
    ("explore", 6),
    ("stream", 6),
    ("report", 7),  # the docs' generated sections
    ("ecg_snn", 8),  # the front door: Python API and the `ecg-snn` command
)
CONTRACT_FORBIDDEN = ("torch", "amaranth", "cocotb")


def layer(module: str) -> tuple[str, int] | None:
    best = None
    for prefix, rank in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, rank)
    return best


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(root, path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # `from pkg import mod` imports pkg.mod when that is a module of the project
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = (root / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    root / Path(*sub.split(".")) / "__init__.py"
                ).exists()
                out.append((node.lineno, sub if is_module else base))
    return out


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Every upward or sideways import, forbidden contract import and cycle under `root`."""
    found: list[str] = []
    graph: dict[str, set[str]] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            if "mitdb" in path.parts:
                continue
            src = module_name(root, path)
            src_layer = layer(src)
            graph.setdefault(src, set())
            for line, target in imports(root, path):
                where = f"{path.relative_to(root)}:{line}"
                top = target.split(".")[0]
                if src_layer and src_layer[0] == "model.contract" and top in CONTRACT_FORBIDDEN:
                    found.append(f"{where}: the contract imports {target}")
                dst_layer = layer(target)
                if src_layer is None or dst_layer is None:
                    continue
                graph[src].add(target)
                if dst_layer[1] > src_layer[1] or (
                    dst_layer[1] == src_layer[1] and dst_layer[0] != src_layer[0]
                ):
                    found.append(
                        f"{where}: {src} ({src_layer[0]}) imports {target} ({dst_layer[0]})"
                    )
    found += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_repository_keeps_the_import_rule():
    assert violations(REPO) == []


def test_every_top_level_package_has_a_rank():
    """A new top-level package outside the rule would escape every check above."""
    tops = {p.parent.name for p in REPO.glob("*/__init__.py")} | {
        p.parent.name for p in REPO.glob("*/__main__.py")
    }
    assert tops - {"tests"} == set(PACKAGES)
    assert all(layer(pkg) is not None for pkg in PACKAGES)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expect"),
    [
        ({"model/contract/golden.py": "from sim import run\n", "sim/run.py": ""}, "imports sim"),
        ({"model/contract/golden.py": "import torch\n"}, "the contract imports torch"),
        ({"hw/top.py": "from firmware.build import x\n", "firmware/build.py": ""}, "(firmware)"),
        (
            {"model/a.py": "def f():\n    from model import b\n", "model/b.py": "import model.a\n"},
            "import cycle: model.a -> model.b",
        ),
        ({"data/x.py": "from model.contract import spec\n", "model/contract/spec.py": ""}, "data"),
        ({"hw/top.py": "from flow.verilog import emit\n", "flow/verilog.py": ""}, "(flow)"),
        ({"sim/run.py": "from power import rtl\n", "power/rtl.py": ""}, "(power)"),
        ({"power/run.py": "from sim.accel import job\n", "sim/accel/job.py": ""}, "(sim)"),
        ({"flow/fpga.py": "from sim.tb import runner\n", "sim/tb/runner.py": ""}, "(sim)"),
        ({"stream/core.py": "from explore import grid\n", "explore/grid.py": ""}, "(explore)"),
        ({"explore/cli.py": "from report import tables\n", "report/tables.py": ""}, "(report)"),
    ],
    ids=[
        "upward",
        "torch-in-contract",
        "sibling",
        "cycle",
        "data-up",
        "gateware-imports-flow",
        "verification-imports-power",
        "power-imports-verification",
        "flow-imports-verification",
        "stream-imports-explore",
        "explore-imports-report",
    ],
)
def test_the_checker_fails_on_a_broken_rule(tmp_path, files, expect):
    found = violations(_tree(tmp_path, files))
    assert any(expect in v for v in found), found


def test_the_checker_passes_a_downward_tree(tmp_path):
    files = {
        "sim/run.py": "from hw import top\nfrom model.contract import golden\n",
        "hw/top.py": "from model.contract.spec import LayerSpec\nimport amaranth\n",
        "model/contract/spec.py": "import numpy\nfrom data import cache\n",
        "data/cache.py": "",
    }
    assert violations(_tree(tmp_path, files)) == []
