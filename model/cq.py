"""The clamp-and-quantize CNN in float64: the reference an all-sum-then-fire artifact equals.

An ssf layer with threshold 2^k and v_init = 2^k / 2 computes exactly the CQ activation of the
CNN whose weights are the artifact's own, dequantized (`model.quantize.dequantize`); this is
that CNN, run on the CNN's float inputs (`Beats.scaled`).
"""

from __future__ import annotations

import numpy as np
import torch

from ecg_snn.model.convert import FloatLayer


def cq_predict(layers: list[FloatLayer], T: int, x_f: np.ndarray, rr_f: np.ndarray) -> np.ndarray:
    """Class of the clamp-and-quantize CNN with these float weights (float64):
    a_l = clip(floor(T·z_l + 1/2), 0, T) / T,  z_l = W_l a_{l-1} + b_l (+ W_rr rr_f);
    the output layer's z is the logit. Ties go to the lowest index."""
    from ecg_snn.model.snn_torch import float_layers

    h = torch.as_tensor(np.asarray(x_f), dtype=torch.float64)
    rr = torch.as_tensor(np.asarray(rr_f), dtype=torch.float64).reshape(len(h), -1)
    for sim, lay in zip(float_layers(layers), layers, strict=True):
        if lay.kind == "conv1d":
            h = h.reshape(len(h), lay.in_channels, lay.in_length)
            z = torch.nn.functional.conv1d(h, sim.weight, stride=lay.stride).flatten(1)
        else:
            z = h.flatten(1) @ sim.weight.T
        z = z + sim.bias.repeat_interleave(lay.out_length)
        if sim.rr_weight is not None:
            z = z + rr @ sim.rr_weight.T
        if not lay.fires:
            return torch.argmax(z, dim=1).numpy()
        h = torch.clamp(torch.floor(T * z + 0.5), 0, T) / T
    raise ValueError("the last layer must be the non-firing output layer")
