"""Cycle model of one inference, replayed from the golden model's spike trace (no RTL).

It follows the RTL's schedule event by event (`hw/sequencer.py`, `hw/synapse.py`,
`hw/layer.py`, `hw/event_queue.py`), with the input words offered back to back (samples, then
RR features) and the result taken at once; `tests/hw/test_accelerator.py` checks it against the
Amaranth simulation cycle for cycle. Counted from the cycle after the first accepted input word
to the first cycle of `o_result.valid`.

In words, with G_l channel groups and P_l positions in layer l and `ops(e)` the lane-group
operations of event e (output positions it touches x G_l)::

    input    one cycle per zero word, max(1, ops) per non-zero sample or RR word
    step     per layer: a fire scan of G_l * P_l cycles (+2), overlapped with the next layer
             integrating the spikes as they come out of the scan: max(1, ops) per spike,
             plus the queue and pipeline latency (about 4 cycles) after the last one
    result   the cycle the output layer's last scan ends

so the cost is the lanes-parallel fire scans plus one cycle per synaptic operation per lane
group: it scales with spikes and synaptic events, not with neurons x timesteps.

With a sum-then-fire suffix (layers n_if..L-1) the IF prefix runs its T steps as above, except
that the last IF layer pushes nothing until step T-1, where it pushes its spike counts (one
event per neuron with a non-zero count, integrated by layer n_if during that scan); then each
ssf layer scans once (G_l * P_l + 2 cycles), overlapped with the next ssf layer integrating one
event per non-zero count (the same ops per event as a spike: the count multiply is in the
accumulate cycle)::

    cycles = input + sum_{t<T-1} sum_{l<n_if} scan_t(l)
             + sum_{l<n_if-1} scan_{T-1}(l) + max(scan(n_if-1), counts into n_if)
             + sum_{l>=n_if} max(G_l*P_l + 2, non-zero counts of l into l+1 + ~4)
"""

from __future__ import annotations

import numpy as np

from ecg_snn.hw.config import HwConfig, LayerGeometry, conv_fanout
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact


def fanout_ops(geo: LayerGeometry) -> np.ndarray:
    """Operations (lane-group cycles) per presynaptic neuron (or per input sample)."""
    layer = geo.layer
    if layer.kind == "dense":
        return np.full(layer.in_channels, geo.groups, dtype=np.int64)
    counts = np.array([conv_fanout(layer, i)[2] for i in range(layer.in_length)])
    # Neuron n of the previous layer is channel n // P at position n % P (channel-major).
    return np.tile(counts, layer.in_channels) * geo.groups


class _Synapse:
    """The synapse unit's timing: when the address generator can take the next event, and when
    the unit is idle again."""

    def __init__(self) -> None:
        self.free = 0  # first cycle the generator can load an event
        self.idle = 0  # first cycle `idle` is high again

    def load(self, cycle: int, n_ops: int) -> int:
        """Load an event at the earliest cycle >= `cycle`; return that cycle."""
        c = max(cycle, self.free)
        self.free = c + max(1, n_ops)
        # The last operation's write-back stage, then idle (an empty event: one cycle).
        self.idle = c + n_ops + 2 if n_ops else max(self.idle, c + 1)
        return c


def _scan(
    geo: LayerGeometry, nxt: LayerGeometry | None, ops: np.ndarray | None, spikes: np.ndarray
) -> int:
    """Cycles of one fire scan of layer `geo` started in cycle 0 (plus the next layer's
    integration of its spikes): the cycle the sequencer moves on."""
    end = geo.depth + 2  # scan cycles 1..depth, the fire stage 2..depth+1
    if nxt is None or not spikes.any():
        return end
    P, lanes = geo.positions, geo.lanes
    syn = _Synapse()
    taken = -1  # cycle the previous entry left the queue
    last_load = 0
    for a in range(geo.depth):
        g, p = divmod(a, P)
        chans = [g * lanes + j for j in range(lanes) if g * lanes + j < geo.layer.out_channels]
        fired = [c for c in chans if spikes[c * P + p]]
        if not fired:
            continue
        # Pushed in cycle a+2, in the queue's output register from a+4 (or after the last take).
        avail = max(a + 4, taken + 1)
        x = max(avail, last_load)  # the synapse unit takes it with its previous entry's last bit
        c = x + 1
        for ch in fired:
            c = syn.load(c, int(ops[ch * P + p]))
            last_load = c
        taken = x
    return max(end, syn.idle)


