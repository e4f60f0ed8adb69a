"""A Liberty (.lib) reader: the cells, pins, capacitances, power tables and leakage of a library.

Liberty is the industry's format for characterised standard cells (Synopsys, *Liberty User Guide*,
open-source reference at https://github.com/The-OpenROAD-Project/OpenSTA/tree/master/liberty).
The grammar is small: a *group* ``name (args) { statements }``, a *simple attribute*
``name : value ;`` and a *complex attribute* ``name (args) ;``; ``\\`` continues a line and
``/* ... */`` is a comment. `parse_liberty` reads the whole file into `Group` trees; `Library`
keeps what the energy model needs:

- per cell: area, ``cell_leakage_power`` (in the library's ``leakage_power_unit``), whether it is
  sequential (an ``ff`` or ``latch`` group), and per pin its direction, ``capacitance`` (in
  ``capacitive_load_unit``), boolean ``function`` and ``internal_power`` tables;
- an internal-power table gives the energy of one transition (``rise_power``/``fall_power``) as a
  function of the output load and the input transition time (or of the input transition alone,
  for a pin's *passive* power). Its unit is that of capacitance x voltage^2 (pF x V^2 = pJ for
  this library): Liberty's convention for internal energy.

`Table.at(x1, x2)` interpolates bilinearly inside the table and extrapolates linearly outside it,
as static timing tools do. Any syntax error raises `LibertyError` with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[(){}:;,]|[^\s(){}:;,"]+')


class LibertyError(ValueError):
    """A Liberty file that cannot be read or lacks what the energy model needs."""


@dataclass
class Group:
    kind: str
    args: list[str]
    attrs: dict[str, str] = field(default_factory=dict)
    complex: dict[str, list[list[str]]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    def sub(self, kind: str) -> list[Group]:
        return [g for g in self.groups if g.kind == kind]


def _tokens(text: str, where: str) -> list[tuple[str, int]]:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = text.replace("\\\n", " \n")  # continuation: keep the line count
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        if "//" in line and '"' not in line:
            line = line.split("//", 1)[0]
        out += [(tok, number) for tok in _TOKEN.findall(line)]
    if not out:
        raise LibertyError(f"{where}: empty Liberty file")
    return out


def parse_liberty(text: str, where: str = "<liberty>") -> Group:
    """The top-level ``library`` group of a Liberty text."""
    toks = _tokens(text, where)
    pos = 0

    def err(msg: str) -> LibertyError:
        line = toks[min(pos, len(toks) - 1)][1]
        return LibertyError(f"{where}:{line}: {msg}")

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise err("unexpected end of file (unbalanced braces?)")
        pos += 1
        return toks[pos - 1][0]

    def args() -> list[str]:
        out: list[str] = []
        while (tok := take()) != ")":
            if tok in "{};:(":
                raise err(f"unexpected {tok!r} in an argument list")
            if tok != ",":
                out.append(tok.strip('"'))
        return out

    def body(group: Group) -> None:
        while True:
            name = take()
            if name == "}":
                return
            if name in "{}();:,":
                raise err(f"expected an attribute or a group, found {name!r}")
            tok = take()
            if tok == ":":
                value = take()
                while (nxt := take()) != ";":
                    if nxt in "{}":
                        raise err(f"attribute {name!r} is not closed by ';'")
                    value += " " + nxt
                group.attrs[name] = value.strip('"')
            elif tok == "(":
                a = args()
                if pos < len(toks) and toks[pos][0] == "{":
                    take()
                    child = Group(name, a)
                    body(child)
                    group.groups.append(child)
                elif pos < len(toks) and toks[pos][0] == ";":
                    take()
                    group.complex.setdefault(name, []).append(a)
                else:
                    group.complex.setdefault(name, []).append(a)  # ';' is optional in practice
            else:
                raise err(f"expected ':' or '(' after {name!r}, found {tok!r}")

    if take() != "library" or take() != "(":
        raise err("not a Liberty file (expected 'library (')")
    top = Group("library", args())
    if take() != "{":
        raise err("expected '{' after library (...)")
    body(top)
    if pos != len(toks):
        raise err("text after the closing brace of the library")
    return top


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.replace('"', "").replace("\\", " ").split(",") if v.strip()]


@dataclass(frozen=True)
class Table:
    """A 1-D or 2-D lookup table: `values[i][j]` at (`index_1[i]`, `index_2[j]`)."""

    index_1: tuple[float, ...]
    index_2: tuple[float, ...]
    values: tuple[tuple[float, ...], ...]
    variables: tuple[str, ...] = ()

    def at(self, x1: float, x2: float | None = None) -> float:
        """Bilinear interpolation (linear extrapolation outside the table)."""
        row = [_interp(self.index_2, r, x2) if len(self.index_2) > 1 else r[0] for r in self.values]
        return _interp(self.index_1, row, x1) if len(self.index_1) > 1 else row[0]

    def lookup(self, load: float, slew: float) -> float:
        """The value at an output load and an input transition, whichever index is which."""
        vals = {"total_output_net_capacitance": load, "input_transition_time": slew}
        vals["input_net_transition"] = slew
        xs = [vals.get(v, slew) for v in self.variables] or [slew]
        return self.at(*xs[:2])


def _interp(xs: tuple[float, ...], ys, x: float | None) -> float:
    if x is None or len(xs) == 1:
        return ys[0]
    i = 0
    while i < len(xs) - 2 and x > xs[i + 1]:
        i += 1
    x0, x1 = xs[i], xs[i + 1]
    return ys[i] + (ys[i + 1] - ys[i]) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class PowerArc:
    """One ``internal_power`` group: energy per rise and per fall of the pin that owns it
    (an output, caused by `related_pin`; or an input's own passive energy, `related_pin` None)."""

    related_pin: str | None
    rise: Table | None
    fall: Table | None

    def energy(self, load: float, slew: float) -> float:
        """Mean of the rise and fall energies: one toggle, rising or falling equally often."""
        parts = [t.lookup(load, slew) for t in (self.rise, self.fall) if t is not None]
        return sum(parts) / len(parts) if parts else 0.0


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    capacitance: float
    function: str | None
    power: tuple[PowerArc, ...]
    clock: bool = False


@dataclass(frozen=True)
class Cell:
    name: str
    area: float
    leakage: float  # leakage_power_unit
    pins: dict[str, Pin]
    sequential: dict[str, str] | None  # the ff/latch group's attributes
    seq_kind: str | None = None  # "ff" | "latch"
    seq_vars: tuple[str, ...] = ()

    @property
    def inputs(self) -> list[str]:
        return [p for p, pin in self.pins.items() if pin.direction == "input"]

    @property
    def outputs(self) -> list[str]:
        return [p for p, pin in self.pins.items() if pin.direction == "output"]

    def output_energy(self, pin: str, load: float, slew: float) -> float:
        """Internal energy of one toggle of output `pin`, averaged over its related pins."""
        arcs = [a for a in self.pins[pin].power if a.related_pin]
        return sum(a.energy(load, slew) for a in arcs) / len(arcs) if arcs else 0.0

    def input_energy(self, pin: str, slew: float) -> float:
        """Passive internal energy of one toggle of input `pin` (0 if the library gives none)."""
        arcs = [a for a in self.pins[pin].power if not a.related_pin]
        return sum(a.energy(0.0, slew) for a in arcs) / len(arcs) if arcs else 0.0


@dataclass(frozen=True)
class Library:
    name: str
    voltage: float
    temperature: float
    time_unit: str
    leakage_unit_w: float
    capacitance_unit_f: float
    cells: dict[str, Cell]
    path: str = ""

    @property
    def energy_unit_j(self) -> float:
        """Internal-power tables are in capacitance x voltage^2 units (pF V^2 = pJ here)."""
        return self.capacitance_unit_f


_SI = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0}


