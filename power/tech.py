"""Technology files: the energy constants of one process point, each with its unit and source.

A technology file is TOML (``power/tech/<name>.toml``)::

    schema_version = 1
    name = "22nm"
    node_nm = 22
    vdd_v = 0.8
    [constants.comb_toggle_pj]
    value = 0.002413
    unit = "pJ"
    source = "45 nm value 6.25 fJ * s (s = 0.386)"

Every constant in `REQUIRED` must be present, finite, non-negative, in its stated unit and carry a
non-empty ``source``. `load_technology` refuses anything else with a `TechError` naming the file
and the field. The meaning of each constant is in `REQUIRED`; how they combine is in
`power/energy.py`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
TECH_DIR = Path(__file__).parent / "tech"

# name -> (unit, meaning)
REQUIRED: dict[str, tuple[str, str]] = {
    "clock_hz": ("Hz", "default clock frequency"),
    "add8_pj": ("pJ", "8-bit integer add"),
    "add32_pj": ("pJ", "32-bit integer add"),
    "mult8_pj": ("pJ", "8x8-bit integer multiply; a x b bits costs mult8 * a*b/64"),
    "accumulate_pj": ("pJ", "one 16-bit accumulate, for the op-count estimate"),
    "comb_toggle_pj": ("pJ", "one toggle of one combinational net bit"),
    "reg_toggle_pj": ("pJ", "one toggle of one flip-flop output bit"),
    "ff_clock_pj": ("pJ", "one clock cycle of one flip-flop (clock pin and local tree)"),
    "mem_a_pj_per_bit": ("pJ", "memory access: a in E = a*width + b*width*sqrt(depth)"),
    "mem_b_pj_per_bit": ("pJ", "memory access: b in E = a*width + b*width*sqrt(depth)"),
    "mem_write_factor": ("1", "write energy / read energy"),
    "ff_leak_nw": ("nW", "leakage power of one flip-flop"),
    "mem_bit_leak_nw": ("nW", "leakage power of one memory bit cell"),
}
OPTIONAL: dict[str, tuple[str, str]] = {
    "sparrow_accumulate_pj": ("pJ", "accumulate energy of the SparrowSNN energy model"),
}


class TechError(ValueError):
    """A technology file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Constant:
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Technology:
    """One process point. `c(name)` is a constant's value in its fixed unit (see `REQUIRED`)."""

    name: str
    node_nm: float
    vdd_v: float
    description: str
    constants: dict[str, Constant]
    path: Path | None = None

    def c(self, name: str) -> float:
        return self.constants[name].value

    def get(self, name: str, default: float | None = None) -> float | None:
        const = self.constants.get(name)
        return default if const is None else const.value

    @property
    def clock_hz(self) -> float:
        return self.c("clock_hz")

    def mem_read_pj(self, width: int, depth: int) -> float:
        """Energy of one read of a `width`-bit word from a `depth`-word memory:
        E_read = a*width + b*width*sqrt(depth) (a, b fitted to Horowitz's cache reads)."""
        if width <= 0 or depth <= 0:
            raise ValueError(f"memory width and depth must be positive, not {width} x {depth}")
        return width * (self.c("mem_a_pj_per_bit") + self.c("mem_b_pj_per_bit") * math.sqrt(depth))

    def mem_write_pj(self, width: int, depth: int) -> float:
        """E_write = mem_write_factor * E_read(width, depth)."""
        return self.c("mem_write_factor") * self.mem_read_pj(width, depth)

    def add_pj(self, bits: int) -> float:
        """An adder of `bits` bits: linear in width through Horowitz's 8- and 32-bit points."""
        a8, a32 = self.c("add8_pj"), self.c("add32_pj")
        return a8 + (a32 - a8) * (bits - 8) / 24

    def mult_pj(self, a_bits: int, b_bits: int) -> float:
        """An a x b bit multiply: array multiplier, energy ~ partial products = mult8 * a*b/64."""
        return self.c("mult8_pj") * a_bits * b_bits / 64

    def sources(self) -> dict[str, dict]:
        return {
            k: {"value": v.value, "unit": v.unit, "source": v.source}
            for k, v in self.constants.items()
        }


def resolve(name_or_path: str | Path) -> Path:
    """`"22nm"` -> the shipped file; anything with a suffix or a slash is a path."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text:
        return Path(text)
    return TECH_DIR / f"{text}.toml"


def available() -> list[str]:
    return sorted(p.stem for p in TECH_DIR.glob("*.toml"))


def load_technology(name_or_path: str | Path) -> Technology:
    """Read and validate a technology file; every failure is a `TechError`."""
    path = resolve(name_or_path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise TechError(
            f"{path}: no such technology file (shipped points: {', '.join(available())})"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise TechError(f"{path}: malformed TOML ({e})") from None
    return parse_technology(raw, path)


def parse_technology(raw: dict, path: Path | None = None) -> Technology:
    where = str(path) if path else "<technology>"
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise TechError(
            f"{where}: unknown schema_version {version!r}; this flow reads version {SCHEMA_VERSION}"
        )
    for key, kind in (("name", str), ("node_nm", (int, float)), ("vdd_v", (int, float))):
        if not isinstance(raw.get(key), kind) or isinstance(raw.get(key), bool):
            raise TechError(f"{where}: missing or invalid top-level field {key!r}")
    table = raw.get("constants")
    if not isinstance(table, dict):
        raise TechError(f"{where}: missing [constants] table")
    missing = sorted(set(REQUIRED) - set(table))
    if missing:
        raise TechError(f"{where}: missing constants {missing}")
    unknown = sorted(set(table) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise TechError(f"{where}: unknown constants {unknown} (known: {sorted(REQUIRED)})")
    constants = {}
    for key, entry in table.items():
        constants[key] = _constant(where, key, entry, {**REQUIRED, **OPTIONAL}[key][0])
    return Technology(
        name=raw["name"],
        node_nm=float(raw["node_nm"]),
        vdd_v=float(raw["vdd_v"]),
        description=str(raw.get("description", "")),
        constants=constants,
        path=path,
    )


def _constant(where: str, key: str, entry: object, unit: str) -> Constant:
    if not isinstance(entry, dict):
        raise TechError(f"{where}: constant {key!r} must be a table with value, unit and source")
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TechError(f"{where}: constant {key!r} has no finite numeric value ({value!r})")
    if value < 0:
        raise TechError(f"{where}: constant {key!r} is negative ({value}); energies are >= 0")
    if key == "clock_hz" and value == 0:
        raise TechError(f"{where}: constant 'clock_hz' must be positive")
    if entry.get("unit") != unit:
        raise TechError(f"{where}: constant {key!r} must be in {unit!r}, not {entry.get('unit')!r}")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise TechError(f"{where}: constant {key!r} has no source")
    extra = sorted(set(entry) - {"value", "unit", "source"})
    if extra:
        raise TechError(f"{where}: constant {key!r} has unknown fields {extra}")
    return Constant(float(value), unit, source)
