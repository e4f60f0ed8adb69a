"""Energy of one simulated window of the gate-level netlist, cell by cell, from the Liberty tables.

For every net n of the flattened netlist with TC_n toggles in the window (SAIF), driven by output
pin o of cell d and loading input pins i of cells l::

    E_n = TC_n * ( E_int(d.o; C_n, s)              internal energy of one output toggle
                 + 1/2 * C_n * V^2                 charging the driven pin capacitance
                 + sum_i E_pass(l.i; s) )          passive (input-pin) internal energy
    C_n = sum_i C(l.i)                             pin capacitances from the Liberty

    E_int = mean over the arcs of o (one per related input pin) of (rise_power + fall_power)/2
    E_leak = sum_cells cell_leakage_power * N / f_clk

at the nominal input transition s (`SLEW_NS`). The clock net and the gated clocks are nets like
any other: their toggles (2 per enabled cycle) charge every flip-flop's CLK pin and pay its
passive CLK energy; that energy, and the clock gates' own cells, make up the `clock` block.
Energies of the internal-power tables are in capacitance x voltage^2 units of the library
(`Library.energy_unit_j`, pJ for osu018). Memories kept as SRAM macros (`gate.memory_plan`) are
not cells: their accesses (cycles with the port enable high) get the per-access energy of
`sram.SramModel`, and their deselected cycles its clock term.

Pre-layout: no wire capacitance (the library has no wire-load model) and no clock-tree buffers;
zero-delay simulation, so no glitches. Both make the figure a lower bound for this netlist.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ecg_snn.flow.asic.liberty import Library
from ecg_snn.power.blocks import BLOCKS, BlockMap
from ecg_snn.power.saif import SaifData

SLEW_NS = 0.1  # nominal input transition for the table look-ups (osu018 tables: 0.06-1.8 ns)
SIM_ROOT = "TOP"


@dataclass
class SramPort:
    kind: str  # "read" | "write"
    enables: list[int]  # global net ids of the enable bits


@dataclass
class Sram:
    path: str
    width: int
    depth: int
    ports: list[SramPort]
    conns: dict[str, list[int | str]] = field(default_factory=dict)  # pin -> net ids/constants
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class FlatNetlist:
    """The gate-level netlist flattened to global nets (ids) with what drives and loads each."""

    top: str
    driver: dict[int, tuple[str, str, str]]  # net -> (instance path, cell type, pin)
    loads: dict[int, list[tuple[str, str, str]]]  # net -> [(instance path, cell type, pin)]
    names: dict[int, list[tuple[str, str, int | None]]]  # net -> [(SAIF scope, name, bit)]
    cells: list[tuple[str, str]]  # (instance path, cell type) of every library cell
    srams: list[Sram]
    clock_cells: set[str] = field(default_factory=set)  # instance paths of clock-gate cells
    # every library cell: (instance path, type, pin -> net id or constant "0"/"1"/"x")
    instances: list[tuple[str, str, dict[str, int | str]]] = field(default_factory=list)
    ports: dict[str, tuple[str, list[int | str]]] = field(default_factory=dict)  # top ports

    def net_of(self, scope: str, name: str, bit: int | None) -> int | None:
        return self._index.get((scope, name, bit))

    def net_ids(self) -> list[int]:
        return sorted(set(self.names) | set(self.driver) | set(self.loads))

    def flat_names(self, names: dict[int, tuple[str, int | None]]) -> None:
        """Name every net as the flat simulation model does (`gate_sim.flat_verilog`): net id ->
        (vector, bit) or (scalar, None) in the top's scope."""
        scope = f"{SIM_ROOT}/{self.top}"
        self.names = {i: [(scope, name, bit)] for i, (name, bit) in names.items()}
        self.__post_init__()

    def conns_of(self, path: str) -> dict[str, int | str]:
        """The connections of the library cell at instance `path`."""
        if not hasattr(self, "_by_path") or len(self._by_path) != len(self.instances):
            self._by_path = {p: c for p, _, c in self.instances}
        return self._by_path[path]

    def __post_init__(self) -> None:
        self._index = {k: n for n, keys in self.names.items() for k in keys}


