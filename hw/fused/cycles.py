"""Cycle model of the fused engine: the schedule of `hw/fused/core.py`, replayed from the
golden model's spike counts (no RTL). Checked against the Amaranth simulation
(`tests/hw/test_fused.py`) and every Verilator run of `make sim ENGINE=fused`.

With the inputs offered back to back (samples first: they have priority) and the result taken
at once, every state of the schedule costs a fixed number of cycles, so the total is a sum::

    cycles = n_samples + n_rr                             IN: one word per cycle, then the
                                                          cycle that sees the beat complete
      + sum over conv positions p of layer l, groups g:
            2                                             START, FIRE
          + (nnz > 0) * (nnz + 1)                         ISSUE: one MAC per non-zero window
                                                          entry (K x C_in), one drain cycle
          + (dense next) * (nzc > 0) * (nzc * G' + 1)     FEED: the group's non-zero counts
                                                          into the G' groups of the dense layer
      + (any rr != 0) * sum over RR layers (nz_rr * G_r + 1)
      + sum over dense layers l, groups g: 1 + (not output) * (nzc > 0) * (nzc * G_{l+1} + 1)

counted from the cycle after the first accepted word (hence the first word's cycle is not in
the sum) to the first cycle of `o_result.valid`, one cycle after the last FIRE (the decision's
registered result): the same count as `hw/cycles.py` for the event engine.
Zero counts cost nothing but the fixed START / FIRE of
their position; this is the event-driven part of the schedule.
"""

from __future__ import annotations

import numpy as np

from ecg_snn.hw.config import HwConfig
from ecg_snn.hw.fused.plan import FusedPlan
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact


def layer_counts(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> list[np.ndarray]:
    """Per layer the (N, n_out) spike counts, channel-major, exactly as `golden.run`'s
    sum-then-fire path computes them (the output layer's entry is zeros)."""
    spec = artifact.spec
    counts, out = None, []
    for layer in spec.layers:
        mat = golden.connection_matrix(layer, artifact.weight(layer)).T
        const = golden.constant_current(layer, artifact, x, rr)
        _, counts = golden.ssf_fire_acc(golden.ssf_acc(counts, mat), const, layer, spec.T)
        out.append(counts)
    return out


def inference_cycles(
    artifact: Artifact, config: HwConfig, x: np.ndarray, rr: np.ndarray
) -> np.ndarray:
    """Cycles per inference for each of the N inputs x (N, 1, n_samples), rr (N, n_rr)."""
    spec = artifact.spec
    plan = FusedPlan.of(spec, config)
    pre, lanes = spec.preprocess, config.lanes
    x2 = np.asarray(x, dtype=np.int64).reshape(len(x), -1)
    rr = np.asarray(rr, dtype=np.int64).reshape(len(x), spec.n_rr)
    counts = layer_counts(artifact, x2[:, None, :], rr)
    n = len(x2)
    total = np.full(n, pre.n_samples + spec.n_rr, dtype=np.int64)
    layers = plan.layers

    def feed(nzc: np.ndarray, nxt: int) -> np.ndarray:
        return (nzc > 0) * (nzc * layers[nxt].geo.groups + 1)

    for p in layers:
        layer, geo = p.layer, p.geo
        nxt_dense = p.index + 1 < len(layers) and not layers[p.index + 1].conv
        if p.conv:
            K, s, P, C = layer.kernel, layer.stride, layer.out_length, layer.in_channels
            if p.index == 0:
                src = (x2 != 0)[:, None, :]  # (N, 1, n_samples)
            else:
                src = counts[p.index - 1].reshape(n, C, -1) != 0
            out = counts[p.index].reshape(n, layer.out_channels, P)
            for pos in range(P):
                nnz = src[:, :, pos * s : pos * s + K].sum(axis=(1, 2))
                for g in range(geo.groups):
                    total += 2 + (nnz > 0) * (nnz + 1)
                    if nxt_dense:
                        nzc = (out[:, g * lanes : (g + 1) * lanes, pos] != 0).sum(axis=1)
                        total += feed(nzc, p.index + 1)
            continue
        for g in range(geo.groups):
            total += 1
            if layer.fires:
                nzc = (counts[p.index][:, g * lanes : (g + 1) * lanes] != 0).sum(axis=1)
                total += feed(nzc, p.index + 1)
    if plan.rr_layers:
        nz_rr = (rr != 0).sum(axis=1)
        for r in plan.rr_layers:
            total += (nz_rr > 0) * (nz_rr * layers[r].geo.groups + 1)
    return total


def cycle_bound(spec, config: HwConfig) -> int:
    """An upper bound on any inference's cycles from the shapes alone (a bench watchdog;
    `hw.cycles.cycle_bound` for the event engine): every sample, window entry, count and RR
    word non-zero, so every ISSUE and FEED runs in full."""
    plan = FusedPlan.of(spec, config)
    layers = plan.layers
    total = spec.preprocess.n_samples + spec.n_rr + 2
    for p in layers:
        geo = p.geo
        nxt = layers[p.index + 1].geo.groups if p.index + 1 < len(layers) else 0
        fires = geo.positions * geo.groups
        total += fires * (2 + p.window_bits + 1 if p.conv else 1)
        total += fires * (config.lanes * nxt + 1)  # FEED of every fired group
        total += spec.n_rr * geo.groups + 1
    return total
