"""The energy equation: toggles, clock, memory accesses and leakage of one simulated window.

For a window of N clock cycles (one inference: from its first input word to its result)::

    E = sum_{register bits} TC * e_reg            (flip-flop output toggles)
      + sum_{combinational bits} TC * e_comb      (named combinational nets and host inputs)
      + N * F * e_clk                             (F flip-flop bits, every one clocked every cycle)
      + sum_{memories} R * E_read(w, d) + W * E_write(w, d)
      + (F * p_ff + sum_{memories} w*d * p_bit) * N / f_clk          (leakage)

    E_read(w, d) = a*w + b*w*sqrt(d),   E_write = mem_write_factor * E_read

TC is the SAIF toggle count (0->1 and 1->0). R and W count the cycles on which a memory port's
enable was high: T1(enable) / clock period, read from the same SAIF. Nets that are another net
under a second name (aliases, submodule ports) are not counted twice; memory cells and the
memory's read data register are inside E_read. The constants and their sources are in the
technology file (`power/tech.py`). There is no clock gating: an idle flip-flop still pays
e_clk, which is exactly why the clock shows up in the breakdown.

The simulator opens each SAIF on a design that already holds state, and Verilator counts every
bit that is 1 at that moment as one toggle. `subtract` removes those with a baseline SAIF taken
at the same instant with no time elapsed (`power/harness.py` writes it next to each file).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ecg_snn.flow.netlist import Netlist
from ecg_snn.power.blocks import BLOCKS, BlockMap
from ecg_snn.power.saif import NetActivity, SaifData
from ecg_snn.power.tech import Technology

SIM_ROOT = "TOP"  # Verilator's wrapper scope; its nets duplicate the top module's ports


@dataclass
class MemoryAccess:
    """Accesses in one window; a byte-lane write counts as its share of a word, so
    `writes` is in word-equivalents (E_write is linear in width)."""

    width: int
    depth: int
    reads: float
    writes: float


@dataclass
class Energy:
    """Energy of one window, in nJ, with the counts it came from."""

    cycles: int
    dynamic_nj: dict[str, float]  # per block
    leakage_nj: float
    toggles: dict[str, int]  # per net class: register, comb, port_in
    ff_bits: int
    memories: dict[str, MemoryAccess] = field(default_factory=dict)

    @property
    def total_nj(self) -> float:
        return sum(self.dynamic_nj.values()) + self.leakage_nj

    @property
    def dynamic_total_nj(self) -> float:
        return sum(self.dynamic_nj.values())


def subtract(saif: SaifData, baseline: SaifData) -> SaifData:
    """`saif` with the toggles already counted in `baseline` (same nets) removed."""
    out = SaifData(path=saif.path, timescale=saif.timescale, duration=saif.duration)
    out.header = dict(saif.header)
    for key, act in saif.nets.items():
        base = baseline.nets.get(key)
        fixed = NetActivity(width=act.width, t1=dict(act.t1))
        for bit, tc in act.tc_bits.items():
            b = base.tc_bits.get(bit, 0) if base else 0
            if b > tc:
                raise ValueError(
                    f"{saif.path}: net {key} bit {bit} has fewer toggles than its baseline"
                )
            fixed.tc_bits[bit] = tc - b
        fixed.tc = sum(fixed.tc_bits.values())
        out.nets[key] = fixed
    return out


def _scope(saif_scope: str) -> str | None:
    """SAIF 'TOP/top/inst' -> netlist 'top/inst'; None for the wrapper's own nets."""
    parts = saif_scope.split("/")
    if parts[0] == SIM_ROOT:
        parts = parts[1:]
    return "/".join(parts) if parts else None


