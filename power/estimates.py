"""The comparisons the measured figure is set against, on the same model and the same beats.

1. The op-count estimate papers use: E_ops = synops * E_acc (synops from the golden model: one per
   spike per structural synapse) + the first layer's MACs, which take samples, not spikes:
   MACs_0 * (E_mult(w_bits x input_bits) + E_add(acc_bits)), MACs_0 = sum over non-zero samples
   and RR features of their fan-out (`input_macs`). It ignores memories, control and the clock.

2. The equivalent dense quantized ANN (Yan, Bai, Wong, arXiv 2409.08290): the same layers run once
   as a QNN with k = ceil(log2(T+1))-bit activations (the information an IF neuron emits in T
   steps), input-layer activations at input_bits and RR features at rr_bits, with the same memory
   model as the SNN::

       E_qnn = sum_l MACs_l * (E_mult(w_bits x a_bits) + E_add(acc_bits))
             + every weight read once:      sum_l n_weights_l / lanes * E_read(lanes*w_bits, D_l)
             + every activation written once and read once:
                                            sum_l n_out_l * 2 * E_read(a_bits, n_out_l)

   E_mult(a x b) = mult8 * a*b/64, E_add(b) interpolated between Horowitz's 8- and 32-bit adds,
   E_read(w, d) = a*w + b*w*sqrt(d) (`power/tech.py`); D_l = the layer's weight words at
   `lanes` weights per word, the SNN's own weight-memory organisation (`hw/config.py`). No clock,
   control or leakage is added: it is a lower bound for a dense QNN accelerator, as the op count
   is for the SNN.

3. The zero-skipping QNN (`zero_skip_qnn_nj`): the same QNN run by an event-driven engine that
   skips zero activations, per beat: every non-zero activation a_i (a spike count over T steps,
   or a non-zero sample) costs its fan-out in MACs and its fan-out weight words in reads,
   `fanout_ops` lane-words at `lanes` weights per word (`hw/cycles.py`), with the same memory
   model; activations written and read once. Sum-then-fire *is* such an engine with
   ceil(log2(T+1))-bit activations, so this is the like-for-like baseline for it: what the SNN
   buys over it is only what T time steps of spikes cost or save.
"""

from __future__ import annotations

import numpy as np

from ecg_snn.hw.config import LayerGeometry
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.power.tech import Technology


def op_count_nj(
    synops: np.ndarray, accumulate_pj: float, input_macs: np.ndarray | None = None, mac_pj=0.0
) -> np.ndarray:
    """E_ops = synops * E_acc + input_macs * E_mac, in nJ."""
    e = np.asarray(synops, dtype=np.float64) * accumulate_pj
    if input_macs is not None:
        e = e + np.asarray(input_macs, dtype=np.float64) * mac_pj
    return e / 1000


