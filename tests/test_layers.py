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
NAMESPACE = "ecg_snn"  # every package is imported as a subpackage of it (pyproject.toml)


def in_tree(module: str) -> tuple[str, bool]:
    """An imported name as a path of the tree (`ecg_snn.model.x` -> `model.x`; the front door's
    own modules keep their name), and whether it named a package outside the namespace."""
    top, _, rest = module.partition(".")
    if top == NAMESPACE and rest.split(".")[0] in PACKAGES:
        return rest, False
    return module, top in PACKAGES and top != NAMESPACE


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


def imports(root: Path, path: Path) -> list[tuple[int, str, bool]]:
    """(line, module as a path of the tree, outside the namespace?) of every import in the
    file, lazy ones included (`in_tree`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(root, path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, *in_tree(alias.name)) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base, bare = in_tree(node.module or "")
            if not node.level and node.module == NAMESPACE:
                out += [(node.lineno, *in_tree(f"{NAMESPACE}.{a.name}")) for a in node.names]
                continue
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, node.module] if node.module else up)
            # `from pkg import mod` imports pkg.mod when that is a module of the project
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = (root / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    root / Path(*sub.split(".")) / "__init__.py"
                ).exists()
                out.append((node.lineno, sub if is_module else base, bare))
        elif isinstance(node, ast.Call) and (target := _dynamic_target(node)) is not None:
            out.append((node.lineno, *in_tree(target)))
    return out


# Calls that import a module named by a string: importlib's, and the flow's command runner
# (`data.cli.run("ecg_snn.pkg.mod:func", ...)`, which imports the module inside its guard).
DYNAMIC = ("import_module", "run")


def _dynamic_target(call: ast.Call) -> str | None:
    """The module a literal-string dynamic import names (`import_module("ecg_snn.x")`,
    `run("ecg_snn.x:main", ...)`), or None."""
    name = getattr(call.func, "attr", getattr(call.func, "id", None))
    if name not in DYNAMIC or not call.args:
        return None
    arg = call.args[0]
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        return None
    module = arg.value.partition(":")[0]
    return module if module.startswith(f"{NAMESPACE}.") else None


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
            for line, target, bare in imports(root, path):
                where = f"{path.relative_to(root)}:{line}"
                if bare:
                    found.append(f"{where}: imports {target} outside the {NAMESPACE} namespace")
                top = target.split(".")[0]
                if src_layer and src_layer[0] == "model.contract" and top in CONTRACT_FORBIDDEN:
                    found.append(f"{where}: the contract imports {target}")
                if top == "torch" and src.split(".")[0] != "model":
                    found.append(f"{where}: torch outside model/ ({src})")
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
        (
            {"model/contract/golden.py": "from ecg_snn.sim import run\n", "sim/run.py": ""},
            "imports sim",
        ),
        ({"model/contract/golden.py": "import torch\n"}, "the contract imports torch"),
        ({"power/run.py": "import torch\n"}, "torch outside model/"),
        (
            {"hw/top.py": "from ecg_snn.firmware.build import x\n", "firmware/build.py": ""},
            "(firmware)",
        ),
        (
            {
                "model/a.py": "def f():\n    from ecg_snn.model import b\n",
                "model/b.py": "import ecg_snn.model.a\n",
            },
            "import cycle: model.a -> model.b",
        ),
        (
            {
                "data/x.py": "from ecg_snn.model.contract import spec\n",
                "model/contract/spec.py": "",
            },
            "data",
        ),
        ({"hw/top.py": "from ecg_snn.flow.verilog import emit\n", "flow/verilog.py": ""}, "(flow)"),
        ({"sim/run.py": "from ecg_snn.power import rtl\n", "power/rtl.py": ""}, "(power)"),
        ({"power/run.py": "from ecg_snn.sim.accel import job\n", "sim/accel/job.py": ""}, "(sim)"),
        ({"flow/fpga.py": "from ecg_snn.sim.tb import runner\n", "sim/tb/runner.py": ""}, "(sim)"),
        (
            {"stream/core.py": "from ecg_snn.explore import grid\n", "explore/grid.py": ""},
            "(explore)",
        ),
        (
            {"explore/cli.py": "from ecg_snn.report import tables\n", "report/tables.py": ""},
            "(report)",
        ),
        ({"hw/top.py": "from model.contract import spec\n"}, "outside the ecg_snn namespace"),
        ({"ecg_snn/cli.py": "import sim.run\n"}, "outside the ecg_snn namespace"),
        (
            {
                "hw/top.py": "import importlib\nimportlib.import_module('ecg_snn.sim.run')\n",
                "sim/run.py": "",
            },
            "(sim)",
        ),
        (
            {
                "data/x.py": "run('ecg_snn.model.pipeline:cli', 'make train')\n",
                "model/pipeline.py": "",
            },
            "data",
        ),
    ],
    ids=[
        "upward",
        "torch-in-contract",
        "torch-in-power",
        "sibling",
        "cycle",
        "data-up",
        "gateware-imports-flow",
        "verification-imports-power",
        "power-imports-verification",
        "flow-imports-verification",
        "stream-imports-explore",
        "explore-imports-report",
        "bare-package",
        "bare-in-front-door",
        "dynamic-import-module",
        "dynamic-command-runner",
    ],
)
def test_the_checker_fails_on_a_broken_rule(tmp_path, files, expect):
    found = violations(_tree(tmp_path, files))
    assert any(expect in v for v in found), found


def test_the_checker_passes_a_downward_tree(tmp_path):
    files = {
        "sim/run.py": "from ecg_snn.hw import top\nfrom ecg_snn.model.contract import golden\n",
        "hw/top.py": "from ecg_snn.model.contract.spec import LayerSpec\nimport amaranth\n",
        "model/contract/spec.py": "import numpy\nfrom ecg_snn.data import cache\n",
        "data/cache.py": "",
    }
    assert violations(_tree(tmp_path, files)) == []