def clock_cycles(saif: SaifData, netlist: Netlist) -> tuple[int, float]:
    """Cycles in the window and the clock period in SAIF time units (50 % duty clock)."""
    key = next((k for k in saif.nets if _scope(k[0]) == netlist.top and k[1] == "clk"), None)
    if key is None:
        raise ValueError(f"{saif.path}: no clk net in the top module {netlist.top!r}")
    clk = saif.nets[key]
    cycles = clk.tc // 2
    if cycles == 0:
        return 0, 0.0
    return cycles, 2 * clk.t1[None] / cycles


def energy(
    saif: SaifData,
    netlist: Netlist,
    tech: Technology,
    blocks: BlockMap | None = None,
    clock_hz: float | None = None,
) -> Energy:
    """Apply the energy equation (module docstring) to one SAIF window."""
    blocks = blocks or BlockMap()
    f_clk = clock_hz or tech.clock_hz
    cycles, period = clock_cycles(saif, netlist)
    e = {"register": tech.c("reg_toggle_pj"), "comb": tech.c("comb_toggle_pj")}
    e["port_in"] = e["comb"]
    pj: dict[str, float] = defaultdict(float)
    toggles: dict[str, int] = defaultdict(int)
    scopes = netlist.scope_map
    for (sscope, name), act in saif.nets.items():
        scope = _scope(sscope)
        if scope is None or scope not in scopes:
            continue
        kind = netlist.kind(scope, name)
        if kind not in e:
            continue
        toggles[kind] += act.tc
        block = "io" if kind == "port_in" else blocks.block(_rel(scope, name, netlist.top))
        pj[block] += act.tc * e[kind]
    ff_bits = netlist.ff_bits()
    pj["clock"] += cycles * ff_bits * tech.c("ff_clock_pj")
    mems: dict[str, MemoryAccess] = {}
    leak_nw = ff_bits * tech.c("ff_leak_nw")
    for scope, mod in scopes.items():
        for name, mem in mod.memories.items():
            counts = {"read": 0.0, "write": 0.0}
            for port in mem.ports:
                share = (port.bits or mem.width) / mem.width
                n = _enabled_cycles(saif, scope, port.enable, cycles, period)
                counts[port.kind] += n * share
            acc = MemoryAccess(mem.width, mem.depth, counts["read"], counts["write"])
            mems[f"{scope}/{name}"] = acc
            block = blocks.block(_rel(scope, name, netlist.top))
            pj[block] += acc.reads * tech.mem_read_pj(mem.width, mem.depth)
            pj[block] += acc.writes * tech.mem_write_pj(mem.width, mem.depth)
            leak_nw += mem.bits * tech.c("mem_bit_leak_nw")
    leakage_nj = leak_nw * cycles / f_clk  # nW * s = nJ
    return Energy(
        cycles=cycles,
        dynamic_nj={b: pj.get(b, 0.0) / 1000 for b in BLOCKS},
        leakage_nj=leakage_nj,
        toggles=dict(toggles),
        ff_bits=ff_bits,
        memories=mems,
    )


def _rel(scope: str, name: str, top: str) -> str:
    rest = scope[len(top) :].lstrip("/")
    return f"{rest}/{name}" if rest else name


def _enabled_cycles(
    saif: SaifData, scope: str, enable: tuple[str, int | None] | None, cycles: int, period: float
) -> int:
    if enable is None:
        return cycles
    net, bit = enable
    act = saif.nets.get((f"{SIM_ROOT}/{scope}", net)) or saif.nets.get((scope, net))
    if act is None:
        raise ValueError(f"{saif.path}: memory enable {net!r} of {scope!r} is not in the SAIF")
    if bit not in act.t1:
        bit = None if None in act.t1 else bit
    try:
        t1 = act.t1[bit]
    except KeyError:
        raise ValueError(
            f"{saif.path}: no bit {bit} of memory enable {net!r} in {scope!r}"
        ) from None
    # The harness aligns input and flip-flop changes to the period (power/harness.py); an
    # enable that mixes both can still be off by a fraction of a period: round to nearest.
    return math.floor(t1 / period + 0.5)
