"""Useful memory reads, from the access pattern, set against the reads the RTL makes.

Every read port of the accelerator is enabled only in the cycle before its data is used
(`hw/layer.py`), so the measured reads should equal the useful ones; this module derives the
useful reads from the access pattern `hw/layer.py` documents and the write counts the SAIF
measured, so that the report can show the two agree (the `what_if_read_enables` saving is then
~0) and the same-basis comparison counts only useful accesses::

    vw      init writes every word once, then each use is a read-modify-write:
            reads = writes(vw) - depth + scans * depth
    cin     read once per word per fire scan, and once per value-event (sample or RR)
            read-modify-write:                    reads = scans * depth + writes(cin) - depth
    bias    read once per word per fire scan:             reads = scans * depth
    weight  one read per integrate operation (lane group), which is one vw (spike input) or
            cin (sample input) read-modify-write:
            spike layer:  reads = writes(vw) - depth - T * depth
            input layer:  reads = writes(cin) - depth
    rr_weight  one read per RR operation into cin:        reads = writes(cin) - depth - ops of
            the spike/sample path into cin (none: an RR layer takes spikes into vw)

`depth` is the layer's neuron-memory depth (channel groups x positions); scans = T fire scans for
an IF layer, 1 for a sum-then-fire layer. `tests/power` checks the weight reads against the
golden model's synaptic events (`hw/cycles.fanout_ops`).
"""

from __future__ import annotations

import re

import numpy as np

from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.power.blocks import BlockMap
from ecg_snn.power.energy import Energy, MemoryAccess
from ecg_snn.power.tech import Technology

_NAME = re.compile(r"/layer(\d+)/(weight|rr_weight|bias|vw|cin)(\$\d+)?$")


def gated_reads(e: Energy, spec: ModelSpec) -> dict[str, float]:
    """Estimated useful reads per memory (memories not matched keep their measured reads)."""
    by_layer: dict[int, dict[str, tuple[str, MemoryAccess]]] = {}
    out: dict[str, float] = {}
    for name, acc in e.memories.items():
        out[name] = acc.reads
        m = _NAME.search(name)
        if m:
            by_layer.setdefault(int(m.group(1)), {})[m.group(2)] = (name, acc)
    for i, mems in by_layer.items():
        layer = spec.layers[i]
        vw = mems.get("vw")
        cin = mems.get("cin")
        depth = (vw or cin)[1].depth if (vw or cin) else 0
        fire = (spec.T if layer.neuron == "if" else 1) * depth
        if vw:
            out[vw[0]] = max(0.0, vw[1].writes - depth)
        if cin:
            out[cin[0]] = fire + max(0.0, cin[1].writes - depth)
        if "bias" in mems:
            out[mems["bias"][0]] = fire
        if "weight" in mems:
            if layer.source == "input" and cin:
                out[mems["weight"][0]] = max(0.0, cin[1].writes - depth)
            elif vw:
                out[mems["weight"][0]] = max(0.0, vw[1].writes - depth - fire)
        if "rr_weight" in mems and cin:
            out[mems["rr_weight"][0]] = max(0.0, cin[1].writes - depth)
    return out


def saved_nj(e: Energy, spec: ModelSpec, tech: Technology, blocks: BlockMap) -> dict[str, float]:
    """Read energy gating would save, E_read * (measured - useful reads), per block, in nJ."""
    useful = gated_reads(e, spec)
    saved: dict[str, float] = {}
    for name, acc in e.memories.items():
        block = blocks.block(name.split("/", 1)[1] if "/" in name else name)
        pj = (acc.reads - useful[name]) * tech.mem_read_pj(acc.width, acc.depth)
        saved[block] = saved.get(block, 0.0) + pj / 1000
    return saved


def golden_weight_reads(artifact, lanes: int, x: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """Weight-memory reads per beat and layer the access pattern implies, from the golden
    model alone: sum over inputs/spikes of their lane-group operations (`hw.cycles`)::

        input layer:  sum_i [x_i != 0] * ops_0(i)
        spike layer:  sum_t spikes_{l-1}(t) @ ops_l

    Shape (N, layers). Compared with `gated_reads` of the SAIF, this cross-checks the
    access-pattern model against what the RTL did."""
    from ecg_snn.hw.config import LayerGeometry
    from ecg_snn.hw.cycles import fanout_ops
    from ecg_snn.model.contract import golden

    spec = artifact.spec
    geos = [LayerGeometry(layer, lanes) for layer in spec.layers]
    ops = [fanout_ops(g) for g in geos]
    res = golden.run(artifact, x[:, None, :], rr, record=True)
    out = np.zeros((len(x), len(geos)), dtype=np.int64)
    out[:, 0] = (np.asarray(x) != 0).astype(np.int64) @ ops[0]
    for step in res.trace:
        for i in range(1, len(geos)):
            out[:, i] += step[i - 1].astype(np.int64) @ ops[i]
    return out


def memory_access_nj(e: Energy, spec: ModelSpec, tech: Technology) -> float:
    """Memory energy with gated reads: sum useful reads * E_read + writes * E_write, in nJ.
    With the op count, this is the SNN on the dense QNN estimate's basis (no clock, control,
    leakage)."""
    useful = gated_reads(e, spec)
    pj = sum(
        useful[n] * tech.mem_read_pj(a.width, a.depth)
        + a.writes * tech.mem_write_pj(a.width, a.depth)
        for n, a in e.memories.items()
    )
    return pj / 1000
