"""The gate-level energy flow on hand-made inputs: Liberty parsing, the energy of a three-cell
netlist computed by hand, the SAIF -> net mapping, the Liberty-function cell models, the memory
plan, and the OpenSTA report parser; each checker with an input that must fail."""

from __future__ import annotations

import dataclasses

import pytest

from ecg_snn.flow.asic.gate import cell_models, function_verilog, memory_plan
from ecg_snn.flow.asic.liberty import LibertyError, load_liberty, parse_liberty
from ecg_snn.flow.asic.pdk import OSU018
from ecg_snn.flow.asic.sta import parse_report
from ecg_snn.power.gate_energy import flatten, gate_energy, leakage_nw, net_costs
from ecg_snn.power.saif import NetActivity, SaifData

MINI = r"""
library(mini) {
  time_unit : "1ns";
  leakage_power_unit : "1nW";
  capacitive_load_unit (1,pf);
  nom_voltage : 2.0;
  nom_temperature : 25;
  power_lut_template(e2x2) {
    variable_1 : total_output_net_capacitance;
    variable_2 : input_transition_time;
    index_1 ("0.0, 0.1");
    index_2 ("0.0, 1.0");
  }
  power_lut_template(p2) {
    variable_1 : input_transition_time;
    index_1 ("0.0, 1.0");
  }
  /* a comment */
  cell (NAND2) {
    area : 4;
    cell_leakage_power : 2.0;
    pin(A) { direction : input; capacitance : 0.010; }
    pin(B) { direction : input; capacitance : 0.020; }
    pin(Y) {
      direction : output;
      function : "(!(A B))";
      internal_power() {
        related_pin : "A";
        rise_power(e2x2) { values ("1.0, 2.0", \
                                   "3.0, 4.0"); }
        fall_power(e2x2) { values ("1.0, 2.0", "3.0, 4.0"); }
      }
      internal_power() {
        related_pin : "B";
        rise_power(e2x2) { values ("3.0, 4.0", "5.0, 6.0"); }
        fall_power(e2x2) { values ("3.0, 4.0", "5.0, 6.0"); }
      }
    }
  }
  cell (INV) {
    area : 2;
    cell_leakage_power : 1.0;
    pin(A) { direction : input; capacitance : 0.050; }
    pin(Y) { direction : output; function : "!A"; }
  }
  cell (DFF) {
    area : 10;
    cell_leakage_power : 5.0;
    ff (IQ, IQN) { next_state : "D"; clocked_on : "CLK"; }
    pin(CLK) {
      direction : input; capacitance : 0.030; clock : true;
      internal_power() {
        rise_power(p2) { values ("0.2, 0.4"); }
        fall_power(p2) { values ("0.6, 0.8"); }
      }
    }
    pin(D) { direction : input; capacitance : 0.040; }
    pin(Q) { direction : output; function : "IQ"; }
  }
}
"""


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "mini.lib"
    path.write_text(MINI)
    return load_liberty(path)


def test_liberty_parsing(mini):
    assert mini.voltage == 2.0 and mini.leakage_unit_w == 1e-9 and mini.capacitance_unit_f == 1e-12
    nand = mini.cells["NAND2"]
    assert nand.inputs == ["A", "B"] and nand.outputs == ["Y"]
    assert nand.pins["B"].capacitance == 0.020 and nand.leakage == 2.0
    # bilinear: arc A at load 0.05 (half-way), slew 0.5 (half-way): (1+2+3+4)/4 = 2.5;
    # arc B: 4.5; mean over the two related pins: 3.5
    assert nand.output_energy("Y", 0.05, 0.5) == pytest.approx(3.5)
    dff = mini.cells["DFF"]
    assert dff.seq_kind == "ff" and dff.sequential["clocked_on"] == "CLK"
    assert dff.pins["CLK"].clock
    assert dff.input_energy("CLK", 0.5) == pytest.approx((0.3 + 0.7) / 2)
    assert mini.cells["INV"].output_energy("Y", 0.1, 0.1) == 0.0  # no table: no energy


