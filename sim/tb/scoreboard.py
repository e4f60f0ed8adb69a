"""In-order scoreboard: every received item must equal the oldest outstanding expectation,
field by field, exactly.

Pure Python (no cocotb import) so it is unit-tested without a simulator. An item is a mapping
of field name to an int or a sequence of ints (e.g. ``{"cls": 2, "values": (5, -3, 9)}``);
every field of the expectation is compared, and a sequence field reports which elements differ.
Mismatches are counted, not raised, so one run reports how many beats disagree; the first one is
kept with its record, beat index and differing values for the error message.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Value = int | Sequence[int]


@dataclass(frozen=True)
class Expected:
    """One expected item: where it came from (record name, beat index) and its fields."""

    record: str
    index: int
    fields: Mapping[str, Value]


@dataclass(frozen=True)
class Mismatch:
    expected: Expected
    got: Mapping[str, Value]
    diffs: tuple[str, ...]  # one human-readable line per differing field

    def __str__(self) -> str:
        e = self.expected
        return f"record {e.record} beat {e.index}: " + "; ".join(self.diffs)


def diff_fields(expected: Mapping[str, Value], got: Mapping[str, Value]) -> tuple[str, ...]:
    """Human-readable differences between two items; empty when they are equal."""
    out = []
    for name, want in expected.items():
        have = got.get(name)
        if isinstance(want, int):
            if have != want:
                out.append(f"{name}: expected {want}, got {have}")
            continue
        want_l = [int(v) for v in want]
        have_l = None if have is None or isinstance(have, int) else [int(v) for v in have]
        if have_l is None or len(have_l) != len(want_l):
            out.append(f"{name}: expected {want_l}, got {have}")
            continue
        bad = [k for k, (a, b) in enumerate(zip(want_l, have_l, strict=True)) if a != b]
        if bad:
            items = ", ".join(f"[{k}] expected {want_l[k]} got {have_l[k]}" for k in bad)
            out.append(f"{name}: {items} (expected {want_l}, got {have_l})")
    return tuple(out)


@dataclass
class Scoreboard:
    """Expectations go in with `expect`, received items with `receive`, in the same order."""

    name: str = "scoreboard"
    pending: deque[Expected] = field(default_factory=deque)
    mismatches: list[Mismatch] = field(default_factory=list)
    unexpected: list[Mapping[str, Value]] = field(default_factory=list)
    matched: int = 0

    def expect(self, item: Expected) -> None:
        self.pending.append(item)

    def receive(self, got: Mapping[str, Value]) -> Mismatch | None:
        """Compare `got` with the oldest expectation; return the mismatch, if any."""
        if not self.pending:
            self.unexpected.append(dict(got))
            return None
        exp = self.pending.popleft()
        diffs = diff_fields(exp.fields, got)
        if not diffs:
            self.matched += 1
            return None
        mismatch = Mismatch(exp, dict(got), diffs)
        self.mismatches.append(mismatch)
        return mismatch

    @property
    def errors(self) -> int:
        return len(self.mismatches) + len(self.unexpected)

    def clear(self) -> None:
        """Forget outstanding expectations (after a reset aborted the items in flight)."""
        self.pending.clear()

    def report(self) -> str:
        """A one-paragraph verdict: counts and the first error, if any."""
        head = (
            f"{self.name}: {self.matched} matched, {len(self.mismatches)} mismatched, "
            f"{len(self.unexpected)} unexpected, {len(self.pending)} still expected"
        )
        if self.mismatches:
            head += f"; first mismatch: {self.mismatches[0]}"
        if self.unexpected:
            head += f"; first unexpected item: {self.unexpected[0]}"
        if self.pending:
            e = self.pending[0]
            head += f"; first missing: record {e.record} beat {e.index}"
        return head

    def check(self) -> None:
        """End of test: no errors and empty queues, else AssertionError with `report()`."""
        if self.errors or self.pending:
            raise AssertionError(self.report())
