"""A flat, simulation-ready Verilog of the gate-level netlist: one scalar wire per net.

Verilator spends most of its compile time on module instances and their trace scopes; a
netlist of ~80k cell instances generates ~170 MB of C++. This writer flattens the mapped netlist
(`gate_energy.flatten`) into one module: net i becomes wire ``n<i>``, every library cell becomes
its Liberty function (``assign``), a flip-flop an ``always @(posedge ...)`` on its state, a latch
an ``always @*``, and an SRAM macro (``$mem_v2``: one synchronous read port with enable, one write
port with per-bit enables, as the accelerator's weight memory is) a behavioural array. The top
keeps its ports, so the SAIF harness drives it unchanged, and a SAIF net ``n<i>`` is net i of the
energy model: the mapping is the identity.
"""

from __future__ import annotations

import re

from ecg_snn.flow.asic.gate import function_verilog
from ecg_snn.flow.asic.liberty import Library
from ecg_snn.power.gate_energy import FlatNetlist

_IDENT = re.compile(r"[A-Za-z_]\w*")


def net(ref: int | str) -> str:
    """Net id -> wire name; constants (Yosys "0", "1", "x", "z") -> Verilog literals."""
    if isinstance(ref, int):
        return f"n{ref}"
    return "1'b1" if ref == "1" else "1'b0"


def _subst(expr: str, names: dict[str, str]) -> str:
    return _IDENT.sub(lambda m: names.get(m.group(0), m.group(0)), function_verilog(expr))


def _bus(refs: list[int | str], ref=None) -> str:
    """Yosys bits are LSB first; a Verilog concatenation is MSB first."""
    ref = ref or net
    return "{" + ", ".join(ref(r) for r in reversed(refs)) + "}"


MAX_VECTOR = 4096  # Verilator traces vectors up to --trace-max-width bits (the harness: 4096)


def flat_verilog(flat: FlatNetlist, lib: Library) -> tuple[str, dict[int, tuple[str, int | None]]]:
    """The module docstring's flat netlist, named after the top, and the name of every net in
    it: net id -> (vector, bit) or (scalar, None).

    Two choices keep Verilator's output small (a scalar per net gives ~130 MB of C++):
    - combinational nets are packed into vectors by logic level (a net's inputs are all on
      lower levels, so no vector depends on itself), flip-flop outputs into their own vectors;
      Verilator then traces a few hundred vectors instead of 100k scalars, and the SAIF still
      has one line per bit;
    - one clock domain: a flip-flop behind a clock gate (clock buffers, then the gate's AND of
      the clock and its latched enable) is simulated as a flip-flop on the root clock enabled by
      that latched enable, which is what the gate does; the gated clock nets are still computed
      (and traced) as the cells' functions, so their toggles and energy are counted.
    """
    inst_of_output: dict[int, int] = {}
    for k, (_path, ctype, conns) in enumerate(flat.instances):
        for pin in lib.cells[ctype].outputs:
            ref = conns.get(pin)
            if isinstance(ref, int):
                inst_of_output[ref] = k
    level = _levels(flat, lib, inst_of_output)
    names: dict[int, tuple[str, int | None]] = {}
    vectors: dict[str, list[int]] = {}

    def pack(prefix: str, nets: list[int]) -> None:
        for start in range(0, len(nets), MAX_VECTOR):
            vname = f"{prefix}_{start // MAX_VECTOR}"
            vectors[vname] = nets[start : start + MAX_VECTOR]
            for bit, gid in enumerate(vectors[vname]):  # a 1-bit vector is traced as a scalar
                names[gid] = (vname, bit if len(vectors[vname]) > 1 else None)

    ff_q, latch_q = [], []
    by_level: dict[int, list[int]] = {}
    sram_q = {r for m in flat.srams for r in m.conns.get("RD_DATA", []) if isinstance(r, int)}
    for gid in flat.net_ids():
        k = inst_of_output.get(gid)
        if k is None:
            continue  # a port, an SRAM output or undriven: named below
        cell = lib.cells[flat.instances[k][1]]
        if cell.seq_kind == "ff":
            ff_q.append(gid)
        elif cell.seq_kind == "latch":
            latch_q.append(gid)
        else:
            by_level.setdefault(level[gid], []).append(gid)
    pack("q", ff_q)
    for lv in sorted(by_level):
        pack(f"c{lv}", by_level[lv])
    for gid in latch_q:
        names[gid] = (f"l{gid}", None)
    for gid in flat.net_ids():
        if gid not in names:
            names[gid] = (f"n{gid}", None)  # ports, SRAM outputs, undriven nets

    def ref(r: int | str) -> str:
        if not isinstance(r, int):
            return net(r)
        vname, bit = names[r]
        return vname if bit is None else f"{vname}[{bit}]"

    clk_root = _root_clock(flat)
    lines = _header(flat)
    for vname, nets in vectors.items():
        kind = "reg" if vname.startswith("q") else "wire"
        width = f" [{len(nets) - 1}:0]" if len(nets) > 1 else ""
        # public: Verilator keeps the vector as a variable instead of re-deriving every bit
        # from its logic in the trace code (which made that code ~100 MB)
        lines.append(f"  {kind}{width} {vname} /*verilator public_flat_rd*/;")
    for gid in latch_q:
        lines.append(f"  reg l{gid};")
    for gid, (vname, bit) in names.items():
        if bit is None and vname.startswith("n"):
            lines.append(f"  {'reg' if gid in sram_q else 'wire'} {vname};")
    lines += _port_assigns(flat, ref)
    ffs: list[str] = []
    for _path, ctype, conns in flat.instances:
        cell = lib.cells[ctype]
        pins = {pin: ref(r) for pin, r in conns.items()}
        if cell.seq_kind == "ff":
            seq = cell.sequential
            clk = seq["clocked_on"].strip()
            if "!" in clk or seq.get("clear") or seq.get("preset"):
                raise ValueError(f"{ctype}: only rising-edge flip-flops without set/reset")
            q = next(r for p, r in conns.items() if lib.cells[ctype].pins[p].direction == "output")
            enables = _gate_enable(flat, lib, conns[re.sub(r"[()!\s]", "", clk)], clk_root)
            d = _subst(seq["next_state"], pins)
            when = f"if ({' & '.join(ref(e) for e in enables)}) " if enables else ""
            ffs.append(f"    {when}{ref(q)} <= {d};")
        elif cell.seq_kind == "latch":
            seq = cell.sequential
            q = next(r for p, r in conns.items() if cell.pins[p].direction == "output")
            lines.append(
                f"  always @* if ({_subst(seq['enable'], pins)}) {ref(q)} = "
                f"{_subst(seq['data_in'], pins)};"
            )
        else:
            for pin in cell.outputs:
                r = conns.get(pin)
                if isinstance(r, int):
                    lines.append(f"  assign {ref(r)} = {_subst(cell.pins[pin].function, pins)};")
    lines.append(f"  always @(posedge {ref(clk_root)}) begin")
    lines += ffs
    lines.append("  end")
    for k, mem in enumerate(flat.srams):
        lines += _sram(k, mem, ref)
    return "\n".join([*lines, "endmodule", ""]), names


