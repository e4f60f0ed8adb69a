"""OpenSTA `report_power` on the gate-level netlist with the simulated activity: a second opinion
on the Python Liberty figure of `gate_energy.py`, over the same beats.

Activity: every net's toggles TC and time at 1 (T1) from the gate-level SAIF of every beat
(`window_activity`), summed over the beats; OpenSTA gets, on every pin of net n,

    activity_n = sum TC_n / sum cycles          (transitions per clock period)
    duty_n     = sum T1_n / sum window time     (T1 / (T0 + T1))

with the clock created as `sta.py` does, at the run's clock frequency, so that
``report_power`` (W) x the mean inference time = nJ per inference.

How the activity reaches OpenSTA 2.0.17 (Debian ``opensta``, which has no ``read_saif``): its
``set_power_activity`` takes ``-activity`` (the help's ``-activiity`` is refused), and its
``-pins`` fails ("invalid command name get_pins_error"; past that, its Tcl reads an unset
variable and takes input pins only), so the script calls ``sta::set_power_pin_activity`` on
every pin. And its activity propagation (``Power::ensureActivities``) overwrites every pin
downstream of a non-clock input port or an undriven net with a probabilistic estimate from the
cell functions. The netlist given to OpenSTA (`power_netlist`) is therefore ``sta.v`` with
every non-clock input port, every undriven net (the SRAM macros' read data: the macro is not in
``sta.v``) and every constant driven by its own *pseudo-input* flip-flop (Q fed back to D, on
the root clock): then nothing seeds the propagation and every pin keeps the simulated
activity. The pseudo-input flip-flops' own power (`report_power -instances`) is subtracted from
the Sequential group and the total.

What each tool models (both pre-layout, no wire capacitance: the library has no wire-load
model; both without the SRAM macros, so the Python figure compared is its cells only):

- Python (`gate_energy.py`): per net, simulated toggles x (the driver's internal energy, mean
  of its arcs, at the net's pin load and a nominal 0.1 ns slew + 1/2 C V^2 of the load pins +
  the loads' passive input energy); gated clocks at their simulated toggles; the nets driven
  by a port or by the SRAM (no driver cell) pay their 1/2 C V^2 too.
- OpenSTA (`Power.cc`): slews from its delay calculation and pin loads from the tables;
  switching power 1/2 C V^2 at every cell output only (a net without a driver cell pays none:
  `python_switching_undriven_nj` gives that part of the Python figure); each internal-power
  arc of an output is charged at its *related input's* toggle rate x the probability (from
  the duties) of its inferred sensitizing condition, a probabilistic model of which input
  causes which output toggle; every pin of the clock network toggles twice a period, so clock
  gates count as free running (an upper bound on the gated clocks' power); leakage =
  ``cell_leakage_power``. Version 2.0.17 also charges rise *plus* fall table energy per
  transition (upstream OpenSTA averages them since 2020, commit 77d507d "internal power"), so
  its internal power is about twice the Python figure's on the same activity.

`compare` therefore also gives the Python figure with the clock network free running
(`clock_network`), and on that common basis the ratios of the switching parts (the same
1/2 C V^2 on the same activity: ~1 checks the annotation) and of the internal parts (~2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_snn.flow.asic.liberty import Library
from ecg_snn.flow.asic.sta import run_script
from ecg_snn.power.gate_energy import FlatNetlist, NetCost, window_cycles
from ecg_snn.power.gate_sim import structural_verilog
from ecg_snn.power.saif import SaifData

PSEUDO = "pseudo_in"
PSEUDO_FF = "DFFPOSX1"
GROUPS = ("sequential", "combinational", "macro", "pad", "total")


@dataclass
class Activity:
    """Per net id: toggles and time at 1 summed over `windows` SAIF windows of `cycles` clock
    cycles and `duration` SAIF time units in all."""

    tc: np.ndarray
    t1: np.ndarray
    cycles: int
    duration: int
    windows: int

    def __add__(self, other: Activity) -> Activity:
        n = max(len(self.tc), len(other.tc))
        return Activity(
            _pad(self.tc, n) + _pad(other.tc, n),
            _pad(self.t1, n) + _pad(other.t1, n),
            self.cycles + other.cycles,
            self.duration + other.duration,
            self.windows + other.windows,
        )

    def rate(self, gid: int) -> tuple[float, float]:
        """(transitions per clock period, duty) of net `gid`."""
        tc = self.tc[gid] if gid < len(self.tc) else 0
        t1 = self.t1[gid] if gid < len(self.t1) else 0
        return float(tc / self.cycles), float(t1 / self.duration)


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    return np.pad(a, (0, n - len(a)))


def window_activity(saif: SaifData, flat: FlatNetlist) -> Activity:
    """One SAIF window (baseline subtracted) as per-net arrays, nets named as `gate_energy`
    reads them (`FlatNetlist.net_of`)."""
    cycles, _ = window_cycles(saif, flat.top)
    n = max(flat.net_ids(), default=0) + 1
    tc = np.zeros(n, np.int64)
    t1 = np.zeros(n, np.int64)
    for (scope, name), act in saif.nets.items():
        for bit, count in act.tc_bits.items():
            gid = flat.net_of(scope, name, bit)
            if gid is not None and gid < n:
                tc[gid] = count
                t1[gid] = act.t1.get(bit, 0)
    return Activity(tc, t1, cycles, saif.duration, 1)


def power_netlist(flat: FlatNetlist, clock: str = "clk") -> tuple[str, list[int]]:
    """``sta.v`` (`gate_sim.structural_verilog`) with a pseudo-input flip-flop driving every
    non-clock input port's net, every undriven net with loads and each constant (module
    docstring). Returns the Verilog and the net ids so driven (constants: -1 for 0, -2 for 1)."""
    text = structural_verilog(flat)
    clk_net = _port_net(flat, clock)
    inputs = {
        r
        for name, (direction, bits) in flat.ports.items()
        if direction == "input" and name != clock
        for r in bits
        if isinstance(r, int)
    }
    for r in inputs:
        text = re.sub(rf"^  assign n{r} = \S+;\n", "", text, flags=re.M)
    undriven = {g for g in flat.loads if g not in flat.driver and g not in inputs and g != clk_net}
    pseudo = sorted(inputs | undriven)
    ff = f"  {PSEUDO_FF} {PSEUDO}{{}} (.CLK(n{clk_net}), .D({{}}), .Q({{}}));"
    lines = [ff.format(k, f"n{g}", f"n{g}") for k, g in enumerate(pseudo)]
    body, _, _ = text.rpartition("endmodule")
    for k, value in enumerate(("1'b0", "1'b1")):  # constants on cell pins (not output ports)
        pin = re.compile(rf"(\.\w+)\({re.escape(value)}\)")
        if pin.search(body):
            name = f"const{k}"
            body = pin.sub(rf"\1({name})", body)
            body = body.replace("\n  wire ", f"\n  wire {name};\n  wire ", 1)
            lines.append(ff.format(f"_{name}", name, name))
            pseudo.append(-1 - k)
    return body + "\n".join(lines) + "\nendmodule\n", pseudo


def _port_net(flat: FlatNetlist, name: str) -> int:
    direction, bits = flat.ports.get(name, ("", []))
    if direction != "input" or len(bits) != 1 or not isinstance(bits[0], int):
        raise ValueError(f"the top has no 1-bit {name} input")
    return bits[0]


POWER_SCRIPT = """\
read_liberty {lib}
read_verilog {netlist}
link_design {top}
create_clock -name clk -period {period} [get_ports clk]
proc set_net_activity {{net activity duty}} {{
  foreach pin [get_pins -of_objects [get_nets $net]] {{
    sta::set_power_pin_activity $pin $activity $duty
  }}
}}
set f [open {activity}]
while {{[gets $f line] >= 0}} {{
  set_net_activity {{*}}$line
}}
close $f
puts "== design"
report_power -digits 9
puts "== pseudo"
report_power -instances [get_cells {pseudo}*] -digits 9
exit
"""


def activity_lines(flat: FlatNetlist, activity: Activity, pseudo: list[int]) -> str:
    """One line ``net activity duty`` per net of the power netlist (constants: 0, duty 0/1)."""
    out = []
    for gid in flat.net_ids():
        if gid in flat.driver or gid in flat.loads:
            a, d = activity.rate(gid)
            out.append(f"n{gid} {a:.9g} {min(max(d, 0.0), 1.0):.9g}")
    out += [f"const{-c - 1} 0 {-c - 1}" for c in pseudo if c < 0]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class StaPower:
    """`report_power` groups in W: group -> (internal, switching, leakage, total), and the
    pseudo-input flip-flops' own (internal, switching, leakage, total)."""

    groups: dict[str, tuple[float, float, float, float]]
    pseudo: tuple[float, float, float, float]
    report: str

    @property
    def cells(self) -> dict[str, tuple[float, float, float, float]]:
        """The groups without the pseudo-input flip-flops (sequential and total)."""
        out = dict(self.groups)
        for g in ("sequential", "total"):
            out[g] = tuple(a - b for a, b in zip(out[g], self.pseudo, strict=True))
        return out