def flatten(gate_json: Path | dict, lib: Library, icg: str = "ICG_POS") -> FlatNetlist:
    """Flatten a Yosys JSON netlist (`write_json`) against the library's cells.

    A module port joins a net of the parent to a net of the child. Two cases make that more
    than a renaming, and both occur in the accelerator: a child that connects two of its ports
    inside (a feed-through: an output bit that is an input bit) joins two nets of the parent,
    and a child that ties an output bit to a constant makes the parent's net that constant; a
    parent may also tie a child's input to a constant. Nets are therefore merged with a
    union-find after the walk, constants taking part as nets of their own."""
    data = json.loads(Path(gate_json).read_text()) if not isinstance(gate_json, dict) else gate_json
    mods = data["modules"]
    top = next(
        (n for n, m in mods.items() if int(str(m.get("attributes", {}).get("top", "0")), 2)), None
    )
    if top is None:
        raise ValueError("no top module in the Yosys JSON (attribute top)")
    driver: dict[int, tuple[str, str, str]] = {}
    loads: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    names: dict[int, list[tuple[str, str, int | None]]] = defaultdict(list)
    cells: list[tuple[str, str]] = []
    srams: list[Sram] = []
    clock_cells: set[str] = set()
    instances: list[tuple[str, str, dict[str, int | str]]] = []
    counter = [0]
    parent: dict[int, int] = {}  # union-find over net ids; constants are nets of their own
    const_node: dict[str, int] = {}  # constant -> its node; const_of: node -> constant
    const_of: dict[int, str] = {}

    def new() -> int:
        counter[0] += 1
        return counter[0]

    def node(ref: int | str) -> int:
        if isinstance(ref, int):
            return ref
        if ref not in const_node:
            const_node[ref] = new()
        return const_node[ref]

    def find(n: int) -> int:
        while parent.get(n, n) != n:
            parent[n] = parent.get(parent[n], parent[n])  # path halving
            n = parent[n]
        return n

    def union(a: int | str, b: int | str) -> None:
        ra, rb = find(node(a)), find(node(b))
        if ra == rb:
            return
        ca, cb = const_of.get(ra), const_of.get(rb)
        if ca in ("0", "1") and cb in ("0", "1"):
            raise ValueError(f"a net of the netlist is tied to both {ca} and {cb}")
        if cb in ("0", "1") or (cb is not None and ca is None):
            ra, rb = rb, ra  # a defined constant (else any constant) stays the root
        parent[rb] = ra

    def walk(mname: str, path: str, ports: dict[int, int | str], in_icg: bool) -> None:
        mod = mods[mname]
        local: dict[int, int | str] = ports if path == top else dict(ports)

        def r(bit) -> int | str:
            """A bit's net id, or a constant ("0", "1", "x", "z"): a child's port bit tied to
            a constant in its parent stays that constant."""
            if isinstance(bit, str):
                return bit
            if bit not in local:
                local[bit] = new()
            return local[bit]

        def g(bit) -> int | None:
            ref = r(bit)
            return ref if isinstance(ref, int) else None

        scope = f"{SIM_ROOT}/{path}"
        for nname, net in mod.get("netnames", {}).items():
            offset = int(net.get("offset", 0))
            upto = int(net.get("upto", 0))
            bits = net["bits"]
            for i, bit in enumerate(bits):
                gid = g(bit)
                if gid is None:
                    continue
                idx = None
                if len(bits) > 1 or offset:
                    idx = offset + (len(bits) - 1 - i if upto else i)
                names[gid].append((scope, nname, idx))
        for cname, cell in mod.get("cells", {}).items():
            ctype = cell["type"]
            inst = f"{path}/{cname}"
            conns = cell["connections"]
            if ctype in lib.cells:
                lc = lib.cells[ctype]
                cells.append((inst, ctype))
                instances.append((inst, ctype, {pin: r(bits[0]) for pin, bits in conns.items()}))
                if in_icg:
                    clock_cells.add(inst)
                for pin, bits in conns.items():
                    gid = g(bits[0])
                    if gid is None or pin not in lc.pins:
                        continue
                    if lc.pins[pin].direction == "output":
                        driver[gid] = (inst, ctype, pin)
                    else:
                        loads[gid].append((inst, ctype, pin))
            elif ctype in mods:
                child = mods[ctype]
                cports: dict[int, int | str] = {}
                for pin, bits in conns.items():
                    for pb, cb in zip(bits, child["ports"][pin]["bits"], strict=True):
                        ref = r(pb)
                        if isinstance(cb, str):
                            union(ref, cb)  # the child ties this port bit to a constant
                        elif cb in cports:
                            union(cports[cb], ref)  # a feed-through joins two parent nets
                        else:
                            cports[cb] = ref
                walk(ctype, inst, cports, in_icg or ctype == icg)
            elif ctype == "$mem_v2":
                p = cell["parameters"]
                width, depth = int(p["WIDTH"], 2), int(p["SIZE"], 2)
                ports = []
                rd_en = [g(b) for b in conns.get("RD_EN", [])]
                n_rd = int(p["RD_PORTS"], 2)
                for k in range(n_rd):
                    ports.append(SramPort("read", [x for x in rd_en[k : k + 1] if x is not None]))
                for b in conns.get("RD_DATA", []):
                    gid = g(b)
                    if gid is not None:
                        driver[gid] = (inst, "$mem_v2", "RD_DATA")
                wr_en = [g(b) for b in conns.get("WR_EN", [])]
                n_wr = int(p["WR_PORTS"], 2)
                for k in range(n_wr):
                    bits = wr_en[k * width : (k + 1) * width]
                    ports.append(SramPort("write", [x for x in bits if x is not None]))
                full = {pin: [r(b) for b in bits] for pin, bits in conns.items()}
                srams.append(Sram(inst.lstrip("/"), width, depth, ports, full, dict(p)))
            else:
                raise ValueError(f"{mname}: cell {cname} of unknown type {ctype!r}")

    for ref in ("0", "1", "x", "z"):
        const_of[node(ref)] = ref
    top_ports: dict[int, int | str] = {}
    walk(top, top, top_ports, False)

    def res(ref: int | str) -> int | str:
        """A reference after the merges: its net's representative id, or its constant."""
        if isinstance(ref, str):
            return ref
        root = find(ref)
        return const_of.get(root, root)

    out_driver: dict[int, tuple[str, str, str]] = {}
    for gid, drv in driver.items():
        rid = res(gid)
        if isinstance(rid, str):
            raise ValueError(f"{drv[0]} pin {drv[2]} drives a net tied to the constant {rid}")
        if rid in out_driver and out_driver[rid] != drv:
            raise ValueError(f"net driven by both {out_driver[rid][0]} and {drv[0]}")
        out_driver[rid] = drv
    out_loads: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for gid, lds in loads.items():
        if isinstance(rid := res(gid), int):
            out_loads[rid] += lds
    out_names: dict[int, list[tuple[str, str, int | None]]] = defaultdict(list)
    for gid, keys in names.items():
        if isinstance(rid := res(gid), int):
            out_names[rid] += keys
    instances = [(p, t, {pin: res(ref) for pin, ref in c.items()}) for p, t, c in instances]
    for m in srams:
        m.conns = {pin: [res(ref) for ref in refs] for pin, refs in m.conns.items()}
        for port in m.ports:
            port.enables = [e for e in map(res, port.enables) if isinstance(e, int)]
    ports = {}
    for pname, port in mods[top]["ports"].items():
        bits = [res(top_ports.get(b, b)) if not isinstance(b, str) else b for b in port["bits"]]
        ports[pname] = (port["direction"], bits)
    return FlatNetlist(
        top,
        out_driver,
        dict(out_loads),
        dict(out_names),
        cells,
        srams,
        clock_cells,
        instances,
        ports,
    )