def _levels(flat: FlatNetlist, lib: Library, inst_of_output: dict[int, int]) -> dict[int, int]:
    """Logic level of every net driven by a combinational cell or a latch (sources: ports,
    flip-flop and SRAM outputs = 0), iteratively so that deep logic cannot overflow a stack."""
    level: dict[int, int] = {}
    for gid in flat.net_ids():
        if gid in level:
            continue
        stack = [gid]
        while stack:
            g = stack[-1]
            k = inst_of_output.get(g)
            if k is None or lib.cells[flat.instances[k][1]].seq_kind == "ff":
                level[g] = 0
                stack.pop()
                continue
            _, ctype, conns = flat.instances[k]
            ins = [
                r
                for p, r in conns.items()
                if isinstance(r, int) and lib.cells[ctype].pins[p].direction == "input"
            ]
            todo = [r for r in ins if r not in level]
            if todo:
                if len(stack) > len(inst_of_output) + 1:
                    raise ValueError("combinational loop in the gate-level netlist")
                stack += todo
                continue
            level[g] = 1 + max((level[r] for r in ins), default=0)
            stack.pop()
    return level


def _root_clock(flat: FlatNetlist) -> int:
    direction, bits = flat.ports.get("clk", ("", []))
    if direction != "input" or len(bits) != 1 or not isinstance(bits[0], int):
        raise ValueError("the top has no 1-bit clk input")
    return bits[0]


