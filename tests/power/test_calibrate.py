"""Calibration factors, held-out error and energy per heartbeat, on numbers checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.power import calibrate
from ecg_snn.power.blocks import BLOCKS


def _arrays():
    n = len(BLOCKS)
    rtl = np.ones((4, n))
    gate = np.ones((4, n)) * 2.0
    gate[:, BLOCKS.index("clock")] = [3.0, 9.0, 3.0, 9.0]  # fit beats see 3, held-out 9
    return gate, rtl


def test_factors_and_held_out_error():
    gate, rtl = _arrays()
    fit = np.array([True, False, True, False])
    k = calibrate.fit_factors(gate, rtl, fit)
    assert k["accumulate"] == pytest.approx(2.0) and k["clock"] == pytest.approx(3.0)
    err = calibrate.held_out_error(gate, rtl, k, ~fit)
    assert err["per_block"]["accumulate"]["error"] == pytest.approx(0.0)
    assert err["per_block"]["clock"]["error"] == pytest.approx(3 / 9 - 1)
    n = len(BLOCKS)
    assert err["total_error"] == pytest.approx((2 * (n - 1) + 3) / (2 * (n - 1) + 9) - 1)
    assert not err["within_15_percent"]  # the clock block is off by -67 %


def test_a_consistent_model_passes():
    gate, rtl = _arrays()
    gate[:, BLOCKS.index("clock")] = 3.0
    fit = np.array([True, False, True, False])
    err = calibrate.held_out_error(gate, rtl, calibrate.fit_factors(gate, rtl, fit), ~fit)
    assert err["within_15_percent"] and err["total_error"] == pytest.approx(0.0)


def test_heartbeat_energy():
    # 10 nJ dynamic, 100 nW leakage, 20 nW kept, 1 ms inference, 0.8 s between beats
    h = calibrate.heartbeat_uj(10.0, 100.0, 20.0, 1e-3)
    assert h["no_power_gating_uj"] == pytest.approx((10 + 100 * 0.8) / 1000)
    assert h["power_gating_uj"] == pytest.approx((10 + 100 * 1e-3 + 20 * 0.799) / 1000)
    hot = calibrate.heartbeat_37c(10.0, 100.0, 20.0, 1e-3)
    assert hot["low"]["no_power_gating_uj"] < hot["high"]["no_power_gating_uj"]
    assert hot["low"]["no_power_gating_uj"] > h["no_power_gating_uj"]


def test_calibrated_nj_by_hand():
    factors = dict.fromkeys(BLOCKS, 0.0) | {"clock": 2.0, "accumulate": 0.5}
    breakdown = dict.fromkeys(BLOCKS, 1.0) | {"clock": 3.0, "accumulate": 4.0}
    dyn, total = calibrate.calibrated_nj(factors, breakdown, leakage_nw=1000.0, t_inf_s=1e-3)
    assert dyn == pytest.approx(2 * 3 + 0.5 * 4)
    assert total == pytest.approx(dyn + 1.0)  # 1000 nW for 1 ms = 1 nJ
    assert total != pytest.approx(dyn + 1000.0)


def test_band_by_hand():
    wires = (22 / 180) ** -0.5  # C ~ L^0.5 instead of C ~ L, at the same voltages
    lo, hi = calibrate.band_nj(10.0, 1.0, -0.1)  # the error's sign does not matter
    assert lo == pytest.approx(10.0 * 0.9 + 1.0)
    assert hi == pytest.approx(10.0 * 1.1 * wires + 1.0)
    assert calibrate.band_nj(10.0, 1.0, 0.1) == (lo, hi)
    assert lo < 11.0 < hi
