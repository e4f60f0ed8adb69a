"""The load port: load, classify, reload another model of the same configuration, reject bad
images; and a synchronous reset in the middle of an inference."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.image import MAGIC, weight_image
from ecg_snn.model.contract.ports import unpack_result
from ecg_snn.sim.pysim import feed_beat, load_image, stream_get, stream_put


def harness(dut: Accelerator) -> tuple[Module, ClockDomain]:
    """Wrap the design with an explicit clock domain so the testbench can drive `rst`."""
    m = Module()
    m.domains.sync = cd = ClockDomain()
    m.submodules.dut = dut
    return m, cd


def bad_images(image: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    img = image.copy()
    img[0] ^= 1
    out["magic"] = img
    img = image.copy()
    img[1] ^= 0x100
    out["hardware-id"] = img
    img = image.copy()
    img[-1] += 1
    out["checksum"] = img
    img = image.copy()
    img[2] -= 1
    out["length"] = img
    img = image.copy()
    img[5] += 1  # a corrupted payload word: the checksum catches it
    out["payload"] = img
    return out


@pytest.mark.parametrize("bad", ["magic", "hardware-id", "checksum", "length", "payload"])
def test_load_reload_and_reject(artifact_factory, sibling_factory, beats_factory, rng, bad):
    a = artifact_factory("small", seed=3)
    b = sibling_factory(a, seed=4)
    x, rr = beats_factory(a, rng, 2)
    want_a, want_b = golden.run(a, x, rr), golden.run(b, x, rr)
    assert want_a.values.tolist() != want_b.values.tolist()
    dut = Accelerator(a.spec, HwConfig(lanes=4), checks=True)
    log = []

    async def classify(ctx, n):
        await feed_beat(ctx, dut, x[n, 0], rr[n])
        return unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result))

    async def tb(ctx):
        assert ctx.get(dut.loaded) == 0
        assert ctx.get(dut.i_sample.ready) == 0  # nothing loaded: no input accepted
        assert await load_image(ctx, dut, weight_image(a)) == (1, 0)
        log.append(("a", [await classify(ctx, n) for n in range(2)]))
        assert await load_image(ctx, dut, weight_image(b)) == (1, 0)
        log.append(("b", [await classify(ctx, n) for n in range(2)]))
        loaded, error = await load_image(ctx, dut, bad_images(weight_image(a))[bad])
        assert (loaded, error) == (0, 1)
        for _ in range(5):
            assert ctx.get(dut.i_sample.ready) == 0
            await ctx.tick()
        assert await load_image(ctx, dut, weight_image(a)) == (1, 0)
        log.append(("a", [await classify(ctx, n) for n in range(2)]))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    for name, got in log:
        want = want_a if name == "a" else want_b
        assert [g[0] for g in got] == want.cls.tolist()
        assert [g[1] for g in got] == want.values.tolist()


def test_rom_ties_off_the_load_port(artifact_factory):
    a = artifact_factory("small")
    dut = Accelerator(a.spec, HwConfig(lanes=2, rom=True), artifact=a, checks=True)

    async def tb(ctx):
        ctx.set(dut.i_load.valid, 1)
        ctx.set(dut.i_load.payload, MAGIC)
        for _ in range(3):
            await ctx.tick()
            assert (ctx.get(dut.loaded), ctx.get(dut.i_load.ready)) == (1, 0)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("rom", [False, True], ids=["load", "rom"])
def test_reset_mid_inference(artifact_factory, beats_factory, rng, rom):
    """Reset during an inference: the model stays loaded, the next inference is clean."""
    a = artifact_factory("small", seed=5)
    x, rr = beats_factory(a, rng, 3)
    want = golden.run(a, x, rr)
    dut = Accelerator(a.spec, HwConfig(lanes=4, rom=rom), artifact=a, checks=True)
    top, cd = harness(dut)
    got = []

    async def tb(ctx):
        if not rom:
            assert await load_image(ctx, dut, weight_image(a)) == (1, 0)
        await feed_beat(ctx, dut, x[2, 0], rr[2])
        for _ in range(40):  # well inside the timestep loop
            await ctx.tick()
        assert ctx.get(dut.busy) == 1
        ctx.set(cd.rst, 1)
        await ctx.tick()
        ctx.set(cd.rst, 0)
        await ctx.tick()
        assert (ctx.get(dut.busy), ctx.get(dut.loaded), ctx.get(dut.o_result.valid)) == (0, 1, 0)
        # Half a beat, reset again, then two complete inferences.
        for v in x[1, 0, :5]:
            await stream_put(ctx, dut.i_sample, int(v))
        ctx.set(cd.rst, 1)
        await ctx.tick()
        ctx.set(cd.rst, 0)
        for n in (1, 2):
            await feed_beat(ctx, dut, x[n, 0], rr[n])
            got.append(unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result)))

    sim = Simulator(top)
    sim.add_clock(1e-6, domain="sync")
    sim.add_testbench(tb)
    sim.run()
    assert [g[0] for g in got] == want.cls[1:].tolist()
    assert [g[1] for g in got] == want.values[1:].tolist()


def test_an_image_for_the_other_neuron_mode_is_refused(artifact_factory):
    """The same shapes and widths in sum-then-fire mode are other silicon: the image's hardware
    id differs and the loader refuses it (load_error, nothing loaded); the chip's own loads."""
    import dataclasses

    from ecg_snn.model.contract.artifact import Artifact, derive_widths

    a = artifact_factory("small", seed=3)
    layers = []
    for la in a.spec.layers:
        th = 1 << (la.threshold.bit_length() - 1)
        la = dataclasses.replace(la, neuron="ssf", threshold=th, v_init=th // 2)
        layers.append(
            dataclasses.replace(la, **derive_widths(la, a.spec.preprocess, a.spec.T, a.tensors))
        )
    ssf = Artifact(dataclasses.replace(a.spec, layers=tuple(layers)), a.tensors)
    ssf.validate()
    assert ssf.spec.hardware_id() != a.spec.hardware_id()
    dut = Accelerator(a.spec, HwConfig(lanes=4))
    seen = []

    async def tb(ctx):
        seen.append(await load_image(ctx, dut, weight_image(ssf)))
        seen.append(await load_image(ctx, dut, weight_image(a)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert seen == [(0, 1), (1, 0)]


def test_the_load_port_is_closed_from_the_first_input_word_to_the_result(
    artifact_factory, beats_factory, rng
):
    """A load word offered after a beat's first word is deferred: not taken while the inference
    runs (the weights it reads cannot change under it), `loaded` stays, and the beat completes
    (its words are not held back behind the image, which would wait for the result forever)."""
    a = artifact_factory("small", seed=3)
    x, rr = beats_factory(a, rng, 3)
    want = golden.run(a, x, rr)
    dut = Accelerator(a.spec, HwConfig(lanes=4), checks=True)
    seen = {"open": []}

    async def tb(ctx):
        image = weight_image(a)
        assert await load_image(ctx, dut, image) == (1, 0)
        await stream_put(ctx, dut.i_sample, int(x[2, 0, 0]))  # the beat has begun
        ctx.set(dut.i_load.payload, int(image[0]))
        ctx.set(dut.i_load.valid, 1)  # offered all through the inference
        for v in x[2, 0, 1:]:
            await stream_put(ctx, dut.i_sample, int(v))
        for v in rr[2]:
            await stream_put(ctx, dut.i_rr, int(v))
        while not ctx.get(dut.o_result.valid):
            seen["open"].append(ctx.get(dut.i_load.ready))
            await ctx.tick()
        seen["loaded"] = ctx.get(dut.loaded)
        seen["result"] = unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result))
        ctx.set(dut.i_load.valid, 0)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run_until(20e-3)  # bounded: an image offered mid-beat used to deadlock the chip
    assert "result" in seen, "no result: the beat stalled behind the offered image"
    assert len(seen["open"]) > 10 and not any(seen["open"])
    assert seen["loaded"] == 1
    assert seen["result"] == (int(want.cls[2]), want.values[2].tolist())


def test_a_reload_reinitialises_the_membranes_before_the_next_beat(
    artifact_factory, sibling_factory, beats_factory, rng
):
    """Model A loaded (its initial membranes written by the init sweep), then model B, whose
    v_init differ, with no beat between: the first beat must run on B's initial membranes."""
    a = artifact_factory("small", seed=3)
    b = sibling_factory(a, seed=4)
    assert [la.v_init for la in a.spec.layers] != [la.v_init for la in b.spec.layers]
    x, rr = beats_factory(a, rng, 3)
    want = golden.run(b, x, rr)
    dut = Accelerator(a.spec, HwConfig(lanes=4), checks=True)
    got = []

    async def tb(ctx):
        assert await load_image(ctx, dut, weight_image(a)) == (1, 0)
        for _ in range(200):  # A's init sweep is over
            await ctx.tick()
        assert await load_image(ctx, dut, weight_image(b)) == (1, 0)
        for n in range(3):
            await feed_beat(ctx, dut, x[n, 0], rr[n])
            got.append(unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert [g[0] for g in got] == want.cls.tolist()
    assert [g[1] for g in got] == want.values.tolist()


def _with_threshold(image: np.ndarray, spec, layer: str, value: int) -> np.ndarray:
    """`image` with `layer`'s threshold word set to `value` and the checksum fixed, so only
    the threshold itself can make the loader refuse it."""
    from ecg_snn.model.contract.image import HEADER_WORDS, sections

    sec = next(s for s in sections(spec) if s.layer == layer and s.field == "threshold")
    img = image.astype(np.int64).copy()
    img[HEADER_WORDS + sec.offset] = value
    img[-1] = int(img[HEADER_WORDS:-1].sum()) & 0xFFFFFFFF
    return img


def test_non_power_of_two_ssf_threshold_is_refused(ssf_factory, beats_factory, rng):
    """An ssf threshold that is not 2**k (k <= membrane_bits - 2) is refused with
    `load_error` (it would otherwise act as its highest power of two); a legal power of two
    (the positive control) loads, and the model still classifies exactly afterwards."""
    a = ssf_factory("small", seed=3, n_ssf=2)
    layer = next(la for la in a.spec.layers if la.neuron == "ssf")
    mb, th = layer.membrane_bits, layer.threshold
    image = weight_image(a)
    cases = {
        "three times": (_with_threshold(image, a.spec, layer.name, 3 * th), (0, 1)),
        "plus one": (_with_threshold(image, a.spec, layer.name, th + 1), (0, 1)),
        "zero": (_with_threshold(image, a.spec, layer.name, 0), (0, 1)),
        "too large": (_with_threshold(image, a.spec, layer.name, 1 << (mb - 1)), (0, 1)),
        "legal 2**k": (_with_threshold(image, a.spec, layer.name, 1 << (mb - 2)), (1, 0)),
        "the model": (image, (1, 0)),
    }
    x, rr = beats_factory(a, rng, 1)
    want = golden.run(a, x, rr)
    dut = Accelerator(a.spec, HwConfig(lanes=3), checks=True)
    got = {}

    async def tb(ctx):
        for name, (img, _) in cases.items():
            got[name] = await load_image(ctx, dut, img)
        await feed_beat(ctx, dut, x[0, 0], rr[0])
        got["result"] = unpack_result(dut.result_layout, await stream_get(ctx, dut.o_result))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert {k: got[k] for k in cases} == {k: v for k, (_, v) in cases.items()}
    assert got["result"] == (int(want.cls[0]), [int(v) for v in want.values[0]])