def input_macs(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """MACs of the layers fed by samples and RR features (not spikes), per beat: the fan-out of
    every non-zero input. x (N, n_samples), rr (N, n_rr) -> (N,)."""
    from ecg_snn.model.contract.golden import structural_fanout

    x = np.asarray(x).reshape(len(x), -1)
    out = np.zeros(len(x), dtype=np.int64)
    for layer in artifact.spec.layers:
        if layer.source == "input":
            out += (x != 0).astype(np.int64) @ structural_fanout(layer)
        if layer.rr_inputs:
            out += (np.asarray(rr)[:, : layer.rr_inputs] != 0).sum(axis=1) * layer.out_channels
    return out


def input_mac_pj(artifact: Artifact, tech: Technology) -> float:
    """E_mac of the input layer: E_mult(weight_bits x input_bits) + E_add(acc_bits)."""
    layer = next(layer for layer in artifact.spec.layers if layer.source == "input")
    bits = artifact.spec.preprocess.input_bits
    return tech.mult_pj(layer.weight_bits, bits) + tech.add_pj(layer.acc_bits)


def dense_qnn_nj(artifact: Artifact, tech: Technology, lanes: int) -> dict[str, float]:
    """Energy of one dense QNN inference (module docstring), in nJ, with its parts."""
    spec = artifact.spec
    k = spec.count_bits  # bits that carry a spike count 0..T
    pre = spec.preprocess
    mac = mem_w = mem_a = 0.0
    macs_total = 0
    for layer in spec.layers:
        geo = LayerGeometry(layer, lanes)
        a_bits = pre.input_bits if layer.source == "input" else k
        n_w = int(np.prod(layer.weight_shape))
        macs = n_w * (layer.out_length if layer.kind == "conv1d" else 1)
        e_mac = tech.mult_pj(layer.weight_bits, a_bits) + tech.add_pj(layer.acc_bits)
        mac += macs * e_mac
        macs_total += macs
        words = geo.weight_depth
        mem_w += words * tech.mem_read_pj(lanes * layer.weight_bits, max(1, words))
        if layer.rr_inputs:
            rr_macs = layer.out_channels * layer.rr_inputs
            mac += rr_macs * (tech.mult_pj(layer.weight_bits, pre.rr_bits) + tech.add_pj(24))
            macs_total += rr_macs
            mem_w += geo.rr_depth * tech.mem_read_pj(lanes * layer.weight_bits, geo.rr_depth)
        if layer.fires:
            mem_a += 2 * layer.n_out * tech.mem_read_pj(k, layer.n_out)
    return {
        "total_nj": (mac + mem_w + mem_a) / 1000,
        "mac_nj": mac / 1000,
        "weight_reads_nj": mem_w / 1000,
        "activations_nj": mem_a / 1000,
        "macs": macs_total,
        "activation_bits": k,
    }


def zero_skip_qnn_nj(
    artifact: Artifact, tech: Technology, lanes: int, x: np.ndarray, rr: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-beat energy of the zero-skipping QNN (module docstring, item 3), in nJ, with its parts.
    x (N, n_samples), rr (N, n_rr); activations of layer l > 0 are the golden model's spike
    counts of layer l-1 over the inference."""
    from ecg_snn.hw.cycles import fanout_ops
    from ecg_snn.model.contract import golden

    spec = artifact.spec
    k = spec.count_bits  # bits that carry a spike count 0..T
    pre = spec.preprocess
    x = np.asarray(x).reshape(len(x), -1)
    counts = _activation_counts(artifact, x, rr)
    mac = np.zeros(len(x))
    mem_w = np.zeros(len(x))
    mem_a = 0.0
    for i, layer in enumerate(spec.layers):
        geo = LayerGeometry(layer, lanes)
        fan = golden.structural_fanout(layer)
        ops = fanout_ops(geo)
        if layer.source == "input":
            active, a_bits = (x != 0).astype(np.int64), pre.input_bits
        else:
            active, a_bits = (counts[i - 1] > 0).astype(np.int64), k
        e_mac = tech.mult_pj(layer.weight_bits, a_bits) + tech.add_pj(layer.acc_bits)
        mac += (active @ fan) * e_mac
        mem_w += (active @ ops) * tech.mem_read_pj(lanes * layer.weight_bits, geo.weight_depth)
        if layer.rr_inputs:
            nz = (np.asarray(rr)[:, : layer.rr_inputs] != 0).sum(axis=1)
            mac += (
                nz
                * layer.out_channels
                * (tech.mult_pj(layer.weight_bits, pre.rr_bits) + tech.add_pj(24))
            )
            mem_w += nz * geo.groups * tech.mem_read_pj(lanes * layer.weight_bits, geo.rr_depth)
        if layer.fires:
            mem_a += 2 * layer.n_out * tech.mem_read_pj(k, layer.n_out)
    total = (mac + mem_w + mem_a) / 1000
    return {
        "total_nj": total,
        "mac_nj": mac / 1000,
        "weight_reads_nj": mem_w / 1000,
        "activations_nj": np.full(len(x), mem_a / 1000),
    }


def _activation_counts(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> list[np.ndarray]:
    """Spike counts per neuron over the inference, per layer, (N, n_out) each: summed over the
    recorded steps for IF layers, from `golden.ssf_fire` for a sum-then-fire suffix."""
    from ecg_snn.model.contract import golden

    spec = artifact.spec
    res = golden.run(artifact, x[:, None, :], rr, record=True)
    n_if = sum(layer.neuron == "if" for layer in spec.layers)
    counts = [sum(step[i] for step in res.trace).astype(np.int64) for i in range(n_if)]
    prev = counts[-1] if counts else None
    for layer in spec.layers[n_if:]:
        mat_t = golden.connection_matrix(layer, artifact.weight(layer)).T
        const = golden.constant_current(layer, artifact, x[:, None, :], rr)
        _, prev = golden.ssf_fire(prev, mat_t, const, layer, spec.T)
        counts.append(prev.astype(np.int64))
    return counts
