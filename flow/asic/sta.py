"""Static timing of the gate-level netlist with OpenSTA: critical path, fmax, real-time margin.

OpenSTA (Debian ``opensta``) reads the library and the structural netlist Yosys wrote with the
SRAM macros removed (`gate.py` writes ``sta.v``: a compiled SRAM has its own timing model, which
this library does not provide, so paths into and out of it are not covered), constrains one clock
on ``clk`` with ideal edges, inputs and outputs at 0 ns against it (the host is synchronous), and
reports the worst setup path (``report_checks -path_delay max``). Then::

    critical path = period - worst slack            (ns; data arrival + setup of the worst path)
    fmax          = 1 / critical path
    margin_200bpm = fmax / f_needed,  f_needed = max cycles per inference * 200 / 60 s

(at 200 bpm a beat lasts 0.3 s; the slowest beat must finish within it). Pre-layout, typical
corner, no wires: the figure is the netlist's logic depth on this library, not a signed-off fmax.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ecg_snn.flow.asic.pdk import sta_binary

PERIOD_NS = 100.0  # the constraint; the result does not depend on it while slack is positive

STA_SCRIPT = """\
read_liberty {lib}
read_verilog {netlist}
link_design {top}
create_clock -name clk -period {period} [get_ports clk]
set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]
set_output_delay 0 -clock clk [all_outputs]
report_checks -path_delay max -digits 3 -fields {{fanout}}
exit
"""


@dataclass(frozen=True)
class Timing:
    critical_path_ns: float
    fmax_mhz: float
    startpoint: str
    endpoint: str
    report: str

    def margin(self, cycles_max: int, bpm: float = 200.0) -> float:
        """fmax over the clock the slowest beat needs at `bpm`."""
        needed_hz = cycles_max * bpm / 60.0
        return self.fmax_mhz * 1e6 / needed_hz


def parse_report(text: str, period: float, group: str = "clk") -> Timing:
    """Critical path of path group `group` from OpenSTA's `report_checks` output (the clock
    gating checks of the ICGs form their own group, against half a period)."""
    paths = text.split("Startpoint: ")[1:]
    for path in paths:
        g = re.search(r"Path Group: (\S+)", path)
        m = re.search(r"(-?[\d.]+)\s+slack \((?:MET|VIOLATED)\)", path)
        if g and m and g.group(1) == group:
            slack = float(m.group(1))
            crit = period - slack
            if crit <= 0:
                raise ValueError(f"non-positive critical path ({crit} ns) from slack {slack}")
            end = re.search(r"Endpoint: (\S+)", path)
            return Timing(
                critical_path_ns=crit,
                fmax_mhz=1e3 / crit,
                startpoint=path.split()[0],
                endpoint=end.group(1) if end else "",
                report=text,
            )
    raise ValueError(
        f"no path of group {group!r} with a slack in the OpenSTA output:\n{text[-2000:]}"
    )


def run_sta(netlist: Path, liberty: Path, top: str, workdir: Path) -> Timing:
    """OpenSTA on `netlist` (module docstring); raises with its output if it fails."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "sta.tcl"
    script.write_text(
        STA_SCRIPT.format(
            lib=liberty.resolve(), netlist=netlist.resolve(), top=top, period=PERIOD_NS
        )
    )
    return parse_report(run_script(script, workdir / "sta.log"), PERIOD_NS)


def run_script(script: Path, log: Path, timeout: int = 3600) -> str:
    """Run OpenSTA on a Tcl `script` (in its directory); its output, also written to `log`.
    Raises RuntimeError with the output's tail if OpenSTA fails."""
    r = subprocess.run(
        [str(sta_binary()), "-no_init", "-no_splash", "-exit", str(script.resolve())],
        capture_output=True,
        text=True,
        cwd=script.parent,
        timeout=timeout,
    )
    text = r.stdout + r.stderr
    log.write_text(text)
    if r.returncode:
        raise RuntimeError(f"OpenSTA ({script.name}) failed ({r.returncode}):\n{text[-3000:]}")
    return text
