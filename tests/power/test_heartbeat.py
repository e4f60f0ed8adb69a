"""The heartbeat measurement's host script and accounting (`power/heartbeat.py`): the SPI
script drives the real shell (RTL, Verilator) to results equal to the golden model, the
windows have the cycles the SPI timing implies, and the budget adds up as computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.power import heartbeat as hb
from tests.artifacts import make_artifact, random_beats

DESIGNS = [("event", False), ("event", True), ("fused", False), ("fused", True)]


@pytest.fixture(
    scope="module", params=DESIGNS, ids=["free-running", "work-clock", "fused", "fused-work-clock"]
)
def shell(request, tmp_path_factory):
    """A small ROM artifact's SPI shell under the SAIF harness (RTL), with the core clocked on
    every cycle or only while it has work (`hw/spi.py`: the clock enable and the root clock
    gate, whose behavioural model the Verilog carries), for each engine."""
    from ecg_snn.flow.design import spi_verilog
    from ecg_snn.hw.spi import SPI_TOP
    from ecg_snn.power.harness import build_harness
    from ecg_snn.power.run import BUILD
    from tests.artifacts import ssf_artifact

    engine, work = request.param
    artifact = make_artifact("small") if engine == "event" else ssf_artifact("small")
    root = tmp_path_factory.mktemp("shell")
    config = HwConfig(lanes=2, rom=True, engine=engine)
    v = spi_verilog(artifact.spec, config, artifact, out_root=root, work_clock=work)
    tag = f"spi-small-{engine}{'-work' if work else ''}"
    exe = build_harness(v, SPI_TOP, BUILD / "harness" / tag)  # content-keyed
    return artifact, exe, engine


# compute windows (last word -> irq) of the three beats, the same with and without the work
# clock (cycle-exact)
COMPUTE_CYCLES = {"event": [254, 325, 444], "fused": [13, 20, 20]}


def test_beats_over_spi_equal_golden(shell, tmp_path):
    """Three beats (silent, sparse with the input extremes, random) sent word by word, `irq`
    awaited, the result read over MISO: equal to the golden model; the transfer window lasts
    words x (3 + 2 * 40) half periods of SCK."""
    artifact, exe, engine = shell
    x, rr = random_beats(artifact, np.random.default_rng(5), 3)
    lines, bad = hb.send_beats(exe, artifact, x[:, 0, :], rr, tmp_path)
    assert bad == 0
    marks = hb.window_cycles(lines)  # wake, then per beat transfer, compute, read; idle
    assert len(marks) == 1 + 3 * 3 + 1
    words = x.shape[2] + rr.shape[1]
    assert marks[1] - marks[0] == words * (3 + 2 * 8 * 5) * hb.HALF
    assert all(marks[2 + 3 * k] > marks[1 + 3 * k] for k in range(3))  # compute took cycles
    assert marks[-1] - marks[-2] == hb.IDLE_CYCLES
    for w in ("wake", "beat0_transfer", "beat2_read", "idle"):
        assert (tmp_path / f"{w}.saif").exists()
    # cycle-exact: both designs give these marks (the compute windows of the three beats)
    assert np.diff(marks).tolist()[1::3] == COMPUTE_CYCLES[engine]


def test_a_wrong_result_is_counted(shell, tmp_path, monkeypatch):
    """The negative test: with one MISO bit flipped, the beat is counted as a mismatch."""
    artifact, exe, _ = shell
    x, rr = random_beats(artifact, np.random.default_rng(6), 2)
    real = hb.read_results

    def flipped(lines, n):
        out = real(lines, n)
        return [bytes([out[0][0] ^ 1, *out[0][1:]]), *out[1:]]

    monkeypatch.setattr(hb, "read_results", flipped)
    _, bad = hb.send_beats(exe, artifact, x[:, 0, :], rr, tmp_path)
    assert bad == 1


def test_read_results_refuses_a_partial_read():
    lines = ["peek miso 1"] * 15
    with pytest.raises(RuntimeError, match="15 MISO bits is not a whole number"):
        hb.read_results(lines, 1)
    # status byte 0xff is dropped; the result byte follows MSB first
    bits = [1] * 8 + [0, 0, 0, 0, 0, 1, 0, 1]
    assert hb.read_results([f"peek miso {b}" for b in bits], 1) == [b"\x05"]


def test_budget_by_hand():
    """A 4 MHz clock, 1,000 active cycles (250 us): active 300 nJ; idle 0.5 nJ/cycle of which
    0.2 core; leakage 5,000 nW. Standby 0.8 - 0.00025 = 0.79975 s:
    clock running (0.5 * 4e6 + 5000) nW... = 2,005,000 nW x 0.79975 s = 1,603,498.75 nJ,
    clock stopped 5000 x 0.79975 = 3,998.75 nJ, power gated 0."""
    part = {"dynamic_nj": 0.0, "leakage_nj": 0.0}
    windows = {
        "transfer": {"cycles": 800, "total_nj": 200.0},
        "compute": {"cycles": 100, "total_nj": 80.0},
        "read": {"cycles": 98, "total_nj": 19.0},
    }
    wake = {"cycles": 2, "total_nj": 1.0}
    idle = {"cycles": 10, "core": {**part, "dynamic_nj": 2.0}, "shell": {**part, "dynamic_nj": 3.0}}
    b = hb.budget(windows, wake, idle, 5000.0, 4e6)
    assert b["active_cycles"] == 1000 and b["active_nj"] == pytest.approx(300.0)
    assert b["uj_per_heartbeat"]["clock_running"] == pytest.approx((300 + 1_603_498.75) / 1000)
    assert b["uj_per_heartbeat"]["clock_stopped"] == pytest.approx((300 + 3_998.75) / 1000)
    assert b["uj_per_heartbeat"]["power_gated"] == pytest.approx(0.3)
    assert b["average_power_uw"]["power_gated"] == pytest.approx(0.3 / 0.8)
    assert b["core_idle_during_transfer_nj"] == pytest.approx(0.2 * 800)
    assert b["meets_target"] == {
        "clock_running": False,
        "clock_stopped": False,
        "power_gated": True,
    }


def test_bounds_by_hand():
    """Inference 400 nJ over 500 cycles; idle cycle core 0.1, shell 0.01, shared 0.02 nJ;
    leakage 4,000 nW; windows 2 + 900 + 60 + 38 = 1,000 cycles at 4 MHz (250 us, 1 nJ of
    leakage): clock enables 400 + 0.13 * 500 + 1 = 466 nJ, root gate 400 + 0.03 * 500 + 1 =
    416 nJ; standby stopped 4000 * 0.79975 = 3,199 nJ, running (0.13 * 4e6 + 4000) * 0.79975
    = 419,069 nJ."""
    static = {
        "core": {"idle_nj_per_cycle": 0.1},
        "shell": {"idle_nj_per_cycle": 0.01},
        "shared": {"idle_nj_per_cycle": 0.02},
        "leakage_nw": {"core": 3000.0, "shell": 1000.0},
    }
    rtl = {
        "windows": {"transfer": {"cycles": 900}, "compute": {"cycles": 60}, "read": {"cycles": 38}}
    }
    b = hb.bounds(static, rtl, {"nj": 400.0, "cycles": 500}, 4e6)
    assert b["active_cycles"] == 1000
    assert b["active_nj_at_least"] == pytest.approx({"clock_enables": 466.0, "root_gate": 416.0})
    u = b["uj_per_heartbeat_at_least"]
    assert u["root_gate"]["power_gated"] == pytest.approx(0.416)
    assert u["clock_enables"]["clock_stopped"] == pytest.approx(0.466 + 3.199)
    assert u["clock_enables"]["clock_running"] == pytest.approx(0.466 + 419.069)