_ROW = re.compile(r"^(Sequential|Combinational|Macro|Pad|Total)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")
_INST = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")


def parse_power(text: str) -> StaPower:
    """The two reports of `POWER_SCRIPT` (design groups; per pseudo-input instance)."""
    if "== design" not in text or "== pseudo" not in text:
        raise ValueError(f"OpenSTA did not reach report_power:\n{text[-2000:]}")
    design, _, insts = text.partition("== design")[2].partition("== pseudo")
    groups = {}
    for line in design.splitlines():
        if m := _ROW.match(line):
            groups[m.group(1).lower()] = tuple(float(v) for v in m.groups()[1:])
    if set(groups) != set(GROUPS):
        raise ValueError(f"report_power groups {sorted(groups)}, expected {GROUPS}:\n{design}")
    pseudo = np.zeros(4)
    for line in insts.splitlines():
        m = _INST.match(line)
        if m and m.group(5).startswith(PSEUDO):
            pseudo += [float(v) for v in m.groups()[:4]]
    return StaPower(groups, tuple(float(v) for v in pseudo), text)


def run_power(
    flat: FlatNetlist,
    activity: Activity,
    liberty: Path,
    clock_hz: float,
    workdir: Path,
) -> StaPower:
    """Write the power netlist, the activities and the script into `workdir`, run OpenSTA."""
    workdir.mkdir(parents=True, exist_ok=True)
    text, pseudo = power_netlist(flat)
    (workdir / "power.v").write_text(text)
    (workdir / "activity.txt").write_text(activity_lines(flat, activity, pseudo))
    script = workdir / "power.tcl"
    script.write_text(
        POWER_SCRIPT.format(
            lib=liberty.resolve(),
            netlist=(workdir / "power.v").resolve(),
            top=flat.top,
            period=1e9 / clock_hz,
            activity=(workdir / "activity.txt").resolve(),
            pseudo=PSEUDO,
        )
    )
    return parse_power(run_script(script, workdir / "power.log"))