def _unit(text: str, base: str, where: str) -> float:
    m = re.fullmatch(rf"\s*(\d*\.?\d*)\s*([fpnum]?){base}\s*", text.strip('"'), re.I)
    if not m:
        raise LibertyError(f"{where}: cannot read the unit {text!r}")
    return float(m.group(1) or 1) * _SI[m.group(2).lower()]


def _table(group: Group, templates: dict[str, Group]) -> Table:
    """A table; indices missing from the table come from its template."""
    vals = group.complex.get("values")
    if not vals:
        raise LibertyError(f"table {group.kind}({','.join(group.args)}) has no values")
    tmpl = templates.get(group.args[0] if group.args else "")

    def index(k: str) -> tuple[float, ...]:
        for src in (group, tmpl):
            if src is not None and k in src.complex:
                return tuple(_floats(",".join(src.complex[k][0])))
        return ()

    i1, i2 = index("index_1"), index("index_2")
    variables = tuple(v for k in ("variable_1", "variable_2") if tmpl and (v := tmpl.attrs.get(k)))
    rows = tuple(tuple(_floats(r)) for r in vals[0])
    if i2 and any(len(r) != len(i2) for r in rows):
        raise LibertyError(f"table {group.kind}: rows do not match index_2")
    if not i2 and len(rows) == 1 and len(rows[0]) == len(i1) > 1:
        rows = tuple((v,) for v in rows[0])  # 1-D table written as one row
    if i1 and len(rows) != len(i1):
        raise LibertyError(f"table {group.kind}: {len(rows)} rows for {len(i1)} index_1 points")
    return Table(i1 or (0.0,), i2 or (0.0,), rows, variables)