@pytest.mark.parametrize(
    "bad, message",
    [
        ("cell (X) { area : 1; }", "not a Liberty file"),
        ("library (x) { cell (X) { area : 1; ", "unexpected end of file"),
        ("library (x) { capacitive_load_unit (1,pf); nom_voltage : 1; }", "no cells"),
        ("library (x) { cell (X) { area 1; } }", "expected ':' or '\\('"),
    ],
)
def test_liberty_errors(tmp_path, bad, message):
    path = tmp_path / "bad.lib"
    path.write_text(bad)
    with pytest.raises(LibertyError, match=message):
        load_liberty(path)


def three_cells() -> dict:
    """top: y = DFF(!(NAND(a, b))) clocked by clk: u1 NAND2 -> n1 -> u2 INV -> n2 -> u3 DFF."""
    return {
        "modules": {
            "top": {
                "attributes": {"top": "00000000000000000000000000000001"},
                "ports": {
                    "a": {"direction": "input", "bits": [2]},
                    "b": {"direction": "input", "bits": [3]},
                    "clk": {"direction": "input", "bits": [4]},
                    "y": {"direction": "output", "bits": [7]},
                },
                "cells": {
                    "u1": {"type": "NAND2", "connections": {"A": [2], "B": [3], "Y": [5]}},
                    "u2": {"type": "INV", "connections": {"A": [5], "Y": [6]}},
                    "u3": {"type": "DFF", "connections": {"CLK": [4], "D": [6], "Q": [7]}},
                },
                "netnames": {
                    "a": {"bits": [2]},
                    "b": {"bits": [3]},
                    "clk": {"bits": [4]},
                    "n": {"bits": [5, 6]},
                    "y": {"bits": [7]},
                },
            }
        }
    }


def _saif(toggles: dict[tuple[str, int | None], int], cycles: int) -> SaifData:
    saif = SaifData(path="<test>", duration=4 * cycles)
    for (name, bit), tc in toggles.items():
        act = saif.nets.setdefault(("TOP/top", name), NetActivity())
        act.tc_bits[bit] = tc
        act.t1[bit] = 2 * cycles if name == "clk" else 0
        act.tc += tc
    return saif


def test_three_cell_energy_by_hand(mini, monkeypatch):
    import ecg_snn.power.gate_energy as ge

    monkeypatch.setattr(ge, "SLEW_NS", 0.5)
    flat = flatten(three_cells(), mini)
    costs = net_costs(flat, mini, slew=0.5)
    n1 = flat.net_of("TOP/top", "n", 0)
    n2 = flat.net_of("TOP/top", "n", 1)
    clk = flat.net_of("TOP/top", "clk", None)
    v2 = 4.0
    # n1: NAND output into the INV (0.05 pF): internal at load 0.05 (3.5 pJ) + 1/2 C V^2
    assert costs[n1].pj == pytest.approx(3.5 + 0.5 * 0.05 * v2)
    # n2: INV output (no table) into DFF.D (0.04 pF)
    assert costs[n2].pj == pytest.approx(0.5 * 0.04 * v2)
    # clk: DFF.CLK 0.03 pF + its passive energy 0.5 pJ per toggle; charged to the clock
    assert costs[clk].pj == pytest.approx(0.5 * 0.03 * v2 + 0.5)
    assert costs[clk].block == "clock"
    # primary inputs a (into NAND.A, 0.01 pF) and b (NAND.B, 0.02 pF): the host drives them
    assert costs[flat.net_of("TOP/top", "a", None)].block == "io"
    cycles = 10
    saif = _saif({("clk", None): 2 * cycles, ("n", 0): 3, ("n", 1): 3, ("a", None): 4}, cycles)
    e = gate_energy(saif, flat, costs, leakage_nw(flat, mini), clock_hz=1e6)
    expected_pj = 3 * (3.5 + 0.1) + 3 * 0.08 + 2 * cycles * (0.06 + 0.5) + 4 * (0.5 * 0.01 * v2)
    assert e.cycles == cycles
    assert e.total_nj - e.leakage_nj == pytest.approx(expected_pj / 1000)
    assert e.dynamic_nj["clock"] == pytest.approx(2 * cycles * 0.56 / 1000)
    # leakage: (2 + 1 + 5) nW for 10 cycles at 1 MHz = 8e-9 W * 1e-5 s = 8e-14 J
    assert e.leakage_nj == pytest.approx(8e-9 * 1e-5 * 1e9)
    # a wrong expectation must fail the same comparison
    assert e.total_nj - e.leakage_nj != pytest.approx((expected_pj + 0.1) / 1000)


