"""The inter-patient selection tools: metrics (κ, jκ, per record), patient loss cap, output
offsets, folds, and the RR path into the output layer. Hand-computed cases."""

import dataclasses

import numpy as np
import pytest
import torch

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
from ecg_snn.model.convert import convert
from ecg_snn.model.cq import cq_predict
from ecg_snn.model.cv import fit_offsets, make_folds, with_output_offsets
from ecg_snn.model.metrics import classification_metrics, per_record, record_table, s_se_without
from ecg_snn.model.network import ArchConfig, ConvNet, UnsupportedLayerError
from ecg_snn.model.quantize import quantize_neurons
from ecg_snn.model.snn_torch_ssf import run_int_mixed
from ecg_snn.model.train import sample_weights

CLASSES = ("N", "S", "V", "F")


def test_kappa_and_j_kappa_by_hand():
    # confusion rows true N S V F: N: 8 N, 1 S, 1 V; S: 1 N, 3 S; V: 4 V; F: 1 V, 1 F
    y = [0] * 10 + [1] * 4 + [2] * 4 + [3] * 2
    p = [0] * 8 + [1, 2] + [0, 1, 1, 1] + [2] * 4 + [2, 3]
    m = classification_metrics(np.array(y), np.array(p), CLASSES)
    # p_o = 16/20; rows 10,4,4,2; cols 9,4,6,1 -> p_e = (90+16+24+2)/400 = 0.33
    assert m["accuracy"] == pytest.approx(0.8)
    kappa = (0.8 - 0.33) / (1 - 0.33)
    assert m["kappa"] == pytest.approx(kappa)
    # Se_S 3/4, +P_S 3/4, Se_V 4/4, +P_V 4/6
    assert m["j_kappa"] == pytest.approx(0.5 * kappa + 0.125 * (0.75 + 1 + 0.75 + 4 / 6))
    f1 = {"N": 16 / 19, "S": 0.75, "V": 0.8}
    assert m["macro_f1_nsv"] == pytest.approx(np.mean(list(f1.values())))


def test_kappa_is_zero_for_a_constant_guess_and_one_for_perfect():
    y = np.array([0, 0, 1, 2, 3])
    assert classification_metrics(y, np.zeros(5, int), CLASSES)["kappa"] == pytest.approx(0.0)
    assert classification_metrics(y, y, CLASSES)["kappa"] == pytest.approx(1.0)


def test_per_record_and_s_se_without():
    y = np.array([1, 1, 0, 2, 1, 0])
    p = np.array([1, 0, 1, 2, 1, 2])
    rec = np.array(["a", "a", "a", "a", "b", "b"])
    t = per_record(y, p, rec, CLASSES)
    assert t["a"] == {
        "n": 4, "accuracy": 0.5, "n_s": 2, "s_se": 0.5, "false_s": 1, "n_v": 1, "v_se": 1.0,
        "false_v": 0,
    }  # fmt: skip
    assert t["b"]["v_se"] is None and t["b"]["false_v"] == 1 and t["b"]["s_se"] == 1.0
    assert s_se_without(y, p, rec, CLASSES, "b") == 0.5
    assert s_se_without(y, p, rec, CLASSES, "a") == 1.0
    rows = record_table(t, ("b", "missing", "a")).splitlines()
    assert rows[2] == "| b | 2 | 50.0 | 1 | 100.0 | 0 | 0 | – | 1 |"
    assert rows[3] == "| a | 4 | 50.0 | 2 | 50.0 | 1 | 1 | 100.0 | 0 |" and len(rows) == 4


def test_patient_cap_gives_one_record_at_most_its_share():
    y = np.array([0] * 10 + [1] * 2 + [0] * 3)
    rec = np.array(["a"] * 12 + ["b"] * 3)
    w = sample_weights(y, rec, np.array([1.0, 4.0]), cap=0.6)
    share_a = w[rec == "a"].sum() / w.sum()
    assert share_a == pytest.approx(0.6)
    # within a record the class weights keep their ratio
    assert w[10] / w[0] == pytest.approx(4.0)
    # off: plain class weights; a record under the cap is untouched
    assert np.array_equal(sample_weights(y, rec, np.array([1.0, 4.0])), np.where(y, 4.0, 1.0))
    assert np.array_equal(sample_weights(y, rec, np.array([1.0, 4.0]), cap=0.9), np.where(y, 4, 1))


