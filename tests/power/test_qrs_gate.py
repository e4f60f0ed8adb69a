"""The QRS detector block at gate level (`power/qrs.py`, `make qrs GATE=1`): the harness output
parser, the part rule and the power budget on hand-made inputs; then the mapped netlist on
osu018 (`make tech`; skipped without it), simulated gate by gate on a synthetic record with a
lead-off gap, bit-exact with the golden detector, the checker failing on a corrupted
expectation, and an idle cycle costing the same after any sample (the budget's premise)."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.flow.qrs_cases import Case, compare, golden
from ecg_snn.model.contract import qrs
from ecg_snn.power import qrs as gate_qrs
from tests.ecg_synth import synthetic_ecg


def test_parse_gives_each_beat_the_sample_it_was_decided_at():
    """Two cases of 3 and 2 samples: a beat after the second sample of case 0, one after the
    last sample of case 0 (in its tail), one after the first sample of case 1."""
    payload = (7 << (2 * qrs.COUNTER_BITS)) | (5 << qrs.COUNTER_BITS) | 4  # sample 4, peak 5
    lines = ["cycles 10", "cycles 21", f"got {payload:x} 25", "cycles 32", "got 1 40"]
    lines += ["cycles 50", "got 2 55", "cycles 61"]
    (b0, t0), (b1, t1) = gate_qrs.parse(lines, [3, 2])
    assert b0.tolist() == [[4, 5, 1, 7], [1, 0, 2, 0]]
    assert b1.tolist() == [[2, 0, 0, 0]]
    assert t0.tolist() == [10, 21, 32] and t1.tolist() == [50, 61]
    with pytest.raises(RuntimeError, match=r"^the harness took 5 samples of 6$"):
        gate_qrs.parse(lines, [3, 3])


def test_parts_are_the_register_files_and_the_logic():
    assert gate_qrs.part_of("snn_qrs/snn_qrs_u_ring/_530_/fanout_buf1") == "u_ring"
    assert gate_qrs.part_of("snn_qrs/snn_qrs_out_queue/_12_") == "out_queue"
    assert gate_qrs.part_of("snn_qrs/_123_") == "logic"
    assert gate_qrs.part_of("snn_qrs/fanout_buf7") == "logic"
    assert gate_qrs.part_of("") == "logic"  # a net no cell drives: an input port


def _window(cycles: int, logic_nj: float, clock_nj: float, sram_nj: float = 0.0) -> dict:
    part = {"dynamic_nj": logic_nj, "per_block_nj": {"clock": clock_nj}, "leakage_nj": 0.0}
    sram = {"dynamic_nj": sram_nj, "per_block_nj": {"control": sram_nj}, "leakage_nj": 0.0}
    return {"cycles": cycles, "logic": part, "sram": sram}


def test_budget_by_hand():
    """2 s of ECG in two windows of 1,000 cycles (1,000 active cycles per second), 3 + 1 nJ per
    second of samples; an idle cycle 0.002 nJ; at 11 kHz the block waits 10,000 cycles per
    second: 4 + 20 = 24 nJ/s = 0.024 uW dynamic, + 1 uW of leakage."""
    windows = [_window(1000, 2.0, 1.0, 0.5), _window(1000, 4.0, 1.0, 1.5)]
    idle = _window(500, 1.0, 0.5)
    b = gate_qrs.budget(windows, idle, 2.0, 11_000, {"logic": 600.0, "sram": 400.0})
    assert b["active_cycles_per_s"] == 1000 and b["idle_cycles_per_s"] == 10_000
    assert b["active_nj_per_s"] == pytest.approx(4.0)
    assert b["idle_nj_per_cycle"] == pytest.approx(0.002)
    assert b["dynamic_uw"] == pytest.approx(0.024)
    assert b["clock_tree_uw"] == pytest.approx((1.0 + 10_000 * 0.001) / 1000)
    assert b["power_uw"] == pytest.approx(1.024)
    assert b["uj_per_heartbeat_75_bpm"] == pytest.approx(1.024 * 0.8)
    assert b["power_uw_clock_stopped_between_samples"] == pytest.approx(1.004)
    assert b["per_part"]["sram"]["power_uw"] == pytest.approx(0.001 + 0.4)
    with pytest.raises(ValueError, match=r"^a 999 Hz clock is slower than the 1,000 cycles per "):
        gate_qrs.budget(windows, idle, 2.0, 999, {})


@pytest.fixture(scope="module")
def gate_block():
    """The block mapped and its simulator, content-keyed in the build of `make qrs GATE=1`."""
    from ecg_snn.flow.asic.pdk import OSU018

    try:
        OSU018.liberty()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    return gate_qrs.gate_build(gate_qrs.WORK)


@pytest.fixture(scope="module")
def synthetic_run(gate_block, tmp_path_factory):
    """Ten seconds at 72 bpm with a 1 s lead-off gap (invalid samples, held) from 5 s on."""
    samples = synthetic_ecg(72, 10)
    valid = np.ones(len(samples), bool)
    valid[5 * qrs.FS : 6 * qrs.FS] = False
    case = Case("synthetic", np.where(valid, samples, -32768), valid)
    _, exe = gate_block
    work = tmp_path_factory.mktemp("qrs_gate")
    return case, golden(case), gate_qrs.run_cases(exe, [case], work)[0], work


@pytest.mark.slow  # the first time: Yosys and a 3-minute simulator build (cached after)
def test_gate_level_beats_equal_golden(synthetic_run):
    case, expected, got, _ = synthetic_run
    assert len(expected) >= 8
    assert compare(expected, got.beats) == []
    assert len(got.cycles) == len(case.samples) - 1
    assert got.cycles.max() < 200 and 9 <= got.cycles.mean() < 13


@pytest.mark.slow
def test_checker_catches_a_corrupted_expectation(synthetic_run):
    _, expected, got, _ = synthetic_run
    bad = expected.copy()
    bad[3, 1] += 1  # one integration peak a sample late
    bad[5, 2] -= 1  # one decision a sample early
    assert compare(bad, got.beats) == [
        f"beat 3: peak {got.beats[3, 1]} != {bad[3, 1]}",
        f"beat 5: decided {got.beats[5, 2]} != {bad[5, 2]}",
    ]
    assert compare(expected[:-1], got.beats)[0].startswith(f"{len(got.beats)} beats from the")


@pytest.mark.slow
def test_an_idle_cycle_costs_the_same_after_any_sample(gate_block, synthetic_run):
    """The budget's premise: an idle cycle after the synthetic record costs what one after the
    reset does (`idle_window`); it is the clock up to the work clock's root gate
    (`heartbeat.idle_clock_nets`) at least, and with that gate closed it is under 1 % of what a
    working cycle costs."""
    from ecg_snn.flow.qrs_cases import words
    from ecg_snn.power.gate_energy import net_costs
    from ecg_snn.power.harness import run_harness
    from ecg_snn.power.heartbeat import idle_clock_nets

    model, exe = gate_block
    case, _, got, work = synthetic_run
    after = work / "after.saif"
    text = gate_qrs.script([words(case)], [work / "again.saif"])
    run_harness(exe, text + f"saif_open {after}\nstep 1000\nsaif_close\n", cwd=work)
    fs = 65_536
    e = gate_qrs.energy(model, [got.saif], gate_qrs.idle_window(exe, work), 10.0, fs)
    later = gate_qrs.energy(model, [got.saif], after, 10.0, fs)["budget"]["idle_nj_per_cycle"]
    idle = e["budget"]["idle_nj_per_cycle"]
    assert later == pytest.approx(idle, rel=1e-9)
    costs = net_costs(model.flat, model.lib)
    tree = sum(2 * costs[g].pj for g in idle_clock_nets(model.flat, model.lib) if g in costs)
    assert tree / 1000 <= idle
    per_sample = e["budget"]["active_nj_per_s"] / qrs.FS
    assert idle < 0.01 * per_sample / got.cycles.mean()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--jobs", "0"], "--jobs must be >= 1, not 0"),
        (["--clock-hz", "-3"], "--clock-hz -3 is below 3600"),
        (["--clock-hz", "3000"], "--clock-hz 3000 is below 3600"),
    ],
    ids=["jobs", "negative-clock", "slow-clock"],
)
def test_bad_options_are_a_one_line_error(argv, message, capsys):
    """Refused at once, before any synthesis: one line naming the bad value."""
    assert gate_qrs.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"make qrs GATE=1: {message}") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("100:-1:5", "needs start_s >= 0 and seconds > 0"),
        ("100:0:0", "needs start_s >= 0 and seconds > 0"),
        ("100:99999:5", "starts after the end of record 100"),
        ("999:0:60", "case '999:0:60': "),
        ("nonsense", "is not record:start_s:seconds"),
    ],
    ids=["negative-start", "no-seconds", "past-the-end", "no-record", "not-a-case"],
)
def test_bad_cases_are_a_one_line_error(spec, message):
    """A case is checked when it is read, before any simulation (`flow/qrs_cases.load_case`)."""
    from ecg_snn.flow.qrs_cases import load_case

    with pytest.raises(SystemExit) as e:
        load_case(spec)
    assert message in str(e.value) and "\n" not in str(e.value)