@dataclass
class GateEnergy:
    """One window: nJ per block, leakage, and the counts behind them."""

    cycles: int
    dynamic_nj: dict[str, float]
    leakage_nj: float
    sram_nj: dict[str, float]
    sram_accesses: dict[str, dict[str, float]]
    toggles: int
    nets_without_activity: int

    @property
    def total_nj(self) -> float:
        return sum(self.dynamic_nj.values()) + self.leakage_nj


def block_of(path: str, top: str, blocks: BlockMap) -> str:
    """The block of a cell from its instance path below the top (`power/blocks.py` rules
    on the module instances: layerN/synapse, layerN/fire, layerN/vw, queue, ...). A register
    file's instance is named after its module (``snn_accelerator.layer0_vw``): only the memory's
    own name (``vw``) is kept, so that the top's name cannot match a rule."""
    rel = path.split("/", 1)[1] if "/" in path else ""
    scope = rel.rsplit("/", 1)[0] if "/" in rel else ""
    parts = [re.sub(r"^layer\d+_", "", p.rsplit(".", 1)[-1]) for p in scope.split("/") if p]
    return blocks.block("/".join(parts)) if parts else "control"


@dataclass(frozen=True)
class NetCost:
    """Energy per toggle of one net (pJ), and the block it is charged to; `switching_pj` is
    its 1/2 C V^2 part (the rest is the cells' internal energy); `driven`: by a library cell
    (not a port, an SRAM macro or nothing)."""

    pj: float
    block: str
    switching_pj: float = 0.0
    driven: bool = True