def test_fit_offsets_finds_the_shift_that_separates_and_can_pin_a_class():
    # S beats have a logit 0.5 below N; an S offset of > 0.5 calls them all S
    y = np.array([0, 0, 0, 1, 1, 2])
    logits = np.array(
        [[2, 0, 0, -9], [2, 0.5, 0, -9], [2, 1, 0, -9], [2, 1.5, 0, -9], [2, 1.6, 0, -9],
         [0, 0, 2, -9]], dtype=float,
    )  # fmt: skip
    o = fit_offsets(logits, y, CLASSES)
    assert o[0] == 0 and 0.5 < o[1] <= 1.0
    assert np.array_equal(np.argmax(logits + o, 1), y)
    assert fit_offsets(logits, y, CLASSES, fixed={"S": -1.0})[1] == -1.0
    # a wrong grid answer would fail: zero offsets miss the S beats
    assert not np.array_equal(np.argmax(logits, 1), y)


def test_folds_hold_every_record_once_and_spread_the_s_rich_ones():
    rec = np.repeat([f"r{i}" for i in range(8)], 10)
    y = np.zeros(80, int)
    y[:10], y[10:18], y[20:25], y[30:33] = 1, 1, 1, 1  # r0 > r1 > r2 > r3 in S beats
    folds = make_folds(rec, y, 4, CLASSES)
    assert sorted(r for f in folds for r in f) == sorted(set(rec))
    assert all(len(f) == 2 for f in folds)
    assert [next(f for f in folds if r in f) for r in ("r0", "r1", "r2", "r3")] == folds


def test_rr_also_must_name_a_dense_layer():
    with pytest.raises(UnsupportedLayerError, match="rr_also"):
        ArchConfig(rr_also=("conv1",)).validate()
    with pytest.raises(UnsupportedLayerError, match="rr_also"):
        ArchConfig(rr_also=("dense9",)).validate()
    arch = ArchConfig(rr_also=("dense3",))
    assert arch.rr_layers == ("dense2", "dense3")
    assert arch.n_weights() == ArchConfig().n_weights() + 4 * 4


def test_rr_into_the_output_layer_and_offsets_survive_to_the_integer_model(real_beats):
    """RR on dense2 and dense3, all-ssf at T = 4: golden == torch int path, the integer model
    equals the CQ CNN of its own (dequantized) weights, and an output offset o moves the
    output membrane by exactly T·rnd(o·θ_out)."""
    torch.manual_seed(0)
    net = ConvNet(ArchConfig(rr_also=("dense3",)), T=4).eval()
    with torch.no_grad():
        for bn in net.norm.values():
            bn.running_var.fill_(0.05)
            bn.bias.fill_(0.2)
        net.rr["dense3"].weight.normal_(0, 2.0)
    layers = convert(net)
    assert layers[-1].rr_weight is not None
    pre = DEFAULT_PREPROCESS
    art = quantize_neurons(layers, pre, 4, CLASSES, 8, ssf_from=0)
    assert art.spec.layers[-1].rr_inputs == 4
    g = golden.run(art, real_beats.x, real_beats.rr)
    t = run_int_mixed(art, real_beats.x, real_beats.rr)
    assert np.array_equal(g.values, t.values) and np.array_equal(g.cls, t.cls)
    no_rr = dataclasses.replace(art, tensors={**art.tensors})
    no_rr.tensors["dense3.rr_weight"] = np.zeros_like(art.tensors["dense3.rr_weight"])
    assert not np.array_equal(golden.run(no_rr, real_beats.x, real_beats.rr).values, g.values)
    offsets = np.array([0.0, 0.75, -0.5, 0.0])
    shifted = quantize_neurons(with_output_offsets(layers, offsets), pre, 4, CLASSES, 8, 0)
    theta = shifted.spec.layers[-1].threshold
    assert theta == art.spec.layers[-1].threshold  # the bias does not move θ
    gs = golden.run(shifted, real_beats.x, real_beats.rr)
    step = 4 * (np.floor((layers[-1].bias + offsets) * theta + 0.5) - art.bias(art.spec.layers[-1]))
    assert np.array_equal(gs.values - g.values, np.broadcast_to(step, g.values.shape))
    x_f, rr_f = real_beats.scaled(pre)
    assert (cq_predict(layers, 4, x_f, rr_f) == g.cls).mean() > 0.95


def test_tied_s_row_makes_s_minus_n_a_function_of_rr_only():
    torch.manual_seed(0)
    arch = ArchConfig(rr_also=("dense3",), tie_out=((1, 0),))
    net = ConvNet(arch, T=4).eval()
    x = torch.rand(6, 1, 64) - 0.5
    rr = torch.rand(1, 4).expand(6, 4)  # same RR, different morphology
    with torch.no_grad():
        out = net(x, rr)
    d = out[:, 1] - out[:, 0]
    assert torch.allclose(d, d[0].expand(6)) and not torch.allclose(out[:, 2], out[0, 2])
    layers = convert(net)
    assert np.array_equal(layers[-1].weight[1], layers[-1].weight[0])
    with pytest.raises(UnsupportedLayerError, match="tie_out needs the RR"):
        ArchConfig(tie_out=((1, 0),)).validate()
    with pytest.raises(UnsupportedLayerError, match="distinct"):
        ArchConfig(rr_also=("dense3",), tie_out=((1, 1),)).validate()


