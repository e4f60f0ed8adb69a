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


CONSTANTS = ("0", "1", "x", "z")
Ref = int | str  # a net id, or a constant of `CONSTANTS`


class _Nets:
    """Net ids and a union-find over them. Constants take part as nets of their own, so joining
    a net to a constant makes the net that constant; a defined constant stays the root."""

    def __init__(self) -> None:
        self._count = 0
        self._parent: dict[int, int] = {}
        self._const_node: dict[str, int] = {}
        self._const_of: dict[int, str] = {}
        for c in CONSTANTS:
            self._const_of[self._node(c)] = c

    def new(self) -> int:
        self._count += 1
        return self._count

    def _node(self, ref: Ref) -> int:
        if isinstance(ref, int):
            return ref
        if ref not in self._const_node:
            self._const_node[ref] = self.new()
        return self._const_node[ref]

    def _find(self, n: int) -> int:
        parent = self._parent
        while parent.get(n, n) != n:
            parent[n] = parent.get(parent[n], parent[n])  # path halving
            n = parent[n]
        return n

    def union(self, a: Ref, b: Ref) -> None:
        ra, rb = self._find(self._node(a)), self._find(self._node(b))
        if ra == rb:
            return
        ca, cb = self._const_of.get(ra), self._const_of.get(rb)
        if ca in ("0", "1") and cb in ("0", "1"):
            raise ValueError(f"a net of the netlist is tied to both {ca} and {cb}")
        if cb in ("0", "1") or (cb is not None and ca is None):
            ra, rb = rb, ra  # a defined constant (else any constant) stays the root
        self._parent[rb] = ra

    def resolve(self, ref: Ref) -> Ref:
        """A reference after the merges: its net's representative id, or its constant."""
        if isinstance(ref, str):
            return ref
        root = self._find(ref)
        return self._const_of.get(root, root)