def clock_network(flat: FlatNetlist, lib: Library, clock: str = "clk") -> set[int]:
    """The nets OpenSTA treats as clock network: the clock port's net and every net reached
    from it forward through combinational cells (clock buffers, the clock gates' inverter and
    AND), up to the flip-flop and latch clock pins."""
    by_input: dict[int, list[tuple[str, str]]] = {}
    for path, ctype, conns in flat.instances:
        for pin, ref in conns.items():
            if isinstance(ref, int) and pin in lib.cells[ctype].inputs:
                by_input.setdefault(ref, []).append((path, ctype))
    todo = [_port_net(flat, clock)]
    seen = set(todo)
    while todo:
        for path, ctype in by_input.get(todo.pop(), []):
            if lib.cells[ctype].seq_kind is not None:
                continue
            for pin in lib.cells[ctype].outputs:
                ref = flat.conns_of(path).get(pin)
                if isinstance(ref, int) and ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
    return seen


def python_cells_nj(
    activity: Activity,
    costs: dict[int, NetCost],
    leakage_nw: float,
    clock_hz: float,
    free_running: set[int] = frozenset(),
) -> dict:
    """The Python Liberty figure of the cells (no SRAM) per window from the summed activity:
    internal, switching (of which on nets without a driver cell), leakage, total, in nJ. The
    nets in `free_running` are charged 2 toggles a cycle instead of their simulated ones."""
    internal = switching = undriven = 0.0
    for gid, cost in costs.items():
        tc = float(activity.tc[gid]) if gid < len(activity.tc) else 0.0
        if gid in free_running:
            tc = 2.0 * activity.cycles
        internal += tc * (cost.pj - cost.switching_pj)
        switching += tc * cost.switching_pj
        if not cost.driven:
            undriven += tc * cost.switching_pj
    n = activity.windows
    leak = leakage_nw * activity.cycles / clock_hz / n
    return {
        "internal_nj": internal / n / 1000,
        "switching_nj": switching / n / 1000,
        "switching_undriven_nj": undriven / n / 1000,
        "leakage_nj": leak,
        "total_nj": (internal + switching) / n / 1000 + leak,
    }


