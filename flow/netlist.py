"""What each traced net *is*, read from the Verilog that Amaranth (Yosys's Verilog backend) emits.

A SAIF file gives toggle counts per net but not what a net is. The energy model needs, per module:

- registers: every name assigned with `<=` in an `always @(posedge clk)` block (flip-flops;
  they pay a toggle energy per output bit toggle, a clock energy per cycle and leakage);
- memories: `reg [w-1:0] name [d-1:0]`, with their read ports (`x <= name[addr]` under
  `if (en)`; a transparent port with an enable adds a write bypass to the same data register)
  and write ports (`if (we) name[addr] <= ...`); the read data register belongs to the
  memory macro, and the enables give the access counts;
- aliases, which must not be counted twice: `assign a = b;` (or a slice, or a constant), a
  submodule's input ports (its parent's nets), and a parent's nets driven by a submodule output;
- everything else is combinational logic.

The parser relies on the regular shape of Amaranth's output (one declaration per line, items
indented by two spaces); it is not a general Verilog parser, and says so when it meets something
it does not understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

_ID = r"(?:\\\S+|[A-Za-z_][\w$]*)"
_MODULE = re.compile(rf"^module\s+({_ID})\s*\((.*?)\);(.*?)^endmodule", re.M | re.S)
_DECL = re.compile(
    rf"^\s*(input|output|inout|wire|reg)\s+(?:signed\s+)?(?:\[(\d+):(\d+)\]\s*)?({_ID})\s*"
    r"(\[(\d+):(\d+)\])?"
)
_ASSIGN = re.compile(rf"^\s*assign\s+({_ID})\s*=\s*(.*?);\s*$", re.S)
_ALIAS_RHS = re.compile(rf"^(?:{_ID}\s*(?:\[\d+(?::\d+)?\])?|\d+'[hdbo][0-9a-fA-F_xz]+)$")
_NB = re.compile(rf"({_ID})\s*((?:\[(?:[^\[\]]|\[[^\]]*\])*\]\s*)*)<=\s*([^;]*);")
_IF = re.compile(r"if\s*\((.*?)\)\s*(?:begin)?\s*$")
_INST = re.compile(rf"^\s*({_ID})\s+({_ID})\s*\((.*)\);", re.S)
_CONN = re.compile(rf"\.({_ID})\s*\(\s*([^()]*?)\s*\)")
_NET_BIT = re.compile(rf"^({_ID})\s*(?:\[(\d+)\])?$")

KINDS = ("register", "comb", "alias", "clock", "memory", "memory_reg", "port_in")


def clean(name: str) -> str:
    """Verilog escaped identifier -> the name Verilator writes in SAIF (`\\$1 ` -> `$1`)."""
    name = name.strip()
    return name[1:] if name.startswith("\\") else name


@dataclass
class MemPort:
    """One port of a memory: `enable` is (net, bit) or None when it acts on every cycle;
    `bits` is the width it reads or writes (a lane of a byte-enable write port writes fewer
    bits than the word; None = the whole word)."""

    kind: str  # "read" | "write"
    enable: tuple[str, int | None] | None
    bits: int | None = None


@dataclass
class Memory:
    name: str
    width: int
    depth: int
    ports: list[MemPort] = field(default_factory=list)

    @property
    def bits(self) -> int:
        return self.width * self.depth


@dataclass
class Module:
    name: str
    widths: dict[str, int] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    registers: set[str] = field(default_factory=set)
    memories: dict[str, Memory] = field(default_factory=dict)
    memory_regs: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    instances: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    decl_lines: dict[str, list[int]] = field(default_factory=dict)

    def ff_bits(self) -> int:
        return sum(self.widths[r] for r in self.registers)


@dataclass
class Netlist:
    modules: dict[str, Module]
    top: str

    def scopes(self) -> dict[str, Module]:
        """Instance path ('top/layer0/...', the top named after its module) -> module."""
        out: dict[str, Module] = {}

        def walk(path: str, mod: Module) -> None:
            out[path] = mod
            for inst, (mtype, _) in mod.instances.items():
                walk(f"{path}/{inst}", self.modules[mtype])

        walk(self.top, self.modules[self.top])
        return out

    def kind(self, scope: str, net: str) -> str:
        """The class of net `net` in instance `scope` (one of `KINDS`)."""
        return classify(self.scope_map[scope], net, is_top=scope == self.top)

    @cached_property
    def scope_map(self) -> dict[str, Module]:
        return self.scopes()

    def ff_bits(self) -> int:
        """Flip-flop bits of the whole hierarchy (memory macros excluded)."""
        return sum(mod.ff_bits() for mod in self.scope_map.values())

    def untraced_lines(self) -> list[int]:
        """Declaration lines of the nets the energy model ignores (aliases, submodule ports),
        except memory enables: tracing them off shrinks each SAIF by more than half."""
        lines: list[int] = []
        for name, mod in self.modules.items():
            enables = {p.enable[0] for m in mod.memories.values() for p in m.ports if p.enable}
            for net, where in mod.decl_lines.items():
                if net not in enables and classify(mod, net, name == self.top) == "alias":
                    lines += where
        return sorted(lines)

    def memories(self) -> dict[str, Memory]:
        """'scope/name' -> memory, over the whole hierarchy."""
        return {f"{s}/{n}": m for s, mod in self.scope_map.items() for n, m in mod.memories.items()}


def classify(mod: Module, net: str, is_top: bool) -> str:
    if net in ("clk",) and mod.directions.get(net) == "input":
        return "clock"
    base = re.match(r"^(.*?)\[\d+\]$", net)
    if base and base.group(1) in mod.memories:
        return "memory"
    if net in mod.memories:
        return "memory"
    if net in mod.memory_regs:
        return "memory_reg"
    if net in mod.registers:
        return "register"
    if mod.directions.get(net) == "input":
        return "port_in" if is_top else "alias"
    if net in mod.aliases:
        return "alias"
    return "comb"


def parse_verilog(text: str, top: str | None = None) -> Netlist:
    """Parse Amaranth-emitted Verilog into modules; `top` defaults to the `(* top = 1 *)` one."""
    modules: dict[str, Module] = {}
    tops = []
    for m in _MODULE.finditer(text):
        name = clean(m.group(1))
        first_line = text.count("\n", 0, m.start(3)) + 1
        modules[name] = _parse_module(name, m.group(3), first_line)
        before = text[max(0, m.start() - 200) : m.start()]
        if "top =  1" in before or "top = 1" in before:
            tops.append(name)
    if not modules:
        raise ValueError("no Verilog module found")
    for mod in modules.values():
        for inst, (mtype, _) in mod.instances.items():
            if mtype not in modules:
                raise ValueError(f"module {mod.name}: instance {inst} of unknown module {mtype}")
    _mark_output_aliases(modules)
    if top is None:
        if len(tops) != 1:
            raise ValueError(f"cannot tell the top module (candidates: {tops or list(modules)})")
        top = tops[0]
    if top not in modules:
        raise ValueError(f"top module {top!r} not in the Verilog ({sorted(modules)})")
    return Netlist(modules, top)


def load_verilog(path: str | Path, top: str | None = None) -> Netlist:
    return parse_verilog(Path(path).read_text(), top)


def _items(body: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Split a module body into (line number, text) items: a new item starts at a line indented
    by at most 2 (Amaranth's layout)."""
    items: list[list[str]] = []
    starts: list[int] = []
    for number, line in enumerate(body.split("\n"), first_line):
        if not line.strip() or line.strip().startswith("(*"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if (
            indent <= 2
            and not line.strip().startswith(("end", ")"))
            and not re.match(r"^\s*\.", line)
        ):
            items.append([line])
            starts.append(number)
        elif items:
            items[-1].append(line)
    return [(n, "\n".join(it)) for n, it in zip(starts, items, strict=True)]


def _parse_module(name: str, body: str, first_line: int = 1) -> Module:
    mod = Module(name)
    async_reads: list[tuple[str, str]] = []
    reg_enables: dict[str, tuple[str, int | None] | None] = {}
    for number, item in _items(body, first_line):
        head = item.strip()
        if d := _DECL.match(item):
            kind, hi, lo, net, arr, ahi, alo = d.groups()
            net = clean(net)
            mod.decl_lines.setdefault(net, []).append(number)
            width = abs(int(hi) - int(lo)) + 1 if hi else 1
            if kind in ("input", "output", "inout"):
                mod.directions[net] = kind
                mod.widths.setdefault(net, width)
            elif arr:
                mod.memories[net] = Memory(net, width, abs(int(ahi) - int(alo)) + 1)
            else:
                mod.widths[net] = width
        elif head.startswith("always @(posedge"):
            _parse_sync(mod, item, reg_enables)
        elif head.startswith("assign"):
            a = _ASSIGN.match(item)
            if a and _ALIAS_RHS.match(a.group(2).strip()):
                mod.aliases.add(clean(a.group(1)))
            if a:
                async_reads.append((clean(a.group(1)), a.group(2).strip()))
        elif head.startswith(("always", "initial", "reg ", "wire ", "integer", "end")):
            continue
        elif inst := _INST.match(item):
            conns = {clean(p): e for p, e in _CONN.findall(inst.group(3))}
            mod.instances[clean(inst.group(2))] = (clean(inst.group(1)), conns)
    for lhs, rhs in async_reads:
        # Amaranth's transparent read port: the address is registered, the array read is
        # combinational (`assign data = mem[_1_]`); the address register's enable is the port's.
        src = re.match(rf"^({_ID})\s*\[\s*({_ID})\s*\]$", rhs)
        if src and clean(src.group(1)) in mod.memories:
            addr = clean(src.group(2))
            enable = reg_enables.get(addr)
            if addr in mod.registers:
                mod.registers.discard(addr)
                mod.memory_regs.add(addr)
            mod.memories[clean(src.group(1))].ports.append(MemPort("read", enable))
            mod.memory_regs.add(lhs)  # the macro's data output: its energy is in E_read
            mod.aliases.discard(lhs)
    return mod


def _parse_sync(
    mod: Module, block: str, reg_enables: dict[str, tuple[str, int | None] | None]
) -> None:
    lines = block.splitlines()
    conds: list[str] = []
    for line in lines:
        if c := _IF.search(line):
            conds.append(c.group(1))
        for lhs, index, rhs in _NB.findall(line):
            lhs = clean(lhs)
            enable = _enable(conds[-1]) if conds and lhs in mod.memories else None
            if lhs in mod.memories:
                mem = mod.memories[lhs]
                parts = re.findall(r"\[([^\]]*)\]", index)
                bits = None
                if len(parts) > 1 and (sl := re.fullmatch(r"\s*(\d+):(\d+)\s*", parts[-1])):
                    bits = int(sl.group(1)) - int(sl.group(2)) + 1
                mem.ports.append(MemPort("write", enable, bits))
                continue
            src = re.match(rf"^({_ID})\s*\[", rhs.strip())
            if src and clean(src.group(1)) in mod.memories and not index:
                read_en = _enable(conds[-1]) if conds else None
                mod.memories[clean(src.group(1))].ports.append(MemPort("read", read_en))
                mod.memory_regs.add(lhs)
                continue
            if lhs in mod.memory_regs:
                # The bypass of a transparent read port with an enable (`if (en) begin d <=
                # mem[a]; if (we && a == wa) d <= wdata; end`): still the macro's data output.
                continue
            reg_enables[lhs] = _try_enable(conds[-1]) if conds else None
            mod.registers.add(lhs)
            mod.widths.setdefault(lhs, 1)


def _try_enable(cond: str) -> tuple[str, int | None] | None:
    try:
        return _enable(cond)
    except ValueError:
        return None


def _enable(cond: str) -> tuple[str, int | None] | None:
    if re.fullmatch(r"1'h1|1'b1|1", cond.strip()):
        return None
    m = _NET_BIT.match(cond.strip())
    if m is None:
        raise ValueError(
            f"memory port enabled by an expression ({cond!r}); expected a net or a net bit"
        )
    return clean(m.group(1)), int(m.group(2)) if m.group(2) else None


def _mark_output_aliases(modules: dict[str, Module]) -> None:
    """A parent's net connected to a submodule *output* is that output under another name."""
    for mod in modules.values():
        for _inst, (mtype, conns) in mod.instances.items():
            child = modules[mtype]
            for port, expr in conns.items():
                net = _NET_BIT.match(expr.strip()) if expr else None
                if net and child.directions.get(port) == "output":
                    mod.aliases.add(clean(net.group(1)))
