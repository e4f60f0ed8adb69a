"""The sequencer's RR broadcast is a stream fork: each RR layer takes every word exactly once, and
a target's `valid` never depends on any `ready` (the `lib.stream` rule)."""

from __future__ import annotations

import dataclasses

import numpy as np
from amaranth.sim import Simulator

from ecg_snn.hw.sequencer import Sequencer
from ecg_snn.model.random_artifact import random_artifact


def two_rr_layers():
    """A spec whose hidden layer and output layer both take the RR features."""
    spec = random_artifact(np.random.default_rng(3), hidden=(6,), n_classes=3).spec
    out = dataclasses.replace(spec.layers[-1], rr_inputs=spec.n_rr)
    spec = dataclasses.replace(spec, layers=(*spec.layers[:-1], out))
    spec.validate()
    return spec


def run_fork(b_ready_after: int, words: int = 2) -> dict:
    spec = two_rr_layers()
    dut = Sequencer(spec, lanes=2)
    rr_layers = [i for i, layer in enumerate(spec.layers) if layer.rr_inputs]
    a, b = (getattr(dut, f"value{i}") for i in rr_layers)
    seen: dict = {"a_took": 0, "b_took": 0, "b_valid_while_not_ready": 0, "early": 0}

    async def bench(ctx):
        ctx.set(dut.loaded, 1)
        for ctl in dut.ctl:
            ctx.set(ctl.idle, 1)
        await ctx.tick().until(dut.ctl[0].init)  # the init sweep
        await ctx.tick().until(~dut.ctl[0].init)
        ctx.set(a.ready, 1)
        for word in range(words):  # the fork must re-arm for every word
            ctx.set(dut.i_rr.valid, 1)
            ctx.set(dut.i_rr.payload, 5 + word)
            for cycle in range(12):
                ctx.set(b.ready, int(cycle >= b_ready_after))
                await ctx.delay(1e-9)  # let the combinational outputs settle
                seen["a_took"] += ctx.get(a.valid) & ctx.get(a.ready)
                seen["b_took"] += ctx.get(b.valid) & ctx.get(b.ready)
                seen["b_valid_while_not_ready"] += ctx.get(b.valid) & (1 - ctx.get(b.ready))
                transfer = ctx.get(dut.i_rr.valid) & ctx.get(dut.i_rr.ready)
                seen["early"] += transfer and cycle < b_ready_after
                await ctx.tick()
                if transfer:
                    ctx.set(dut.i_rr.valid, 0)
                    break

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen


def test_every_rr_layer_takes_the_word_once_even_when_one_is_late():
    seen = run_fork(b_ready_after=4)
    assert seen["a_took"] == 2 and seen["b_took"] == 2  # each of the two words, once
    assert seen["b_valid_while_not_ready"] == 8  # valid was offered before ready came
    assert seen["early"] == 0  # the word is consumed only when the last target took it


def test_targets_ready_together_take_the_word_in_one_cycle():
    seen = run_fork(b_ready_after=0)
    assert seen == {"a_took": 2, "b_took": 2, "b_valid_while_not_ready": 0, "early": 0}
