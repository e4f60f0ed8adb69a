"""Sum-then-fire (ssf) layers: the fire unit and a whole layer (synapse count multiply, fire
scan) against `golden.ssf_fire`, the whole accelerator against `golden.run` for all-ssf and
IF-prefix + ssf-suffix artifacts (cycle model exact), reload with other thresholds, lint and
synthesis."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from amaranth.sim import Simulator

from ecg_snn.flow import verilog
from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.hw.cycles import inference_cycles
from ecg_snn.hw.layer import LayerUnit
from ecg_snn.hw.neuron import FireUnit
from ecg_snn.hw.synapse import entry_layout, value_layout
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import unpack_result
from ecg_snn.model.contract.spec import LayerSpec, count_bits, signed_range
from ecg_snn.model.random_artifact import dense_layer
from ecg_snn.sim.pysim import feed_beat, load_image, simulate, stream_get, stream_put


def ssf_layer(fires: bool, threshold: int, membrane_bits: int = 10, **kw) -> LayerSpec:
    fields = dict(in_channels=6, out_channels=5, acc_bits=12, const_bits=9, fires=fires)
    fields.update(membrane_bits=membrane_bits, threshold=threshold, v_init=threshold // 2)
    return dense_layer(**{**fields, "neuron": "ssf", **kw})


# --- fire unit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("T", "threshold", "fires"),
    [(8, 32, True), (5, 4, True), (1, 1, True), (16, 256, True), (6, 8, False)],
    ids=["T8-th32", "T5-th4", "T1-th1", "T16-th256", "T6-output"],
)
def test_fire_unit_matches_ssf_fire(rng, T, threshold, fires):
    layer = ssf_layer(fires, threshold)
    geo = LayerGeometry(layer, lanes=4)
    dut = FireUnit(geo, T)
    vlo, vhi = signed_range(geo.vw_bits)
    blo, bhi = signed_range(layer.bias_bits)
    clo, chi = signed_range(geo.cin_bits)
    mlo, mhi = signed_range(layer.membrane_bits)
    th = threshold
    cases = [
        ([vhi] * 4, [bhi] * 4, [chi] * 4),  # all max: saturate high, count T
        ([vlo] * 4, [blo] * 4, [clo] * 4),  # all min: saturate low, negative V -> 0
        ([0] * 4, [0] * 4, [0] * 4),
        ([-1, -th, th - 1, th], [0] * 4, [0] * 4),  # negative -> 0, just below / at threshold
        ([T * th, T * th - 1, mhi, mlo], [0] * 4, [0] * 4),  # V >= T*th clips to T; T*th - 1
        ([(T + 3) * th, 0, 0, 0], [1, -1, 0, 0], [0, 0, 1, -1]),  # the T*C term alone
    ]
    for _ in range(80):
        cases.append(
            tuple(
                rng.integers(lo, hi + 1, 4).tolist()
                for lo, hi in ((vlo, vhi), (blo, bhi), (clo, chi))
            )
        )
    cases.append(([mhi, mhi, mhi, mhi], [bhi] * 4, [0] * 4))

    async def bench(ctx):
        ctx.set(dut.shift, threshold.bit_length() - 1)
        ctx.set(dut.lane_mask, 0b1111)
        for vw, bias, cin in cases:
            vw = [min(max(v, vlo), vhi) for v in vw]
            ctx.set(dut.vw, vw)
            ctx.set(dut.bias, bias)
            ctx.set(dut.cin, cin)
            await ctx.delay(1e-9)
            # vw = v_init + acc: one presynaptic count of 1 through weights vw - v_init.
            acc_w = np.array([[v - layer.v_init for v in vw]])
            const = np.array([[b + c for b, c in zip(bias, cin, strict=True)]])
            want_v, want_c = golden.ssf_fire(np.ones((1, 1), np.int64), acc_w, const, layer, T)
            assert [ctx.get(dut.v_new[j]) for j in range(4)] == want_v[0].tolist()
            if fires:
                assert [ctx.get(dut.counts[j]) for j in range(4)] == want_c[0].tolist()
                spikes = [(ctx.get(dut.spikes) >> j) & 1 for j in range(4)]
                assert spikes == (want_c[0] > 0).astype(int).tolist()

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()


def test_fire_unit_ssf_masks_padding_lanes():
    layer = ssf_layer(True, 1)
    dut = FireUnit(LayerGeometry(layer, lanes=4), 4)

    async def bench(ctx):
        ctx.set(dut.shift, 0)
        ctx.set(dut.vw, [5, 5, 5, 5])
        ctx.set(dut.lane_mask, 0b0011)
        await ctx.delay(1e-9)
        assert ctx.get(dut.spikes) == 0b0011
        assert [ctx.get(dut.counts[j]) for j in range(4)] == [4, 4, 0, 0]

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()


# --- one layer: count events through the synapse multiply, then the fire scan -----------------


@pytest.mark.parametrize(
    ("lanes", "T", "fires"), [(2, 8, True), (3, 5, True), (1, 4, False), (8, 8, True)]
)
def test_layer_counts_match_ssf_fire(rng, lanes, T, fires):
    """Random presynaptic counts (0..T, corners included) as (g, p, mask, counts) entries into a
    ROM ssf layer; its fire scan's count entries (or output values) equal `golden.ssf_fire`."""
    prev_spec = ssf_layer(True, 4, out_channels=6)
    prev = LayerGeometry(prev_spec, lanes)
    layer = ssf_layer(fires, 16, membrane_bits=9, acc_bits=6 + count_bits(T) + 3)
    geo = LayerGeometry(layer, lanes)
    weight = rng.integers(-31, 32, layer.weight_shape)
    weight[0] = 31  # neuron 0 saturates high when every count is T
    weight[1] = -31  # neuron 1 low
    bias = rng.integers(-31, 32, layer.out_channels)
    cbits = count_bits(T)
    entry = entry_layout(lanes, prev.groups, prev.positions, cbits)
    value = value_layout(1, 2)
    tensors = {"weight": weight, "bias": bias, "threshold": layer.threshold, "v_init": layer.v_init}
    vectors = [
        np.full(6, T),
        np.zeros(6, np.int64),
        rng.integers(0, T + 1, 6),
        rng.integers(0, T + 1, 6),
        np.array([T, 0, 1, T - 1, 0, 2]),
    ]
    mat = golden.connection_matrix(layer, weight).T
    const = np.repeat(bias, layer.out_length)[None]
    results = []

    async def bench(ctx):
        dut = ctx_dut
        for counts in vectors:
            ctx.set(dut.ctl.init, 1)
            for a in range(geo.depth):
                ctx.set(dut.ctl.init_addr, a)
                await ctx.tick()
            ctx.set(dut.ctl.init, 0)
            for g in range(prev.groups):
                lane_counts = [
                    int(counts[c]) if (c := g * lanes + j) < 6 else 0 for j in range(lanes)
                ]
                mask = sum(1 << j for j, c in enumerate(lane_counts) if c)
                if mask:
                    await stream_put(
                        ctx, dut.i_spike, {"g": g, "p": 0, "mask": mask, "counts": lane_counts}
                    )
            await ctx.tick().until(dut.ctl.idle)
            ctx.set(dut.ctl.fire_start, 1)
            await ctx.tick()
            ctx.set(dut.ctl.fire_start, 0)
            out = np.zeros(layer.out_channels, np.int64)
            port = dut.o_spike if fires else dut.o_values
            ctx.set(port.ready, 1)
            n_out = 0
            while True:
                await ctx.tick()
                if not ctx.get(dut.ctl.fire_busy):
                    break
                if ctx.get(port.valid):
                    p = ctx.get(port.payload)
                    g = p.g if fires else n_out
                    n_out += 1
                    vals = p.counts if fires else p.values
                    for j in range(lanes):
                        if (c := g * lanes + j) < layer.out_channels:
                            out[c] = vals[j]
            results.append(out)

    ctx_dut = LayerUnit(geo, prev, entry, value, 8, tensors, T=T)
    sim = Simulator(ctx_dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    for counts, got in zip(vectors, results, strict=True):
        v, c = golden.ssf_fire(counts[None], mat, const, layer, T)
        assert got.tolist() == (c if fires else v)[0].tolist()


# --- whole accelerator -------------------------------------------------------------------------

CASES = [  # (shape, ssf layers (None: all), lanes, rom)
    ("small", None, 4, False),
    ("small", 2, 3, False),
    ("small", 1, 2, True),
    ("odd", 3, 3, False),
    ("odd", None, 1, True),
    ("norr", 2, 2, False),
    ("tiny", 1, 1, False),
    ("tiny", None, 2, True),
]


def check(artifact, config, x, rr):
    dut = Accelerator(artifact.spec, config, artifact=artifact, checks=True)
    image = None if config.rom else weight_image(artifact)
    got = simulate(dut, list(zip(x[:, 0], rr, strict=True)), image)
    want = golden.run(artifact, x, rr)
    assert [g[0] for g in got] == want.cls.tolist()
    assert [g[1] for g in got] == want.values.tolist()
    cycles = np.array([g[2] for g in got])
    assert cycles.tolist() == inference_cycles(artifact, config, x, rr).tolist()
    return cycles, want


@pytest.mark.parametrize(
    ("shape", "n_ssf", "lanes", "rom"),
    CASES,
    ids=[f"{s}-ssf{n or 'all'}-lanes{k}-{'rom' if r else 'load'}" for s, n, k, r in CASES],
)
def test_ssf_matches_golden(ssf_factory, beats_factory, rng, shape, n_ssf, lanes, rom):
    artifact = ssf_factory(shape, seed=lanes, n_ssf=n_ssf)
    x, rr = beats_factory(artifact, rng, 4)
    _, want = check(artifact, HwConfig(lanes=lanes, rom=rom), x, rr)
    assert want.spikes[1:, :-1].sum() > 0  # the ssf layers do fire


def test_ssf_saturating_membranes(ssf_factory, beats_factory, rng):
    """Narrow ssf membranes: V saturates (high: count T, low: count 0) before the shift."""
    a = ssf_factory("small", seed=7, n_ssf=3)
    layers = []
    for la in a.spec.layers:
        if la.neuron == "ssf":
            mb = la.threshold.bit_length() + 2
            la = dataclasses.replace(la, membrane_bits=mb)
        layers.append(la)
    a = Artifact(spec=dataclasses.replace(a.spec, layers=tuple(layers)), tensors=a.tensors)
    a.validate()
    x, rr = beats_factory(a, rng, 4)
    check(a, HwConfig(lanes=4, rom=True), x, rr)


def test_ssf_output_ties(ssf_factory, beats_factory, rng):
    """Two identical output neurons: every decision is a tie, the lowest index wins."""
    a = ssf_factory("small", seed=2)
    out = a.spec.layers[-1]
    tensors = dict(a.tensors)
    for key in ("weight", "bias"):
        t = tensors[f"{out.name}.{key}"].copy()
        t[2] = t[1] = t[3]
        tensors[f"{out.name}.{key}"] = t
    a = Artifact(spec=a.spec, tensors=tensors)
    a.validate()
    x, rr = beats_factory(a, rng, 3)
    check(a, HwConfig(lanes=2), x, rr)


def test_ssf_reload_derives_the_shift(ssf_factory, sibling_factory, beats_factory, rng):
    """A second image with other power-of-two thresholds: the shift follows the loaded value."""
    a = ssf_factory("small", seed=3, n_ssf=2)
    b = sibling_factory(a, seed=4)
    x, rr = beats_factory(a, rng, 2)
    want = [golden.run(m, x, rr) for m in (a, b)]
    dut = Accelerator(a.spec, HwConfig(lanes=3), checks=True)
    log = []

    async def tb(ctx):
        for model in (a, b, a):
            assert await load_image(ctx, dut, weight_image(model)) == (1, 0)
            got = []
            for n in range(len(x)):
                await feed_beat(ctx, dut, x[n, 0], rr[n])
                got.append(unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result)))
            log.append(got)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    for got, w in zip(log, (want[0], want[1], want[0]), strict=True):
        assert [g[0] for g in got] == w.cls.tolist()
        assert [g[1] for g in got] == w.values.tolist()