def _gate_enable(flat: FlatNetlist, lib: Library, clk_net, root: int) -> list[int]:
    """The latched enables of the clock gates in front of a flip-flop, outermost first (none:
    the root clock), following clock buffers up to each gate's AND (`gate.ICG_VERILOG`). A gate
    may sit behind another (a bank's gate behind the SPI shell's root gate of the core, `hw/spi.py`
    `clock_gate`): the flip-flop is clocked in a cycle where every one of them is open."""
    seen = 0
    while clk_net != root:
        drv = flat.driver.get(clk_net) if isinstance(clk_net, int) else None
        if drv is None or seen > 64:
            raise ValueError(f"a flip-flop clock net ({clk_net}) does not come from clk")
        path, ctype, _ = drv
        conns = flat.conns_of(path)
        if ctype.startswith(("CLKBUF", "BUF")):
            clk_net = conns["A"]
        elif path.endswith("/gate") and path in flat.clock_cells:
            return [*_gate_enable(flat, lib, conns["A"], root), conns["B"]]
        else:
            raise ValueError(f"unexpected cell {ctype} ({path}) on a clock path")
        seen += 1
    return []


def _sram(k: int, mem, ref) -> list[str]:
    p = {key: int(v, 2) if set(v) <= {"0", "1"} else v for key, v in mem.params.items()}
    if p["RD_PORTS"] != 1 or p["WR_PORTS"] > 1 or not p["RD_CLK_ENABLE"]:
        raise ValueError(f"{mem.path}: only one synchronous read and one write port are modelled")
    if any(r != "0" for r in mem.conns.get("RD_SRST", []) + mem.conns.get("RD_ARST", [])):
        raise ValueError(f"{mem.path}: resettable read ports are not modelled")
    c = mem.conns
    w, d = mem.width, mem.depth
    raddr = _bus(c["RD_ADDR"], ref)
    read = f"m{k}[{raddr}]"
    out = [
        f"  reg [{w - 1}:0] m{k} [0:{d - 1}];",
        f"  reg [{w - 1}:0] q{k};",
        f"  always @(posedge {ref(c['RD_CLK'][0])}) begin",
    ]
    if p["WR_PORTS"]:
        we = _bus(c["WR_EN"], ref)
        addr = _bus(c["WR_ADDR"], ref)
        data = _bus(c["WR_DATA"], ref)
        if c["WR_CLK"][0] != c["RD_CLK"][0]:
            raise ValueError(f"{mem.path}: read and write ports on different clocks")
        if p.get("RD_TRANSPARENCY_MASK", 0):
            # A transparent read port returns the word being written in the same cycle: a
            # compiled SRAM does not, so a real design adds this bypass in logic beside it.
            read = f"(({addr} == {raddr}) ? (({read} & ~{we}) | ({data} & {we})) : {read})"
        out.append(f"    if ({ref(c['RD_EN'][0])}) q{k} <= {read};")
        out.append(f"    m{k}[{addr}] <= (m{k}[{addr}] & ~{we}) | ({data} & {we});")
    else:
        out.append(f"    if ({ref(c['RD_EN'][0])}) q{k} <= {read};")
    out.append("  end")
    out += [
        f"  always @* {ref(r)} = q{k}[{i}];"
        for i, r in enumerate(c["RD_DATA"])
        if isinstance(r, int)
    ]
    return out


def _header(flat: FlatNetlist) -> list[str]:
    """The generated-file comment, the module line and the port declarations of the top."""
    lines = [f"// Generated by power/gate_sim.py from {flat.top}: do not edit."]
    lines.append(f"module {flat.top} (" + ", ".join(flat.ports) + ");")
    for name, (direction, bits) in flat.ports.items():
        width = f"[{len(bits) - 1}:0] " if len(bits) > 1 else ""
        lines.append(f"  {direction} {width}{name};")
    return lines


def _port_assigns(flat: FlatNetlist, ref) -> list[str]:
    """Input port bits onto their nets, nets onto the output port bits (`ref` names a net)."""
    lines = []
    for name, (direction, bits) in flat.ports.items():
        for k, r in enumerate(bits):
            sel = f"{name}[{k}]" if len(bits) > 1 else name
            if direction == "input" and isinstance(r, int):
                lines.append(f"  assign {ref(r)} = {sel};")
            elif direction == "output":
                lines.append(f"  assign {sel} = {ref(r)};")
    return lines


def structural_verilog(flat: FlatNetlist) -> str:
    """The same netlist as library-cell instances (for OpenSTA), without the SRAM macros: a
    compiled SRAM brings its own timing model, which the library does not have."""
    lines = _header(flat)
    lines += [f"  wire n{i};" for i in flat.net_ids()]
    lines += _port_assigns(flat, net)
    for k, (_path, ctype, conns) in enumerate(flat.instances):
        pins = ", ".join(f".{pin}({net(ref)})" for pin, ref in conns.items())
        lines.append(f"  {ctype} u{k} ({pins});")
    return "\n".join([*lines, "endmodule", ""])
