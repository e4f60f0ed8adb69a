"""A streaming reader for SAIF (Switching Activity Interchange Format) files.

Verilator's ``--trace-saif`` writes one line per net bit inside nested instance scopes::

    (SAIFILE
    (SAIFVERSION "2.0") (DIRECTION "backward") (PROGRAM_NAME "Verilator") (DIVIDER / )
    (TIMESCALE 1ps)
    (DURATION 20)
      (INSTANCE top
        (NET
          (count\\[0\\] (T0 10) (T1 10) (TZ 0) (TX 0) (TB 0) (TC 8))
        )
        (INSTANCE ctr ...)))

For each bit: T0/T1 = time spent at 0/1 (in TIMESCALE units), TC = number of 0<->1 transitions,
IG = glitches (kept, Verilator writes none). `iter_bits` yields one `SaifBit` per line without
holding the file in memory; `read_saif` aggregates them per net. Any syntax error (unbalanced
parentheses, a missing or non-integer count, a net outside an instance, no SAIFILE) raises
`SaifError` with the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Verilator's one-net-per-line form, read without tokenising (the common case, ~10x faster).
_FAST_NET = re.compile(
    r"^\s*\(((?:\\.|[^\s()\\])+) \(T0 (\d+)\) \(T1 (\d+)\) \(TZ \d+\) \(TX \d+\) "
    r"\(TB \d+\) \(TC (\d+)\)\)\s*$"
)
_TOKEN = re.compile(r'\(|\)|"[^"]*"|(?:\\.|[^\s()"\\])+')
_BIT = re.compile(r"^(.*)\[(\d+)\]$")
_UNESCAPE = re.compile(r"\\(.)")
_HEADER = {
    "SAIFVERSION",
    "DIRECTION",
    "DESIGN",
    "DATE",
    "VENDOR",
    "PROGRAM_NAME",
    "VERSION",
    "DIVIDER",
    "TIMESCALE",
    "DURATION",
}
_COUNTS = ("T0", "T1", "TX", "TZ", "TB", "TC", "IG")


class SaifError(ValueError):
    """A SAIF file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class SaifBit:
    """Activity of one bit: `scope` is the instance path joined by '/', `name` the net's base
    name (escapes removed), `index` its bit index (None for a scalar)."""

    scope: str
    name: str
    index: int | None
    t0: int
    t1: int
    tc: int
    ig: int = 0


@dataclass
class NetActivity:
    """One net, all its bits: total toggles, and per-bit time at 1."""

    width: int = 0
    tc: int = 0
    t1: dict[int | None, int] = field(default_factory=dict)
    tc_bits: dict[int | None, int] = field(default_factory=dict)

    def add(self, bit: SaifBit) -> None:
        self.tc += bit.tc
        self.t1[bit.index] = bit.t1
        self.tc_bits[bit.index] = bit.tc
        self.width = len(self.t1)


@dataclass
class SaifData:
    """A whole SAIF file: header fields and nets keyed by (scope, name)."""

    path: str
    timescale: str = ""
    duration: int = 0
    header: dict[str, str] = field(default_factory=dict)
    nets: dict[tuple[str, str], NetActivity] = field(default_factory=dict)
    zero_nets_skipped: bool = False

    def net(self, scope: str, name: str) -> NetActivity:
        try:
            return self.nets[(scope, name)]
        except KeyError:
            raise KeyError(f"{self.path}: no net {name!r} in scope {scope!r}") from None

    def scopes(self) -> list[str]:
        return sorted({s for s, _ in self.nets})


class _Tokens:
    """Tokens with line numbers, one line at a time."""

    def __init__(self, path: Path, active_only: bool = False):
        self.path = path
        self.active_only = active_only
        self.line = 0
        self._it = self._gen()
        self._peek: str | None = None

    def _gen(self) -> Iterator[str | tuple]:
        with self.path.open("r", errors="strict") as f:
            skip = self.active_only
            for self.line, text in enumerate(f, 1):
                if skip and text.endswith("(TC 0))\n"):
                    continue
                if m := _FAST_NET.match(text):
                    yield m.groups()  # (name, T0, T1, TC) of one whole net line
                    continue
                yield from _TOKEN.findall(text.split("//", 1)[0] if "//" in text else text)

    def next(self) -> str | None:
        if self._peek is not None:
            tok, self._peek = self._peek, None
            return tok
        return next(self._it, None)

    def peek(self) -> str | None:
        if self._peek is None:
            self._peek = next(self._it, None)
        return self._peek

    def error(self, msg: str) -> SaifError:
        return SaifError(f"{self.path}:{self.line}: {msg}")

    def expect(self, want: str) -> None:
        tok = self.next()
        if tok != want:
            found = "end of file" if tok is None else repr(tok)
            raise self.error(f"expected {want!r}, found {found}")


