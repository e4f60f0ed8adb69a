"""`make report`: the docs' marked sections are generated from the report snapshots, and a
section edited by hand (or left behind by a new report) is caught."""

from __future__ import annotations

import json

import pytest

from sim import report
from sim.report_tables import RENDERERS

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


def test_snapshot_copies_only_the_quoted_reports_that_exist(tmp_path):
    build, out = tmp_path / "build", tmp_path / "snap"
    build.mkdir()
    (build / "train.json").write_text(json.dumps({"accuracy": 0.9}))
    (build / "other.json").write_text("{}")
    assert report.snapshot(("train", "sim"), build, out) == ["train"]
    assert report.load_snapshots(out) == {"train": {"accuracy": 0.9}}


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
    from sim.results import results_table

    sim = {"mismatches": 0, "beats": 10, "random_vectors": 5,
           "cycles_per_inference": {"mean": 100.0, "max": 120},
           "limits": [{"mismatches": 0}], "coverage": {"bins": {"a": 3, "b": 0}}}  # fmt: skip
    mutate = {"killed": 20, "mutants": 21, "survived": ["x"]}
    table = results_table({"sim": sim, "mutate": mutate})
    assert "limit cases 0 mismatches, coverage 1 of 2 bins hit" in table
    assert "**20 of 21 mutants killed**; survived: x" in table