def net_costs(flat: FlatNetlist, lib: Library, slew: float = SLEW_NS) -> dict[int, NetCost]:
    """Energy of one toggle of every net (module docstring), in pJ, with its block."""
    blocks = BlockMap()
    v2 = lib.voltage**2
    unit = lib.energy_unit_j / 1e-12  # table units -> pJ
    cap_pf = lib.capacitance_unit_f / 1e-12
    out: dict[int, NetCost] = {}
    for gid in set(flat.driver) | set(flat.loads):
        lds = flat.loads.get(gid, [])
        c = sum(lib.cells[t].pins[p].capacitance for _, t, p in lds)
        switching = pj = 0.5 * c * cap_pf * v2
        pj += sum(lib.cells[t].input_energy(p, slew) for _, t, p in lds) * unit
        drv = flat.driver.get(gid)
        clock = any(lib.cells[t].pins[p].clock for _, t, p in lds)
        if drv and drv[1] in lib.cells:
            pj += lib.cells[drv[1]].output_energy(drv[2], c, slew) * unit
            clock = clock or drv[0] in flat.clock_cells
            block = "clock" if clock else block_of(drv[0], flat.top, blocks)
        elif drv:  # an SRAM's read data
            block = "clock" if clock else blocks.block(drv[0].split("/", 1)[-1])
        else:
            block = "clock" if clock else "io"
        out[gid] = NetCost(pj, block, switching, bool(drv and drv[1] in lib.cells))
    return out


def leakage_nw(flat: FlatNetlist, lib: Library) -> dict[str, float]:
    """Leakage power per block in nW (library units converted), cells only."""
    blocks = BlockMap()
    scale = lib.leakage_unit_w / 1e-9
    out: dict[str, float] = defaultdict(float)
    for path, ctype in flat.cells:
        block = "clock" if path in flat.clock_cells else block_of(path, flat.top, blocks)
        out[block] += lib.cells[ctype].leakage * scale
    return dict(out)


def window_cycles(saif: SaifData, top: str) -> tuple[int, float]:
    """Cycles and clock period (SAIF units) from the top clock's toggles and time at 1."""
    clk = saif.nets.get((f"{SIM_ROOT}/{top}", "clk"))
    if clk is None:
        raise ValueError(f"{saif.path}: no clk net in {top}")
    cycles = clk.tc // 2
    return cycles, (2 * clk.t1[None] / cycles if cycles else 0.0)