def test_saif_mapping_counts_each_net_once(mini):
    """Two names of one net (the top's `n[0]` and a second alias) are counted once; a net the
    SAIF lacks is reported, not silently zero."""
    data = three_cells()
    data["modules"]["top"]["netnames"]["alias"] = {"bits": [5]}
    flat = flatten(data, mini)
    costs = net_costs(flat, mini)
    both = _saif({("clk", None): 2, ("n", 0): 1, ("alias", None): 1}, 1)
    one = _saif({("clk", None): 2, ("n", 0): 1}, 1)
    e_both = gate_energy(both, flat, costs, {}, 1e6)
    e_one = gate_energy(one, flat, costs, {}, 1e6)
    assert e_both.total_nj == pytest.approx(e_one.total_nj)
    assert e_one.nets_without_activity > 0  # n[1], a, b, y were not in this SAIF
    with pytest.raises(ValueError, match="no clk"):
        gate_energy(_saif({("n", 0): 1}, 1), flat, costs, {}, 1e6)


def test_flatten_rejects_unknown_cells(mini):
    data = three_cells()
    data["modules"]["top"]["cells"]["u4"] = {"type": "MYSTERY", "connections": {}}
    with pytest.raises(ValueError, match="MYSTERY"):
        flatten(data, mini)


def test_flatten_keeps_constants_on_child_ports(mini):
    """A child's input tied to a constant in its parent (Yosys keeps e.g. a lane mask of all
    ones as a port) is that constant inside the child, not a new undriven net (which a
    simulator reads as 0: the bug that once made the whole accelerator's gate level wrong)."""
    data = three_cells()
    mods = data["modules"]
    mods["child"] = {
        "ports": {
            "m": {"direction": "input", "bits": [2, 3]},
            "o": {"direction": "output", "bits": [4]},
        },
        "cells": {"c1": {"type": "NAND2", "connections": {"A": [2], "B": [3], "Y": [4]}}},
        "netnames": {"m": {"bits": [2, 3]}, "o": {"bits": [4]}},
    }
    mods["top"]["cells"]["k"] = {"type": "child", "connections": {"m": ["1", 2], "o": [8]}}
    flat = flatten(data, mini)
    (conns,) = [c for path, _, c in flat.instances if path.endswith("/c1")]
    assert conns["A"] == "1"  # the constant, through the port
    assert isinstance(conns["B"], int) and conns["B"] == flat.ports["a"][1][0]
    assert flat.driver[conns["Y"]][0].endswith("/c1")


def test_flatten_merges_nets_a_child_joins(mini):
    """A child that passes an input straight to an output joins two nets of its parent, and
    one that ties an output to a constant makes its parent's net that constant; a net tied to
    both constants is an error."""
    data = three_cells()
    mods = data["modules"]
    mods["wire"] = {  # o = i, and k = 1, inside the child
        "ports": {
            "i": {"direction": "input", "bits": [2]},
            "o": {"direction": "output", "bits": [2]},
            "k": {"direction": "output", "bits": ["1"]},
        },
        "cells": {},
        "netnames": {"i": {"bits": [2]}},
    }
    top = mods["top"]
    top["cells"]["w"] = {"type": "wire", "connections": {"i": [2], "o": [8], "k": [9]}}
    top["cells"]["c1"] = {"type": "NAND2", "connections": {"A": [8], "B": [9], "Y": [10]}}
    flat = flatten(data, mini)
    conns = flat.conns_of("top/c1")
    assert conns["A"] == flat.ports["a"][1][0]  # through the feed-through: the input a
    assert conns["B"] == "1"
    assert ("top/c1", "NAND2", "A") in flat.loads[flat.ports["a"][1][0]]
    mods["wire0"] = dict(mods["wire"], ports=dict(mods["wire"]["ports"]))
    mods["wire0"]["ports"]["k"] = {"direction": "output", "bits": ["0"]}
    top["cells"]["w0"] = {"type": "wire0", "connections": {"i": [12], "o": [13], "k": [9]}}
    with pytest.raises(ValueError, match="tied to both"):
        flatten(data, mini)