def test_default_shape_ssf_vs_if_cycles(artifact_factory, ssf_factory, beats_factory, rng):
    """The default shape at 8 lanes, all-ssf and IF-prefix (convs) + ssf (dense) against the IF
    model of the same shape: exact, and prints the cycle figures. The IF model's figures come
    from the cycle model and golden: tests/hw/test_accelerator.py::test_default_shape_cycles
    simulates that very artifact, configuration and input (same seeds) and checks both."""
    config = HwConfig(lanes=8, rom=True)
    base = artifact_factory("default")
    x, rr = beats_factory(base, rng, 3)
    lines = [
        f"if: cycles {inference_cycles(base, config, x, rr).tolist()} "
        f"synops {golden.run(base, x, rr).synops.tolist()}"
    ]
    models = {"ssf": ssf_factory("default"), "mixed": ssf_factory("default", n_ssf=2)}
    for name, a in models.items():
        cycles, want = check(a, config, x, rr)
        lines.append(f"{name}: cycles {cycles.tolist()} synops {want.synops.tolist()}")
    print("\ndefault shape, 8 lanes (silent, sparse, random):\n" + "\n".join(lines))


# --- lint and synthesis --------------------------------------------------------------------------


def test_ssf_lint_and_synthesis(ssf_factory, tmp_path):
    """A mixed IF + ssf artifact: Verilator lint clean, Yosys synthesis passes."""
    artifact = ssf_factory("odd", n_ssf=3)
    r = verilog.build(artifact, HwConfig(lanes=3), tmp_path / "verilog", tmp_path / "r.json")
    saved = json.loads((tmp_path / "r.json").read_text())
    assert r["lint_warnings"] == 0 and saved["cells"] > 0 and saved["memories"] > 0
    print(
        f"\nodd, 3 ssf layers, lanes 3: cells={r['cells']} ffs={r['flip_flops']} "
        f"memory_bits={r['memory_bits']} cycles={r['cycles']}"
    )