def gate_energy(
    saif: SaifData,
    flat: FlatNetlist,
    costs: dict[int, NetCost],
    leak_nw: dict[str, float],
    clock_hz: float,
    sram=None,
) -> GateEnergy:
    """Apply the module's equation to one SAIF window (baseline already subtracted)."""
    cycles, period = window_cycles(saif, flat.top)
    pj: dict[str, float] = defaultdict(float)
    seen: set[int] = set()
    t1: dict[int, int] = {}
    toggles = 0
    for (scope, name), act in saif.nets.items():
        for bit, tc in act.tc_bits.items():
            gid = flat.net_of(scope, name, bit)
            if gid is None or gid in seen:
                continue
            seen.add(gid)
            t1[gid] = act.t1.get(bit, 0)
            if tc:
                toggles += tc
                cost = costs.get(gid)
                if cost:
                    pj[cost.block] += tc * cost.pj
    missing = sum(1 for gid in costs if gid not in seen)
    sram_nj: dict[str, float] = {}
    accesses: dict[str, dict[str, float]] = {}
    blocks = BlockMap()
    for mem in flat.srams:
        counts = {"read": 0.0, "write": 0.0}
        for port in mem.ports:
            if not port.enables:
                counts[port.kind] += cycles
                continue
            highs = [t1.get(e, 0) / period for e in port.enables] if period else [0]
            counts[port.kind] += sum(highs) / len(highs)  # a write lane = its share of a word
        accesses[mem.path] = counts
        if sram is not None:
            e = sram.window_pj(mem.width, mem.depth, counts["read"], counts["write"], cycles)
            block = blocks.block(mem.path.split("/", 1)[-1])
            pj[block] += e
            sram_nj[mem.path] = e / 1000
    seconds = cycles / clock_hz
    leak = sum(leak_nw.values()) * seconds
    if sram is not None:
        leak += sum(sram.leak_nw(m.width, m.depth) for m in flat.srams) * seconds
    return GateEnergy(
        cycles=cycles,
        dynamic_nj={b: pj.get(b, 0.0) / 1000 for b in BLOCKS},
        leakage_nj=leak,
        sram_nj=sram_nj,
        sram_accesses=accesses,
        toggles=toggles,
        nets_without_activity=missing,
    )


MAX_FANOUT = 16


def buffer_fanout(
    flat: FlatNetlist,
    lib: Library,
    max_fanout: int = MAX_FANOUT,
    buf: str = "BUFX4",
    clock_buf: str = "CLKBUF2",
) -> int:
    """Split every net with more than `max_fanout` cell loads into a tree of buffers, in place,
    as a placement tool's design repair does (Yosys/ABC leave a register file's address decode
    driving thousands of pins); nets that clock flip-flops or latches get clock buffers: the
    clock tree. Returns the buffers added. Block attribution: a buffer belongs to the scope of
    the net's driver; clock buffers to the clock."""
    index = {path: k for k, (path, _, _) in enumerate(flat.instances)}
    added = 0
    next_id = max(set(flat.names) | set(flat.driver) | set(flat.loads)) + 1
    for gid in sorted(flat.loads):
        lds = flat.loads[gid]
        if len(lds) <= max_fanout:
            continue
        clock = any(lib.cells[t].pins[p].clock for _, t, p in lds)
        cell = clock_buf if clock else buf
        drv = flat.driver.get(gid)
        scope = drv[0].rsplit("/", 1)[0] if drv else flat.top
        level = lds
        while len(level) > max_fanout:
            parents = []
            for start in range(0, len(level), max_fanout):
                group = level[start : start + max_fanout]
                net_id, next_id = next_id, next_id + 1
                path = f"{scope}/fanout_buf{added}"
                added += 1
                flat.instances.append((path, cell, {"A": gid, "Y": net_id}))
                flat.cells.append((path, cell))
                index[path] = len(flat.instances) - 1
                if clock:
                    flat.clock_cells.add(path)
                flat.driver[net_id] = (path, cell, "Y")
                flat.loads[net_id] = group
                for lpath, _, pin in group:
                    k = index[lpath]
                    flat.instances[k][2][pin] = net_id
                parents.append((path, cell, "A"))
            level = parents
        flat.loads[gid] = level
    flat.__post_init__()
    return added