class _Flattener:
    """One walk of a Yosys JSON netlist from its top, collecting per global net what drives it,
    what loads it and its names, then resolving the merges (`result`)."""

    def __init__(self, mods: dict, top: str, lib: Library, icg: str) -> None:
        self.mods, self.top, self.lib, self.icg = mods, top, lib, icg
        self.nets = _Nets()
        self.driver: dict[int, tuple[str, str, str]] = {}
        self.loads: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        self.names: dict[int, list[tuple[str, str, int | None]]] = defaultdict(list)
        self.cells: list[tuple[str, str]] = []
        self.srams: list[Sram] = []
        self.clock_cells: set[str] = set()
        self.instances: list[tuple[str, str, dict[str, Ref]]] = []

    def walk(self, mname: str, path: str, ports: dict[int, Ref], in_icg: bool) -> None:
        """Module `mname` at instance `path`; `ports` maps its port bits to the parent's refs
        (the top's map is filled in place, so `result` can name the top's ports)."""
        local: dict[int, Ref] = ports if path == self.top else dict(ports)

        def ref(bit) -> Ref:
            """A bit's net id, or its constant: a child's port bit tied to a constant in its
            parent stays that constant."""
            if isinstance(bit, str):
                return bit
            if bit not in local:
                local[bit] = self.nets.new()
            return local[bit]

        mod = self.mods[mname]
        self._name_nets(mod, f"{SIM_ROOT}/{path}", ref)
        for cname, cell in mod.get("cells", {}).items():
            ctype, inst = cell["type"], f"{path}/{cname}"
            if ctype in self.lib.cells:
                self._library_cell(inst, ctype, cell["connections"], ref, in_icg)
            elif ctype in self.mods:
                self._child(ctype, inst, cell["connections"], ref, in_icg)
            elif ctype == "$mem_v2":
                self._memory(inst, cell, ref)
            else:
                raise ValueError(f"{mname}: cell {cname} of unknown type {ctype!r}")

    def _name_nets(self, mod: dict, scope: str, ref) -> None:
        for nname, net in mod.get("netnames", {}).items():
            offset, upto, bits = int(net.get("offset", 0)), int(net.get("upto", 0)), net["bits"]
            for i, bit in enumerate(bits):
                gid = ref(bit)
                if isinstance(gid, str):
                    continue
                idx = None
                if len(bits) > 1 or offset:
                    idx = offset + (len(bits) - 1 - i if upto else i)
                self.names[gid].append((scope, nname, idx))

    def _library_cell(self, inst: str, ctype: str, conns: dict, ref, in_icg: bool) -> None:
        lc = self.lib.cells[ctype]
        self.cells.append((inst, ctype))
        self.instances.append((inst, ctype, {pin: ref(bits[0]) for pin, bits in conns.items()}))
        if in_icg:
            self.clock_cells.add(inst)
        for pin, bits in conns.items():
            gid = ref(bits[0])
            if isinstance(gid, str) or pin not in lc.pins:
                continue
            if lc.pins[pin].direction == "output":
                self.driver[gid] = (inst, ctype, pin)
            else:
                self.loads[gid].append((inst, ctype, pin))

    def _child(self, ctype: str, inst: str, conns: dict, ref, in_icg: bool) -> None:
        child_ports: dict[int, Ref] = {}
        for pin, bits in conns.items():
            for pb, cb in zip(bits, self.mods[ctype]["ports"][pin]["bits"], strict=True):
                r = ref(pb)
                if isinstance(cb, str):
                    self.nets.union(r, cb)  # the child ties this port bit to a constant
                elif cb in child_ports:
                    self.nets.union(child_ports[cb], r)  # a feed-through joins two parent nets
                else:
                    child_ports[cb] = r
        self.walk(ctype, inst, child_ports, in_icg or ctype == self.icg)

    def _memory(self, inst: str, cell: dict, ref) -> None:
        p, conns = cell["parameters"], cell["connections"]
        width, depth = int(p["WIDTH"], 2), int(p["SIZE"], 2)

        def ids(pin: str) -> list[int | None]:
            return [r if isinstance(r := ref(b), int) else None for b in conns.get(pin, [])]

        rd_en, wr_en = ids("RD_EN"), ids("WR_EN")
        ports = [
            SramPort("read", [x for x in rd_en[k : k + 1] if x is not None])
            for k in range(int(p["RD_PORTS"], 2))
        ]
        for gid in ids("RD_DATA"):
            if gid is not None:
                self.driver[gid] = (inst, "$mem_v2", "RD_DATA")
        ports += [
            SramPort("write", [x for x in wr_en[k * width : (k + 1) * width] if x is not None])
            for k in range(int(p["WR_PORTS"], 2))
        ]
        full = {pin: [ref(b) for b in bits] for pin, bits in conns.items()}
        self.srams.append(Sram(inst.lstrip("/"), width, depth, ports, full, dict(p)))

    def result(self, top_ports: dict[int, Ref]) -> FlatNetlist:
        """The netlist over the merged nets: every reference resolved to its representative."""
        res = self.nets.resolve
        driver: dict[int, tuple[str, str, str]] = {}
        for gid, drv in self.driver.items():
            rid = res(gid)
            if isinstance(rid, str):
                raise ValueError(f"{drv[0]} pin {drv[2]} drives a net tied to the constant {rid}")
            if rid in driver and driver[rid] != drv:
                raise ValueError(f"net driven by both {driver[rid][0]} and {drv[0]}")
            driver[rid] = drv
        loads: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for gid, lds in self.loads.items():
            if isinstance(rid := res(gid), int):
                loads[rid] += lds
        names: dict[int, list[tuple[str, str, int | None]]] = defaultdict(list)
        for gid, keys in self.names.items():
            if isinstance(rid := res(gid), int):
                names[rid] += keys
        instances = [(p, t, {pin: res(r) for pin, r in c.items()}) for p, t, c in self.instances]
        for m in self.srams:
            m.conns = {pin: [res(r) for r in refs] for pin, refs in m.conns.items()}
            for port in m.ports:
                port.enables = [e for e in map(res, port.enables) if isinstance(e, int)]
        ports = {
            pname: (
                port["direction"],
                [b if isinstance(b, str) else res(top_ports.get(b, b)) for b in port["bits"]],
            )
            for pname, port in self.mods[self.top]["ports"].items()
        }
        return FlatNetlist(
            self.top,
            driver,
            dict(loads),
            dict(names),
            self.cells,
            self.srams,
            self.clock_cells,
            instances,
            ports,
        )


def flatten(gate_json: Path | dict, lib: Library, icg: str = "ICG_POS") -> FlatNetlist:
    """Flatten a Yosys JSON netlist (`write_json`) against the library's cells.

    A module port joins a net of the parent to a net of the child. Two cases make that more
    than a renaming, and both occur in the accelerator: a child that connects two of its ports
    inside (a feed-through: an output bit that is an input bit) joins two nets of the parent,
    and a child that ties an output bit to a constant makes the parent's net that constant; a
    parent may also tie a child's input to a constant. Nets are therefore merged with a
    union-find after the walk (`_Nets`), constants taking part as nets of their own."""
    data = json.loads(Path(gate_json).read_text()) if not isinstance(gate_json, dict) else gate_json
    mods = data["modules"]
    top = next(
        (n for n, m in mods.items() if int(str(m.get("attributes", {}).get("top", "0")), 2)), None
    )
    if top is None:
        raise ValueError("no top module in the Yosys JSON (attribute top)")
    flat = _Flattener(mods, top, lib, icg)
    top_ports: dict[int, Ref] = {}
    flat.walk(top, top, top_ports, False)
    return flat.result(top_ports)


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