def _unescape(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    if "\\" not in name:
        return name
    if "\\\\" not in name:
        return name.replace("\\", "")
    return _UNESCAPE.sub(r"\1", name)


def split_bit(name: str) -> tuple[str, int | None]:
    """'count[3]' -> ('count', 3); 'en' -> ('en', None)."""
    if not name.endswith("]"):
        return name, None
    m = _BIT.match(name)
    return (m.group(1), int(m.group(2))) if m else (name, None)


def iter_bits(
    path: str | Path, header: dict[str, str] | None = None, active_only: bool = False
) -> Iterator[SaifBit]:
    """Yield every net bit of a SAIF file, streaming. Header fields go into `header` if given.
    `active_only` skips Verilator-style net lines with no toggle (a fast path for baselines)."""
    toks = _Tokens(Path(path), active_only)
    try:
        if toks.next() != "(" or toks.next() != "SAIFILE":
            raise toks.error("not a SAIF file (expected '(SAIFILE')")
        yield from _body(toks, [], header if header is not None else {})
        if toks.next() is not None:
            raise toks.error("text after the closing parenthesis of SAIFILE")
    except UnicodeDecodeError as e:
        raise SaifError(f"{path}: not a text file ({e})") from None
    except FileNotFoundError:
        raise SaifError(f"{path}: no such SAIF file") from None


def _body(toks: _Tokens, scope: list[str], header: dict[str, str]) -> Iterator[SaifBit]:
    """Items until the ')' closing the current SAIFILE or INSTANCE (consumed)."""
    while True:
        tok = toks.next()
        if tok is None:
            raise toks.error("unexpected end of file (unbalanced parentheses)")
        if tok == ")":
            return
        if tok != "(":
            where = "a net outside NET" if isinstance(tok, tuple) else repr(tok)
            raise toks.error(f"unexpected {where}")
        key = toks.next()
        if key in _HEADER:
            header[key] = " ".join(_atoms(toks))
        elif key == "INSTANCE":
            names = []
            while toks.peek() not in ("(", ")", None):
                names.append(_unescape(toks.next()))
            if not names:
                raise toks.error("INSTANCE without a name")
            yield from _body(toks, [*scope, names[-1]], header)
        elif key in ("NET", "PORT"):
            if not scope:
                raise toks.error(f"{key} outside any INSTANCE")
            yield from _nets(toks, "/".join(scope))
        elif key is None or key in "()":
            raise toks.error(f"expected a keyword after '(', found {key!r}")
        else:
            _skip(toks)


def _atoms(toks: _Tokens) -> list[str]:
    out = []
    while (tok := toks.next()) != ")":
        if tok is None or tok == "(":
            raise toks.error("malformed header field")
        out.append(tok.strip('"'))
    return out


def _skip(toks: _Tokens) -> None:
    depth = 1
    while depth:
        tok = toks.next()
        if tok is None:
            raise toks.error("unexpected end of file (unbalanced parentheses)")
        depth += {"(": 1, ")": -1}.get(tok, 0)


def _nets(toks: _Tokens, scope: str) -> Iterator[SaifBit]:
    while True:
        tok = toks.next()
        if isinstance(tok, tuple):
            name, index = split_bit(_unescape(tok[0]))
            yield SaifBit(scope, name, index, int(tok[1]), int(tok[2]), int(tok[3]))
            continue
        if tok == ")":
            return
        if tok != "(":
            raise toks.error(f"expected '(' opening a net, found {tok!r}")
        raw = toks.next()
        if raw in (None, "(", ")"):
            raise toks.error("net without a name")
        counts: dict[str, int] = {}
        while (tok := toks.next()) == "(":
            key = toks.next()
            value = toks.next()
            toks.expect(")")
            if key not in _COUNTS:
                raise toks.error(f"unknown activity field {key!r} for net {raw!r}")
            try:
                counts[key] = int(value)
            except (TypeError, ValueError):
                raise toks.error(f"{key} of net {raw!r} is not an integer: {value!r}") from None
            if counts[key] < 0:
                raise toks.error(f"{key} of net {raw!r} is negative")
        if tok != ")":
            raise toks.error(f"net {raw!r} is not closed")
        missing = [k for k in ("T0", "T1", "TC") if k not in counts]
        if missing:
            raise toks.error(f"net {raw!r} lacks {missing}")
        name, index = split_bit(_unescape(raw))
        yield SaifBit(
            scope, name, index, counts["T0"], counts["T1"], counts["TC"], counts.get("IG", 0)
        )


def read_saif(path: str | Path, active_only: bool = False, skip_zero: bool = False) -> SaifData:
    """Parse a whole SAIF file into per-net activity.

    `active_only` keeps only bits that toggled (enough for a baseline); `skip_zero` drops bits
    that stayed at 0 the whole window (no energy, no access), which the energy model then reads
    as "never high". Verilator's regular layout is read by a fast line loop; anything else goes
    through the general tokenising parser (`iter_bits`), which also gives the error messages."""
    try:
        data = _read_fast(Path(path), active_only, skip_zero)
    except _SlowPathError:
        header: dict[str, str] = {}
        data = SaifData(path=str(path), header=header)
        for bit in iter_bits(path, header, active_only):
            if skip_zero and bit.tc == 0 and bit.t1 == 0:
                continue
            data.nets.setdefault((bit.scope, bit.name), NetActivity()).add(bit)
    data.zero_nets_skipped = skip_zero or active_only
    if "DURATION" not in data.header:
        raise SaifError(f"{path}: no DURATION")
    try:
        data.duration = int(data.header["DURATION"])
    except ValueError:
        raise SaifError(
            f"{path}: DURATION is not an integer: {data.header['DURATION']!r}"
        ) from None
    data.timescale = data.header.get("TIMESCALE", "")
    return data


class _SlowPathError(Exception):
    """The file is not in Verilator's regular layout: use the general parser."""


_FAST_HEADER = re.compile(r"^\(([A-Z_]+) (.*)\)$")


def _read_fast(path: Path, active_only: bool, skip_zero: bool) -> SaifData:
    try:
        text = path.read_text()
    except (FileNotFoundError, UnicodeDecodeError):
        raise _SlowPathError from None
    data = SaifData(path=str(path))
    nets = data.nets
    stack: list[str | None] = []  # instance names, None for an open NET
    scope = ""
    lines = iter(text.splitlines())
    if next(lines, "").startswith("//"):
        first = next(lines, "")
    else:
        raise _SlowPathError
    if first.strip() != "(SAIFILE":
        raise _SlowPathError
    closed = False
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if closed:
            raise _SlowPathError
        if stack and stack[-1] is None and s[0] == "(":
            if s.endswith("(TC 0))") and (active_only or (skip_zero and "(T1 0)" in s)):
                continue
            m = _FAST_NET.match(s)
            if m is None:
                raise _SlowPathError
            raw, _t0, t1, tc = m.groups()
            name = raw.replace("\\", "") if "\\" in raw else raw
            index = None
            if name.endswith("]"):
                cut = name.rfind("[")
                digits = name[cut + 1 : -1]
                if digits.isdigit():
                    name, index = name[:cut], int(digits)
            key = (scope, name)
            act = nets.get(key)
            if act is None:
                act = nets[key] = NetActivity()
            tcv = int(tc)
            act.t1[index] = int(t1)
            act.tc_bits[index] = tcv
            act.tc += tcv
            act.width = len(act.t1)
        elif s == ")":
            if not stack:
                closed = True
                continue
            if stack.pop() is not None:
                scope = "/".join(x for x in stack if x is not None)
        elif s == "(NET":
            if not stack:
                raise _SlowPathError
            stack.append(None)
        elif s.startswith("(INSTANCE "):
            parts = s.split()
            if len(parts) != 2:
                raise _SlowPathError
            stack.append(parts[1].strip('"').replace("\\", ""))
            scope = "/".join(x for x in stack if x is not None)
        elif (h := _FAST_HEADER.match(s)) and not stack:
            data.header[h.group(1)] = h.group(2).strip().strip('"')
        else:
            raise _SlowPathError
    if stack or not closed:
        raise _SlowPathError
    return data
