"""The hand-computed case: the tiny design of conftest.py, one input (`en`), counted by hand.

Stimulus: reset, then (window) en=1 for 5 cycles, en=0 for 3 cycles: N = 8 cycles.

Hand count (values as the SAIF sees them: after the inputs settle, after each edge):
- register `ctr.count` goes 0,1,2,3,4,5: bit0 5, bit1 2, bit2 1 toggles      -> 8 register toggles
- comb `ctr.$1` = count+1 goes 1,2,3,4,5,6 (it is already 1 when the window opens, so the
  baseline removes Verilator's initial 0->1): bit0 5, bit1 3, bit2 1          -> 9
- comb `ctr.$2` = next count goes 0,1,2,3,4,5,6,5 (en=1 shows before the first edge, en=0
  before the sixth): bit0 7, bit1 4, bit2 1                                   -> 12
- host input `en`: 0->1->0                                                    -> 2 (io)
- aliases (`count` in the parent, `rd__*`, `out`, `en$4`, the child's `en`) and the ROM read
  register `_0_` (inside the memory macro) count nothing
- flip-flops: count = 4 bits (F = 4); memory 8 bits x 4 words, read on the 5 cycles with en=1.

With the round-number technology below (pJ; nW; 1 MHz):
  E_dyn = 8*1 + (9+12)*0.1 + 2*0.1 + 8 cycles*4 FF*0.01 + 5 reads*(8*0.5 + 8*1*sqrt(4))
        = 8 + 2.1 + 0.2 + 0.32 + 100 = 110.62 pJ
  E_leak = (4*1 + 32*0.5) nW * 8 / 1 MHz = 20 nW * 8 us = 1.6e-4 nJ
"""

from __future__ import annotations

import math

from ecg_snn.flow.netlist import load_verilog
from ecg_snn.power.energy import energy, subtract
from ecg_snn.power.harness import run_harness
from ecg_snn.power.saif import read_saif
from ecg_snn.power.tech import parse_technology

ROUND = {
    "clock_hz": (1e6, "Hz"),
    "add8_pj": (1.0, "pJ"),
    "add32_pj": (1.0, "pJ"),
    "mult8_pj": (1.0, "pJ"),
    "accumulate_pj": (1.0, "pJ"),
    "reg_toggle_pj": (1.0, "pJ"),
    "comb_toggle_pj": (0.1, "pJ"),
    "ff_clock_pj": (0.01, "pJ"),
    "mem_a_pj_per_bit": (0.5, "pJ"),
    "mem_b_pj_per_bit": (1.0, "pJ"),
    "mem_write_factor": (1.0, "1"),
    "ff_leak_nw": (1.0, "nW"),
    "mem_bit_leak_nw": (0.5, "nW"),
}


def round_tech():
    consts = {k: {"value": v, "unit": u, "source": "test"} for k, (v, u) in ROUND.items()}
    return parse_technology(
        {"schema_version": 1, "name": "round", "node_nm": 1, "vdd_v": 1, "constants": consts}
    )


def _window(harness, tmp_path, stimulus):
    saif = tmp_path / "w.saif"
    run_harness(harness, f"set rst 1\nstep 2\nset rst 0\nsaif_open {saif}\n{stimulus}saif_close\n")
    return subtract(read_saif(saif), read_saif(f"{saif}.init"))


def test_hand_computed_energy(tiny_v, tiny_harness, tmp_path):
    netlist = load_verilog(tiny_v)
    e = energy(
        _window(tiny_harness, tmp_path, "set en 1\nstep 5\nset en 0\nstep 3\n"),
        netlist,
        round_tech(),
    )
    assert e.cycles == 8 and e.ff_bits == 4
    assert e.toggles == {"register": 8, "comb": 21, "port_in": 2}
    (mem,) = e.memories.values()
    assert (mem.width, mem.depth, mem.reads, mem.writes) == (8, 4, 5, 0)
    assert math.isclose(e.dynamic_total_nj, 110.62e-3, rel_tol=1e-12)
    assert math.isclose(e.dynamic_nj["clock"], 0.32e-3, rel_tol=1e-12)
    assert math.isclose(e.dynamic_nj["io"], 0.2e-3, rel_tol=1e-12)
    assert math.isclose(e.leakage_nj, 1.6e-4, rel_tol=1e-12)


def test_idle_window_costs_only_clock_and_leakage(tiny_v, tiny_harness, tmp_path):
    """No input activity: no toggles, no memory access; only the clock and leakage remain."""
    e = energy(_window(tiny_harness, tmp_path, "step 8\n"), load_verilog(tiny_v), round_tech())
    assert e.toggles.get("register", 0) == e.toggles.get("comb", 0) == 0
    assert next(iter(e.memories.values())).reads == 0
    assert math.isclose(e.dynamic_total_nj, e.dynamic_nj["clock"]) and e.dynamic_nj["clock"] > 0
    assert math.isclose(e.leakage_nj, 1.6e-4, rel_tol=1e-12)


def test_corrupted_expectation_fails(tiny_v, tiny_harness, tmp_path):
    """Negative check: one more cycle of `en` must change the energy (the test can fail)."""
    netlist = load_verilog(tiny_v)
    e = energy(
        _window(tiny_harness, tmp_path, "set en 1\nstep 6\nset en 0\nstep 2\n"),
        netlist,
        round_tech(),
    )
    assert not math.isclose(e.dynamic_total_nj, 110.62e-3, rel_tol=1e-6)
