"""docs/model.md's generated tables: the targets' status follows the figures, the per-record
table keeps only the notable records."""

from ecg_snn.report import model as model_doc


def _metrics(acc: float, jk: float, s: tuple, v: tuple) -> dict:
    pc = {"S": {"se": s[0], "ppv": s[1]}, "V": {"se": v[0], "ppv": v[1]}}
    return {"accuracy": acc, "j_kappa": jk, "per_class": pc}


def _cv(*runs: dict) -> dict:
    return {f"rec_s{k}": {"int": m} for k, m in enumerate(runs)} | {"other": {"int": runs[0]}}


def test_targets_met_and_missed_follow_the_figures():
    good = _metrics(0.96, 0.81, (0.9, 0.7), (0.96, 0.95))
    bad = _metrics(0.90, 0.60, (0.5, 0.3), (0.8, 0.7))
    met = model_doc.targets_table(_cv(good, good, good), {"snn_int": good}, "rec")
    assert met.count("met (CV, DS2)") == len(model_doc.TARGETS)
    assert "(3 seeds" in met  # "other" is another recipe: not averaged in
    missed = model_doc.targets_table(_cv(bad, bad, bad), {"snn_int": bad}, "rec")
    assert missed.count("| missed |") == len(model_doc.TARGETS)


def test_cv_jk_is_read_against_its_own_target():
    # CV jκ 0.73 meets the CV target 0.72 though it is below the DS2 target 0.80
    m = _metrics(0.90, 0.73, (0.5, 0.3), (0.8, 0.7))
    row = next(
        r
        for r in model_doc.targets_table(_cv(m, m, m), {"snn_int": m}, "rec").splitlines()
        if r.startswith("| jκ")
    )
    assert row.endswith("| met (CV) |")


def test_records_table_keeps_only_notable_records():
    quiet = {
        "n": 7,
        "accuracy": 1.0,
        "n_s": 0,
        "n_v": 0,
        "false_s": 0,
        "false_v": 0,
        "s_se": None,
        "v_se": None,
    }
    loud = quiet | {"false_v": 50}
    text = model_doc.records_table({"per_record": {"100": quiet, "214": loud}})
    assert "| 214 |" in text and "| 100 |" not in text


def test_the_confirm_runs_are_read_as_the_shipped_networks_cv():
    """explore_confirm's pick runs (jκ, accuracy, S and V Se / +P per seed) feed the targets
    table as a CV of three seeds; a figure that moves moves its row."""
    runs = [
        {"seed": k, "j_kappa": 0.81, "accuracy": 0.96, "S": [0.9, 0.7], "V": [0.96, 0.95]}
        for k in range(3)
    ]
    cv_runs = model_doc.confirm_as_cv({"pick": {"runs": runs}})
    good = _metrics(0.96, 0.81, (0.9, 0.7), (0.96, 0.95))
    table = model_doc.targets_table(cv_runs, {"snn_int": good}, "pick")
    assert "(3 seeds" in table and table.count("met (CV, DS2)") == len(model_doc.TARGETS)
    runs[0]["V"] = [0.0, 0.95]  # one seed's V Se collapses: the CV mean misses
    low = model_doc.targets_table(
        model_doc.confirm_as_cv({"pick": {"runs": runs}}), {"snn_int": good}, "pick"
    )
    (row,) = [r for r in low.splitlines() if r.startswith("| V Se")]
    assert row.endswith("| met (DS2) |")