def compare(
    sta: StaPower,
    activity: Activity,
    costs: dict[int, NetCost],
    leakage_nw: float,
    clock_hz: float,
    clock_nets: set[int] = frozenset(),
) -> dict:
    """The `gate_level.opensta_power` section of power.json: OpenSTA's groups, its nJ per
    inference (total W x mean inference time), the Python figure of the cells, and the relative
    difference (OpenSTA - Python) / Python; also against the Python figure with the clock
    network (`clock_network`) free running as OpenSTA charges it, which leaves the differences
    of the two energy models (slews, arc attribution) on the same activity."""
    t_inf = activity.cycles / activity.windows / clock_hz
    cells = sta.cells
    py = python_cells_nj(activity, costs, leakage_nw, clock_hz)
    py_free = python_cells_nj(activity, costs, leakage_nw, clock_hz, clock_nets)
    total = cells["total"][3] * t_inf * 1e9
    keys = ("internal_w", "switching_w", "leakage_w", "total_w")
    return {
        "tool": "OpenSTA (Debian opensta 2.0.17) report_power, activity from the gate-level SAIF "
        "(power/sta_power.py)",
        "beats": activity.windows,
        "clock_hz": clock_hz,
        "inference_time_s": t_inf,
        "groups_w": {g: dict(zip(keys, v, strict=True)) for g, v in cells.items()},
        "pseudo_inputs_w": dict(zip(keys, sta.pseudo, strict=True)),
        "nj_per_inference": total,
        "internal_nj": cells["total"][0] * t_inf * 1e9,
        "switching_nj": cells["total"][1] * t_inf * 1e9,
        "leakage_nj": cells["total"][2] * t_inf * 1e9,
        "python_cells": py,
        "relative_difference": _ratio(total, py["total_nj"], -1),
        "clock_network_nets": len(clock_nets),
        "python_cells_clock_free_running": py_free,
        "relative_difference_clock_free_running": _ratio(total, py_free["total_nj"], -1),
        "switching_ratio_clock_free_running": _ratio(
            cells["total"][1] * t_inf * 1e9,
            py_free["switching_nj"] - py_free["switching_undriven_nj"],
        ),
        "internal_ratio_clock_free_running": _ratio(
            cells["total"][0] * t_inf * 1e9, py_free["internal_nj"]
        ),
        "scope": "cells only (the SRAM macros are not in sta.v); pre-layout, no wires; "
        "OpenSTA: table slews and loads, probabilistic arc attribution, clock network at 2 "
        "transitions a period (gated clocks free running); Python: simulated toggles per net, "
        "0.1 ns slew (module docstring of power/sta_power.py)",
    }


def _ratio(a: float, b: float, offset: float = 0.0) -> float | None:
    """a / b + offset; None (JSON null) without a Python figure to compare with."""
    return a / b + offset if b else None