def test_cv_cli_refuses_bad_input_before_any_work(tmp_path, capsys):
    from ecg_snn.model.cv import main

    for argv, msg in (
        (["--folds", "1", "--name", "x"], "--folds must be 2 .. 22"),
        (["--folds", "23", "--name", "x"], "--folds must be 2 .. 22 (the DS1 patients)"),
        (["--epochs", "0", "--name", "x"], "--epochs must be in 1..10000, not 0"),
        (["--ft-epochs", "-1", "--name", "x"], "--ft-epochs must be in 0..10000"),
        (["--T", "0", "--name", "x"], "--T must be in 1..1024"),
        (["--weight-bits", "1", "--name", "x"], "--weight-bits must be in 2.."),
        (["--morph-drop", "1", "--name", "x"], "--morph-drop must be in 0.0..0.99, not 1.0"),
        (["--dropout", "-0.1", "--name", "x"], "--dropout must be in 0.0..0.99"),
        (["--shape", "0", "7", "8", "3", "48", "--name", "x"], "every value must be >= 1"),
        (["--shape", "8", "99", "8", "3", "48", "--name", "x"], "--shape: "),
        ([], "--name is required"),
        (["--name", "x", "--rr-features", "prev", "tmpl_nope"], "unknown RR features"),
    ):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2 and msg in capsys.readouterr().err
    # a missing report: one line naming what to run first (no usage text)
    assert main(["--table", "--report", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert "no report at" in err and "run a recipe first" in err and err.count("\n") == 1
    report = tmp_path / "cv.json"
    m = {
        "accuracy": 0.9, "j_kappa": 0.5,
        "per_class": {c: {"se": 0.5, "ppv": 0.25} for c in ("S", "V")},
    }  # fmt: skip
    entry = {"int": m, "int_offsets_nested": m, "spikes_per_inference": 100.0, "offsets": [0.0] * 4}
    # a committed snapshot carries its provenance beside the recipes: not a recipe
    source = {"path": "build/reports/cv.json", "sha256": "0" * 64}
    report.write_text(__import__("json").dumps({"r1": entry, "_source": source}))
    assert main(["--table", "--report", str(report)]) == 0
    assert "| r1 | 90.00 | 0.500 | 50.0 / 25.0 |" in capsys.readouterr().out
    assert main(["--seeds", "--report", str(report)]) == 0
    assert "_source" not in capsys.readouterr().out
    # a report to merge that is not there: one line, exit 2, the report untouched
    before = report.read_text()
    assert main(["--merge", str(tmp_path / "none.json"), "--report", str(report)]) == 2
    assert "--merge" in capsys.readouterr().err and report.read_text() == before


def test_seed_table_is_mean_and_sample_sd_over_the_seeds_of_a_recipe(tmp_path, capsys):
    import json

    from ecg_snn.model.cv import main, seed_group

    assert seed_group("v3_s12") == "v3" and seed_group("tie_g16") == "tie_g16"
    assert seed_group("s2_x") == "s2_x"

    def entry(jk, s_se, s_off):
        m = {
            "accuracy": 0.9, "j_kappa": jk,
            "per_class": {"S": {"se": s_se, "ppv": 0.5}, "V": {"se": 0.8, "ppv": 0.9}},
        }  # fmt: skip
        return {"int": m, "int_offsets_nested": m, "offsets": [0.0, s_off, 0.0, -4.0]}

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"v3": entry(0.6, 0.5, 1.0), "v3_s1": entry(0.8, 0.7, 3.0)}))
    b.write_text(json.dumps({"v3_s2": entry(0.7, 0.6, 2.0), "other": entry(0.1, 0.1, 0.0)}))
    merged = tmp_path / "cv.json"
    assert main(["--merge", str(a), str(b), "--report", str(merged)]) == 0
    assert main(["--seeds", "--report", str(merged)]) == 0
    out = capsys.readouterr().out
    # jκ 0.6, 0.8, 0.7: mean 0.700, sample sd 0.100; S Se 50, 70, 60 %: 60.0 ± 10.0
    assert "| v3 | 3 | 0.700 ± 0.100 | 90.0 ± 0.0 | 60.0 ± 10.0 / 50.0 ± 0.0 |" in out
    assert "| 2.0 ± 1.0 |" in out  # the S offsets 1, 3, 2
    assert "| other | 1 | 0.100 ± 0.000 |" in out
