"""Fixtures for the model tests: a small converted network and real MIT-BIH chip inputs."""

import numpy as np
import pytest
import torch

from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
from ecg_snn.model.convert import convert
from ecg_snn.model.network import ArchConfig, ConvNet


@pytest.fixture
def float_layers():
    """The default architecture, randomly initialised (seeded), converted (BN identity)."""
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(), T=8).eval()
    with torch.no_grad():  # mild BN statistics so that layers do fire
        for bn in net.norm.values():
            bn.running_var.fill_(0.05)
            bn.bias.fill_(0.2)
    return convert(net)


@pytest.fixture(scope="session")
def real_beats(mitdb_dataset):
    """500 real DS2 beats of every class as chip inputs (model preprocessing)."""
    from ecg_snn.model.splits import to_beats

    beats = to_beats(mitdb_dataset.part("DS2"), DEFAULT_PREPROCESS, 4)
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.permutation(np.flatnonzero(beats.y == c))[:125] for c in range(4)])
    return beats.take(np.sort(idx))
