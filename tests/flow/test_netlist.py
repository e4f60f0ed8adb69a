"""Net classification from Amaranth's Verilog, and block attribution by name."""

from __future__ import annotations

import pytest

from ecg_snn.flow.netlist import parse_verilog
from ecg_snn.power.blocks import BlockMap
from tests.designs import TINY_TOP, tiny_verilog


def test_tiny_design_classes():
    n = parse_verilog(tiny_verilog())
    top, ctr = n.top, f"{n.top}/ctr"
    assert n.top == TINY_TOP and set(n.scope_map) == {top, ctr}
    assert n.kind(ctr, "count") == "register"
    assert n.kind(ctr, "$1") == n.kind(ctr, "$2") == "comb"
    assert n.kind(ctr, "en") == "alias"  # a submodule input is its parent's net
    assert n.kind(top, "count") == "alias"  # driven by the submodule's output
    assert n.kind(top, "rd__addr") == n.kind(top, "out") == "alias"
    assert n.kind(top, "_0_") == "memory_reg" and n.kind(top, "mem[2]") == "memory"
    assert n.kind(top, "en") == "port_in" and n.kind(top, "clk") == "clock"
    assert n.ff_bits() == 4
    (mem,) = n.memories().values()
    assert (mem.width, mem.depth, [p.kind for p in mem.ports]) == (8, 4, ["read"])
    assert mem.ports[0].enable == ("en", None)


WRITE = """
(* top =  1  *)
module m(clk, we, d);
  input clk;
  wire clk;
  input [1:0] we;
  wire [1:0] we;
  input [15:0] d;
  wire [15:0] d;
  reg [15:0] vmem [7:0];
  reg [15:0] acc;
  always @(posedge clk) begin
    if (\\we [1])
      vmem[3'h0][15:8] <= d[15:8];
  end
  always @(posedge clk)
    acc <= d;
  always @(posedge clk) begin
    if (we[0] & d[0])
      vmem[3'h1] <= d;
  end
endmodule
"""


def test_write_ports_and_expression_enable():
    text = WRITE.replace("    if (we[0] & d[0])\n      vmem[3'h1] <= d;\n", "")
    n = parse_verilog(text)
    mem = n.memories()["m/vmem"]
    assert [(p.kind, p.enable) for p in mem.ports] == [("write", ("we", 1))]
    assert n.kind("m", "acc") == "register" and n.ff_bits() == 16
    with pytest.raises(ValueError, match="enabled by an expression"):
        parse_verilog(WRITE)


def test_a_sliced_address_write_is_a_write_port():
    """A two-word memory's address is a net bit (`mem[a[0]][7:0] <= ...`, Amaranth's byte-lane
    write to a loadable bias): still a write port. It was missed once, and the loadable
    biases then counted as ROMs (no writes, `gate.memory_plan` kind rom)."""
    text = (
        WRITE.replace("vmem[3'h0][15:8]", "\\vmem$2 [we[0]][15:8]")
        .replace("    if (we[0] & d[0])\n      vmem[3'h1] <= d;\n", "")
        .replace("reg [15:0] vmem [7:0]", "reg [15:0] \\vmem$2  [1:0]")
    )
    mem = parse_verilog(text).memories()["m/vmem$2"]
    assert [(p.kind, p.enable, p.bits) for p in mem.ports] == [("write", ("we", 1), 8)]
    broken = text.replace("[we[0]][15:8]", "[we[0][15:8]")  # not a write: the parser says so
    assert parse_verilog(broken).memories()["m/vmem$2"].ports == []


def test_unknown_top_is_an_error():
    with pytest.raises(ValueError, match="top module 'x' not in the Verilog"):
        parse_verilog(tiny_verilog(), top="x")
    with pytest.raises(ValueError, match="no Verilog module"):
        parse_verilog("wire x;")


@pytest.mark.parametrize(
    ("path", "block"),
    [
        ("layer1/weights/rd__data", "weight_memory"),
        ("layer1/membrane", "membrane_memory"),
        ("layer1/vmem", "membrane_memory"),
        ("spike_queue/w_ptr", "queues"),
        ("layer0/fire_pending", "fire_reset"),
        ("layer2/acc", "accumulate"),
        ("layer2/rd__addr", "control"),
        ("fsm_state", "control"),
    ],
)
def test_block_rules(path, block):
    assert BlockMap().block(path) == block


def test_block_rules_reject_unknown_blocks():
    with pytest.raises(ValueError, match="unknown block 'alu'"):
        BlockMap(((r"x", "alu"),))


@pytest.mark.parametrize(
    ("path", "block"),
    [
        ("layer2/weight", "weight_memory"),
        ("layer2/bias$83", "weight_memory"),
        ("layer2/rr_weight", "weight_memory"),
        ("layer2/w_rd__addr", "weight_memory"),
        ("layer0/vw$72", "membrane_memory"),
        ("layer0/cin$73", "membrane_memory"),
        ("layer0/v_wr__en", "membrane_memory"),
        ("layer2/synapse/$26", "accumulate"),
        ("core/mac/$12", "accumulate"),
        ("core/weights/w2", "weight_memory"),
        ("core/machine", "control"),
        ("layer2/fire/sum0", "fire_reset"),
        ("queue/mem", "queues"),
        ("sequencer/seq_state", "control"),
        ("decision/best", "control"),
    ],
)
def test_block_rules_for_the_accelerator_names(path, block):
    """The names hw/top.py gives its submodules and memories."""
    assert BlockMap().block(path) == block
