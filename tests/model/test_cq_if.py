"""The CQ activation equals the IF neuron's spike count for a constant input current."""

import numpy as np
import pytest
import torch

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.spec import LayerSpec
from ecg_snn.model.network import CQAct


def if_count(current: int, threshold: int, T: int, v_init: int) -> int:
    """Spikes of one golden IF neuron driven by a constant integer current for T steps."""
    spec = LayerSpec(
        name="n", kind="dense", source="spikes", in_channels=1, in_length=1, out_channels=1,
        out_length=1, membrane_bits=24, threshold=threshold, v_init=v_init,
    )  # fmt: skip
    v, count = np.array([v_init]), 0
    for _ in range(T):
        v, s = golden.if_step(v, np.array([0]), np.array([current]), spec)
        count += int(s[0])
    return count


# (current, threshold, T, expected spikes): hand-computed, v_init = threshold / 2
CASES = [
    (0, 8, 4, 0),  # nothing
    (-3, 8, 4, 0),  # negative current never fires
    (1, 8, 4, 1),  # 4 + 4*1 = 8 >= 8 at the last step: z*T = 0.5 rounds half up to 1
    (3, 8, 4, 2),  # 4+3+3 = 10 fires at t=1, then 2+3+3 = 8 at t=3: z*T = 1.5 -> 2
    (5, 8, 4, 3),  # z*T = 2.5 -> 3 (round half up, like floor(zT + 1/2))
    (8, 8, 4, 4),  # z = 1: one spike per step
    (20, 8, 4, 4),  # z > 1 saturates at T spikes
    (7, 100, 8, 1),  # z*T = 0.56 -> 1
    (6, 100, 8, 0),  # z*T = 0.48 -> 0
]


@pytest.mark.parametrize(("current", "threshold", "T", "want"), CASES,
                         ids=[f"c{c}-th{t}-T{T}" for c, t, T, _ in CASES])  # fmt: skip
def test_cq_activation_is_the_if_spike_count(current, threshold, T, want):
    assert if_count(current, threshold, T, threshold // 2) == want
    a = CQAct(T)(torch.tensor([current / threshold], dtype=torch.float64))
    assert float(a[0]) * T == want


def test_cq_gradient_is_straight_through_inside_and_zero_outside():
    z = torch.tensor([-0.5, 0.3, 0.7, 1.5], requires_grad=True)
    CQAct(4)(z).sum().backward()
    assert z.grad.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_cq_levels_and_clamp():
    out = CQAct(4)(torch.tensor([-1.0, 0.1, 0.125, 0.374, 0.375, 0.99, 3.0]))
    assert out.tolist() == [0.0, 0.0, 0.25, 0.25, 0.5, 1.0, 1.0]
