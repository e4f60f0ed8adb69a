"""Cycle model of one inference, from the golden model's spike trace (no RTL simulation).

Counted from the first accepted input word to `o_result.valid`, with the input words offered
back to back (samples, then RR features). With G_l channel groups and P_l positions of layer l
(`LayerGeometry`), `ops(e)` the synaptic operations of event e (positions it touches x G_l)::

    input    sum over samples  (x[i] == 0 ? 1 : max(1, ops(i)))
           + sum over RR words (rr[j] == 0 ? 1 : max(1, G_rr))
           + INPUT_TAIL
    steps    T * sum_l (G_l * P_l + FIRE_OVERHEAD)                      fire scans
           + sum_t sum_{l>0} (INTEG_OVERHEAD + sum over spikes of layer l-1 at t: max(1, ops))
                                                          (1 if layer l-1 was silent at t)

so the cost is the fire scans (lanes-parallel) plus one cycle per synaptic operation per lane
group: it scales with spikes and synaptic events, not with neurons x timesteps. The overhead
constants are the sequencer's state changes and pipeline drains; `tests/hw/test_top.py` checks
this model against the Amaranth simulation, cycle for cycle.
"""

from __future__ import annotations

import numpy as np

from hw.config import HwConfig, LayerGeometry, conv_fanout
from model.artifact import Artifact
from sim import golden

INPUT_TAIL = 2  # last op drains, INPUT -> FIRE0 (minus the first word's own cycle)
FIRE_OVERHEAD = 3  # FIRE state, the registered stage after the scan, WAIT -> next state
INTEG_OVERHEAD = 3  # queue latency into the synapse unit, the write-back stage, INTEG -> FIRE
# (an INTEG state with no spikes to integrate costs one cycle)


def fanout_ops(geo: LayerGeometry, prev: LayerGeometry | None) -> np.ndarray:
    """Operations (lane-group cycles) per presynaptic neuron (or per input sample)."""
    layer = geo.layer
    if layer.kind == "dense":
        n_in = layer.in_channels
        return np.full(n_in, geo.groups, dtype=np.int64)
    counts = np.array([conv_fanout(layer, i)[2] for i in range(layer.in_length)])
    # Neuron n of the previous layer is channel n // P at position n % P (channel-major).
    return np.tile(counts, layer.in_channels) * geo.groups


def inference_cycles(
    artifact: Artifact, config: HwConfig, x: np.ndarray, rr: np.ndarray
) -> np.ndarray:
    """Cycles per inference for each of the N inputs x (N, 1, n_samples), rr (N, n_rr)."""
    spec = artifact.spec
    geos = [LayerGeometry(layer, config.lanes) for layer in spec.layers]
    res = golden.run(artifact, x, rr, record=True)
    ops = [fanout_ops(g, geos[i - 1] if i else None) for i, g in enumerate(geos)]
    x2 = np.asarray(x).reshape(len(x), -1)
    cyc = np.where(x2 != 0, np.maximum(1, ops[0][None, :]), 1).sum(axis=1)
    rr = np.asarray(rr).reshape(len(x), spec.n_rr)
    rr_groups = max([g.groups for g in geos if g.layer.rr_inputs], default=1)
    cyc += np.where(rr != 0, max(1, rr_groups), 1).sum(axis=1) + INPUT_TAIL
    cyc += spec.T * sum(g.depth + FIRE_OVERHEAD for g in geos)
    for step in res.trace:
        for i in range(1, len(geos)):
            spikes = step[i - 1].astype(np.int64)  # (N, n_out of layer i-1)
            n_spk = spikes.sum(axis=1)
            cyc += np.where(n_spk > 0, INTEG_OVERHEAD + spikes @ np.maximum(1, ops[i]), 1)
    return cyc


def cycle_report(
    artifact: Artifact, config: HwConfig, rng: np.random.Generator, n: int = 256
) -> dict:
    """Mean and max over random inputs (uniform over the input range), and a silent input."""
    pre = artifact.spec.preprocess
    lo, hi = -(1 << (pre.input_bits - 1)), (1 << (pre.input_bits - 1)) - 1
    x = rng.integers(lo, hi + 1, (n, 1, pre.n_samples))
    rr = rng.integers(0, 1 << pre.rr_bits, (n, artifact.spec.n_rr))
    c = inference_cycles(artifact, config, x, rr)
    silent = inference_cycles(
        artifact,
        config,
        np.zeros((1, 1, pre.n_samples), np.int64),
        np.zeros((1, artifact.spec.n_rr), np.int64),
    )
    return {
        "inputs": f"{n} random inputs, uniform over the input and RR ranges",
        "mean": float(c.mean()),
        "max": int(c.max()),
        "silent": int(silent[0]),
        "clock_hz_200bpm_max": float(c.max() * 200 / 60),
    }
