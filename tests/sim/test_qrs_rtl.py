"""The QRS detector block on Verilator against the golden detector, on real MIT-BIH minutes
(`sim/qrs.py`): bit-exact beats and decision samples, including the noisy records 105, 108 and
203 and a lead-off gap; the checker fails on a corrupted expectation and on a changed input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.contract import qrs
from ecg_snn.sim import qrs as bench

FS = qrs.FS


@pytest.fixture(scope="module")
def qrs_build():
    return bench.rtl_build(bench.ROOT / "build" / "sim" / "qrs-src")


@pytest.fixture(scope="module")
def cases(mitdb_dir) -> list[bench.Case]:
    """Three minutes each of a clean record and the three noisy ones, 203 again with an 8 s
    lead-off gap (invalid samples, held) from 60 s on, and five minutes of 222 (a search-back
    at 4:04)."""
    out = [bench.load_case(f"{r}:0:180") for r in ("100", "105", "108", "203")]
    gap = out[-1]
    valid = gap.valid.copy()
    valid[60 * FS : 68 * FS] = False
    samples = np.where(valid, gap.samples, -32768)  # what must never reach the filters
    return [*out, bench.Case("203 gap", samples, valid), bench.load_case("222:0:300")]


@pytest.fixture(scope="module")
def rtl_run(qrs_build, cases, tmp_path_factory):
    expected = [bench.golden(c) for c in cases]
    got = bench.run_rtl(qrs_build, cases, expected, tmp_path_factory.mktemp("qrs"))
    return expected, got


def test_rtl_equals_golden_on_real_records(rtl_run, cases):
    expected, got = rtl_run
    for case, exp, rtl in zip(cases, expected, got, strict=True):
        assert bench.compare(exp, rtl.beats) == [], case.name
        assert len(exp) > 150, case.name  # three minutes of real beats
        assert len(rtl.cycles) == len(case.samples) - 1
    assert any(e[:, 3].any() for e in expected)  # a search-back was exercised


def test_checker_catches_a_corrupted_expectation(rtl_run):
    expected, got = rtl_run
    bad = expected[1].copy()
    bad[40, 0] += 1  # one fiducial a sample late
    bad[41, 2] += 1  # one decision a sample late
    assert bench.compare(bad, got[1].beats) == [
        f"beat 40: sample {got[1].beats[40, 0]} != {bad[40, 0]}",
        f"beat 41: decided {got[1].beats[41, 2]} != {bad[41, 2]}",
    ]
    short = bench.compare(expected[1][:-1], got[1].beats)
    n = len(got[1].beats)
    assert short[0] == f"{n} beats from the RTL, {n - 1} from the golden detector"


def test_a_changed_input_is_caught(qrs_build, cases, tmp_path: Path):
    """An electrode pop 10x the R wave in the samples the RTL gets but not in the golden run:
    the beats after it differ (the bench cannot pass a block that ignores its input)."""
    case = bench.Case("100 short", cases[0].samples[: 40 * FS], cases[0].valid[: 40 * FS])
    popped = case.samples.copy()
    popped[20 * FS : 20 * FS + 7] += 10 * 200
    expected = bench.golden(case)
    try:
        got = bench.run_rtl(
            qrs_build, [bench.Case("pop", popped, case.valid)], [expected], tmp_path
        )
        found = bench.compare(expected, got[0].beats)
    except RuntimeError as e:  # more beats than expected: the bench reports the stall
        found = [str(e)]
        assert "an extra or a missing beat" in str(e)
    assert found != []