def _counts(
    artifact: Artifact, x: np.ndarray, rr: np.ndarray, trace: list, n_if: int
) -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
    """The last IF layer's spike counts over the T steps (N, n_out) and, per ssf layer, which
    neurons have a non-zero count (`golden.ssf_fire`, the golden model's own arithmetic)."""
    spec = artifact.spec
    counts = None
    if n_if:
        counts = sum(step[n_if - 1].astype(np.int64) for step in trace)
    ssf: dict[int, np.ndarray] = {}
    c = counts
    for i in range(n_if, len(spec.layers)):
        layer = spec.layers[i]
        mat = golden.connection_matrix(layer, artifact.weight(layer)).T
        xs = np.asarray(x, dtype=np.int64)
        rrs = np.asarray(rr, dtype=np.int64).reshape(len(xs), spec.n_rr)
        const = golden.constant_current(layer, artifact, xs, rrs)
        _, c = golden.ssf_fire(c, mat, const, layer, spec.T)
        ssf[i] = c > 0
    return (None if counts is None else counts > 0), ssf


def inference_cycles(
    artifact: Artifact, config: HwConfig, x: np.ndarray, rr: np.ndarray
) -> np.ndarray:
    """Cycles per inference for each of the N inputs x (N, 1, n_samples), rr (N, n_rr)."""
    spec = artifact.spec
    geos = [LayerGeometry(layer, config.lanes) for layer in spec.layers]
    ops = [fanout_ops(g) for g in geos]
    res = golden.run(artifact, x, rr, record=True)
    n_if = sum(layer.neuron == "if" for layer in spec.layers)
    counts, ssf_counts = _counts(artifact, x, rr, res.trace, n_if)
    x2 = np.asarray(x).reshape(len(x), -1)
    rr = np.asarray(rr).reshape(len(x), spec.n_rr)
    # The synapse unit of each layer with a cin memory: samples go to layer 0's, an RR word is
    # broadcast to every RR layer's (taken when all are ready). The input layer can be an RR
    # layer itself, and then both streams share its unit; with RR features no layer takes, an
    # RR word costs its cycle and nothing else.
    rr_targets = [i for i, g in enumerate(geos) if g.layer.rr_inputs]
    out = np.zeros(len(x), dtype=np.int64)
    for n in range(len(x)):
        # Input: word k is accepted in cycle `cyc` (the first in cycle 0).
        units = {i: _Synapse() for i in {0, *rr_targets}}
        cyc, last = 0, 0
        words = [([(0, int(ops[0][i]))], int(v)) for i, v in enumerate(x2[n])]
        words += [([(i, geos[i].groups) for i in rr_targets], int(v)) for v in rr[n]]
        for k, (targets, value) in enumerate(words):
            cyc = last + 1 if k else 0
            if value and targets:
                cyc = max(cyc, *(units[i].free for i, _ in targets))
                for i, n_ops in targets:
                    units[i].load(cyc, n_ops)
            last = cyc
        t0 = max(last + 1, *(u.idle for u in units.values()))
        for t, step in enumerate(res.trace):
            for i in range(n_if):
                geo, nxt = geos[i], geos[i + 1] if i + 1 < len(geos) else None
                spikes = step[i][n]
                if i == n_if - 1 and nxt is not None:  # feeds the ssf suffix: counts at the end
                    spikes = counts[n] if t == len(res.trace) - 1 else np.zeros_like(spikes)
                t0 += _scan(geo, nxt, ops[i + 1] if nxt else None, spikes)
        for i in range(n_if, len(geos)):
            nxt = geos[i + 1] if i + 1 < len(geos) else None
            spikes = ssf_counts[i][n] if nxt is not None else np.zeros(1, dtype=bool)
            t0 += _scan(geos[i], nxt, ops[i + 1] if nxt else None, spikes)
        # RESULT opens the port in the cycle the last scan ends; cycles count from 1.
        out[n] = t0
    return out


def cycle_bound(spec, config: HwConfig) -> int:
    """An upper bound on the cycles of any inference of `spec` on `config`, from the shapes
    alone (no artifact, no inputs): every input word non-zero and every neuron of every firing
    layer spiking in every step, each of its events costing its full fan-out, plus the fire
    scans and 8 cycles of queue and pipeline latency per scan. A bench watchdog derived from it
    tells a hang from a legal but long inference (T = 1024 on one lane)."""
    geos = [LayerGeometry(layer, config.lanes) for layer in spec.layers]
    ops = [fanout_ops(g) for g in geos]
    total = int(np.maximum(1, ops[0]).sum())  # one entry per input sample
    total += spec.n_rr * max([g.groups for g in geos if g.layer.rr_inputs], default=1) + 8
    n_if = spec.n_if
    for i, g in enumerate(geos):
        scan = g.depth + 8
        if i + 1 < len(geos):
            scan += int(np.maximum(1, ops[i + 1]).sum())
        total += scan * (spec.T if i < n_if else 1)
    return total