def test_function_translation_and_models(mini):
    assert function_verilog("(!((S A) + (!S B)))") == "(~ ((S & A) | (~ S & B)))"
    assert function_verilog("(A^B)") == "(A ^ B)"
    with pytest.raises(ValueError):
        function_verilog("A'")
    text = cell_models(mini)
    assert "always @(posedge CLK) IQ <= D;" in text
    assert "assign Y = (~ (A & B));" in text


def test_memory_plan_by_depth():
    from ecg_snn.flow.netlist import parse_verilog

    v = """
(* top = 1 *)
module t(clk, a, s, d, q);
  input clk; input [8:0] a; input [3:0] s; input [7:0] d; output reg [7:0] q;
  reg [7:0] small [15:0];
  reg [7:0] big [511:0];
  reg [7:0] table_ [511:0];
  always @(posedge clk) begin
    small[s] <= d;
    big[a] <= d;
    q <= table_[a];
  end
endmodule
"""
    plan = memory_plan(parse_verilog(v))
    # a memory without a write port (a ROM build's weights) is logic, whatever its depth
    assert plan.kinds == {"t/small": "register_file", "t/big": "sram", "t/table_": "rom"}
    assert memory_plan(parse_verilog(v), sram_min_depth=8).kinds["t/small"] == "sram"
    # with the design's inventory, the inventory says what is a ROM, and must list everything
    from ecg_snn.hw.memories import MemoryInfo

    def info(name, depth, rom=False):
        rows = tuple((0,) for _ in range(depth)) if rom else ()
        return MemoryInfo("t", name, depth, 1, 8, rom, "none" if rom else "write", False, rows)

    listed = [info("small", 16), info("big", 512), info("table_", 512, rom=True)]
    assert memory_plan(parse_verilog(v), memories=listed).kinds == plan.kinds
    with pytest.raises(
        ValueError, match=r"memory t/big .* is not in the design's memory inventory"
    ):
        memory_plan(parse_verilog(v), memories=[listed[0], listed[2]])
    with pytest.raises(ValueError, match="inventory memories missing from the Verilog: t/extra"):
        memory_plan(parse_verilog(v), memories=[*listed, info("extra", 4)])


STA_OUT = """
Startpoint: u/lat (positive level-sensitive latch clocked by clk')
Path Group: **clock_gating_default**
          49.830   slack (MET)

Startpoint: r1 (rising edge-triggered flip-flop clocked by clk)
Endpoint: r2 (rising edge-triggered flip-flop clocked by clk)
Path Group: clk
Path Type: max
           92.500   slack (MET)
"""


def test_sta_report_parsing():
    t = parse_report(STA_OUT, 100.0)
    assert t.critical_path_ns == pytest.approx(7.5)
    assert t.fmax_mhz == pytest.approx(1e3 / 7.5)
    assert t.startpoint == "r1" and t.endpoint == "r2"
    assert t.margin(cycles_max=3000) == pytest.approx(1e3 / 7.5 * 1e6 / (3000 * 200 / 60))
    with pytest.raises(ValueError, match="no path"):
        parse_report(STA_OUT.replace("Path Group: clk", "Path Group: other"), 100.0)


def test_real_library_if_installed():
    """osu018 (Debian qflow-tech-osu018), when `make tech` has extracted it: every cell has a
    simulation model, and a D flip-flop's clock pin costs more than its input capacitance alone."""
    try:
        path = OSU018.liberty()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    lib = load_liberty(path)
    assert lib.voltage == 1.8 and {"DFFPOSX1", "NAND2X1", "LATCH"} <= set(lib.cells)
    dff = lib.cells["DFFPOSX1"]
    clk = dff.pins["CLK"]
    assert dff.input_energy("CLK", 0.1) > 0.5 * clk.capacitance * 1.8**2
    assert cell_models(lib).count("endmodule") == len(lib.cells)
    with pytest.raises(LibertyError):
        parse_liberty(path.read_text()[:-200], str(path))