def library_from_group(top: Group, where: str = "<liberty>") -> Library:
    attrs = top.attrs
    templates = {}
    for g in top.groups:
        if g.kind in ("lu_table_template", "power_lut_template") and g.args:
            templates[g.args[0]] = g
    cap = top.complex.get("capacitive_load_unit")
    if not cap:
        raise LibertyError(f"{where}: no capacitive_load_unit")
    cap_f = float(cap[0][0]) * _SI[cap[0][1].lower()[0] if cap[0][1].lower() != "f" else "f"]
    if cap[0][1].lower() == "ff":
        cap_f = float(cap[0][0]) * 1e-15
    cells = {}
    for c in top.sub("cell"):
        name = c.args[0]
        pins = {}
        for p in c.sub("pin"):
            arcs = tuple(
                PowerArc(
                    ip.attrs.get("related_pin"),
                    _table(ip.sub("rise_power")[0], templates) if ip.sub("rise_power") else None,
                    _table(ip.sub("fall_power")[0], templates) if ip.sub("fall_power") else None,
                )
                for ip in p.sub("internal_power")
            )
            for pname in p.args:
                pins[pname] = Pin(
                    pname,
                    p.attrs.get("direction", ""),
                    float(p.attrs.get("capacitance", 0.0)),
                    p.attrs.get("function"),
                    arcs,
                    p.attrs.get("clock") == "true",
                )
        seq = (c.sub("ff") or c.sub("latch") or [None])[0]
        cells[name] = Cell(
            name=name,
            area=float(c.attrs.get("area", 0.0)),
            leakage=float(c.attrs.get("cell_leakage_power", 0.0)),
            pins=pins,
            sequential=dict(seq.attrs) if seq else None,
            seq_kind=seq.kind if seq else None,
            seq_vars=tuple(seq.args) if seq else (),
        )
    if not cells:
        raise LibertyError(f"{where}: no cells")
    cond = attrs.get("nom_voltage")
    if cond is None:
        raise LibertyError(f"{where}: no nom_voltage")
    return Library(
        name=top.args[0] if top.args else "",
        voltage=float(cond),
        temperature=float(attrs.get("nom_temperature", 25)),
        time_unit=attrs.get("time_unit", "1ns"),
        leakage_unit_w=_unit(attrs.get("leakage_power_unit", "1nW"), "W", where),
        capacitance_unit_f=cap_f,
        cells=cells,
        path=where,
    )


def load_liberty(path: str | Path) -> Library:
    """Read a Liberty file; every failure is a `LibertyError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise LibertyError(f"{path}: no such Liberty file") from None
    return library_from_group(parse_liberty(text, str(path)), str(path))
