"""`make report`: the docs' marked sections are generated from the report snapshots, and a
section edited by hand (or left behind by a new report) is caught."""

from __future__ import annotations

import json

import pytest

from ecg_snn.report import render as report
from ecg_snn.report.tables import RENDERERS

DOC = """# Results

<!-- report:acc -->
old figure: 12 %
<!-- /report:acc -->

Text around the section stays as written.
"""
RENDER = {"acc": lambda r: f"accuracy {100 * r['train']['accuracy']:.1f} %"}


def test_a_section_is_rewritten_from_its_report_and_the_rest_is_kept():
    out = report.render(DOC, {"train": {"accuracy": 0.93}}, renderers=RENDER)
    assert "accuracy 93.0 %\n<!-- /report:acc -->" in out
    assert "old figure" not in out
    assert out.endswith("Text around the section stays as written.\n")
    assert report.render(out, {"train": {"accuracy": 0.93}}, renderers=RENDER) == out


def test_check_flags_a_doc_whose_figure_differs_from_its_report(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text(report.render(DOC, {"train": {"accuracy": 0.93}}, renderers=RENDER))
    assert report.stale((doc,), {"train": {"accuracy": 0.93}}, RENDER) == []
    # a newer report (or a hand edit of the section) makes the doc stale
    assert report.stale((doc,), {"train": {"accuracy": 0.94}}, RENDER) == [str(doc)]


def test_an_unknown_section_is_an_error_naming_it():
    with pytest.raises(report.ReportError, match="unknown report section 'nope'"):
        report.render("<!-- report:nope -->\nx\n<!-- /report:nope -->\n", {}, "README.md", RENDER)


def test_take_reads_only_quoted_reports_of_a_shipped_model(tmp_path):
    shipped = report.ROOT / "model" / "artifacts" / "inter.json"
    (tmp_path / "sim.json").write_text(json.dumps({"model": str(shipped), "mismatches": 0}))
    assert report.take(("sim",), tmp_path, ("sim",)) == {
        "sim": {"model": str(shipped), "mismatches": 0}
    }
    (tmp_path / "sim.json").write_text(json.dumps({"model": "/tmp/adapted.json"}))
    with pytest.raises(report.ReportError, match="not of a shipped model"):
        report.take(("sim",), tmp_path, ("sim",))
    with pytest.raises(report.ReportError, match="no such report"):
        report.take(("other",), tmp_path, ("sim",))
    with pytest.raises(report.ReportError, match="run the command that writes it"):
        report.take(("power",), tmp_path, ("sim", "power"))


def test_take_checks_a_shipped_model_by_content(tmp_path):
    """Reports name the model repo-relative with its sha256: a report of an earlier model at the
    same path (a different sha256) is not taken."""
    from ecg_snn.model.contract.artifact import load_artifact

    shipped = report.ROOT / "model" / "artifacts" / "inter.json"
    sha = load_artifact(shipped).checksum()
    body = {"model": "model/artifacts/inter.json", "model_sha256": sha}
    (tmp_path / "sim.json").write_text(json.dumps(body))
    assert report.take(("sim",), tmp_path, ("sim",))["sim"] == body
    (tmp_path / "sim.json").write_text(json.dumps({**body, "model_sha256": "0" * 64}))
    with pytest.raises(report.ReportError, match="not of the shipped models' current content"):
        report.take(("sim",), tmp_path, ("sim",))


def test_a_report_a_renderer_cannot_read_is_an_error_naming_the_section():
    with pytest.raises(report.ReportError, match="section 'acc' cannot be rendered"):
        report.render(DOC, {"train": {"no_accuracy": 1}}, "README.md", RENDER)


def test_the_repository_docs_are_in_sync_with_their_reports():
    assert report.stale(report.DOCS, report.load_snapshots(), RENDERERS) == []


def test_every_section_is_placed_once_in_the_docs():
    assert report.unplaced(report.DOCS, RENDERERS) == []


def test_a_missing_or_misspelt_marker_is_caught(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text(DOC.replace("<!-- /report:acc -->", "<!-- /report:acx -->"))
    assert report.unplaced((doc,), RENDER) == ["acc"]
    doc.write_text(DOC + DOC)
    assert report.unplaced((doc,), RENDER) == ["acc"]
    doc.write_text(DOC)
    assert report.unplaced((doc,), RENDER) == []


def test_results_table_shows_the_limit_cases_bins_and_mutants():
    from ecg_snn.report.results import results_table

    sim = {"mismatches": 0, "beats": 10, "random_vectors": 5,
           "cycles_per_inference": {"mean": 100.0, "max": 120},
           "limits": [{"mismatches": 0}], "coverage": {"bins": {"a": 3, "b": 0}}}  # fmt: skip
    mutate = {"killed": 20, "mutants": 21, "survived": ["x"]}
    table = results_table({"sim": sim, "mutate": mutate})
    assert "limit cases 0 mismatches, coverage 1 of 2 bins hit" in table
    assert "**20 of 21 mutants killed**; survived: x" in table


def test_findings_state_only_what_the_figures_support():
    """The power findings are rendered from the figures: the clocking advice only when the clock
    leads, the QNN order from the numbers (checked on the shipped snapshot, then on a copy where
    another block leads and the zero-skipping QNN costs more)."""
    import copy

    from ecg_snn.report import power as power_doc

    shipped = json.loads((report.ROOT / "docs" / "reports" / "power.json").read_text())
    g = shipped["gate_level"]["per_block_nj"]
    text = power_doc.findings(shipped)
    clock_leads = max(g, key=g.get) == "clock"
    assert ("the energy lever is clocking" in text) == clock_leads
    other = copy.deepcopy(shipped)
    blocks = other["gate_level"]["per_block_nj"]
    blocks["clock"] = min(blocks.values()) / 2
    other["zero_skip_qnn"]["total_nj"] = other["snn_vs_dense_qnn"]["snn_same_basis_nj"] * 2
    text = power_doc.findings(other)
    assert "the energy lever is clocking" not in text
    assert "below the zero-skipping QNN" in text


def test_cv_row_quotes_the_shipped_recipe_over_its_seeds_as_mean_and_sample_sd():
    """jκ 0.60, 0.64, 0.68 -> mean 0.640, sd (ddof 1) 0.040; a plain row without the shipped
    recipe falls back to the v2 recipe's nested offsets."""
    from ecg_snn.report.results import _cv

    def run(j: float, se: float) -> dict:
        per = {c: {"se": se, "ppv": 0.5} for c in ("N", "S", "V", "F")}
        return {"int": {"j_kappa": j, "accuracy": 0.9, "per_class": per}}

    r = {f"v3free_all_s{k}": run(j, se) for k, (j, se) in enumerate([(0.6, 0.2), (0.64, 0.4),
                                                                     (0.68, 0.6)])}  # fmt: skip
    text = _cv({**r, "v3free_all_s1_note": {}})
    assert "over 3 seeds" in text and "jκ 0.640 ± 0.040" in text
    assert "accuracy 90.0 ± 0.0 %" in text and "S Se 40.0 ± 20.0 / +P 50.0 ± 0.0" in text
    old = {"tie_g16": {"int_offsets_nested": run(0.57, 0.5)["int"]}}
    assert _cv(old).startswith("recipe `tie_g16`, pooled out-of-fold, nested offsets")