def test_fanout_buffering(mini):
    """40 loads on one net become a buffer tree of fan-out <= 16 that still reaches every load;
    a clock net gets clock buffers, charged to the clock."""
    from ecg_snn.power.gate_energy import buffer_fanout

    lib = dataclasses.replace(
        mini,
        cells={
            **mini.cells,
            "BUF": dataclasses.replace(mini.cells["INV"], name="BUF"),
            "CBUF": dataclasses.replace(mini.cells["INV"], name="CBUF"),
        },
    )
    data = three_cells()
    cells = data["modules"]["top"]["cells"]
    for k in range(40):  # 40 more inverters on n1, 40 more flip-flops on clk
        cells[f"i{k}"] = {"type": "INV", "connections": {"A": [5], "Y": [100 + k]}}
        cells[f"f{k}"] = {"type": "DFF", "connections": {"CLK": [4], "D": [6], "Q": [200 + k]}}
    flat = flatten(data, lib)
    n1 = flat.net_of("TOP/top", "n", 0)
    clk = flat.net_of("TOP/top", "clk", None)
    assert len(flat.loads[n1]) == 41
    added = buffer_fanout(flat, lib, max_fanout=16, buf="BUF", clock_buf="CBUF")
    assert added == 3 * 3  # n1, n2 (the D inputs) and clk: 41 loads -> 3 buffers each
    assert max(len(v) for v in flat.loads.values()) <= 16

    def reach(net: int) -> set[str]:
        out = set()
        for path, ctype, _ in flat.loads.get(net, []):
            if ctype in ("BUF", "CBUF"):
                k = next(i for i, inst in enumerate(flat.instances) if inst[0] == path)
                out |= reach(flat.instances[k][2]["Y"])
            else:
                out.add(path)
        return out

    assert len(reach(n1)) == 41 and len(reach(clk)) == 41
    costs = net_costs(flat, lib)
    cbuf_out = [flat.instances[k][2]["Y"] for k, i in enumerate(flat.instances) if i[1] == "CBUF"]
    assert all(costs[n].block == "clock" for n in cbuf_out)


def test_block_of_register_file_instances():
    from ecg_snn.power.blocks import BlockMap
    from ecg_snn.power.gate_energy import block_of

    b = BlockMap()
    top = "snn_accelerator"
    assert block_of(f"{top}/layer0/snn_accelerator.layer0_vw/_1_", top, b) == "membrane_memory"
    assert block_of(f"{top}/layer2/snn_accelerator.layer2_cin/_1_", top, b) == "membrane_memory"
    assert block_of(f"{top}/layer1/snn_accelerator.layer1_weight/_1_", top, b) == "weight_memory"
    assert block_of(f"{top}/queue/snn_accelerator.queue_mem/_1_", top, b) == "queues"
    assert block_of(f"{top}/layer0/synapse/_1_", top, b) == "accumulate"
    assert block_of(f"{top}/layer0/fire/_1_", top, b) == "fire_reset"
    assert block_of(f"{top}/layer0/_1_", top, b) == "control"
    assert block_of(f"{top}/_1_", top, b) == "control"


def test_opensta_power_parser():
    """The report_power parser reads the groups and the pseudo-input rows, and refuses a log
    without them (OpenSTA stopped before reporting)."""
    from ecg_snn.power.sta_power import parse_power

    rows = "".join(
        f"{g:<20} 1.0e-06 2.0e-07 3.0e-09 1.203e-06 50.0%\n"
        for g in ("Sequential", "Combinational", "Macro", "Pad", "Total")
    )
    text = f"== design\n{rows}== pseudo\n 1.0e-07 0.0 1.0e-09 1.01e-07 pseudo_in0\n"
    p = parse_power(text)
    assert p.groups["total"] == (1e-6, 2e-7, 3e-9, 1.203e-6)
    assert p.cells["sequential"][0] == pytest.approx(0.9e-6)
    assert p.cells["combinational"] == p.groups["combinational"]
    with pytest.raises(ValueError, match="report_power"):
        parse_power("Error: sta.v line 3, unknown cell\n")
    with pytest.raises(ValueError, match="groups"):
        parse_power(text.replace("Macro", "Macr0"))


