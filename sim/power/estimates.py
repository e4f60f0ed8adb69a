"""The two comparisons the toggle-based figure is set against, on the same model.

1. The op-count estimate papers use: E_ops = synops * E_acc (synops from the golden model: one per
   spike per structural synapse). It ignores memories, control and the clock.

2. The equivalent dense quantized ANN (Yan, Bai, Wong, arXiv 2409.08290): the same layers run once
   as a QNN with k = ceil(log2(T+1))-bit activations (the information an IF neuron emits in T
   steps), input-layer activations at input_bits and RR features at rr_bits, with the same memory
   model as the SNN::

       E_qnn = sum_l MACs_l * (E_mult(w_bits x a_bits) + E_add(acc_bits))
             + every weight read once:      sum_l n_weights_l / lanes * E_read(lanes*w_bits, D_l)
             + every activation written once and read once:
                                            sum_l n_out_l * 2 * E_read(a_bits, n_out_l)

   E_mult(a x b) = mult8 * a*b/64, E_add(b) interpolated between Horowitz's 8- and 32-bit adds,
   E_read(w, d) = a*w + b*w*sqrt(d) (`sim/power/tech.py`); D_l = the layer's weight words at
   `lanes` weights per word, the SNN's own weight-memory organisation (`hw/config.py`). No clock,
   control or leakage is added: it is a lower bound for a dense QNN accelerator, as the op count
   is for the SNN.
"""

from __future__ import annotations

import numpy as np

from hw.config import LayerGeometry
from model.contract.artifact import Artifact
from sim.power.tech import Technology


def op_count_nj(synops: np.ndarray, accumulate_pj: float) -> np.ndarray:
    """E_ops = synops * E_acc, in nJ."""
    return np.asarray(synops, dtype=np.float64) * accumulate_pj / 1000


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
