"""CMB folding keeps epsilon, CN scales, unsupported layers fail before training."""

import numpy as np
import pytest
import torch
from torch import nn

from ecg_snn.model.convert import convert, fold_bn, layer_lambdas
from ecg_snn.model.network import (
    ArchConfig,
    ConvNet,
    LayerCfg,
    UnsupportedLayerError,
    check_convertible,
)


def random_bn(channels: int, seed: int, eps: float = 1e-3) -> nn.BatchNorm1d:
    g = torch.Generator().manual_seed(seed)
    bn = nn.BatchNorm1d(channels, eps=eps).double()
    with torch.no_grad():
        bn.weight.copy_(torch.rand(channels, generator=g, dtype=torch.float64) + 0.5)
        bn.bias.copy_(torch.randn(channels, generator=g, dtype=torch.float64))
        bn.running_mean.copy_(torch.randn(channels, generator=g, dtype=torch.float64))
        bn.running_var.copy_(torch.rand(channels, generator=g, dtype=torch.float64) * 1e-2)
    return bn.eval()


def test_bn_folding_matches_eval_mode_batch_norm_with_epsilon():
    conv = nn.Conv1d(2, 3, 5).double()
    bn = random_bn(3, seed=1, eps=1e-3)  # small variances: dropping eps would be visible
    x = torch.randn(7, 2, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    w, b = fold_bn(conv.weight, conv.bias, bn)
    with torch.no_grad():
        ref = bn(conv(x))
        got = nn.functional.conv1d(x, w, b)
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    # the same fold without epsilon is measurably wrong
    g0 = bn.weight / torch.sqrt(bn.running_var)
    with torch.no_grad():
        no_eps = nn.functional.conv1d(x, conv.weight * g0[:, None, None],
                                      g0 * (conv.bias - bn.running_mean) + bn.bias)  # fmt: skip
    assert (no_eps - ref).abs().max() > 1e-3


def test_converted_float_layers_reproduce_the_bn_network_currents():
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(), T=8).double()
    for i, name in enumerate(net.norm):
        net.norm[name] = random_bn(net.norm[name].num_features, seed=10 + i)
    net.eval()
    layers = convert(net)
    x = torch.randn(5, 1, 64, dtype=torch.float64)
    with torch.no_grad():
        ref = net.norm["conv0"](net.body["conv0"](x)).flatten(1)
    got = nn.functional.conv1d(x, torch.as_tensor(layers[0].weight),
                               torch.as_tensor(layers[0].bias), stride=2).flatten(1)  # fmt: skip
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    assert [lay.fires for lay in layers] == [True, True, True, False]
    assert [lay.v_init for lay in layers] == [0.5, 0.5, 0.5, 0.0]
    assert layers[2].rr_weight.shape == (32, 4) and layers[0].rr_weight is None


def test_current_normalisation_scales_by_lambda_ratio():
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(), T=8).eval()
    base = convert(net)
    lam = [2.0, 4.0, 0.5]
    scaled = convert(net, lam)
    np.testing.assert_allclose(scaled[0].weight, base[0].weight / 2.0)
    np.testing.assert_allclose(scaled[1].weight, base[1].weight * 2.0 / 4.0)
    np.testing.assert_allclose(scaled[1].bias, base[1].bias / 4.0)
    np.testing.assert_allclose(scaled[2].rr_weight, base[2].rr_weight / 0.5)
    np.testing.assert_allclose(scaled[3].weight, base[3].weight * 0.5)  # output: λ = 1


def test_lambdas_from_activations():
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(), T=8).eval()
    x, rr = torch.randn(64, 1, 64), torch.rand(64, 4)
    assert layer_lambdas(net, x, rr, "cq") == [1.0, 1.0, 1.0]
    lam = layer_lambdas(net, x, rr, "max")
    assert all(0 < v <= 1.0 for v in lam)  # CQ activations never exceed 1
    with pytest.raises(ValueError, match="lambda mode 'median'"):
        layer_lambdas(net, x, rr, "median")


def test_unsupported_layer_kind_fails_before_training_naming_the_layer():
    arch = ArchConfig(layers=(LayerCfg("conv0", "conv1d", 4, 7, 2), LayerCfg("pool1", "maxpool", 4),
                              LayerCfg("out", "dense", 0)))  # fmt: skip
    with pytest.raises(
        UnsupportedLayerError, match="layer 'pool1': kind 'maxpool' is not supported"
    ):
        ConvNet(arch, T=4)


def test_unsupported_torch_module_is_named():
    net = ConvNet(ArchConfig(), T=4)
    net.body["conv1"] = nn.Sequential(nn.MaxPool1d(2))
    with pytest.raises(UnsupportedLayerError, match=r"layer 'body\.conv1': Sequential"):
        check_convertible(net)
    net = ConvNet(ArchConfig(), T=4)
    net.body["conv0"] = nn.Conv1d(1, 8, 7, 2, padding=3)
    with pytest.raises(UnsupportedLayerError, match="only valid conv1d"):
        convert(net)


def test_default_architecture_size():
    arch = ArchConfig()
    assert arch.shapes() == [(1, 64, 8, 29), (8, 29, 16, 13), (208, 1, 32, 1), (32, 1, 4, 1)]
    assert 7000 < arch.n_weights() < 8000


def test_training_only_dropout_is_convertible_and_inert_at_inference():
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(dropout=0.5), T=8).eval()
    check_convertible(net)
    x, rr = torch.randn(4, 1, 64), torch.rand(4, 4)
    torch.testing.assert_close(net(x, rr), net(x, rr))


def test_train_refuses_an_unsupported_layer_before_touching_data():
    from ecg_snn.model.contract.spec import Preprocess
    from ecg_snn.model.train import TrainConfig, train_cnn

    arch = ArchConfig(layers=(LayerCfg("conv0", "conv1d", 4, 7, 2), LayerCfg("gap", "avgpool", 4),
                              LayerCfg("out", "dense", 0)))  # fmt: skip
    with pytest.raises(UnsupportedLayerError, match="layer 'gap': kind 'avgpool'"):
        train_cnn(None, Preprocess(), TrainConfig(epochs=1), arch=arch)  # no data needed to fail
