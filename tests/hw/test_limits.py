"""The directed limit artifacts (`sim/accel/limits.py`) on the Amaranth simulation of the RTL,
bit for bit against the golden model, with the coverage model proving they reach the limits:
every membrane saturating at both ends, every register needing its last bit, ties, T = 1 and
T = 1024. These are the tests that kill the width and decoder mutants of `tests/mutants.toml`.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.cycles import inference_cycles
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.image import weight_image
from ecg_snn.sim.accel import coverage, limits
from ecg_snn.sim.pysim import simulate

# T = 1024 costs ~5k cycles per beat in the Python simulator: its directed vectors only.
VECTORS = {"t-max": 6}


@pytest.mark.parametrize("name", list(limits.CASES))
def test_limit_case_bit_exact_on_the_rtl(name):
    art, config, vectors = limits.case(name)
    vectors = vectors[: VECTORS.get(name, len(vectors))]
    x, rr = vectors.x[:, None, :], vectors.rr
    dut = Accelerator(art.spec, config, artifact=art)
    image = None if config.rom else weight_image(art)
    got = simulate(dut, list(zip(vectors.x, rr, strict=True)), image)
    want = golden.run(art, x, rr)
    for k, (cls, values, _) in enumerate(got):
        assert (cls, values) == (int(want.cls[k]), want.values[k].tolist()), (
            f"{name}: vector {k} ({vectors.record[k]}): got class {cls} values {values}, "
            f"expected {want.cls[k]} {want.values[k].tolist()}"
        )
    cycles = [c for _, _, c in got]
    assert cycles == inference_cycles(art, HwConfig(lanes=config.lanes), x, rr).tolist()


def test_limit_cases_hit_every_bin():
    """Over the four cases, every coverage bin is hit; and each case reaches the limits it is
    built for."""
    runs = {}
    for name in limits.CASES:
        art, _, v = limits.case(name)
        runs[name] = coverage.measure(art, v.x, v.rr)
    empty = coverage.empty_bins(coverage.bins(list(runs.values())))
    assert [b for b in empty if not b.startswith("lanes=")] == []  # lanes: tests/hw/test_space.py
    for name, m in runs.items():
        assert m["ties"] > 0, name
        for layer, la in m["layers"].items():
            assert la["saturated_high"] + la["saturated_low"] > 0, (name, layer)
            assert la["bits"]["membrane"] == la["widths"]["membrane"], (name, layer)
    # The RR layers' bias-free current and V + acc need the bit the RTL adds for them.
    for name in ("if", "ssf"):
        rr_layer = runs[name]["layers"]["dense1"]
        assert rr_layer["bits"]["cin"] == rr_layer["widths"]["cin"], name
    assert runs["if"]["layers"]["dense1"]["bits"]["vw"] == 10
    assert runs["t-max"]["layers"]["out"]["bits"]["vw"] == 17
    assert runs["ssf"]["layers"]["dense1"]["top_shift"] > 0
    assert runs["t-max"]["layers"]["conv0"]["count_at_T"] > 0


def test_bins_report_what_is_missing():
    """Negative: silent inputs on an IF-only model leave bins empty, and they are named."""
    art, _, v = limits.case("if")
    silent = coverage.measure(art, np.zeros_like(v.x[:2]), np.zeros_like(v.rr[:2]))
    empty = coverage.empty_bins(coverage.bins([silent]))
    assert "T=1024" in empty and "if/full_width:cin" in empty
    assert not any(k.startswith("ssf/") for k in coverage.bins([silent]))


def test_cycle_bound_covers_every_case_and_catches_an_underestimate():
    """The bench watchdog's bound (`hw.cycles.cycle_bound`) is above the cycle model on every
    limit case at its own lanes and on one lane; T = 1024 on one lane is a slow inference, not
    a hang. Negative: the bound for T = 8 (a fixed watchdog sized for the trained model) is
    below the T = 1024 case's cycles."""
    import dataclasses

    from ecg_snn.hw.cycles import cycle_bound

    for name in limits.CASES:
        art, config, v = limits.case(name)
        for lanes in (config.lanes, 1):
            cyc = inference_cycles(art, HwConfig(lanes=lanes), v.x[:6, None, :], v.rr[:6])
            assert cyc.max() <= cycle_bound(art.spec, HwConfig(lanes=lanes)), (name, lanes)
    art, _, v = limits.case("t-max")
    cyc = inference_cycles(art, HwConfig(lanes=1), v.x[:6, None, :], v.rr[:6])
    assert cycle_bound(dataclasses.replace(art.spec, T=8), HwConfig(lanes=1)) < cyc.max()


def test_coverage_measured_in_parallel_threads_equals_serial():
    """`make sim` measures its limit cases in threads; the instrumented golden model is shared
    module state, so each thread must still count only its own run."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [limits.case(n) for n in ("if", "ssf", "if", "ssf")]

    def measure(case):
        art, _, v = case
        return coverage.measure(art, v.x, v.rr)

    serial = [measure(c) for c in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(measure, cases)) == serial
    assert golden.if_step.__name__ == "if_step"  # the wrappers are gone afterwards