def test_opensta_power_inputs_by_hand(mini):
    """The three-cell netlist for OpenSTA: the input ports' nets (a, b) and a constant pin get
    pseudo-input flip-flops, the clock stays a port; the activity lines are TC / cycles and
    T1 / window time summed over windows; the Python split charges the clock network free
    running on request. A wrong expectation of the activity fails."""
    from ecg_snn.power.sta_power import (
        PSEUDO,
        StaPower,
        activity_lines,
        clock_network,
        compare,
        power_netlist,
        python_cells_nj,
        window_activity,
    )

    data = three_cells()
    data["modules"]["top"]["cells"]["u4"] = {
        "type": "NAND2",
        "connections": {"A": [6], "B": ["1"], "Y": [8]},
    }
    flat = flatten(data, mini)
    a, clk = flat.net_of("TOP/top", "a", None), flat.net_of("TOP/top", "clk", None)
    n1 = flat.net_of("TOP/top", "n", 0)
    text, pseudo = power_netlist(flat)
    assert f"assign n{clk} = clk;" in text and f"assign n{a} = a;" not in text
    assert f"{PSEUDO}0 (.CLK(n{clk}), .D(n{a}), .Q(n{a}));" in text
    assert ".B(const1)" in text and "1'b1" not in text and "wire const1;" in text
    assert sorted(pseudo) == sorted([a, flat.net_of("TOP/top", "b", None), -2])
    assert clock_network(flat, mini) == {clk}

    cycles = 10
    saif = _saif({("clk", None): 2 * cycles, ("n", 0): 3, ("a", None): 4}, cycles)
    saif.nets[("TOP/top", "a")].t1[None] = 10
    act = window_activity(saif, flat)
    two = act + window_activity(_saif({("clk", None): 2 * cycles, ("n", 0): 1}, cycles), flat)
    assert (two.cycles, two.duration, two.windows) == (20, 80, 2)
    lines = dict(ln.split(" ", 1) for ln in activity_lines(flat, two, pseudo).splitlines())
    assert lines[f"n{n1}"] == "0.2 0" and lines[f"n{a}"] == "0.2 0.125"
    assert lines[f"n{clk}"] == "2 0.5" and lines["const1"] == "0 1"
    assert lines[f"n{n1}"] != "0.15 0"

    costs = net_costs(flat, mini)
    py = python_cells_nj(two, costs, 0.0, 1e6)
    assert py["total_nj"] == pytest.approx(
        sum(two.tc[g] * c.pj for g, c in costs.items()) / 2 / 1000
    )
    free = python_cells_nj(two, costs, 0.0, 1e6, {clk, n1})
    extra = (2 * 20 - two.tc[n1]) * costs[n1].pj
    assert free["total_nj"] == pytest.approx(py["total_nj"] + extra / 2 / 1000)

    # OpenSTA's W x the mean window (10 cycles at 1 MHz), the pseudo-inputs taken out
    row = (1e-6, 1e-7, 1e-9, 1.101e-6)
    sta = StaPower(
        dict.fromkeys(("sequential", "combinational", "macro", "pad", "total"), row),
        (1e-7, 0.0, 0.0, 1e-7),
        "",
    )
    out = compare(sta, two, costs, 0.0, 1e6, {clk})
    assert out["nj_per_inference"] == pytest.approx(1.001e-6 * 1e-5 * 1e9)
    assert out["relative_difference"] == pytest.approx(out["nj_per_inference"] / py["total_nj"] - 1)
    idle = dataclasses.replace(two, tc=0 * two.tc)
    assert compare(sta, idle, costs, 0.0, 1e6)["relative_difference"] is None  # nothing to compare
