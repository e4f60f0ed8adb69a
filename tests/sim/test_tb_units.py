"""The simulator-free pieces of the testbench: scoreboard verdicts and pause patterns."""

from __future__ import annotations

import itertools

import pytest

from sim.tb.pauses import PATTERNS, pauses
from sim.tb.scoreboard import Expected, Scoreboard, diff_fields


def test_scoreboard_matches_in_order() -> None:
    sb = Scoreboard("t")
    for i in range(3):
        sb.expect(Expected("100", i, {"cls": i, "values": (i, -i)}))
    for i in range(3):
        assert sb.receive({"cls": i, "values": [i, -i]}) is None
    sb.check()
    assert sb.matched == 3 and "3 matched" in sb.report()


def test_scoreboard_reports_first_mismatch_with_record_index_values() -> None:
    sb = Scoreboard("t")
    sb.expect(Expected("100", 0, {"cls": 1, "values": (5, 7)}))
    sb.expect(Expected("101", 4, {"cls": 1, "values": (5, 7)}))
    sb.receive({"cls": 1, "values": (5, 7)})
    m = sb.receive({"cls": 0, "values": (5, 6)})
    assert m is not None and sb.errors == 1
    assert str(m) == (
        "record 101 beat 4: cls: expected 1, got 0; "
        "values: [1] expected 7 got 6 (expected [5, 7], got [5, 6])"
    )
    with pytest.raises(AssertionError, match=r"first mismatch: record 101 beat 4: cls"):
        sb.check()


@pytest.mark.parametrize(
    ("got", "message"),
    [
        ({"cls": 2}, "values: expected [1, 2], got None"),
        ({"cls": 2, "values": (1,)}, "values: expected [1, 2], got (1,)"),
    ],
    ids=["missing-field", "short-sequence"],
)
def test_diff_fields_shapes(got: dict, message: str) -> None:
    assert diff_fields({"cls": 2, "values": (1, 2)}, got) == (message,)


def test_scoreboard_missing_and_unexpected_items_fail() -> None:
    sb = Scoreboard("t")
    sb.expect(Expected("r", 0, {"cls": 1}))
    with pytest.raises(AssertionError, match="first missing: record r beat 0"):
        sb.check()
    sb.clear()
    sb.receive({"cls": 1})
    with pytest.raises(AssertionError, match="first unexpected item"):
        sb.check()


@pytest.mark.parametrize("name", PATTERNS)
def test_pause_patterns_are_seeded_and_non_negative(name: str) -> None:
    a = list(itertools.islice(pauses(name, seed=3), 500))
    assert a == list(itertools.islice(pauses(name, seed=3), 500))
    assert min(a) >= 0
    assert (max(a) == 0) == (name == "none")


def test_unknown_pause_pattern() -> None:
    with pytest.raises(ValueError, match="unknown pause pattern 'often'"):
        pauses("often")
