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
    shipped = "model/artifacts/inter.json"
    (tmp_path / "sim.json").write_text(json.dumps({"model": shipped, "mismatches": 0}))
    assert report.take(("sim",), tmp_path, ("sim",)) == {"sim": {"model": shipped, "mismatches": 0}}
    (tmp_path / "sim.json").write_text(json.dumps({"model": "/tmp/adapted.json"}))
    with pytest.raises(report.ReportError, match="not of a shipped model"):
        report.take(("sim",), tmp_path, ("sim",))
    with pytest.raises(report.ReportError, match="no such report"):
        report.take(("other",), tmp_path, ("sim",))
    with pytest.raises(report.ReportError, match="run the command that writes it"):
        report.take(("power",), tmp_path, ("sim", "power"))


def test_take_refuses_a_report_naming_files_of_this_checkout_by_absolute_path(tmp_path):
    """Another clone would not find them (`data/paths.py`); the same path repo-relative is taken,
    and so is an absolute path outside the repository (a user's recordings)."""
    figure = report.ROOT / "build" / "reports" / "power_breakdown.png"
    (tmp_path / "power.json").write_text(json.dumps({"figures": [str(figure)], "nj": 1.0}))
    with pytest.raises(report.ReportError, match="names files of this checkout by absolute"):
        report.take(("power",), tmp_path, ("power",))
    assert report.checkout_paths({"a": {"b": [str(figure)]}}) == [f"a.b[0]: absolute path {figure}"]
    ok = {"figures": ["build/reports/power_breakdown.png"], "database": "/data/mitdb"}
    (tmp_path / "power.json").write_text(json.dumps(ok))
    assert report.take(("power",), tmp_path, ("power",))["power"] == ok


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


def _heartbeat_report(active_nj: float) -> dict:
    """A heartbeat report (`power/heartbeat.py` layout) whose active energy is `active_nj`."""
    from ecg_snn.power import heartbeat as hb

    def window(cycles, nj):
        part = {"dynamic_nj": nj / 2, "leakage_nj": 0.0}
        return {"cycles": cycles, "total_nj": nj, "core": part, "shell": part}

    windows = {
        "transfer": window(800, active_nj * 0.6),
        "compute": window(100, active_nj * 0.3),
        "read": window(98, active_nj * 0.1),
    }
    wake, idle = window(2, 0.0), window(10, 5.0)
    return {
        "node": "osu018", "top": "snn_spi", "cells": 10, "flip_flops": 2, "beats": 2,
        "words_per_beat": 68, "bytes_per_word_transaction": 5, "sck_hz": 4e5, "clock_hz": 4e6,
        "mismatches": 0, "command": "python -m ecg_snn.power.heartbeat", "wake": wake,
        "windows": windows, "idle": idle,
        "budget_75_bpm": hb.budget(windows, wake, idle, 5000.0, 4e6),
    }  # fmt: skip


def test_heartbeat_claims_follow_the_figures():
    """The target claim is rendered from the budget: met when power-gated at 300 nJ active,
    met by nothing at 900 nJ (the negative case)."""
    from ecg_snn.report import power as power_doc

    text = power_doc.heartbeat(_heartbeat_report(300.0))
    assert "Meets the 0.5 uJ target: power-gated" in text
    assert "No standby choice meets" not in text
    text = power_doc.heartbeat(_heartbeat_report(900.0))
    assert "No standby choice meets the 0.5 uJ target: the best is 0.900 uJ" in text
    assert "Meets the" not in text


def test_heartbeat_section_sets_the_designs_side_by_side():
    """With the free-running design measured too, the section compares the two; without a
    heartbeat report it names the command."""
    from ecg_snn.report import power as power_doc

    free = {**_heartbeat_report(900.0), "design": "free_running"}
    work = {**_heartbeat_report(300.0), "design": "work_clock", "commit": "abcdef123"}
    text = power_doc.heartbeats({"heartbeat": free, "heartbeat_work": work})
    assert "| 180 nm, per beat at 75 bpm | core clocked on every cycle | core clocked only" in text
    assert "| active energy per beat, nJ | 900.00 | 300.00 |" in text
    assert "(commit abcdef1)" in text
    assert "Not measured yet" in power_doc.heartbeats({})


def test_work_clock_estimate_follows_the_figures():
    """The work-clock estimate: off cycles (RTL) x the measured idle core cycle; the target
    claim flips with the figures."""
    from ecg_snn.report import power as power_doc

    r = _heartbeat_report(900.0)  # idle core: 2.5 nJ over 10 cycles = 0.25 nJ per cycle
    rtl = {
        "command": "python -m ecg_snn.power.heartbeat --rtl-work-clock", "mismatches": 0,
        "windows": {
            "transfer": {"cycles": 800, "core_enabled": 40},
            "compute": {"cycles": 100, "core_enabled": 100},
            "read": {"cycles": 98, "core_enabled": 2},
        },
        "idle": {"cycles": 10, "core_enabled": 0},
    }  # fmt: skip
    text = power_doc.heartbeats({"heartbeat": r, "heartbeat_rtl_work": rtl})
    # (760 + 0 + 96) x 0.25 = 214 nJ saved of 900
    assert "saves at most 214.00 nJ of the 900.00 nJ" in text
    assert "still above the 0.5 uJ target" in text
    rtl["windows"]["transfer"]["core_enabled"] = 0  # 954 off cycles: 238.5 saved, 661.5 left
    assert "still above" in power_doc.heartbeats({"heartbeat": r, "heartbeat_rtl_work": rtl})
    r = _heartbeat_report(600.0)
    assert "within the 0.5 uJ target" in power_doc.heartbeats(
        {"heartbeat": r, "heartbeat_rtl_work": rtl}
    )


def test_heartbeat_bounds_claims_follow_the_figures():
    """Before the full run: the bounds section says the target is missed only when even the
    best bound misses it (negative case: a cheap inference)."""
    from ecg_snn.report import power as power_doc

    static = {
        "cells": 100, "flip_flops": {"core": 10, "shell": 5}, "clock_gates": 2,
        "command": "python -m ecg_snn.power.heartbeat --static-idle x",
        "core": {"idle_nj_per_cycle": 0.1}, "shell": {"idle_nj_per_cycle": 0.01},
        "shared": {"idle_nj_per_cycle": 0.02}, "leakage_nw": {"core": 3000.0, "shell": 1000.0},
    }  # fmt: skip
    rtl = {
        "command": "python -m ecg_snn.power.heartbeat --rtl-work-clock", "mismatches": 0,
        "windows": {
            "transfer": {"cycles": 900, "core_enabled": 40},
            "compute": {"cycles": 60, "core_enabled": 60},
            "read": {"cycles": 38, "core_enabled": 2},
        },
        "idle": {"cycles": 10, "core_enabled": 0},
    }  # fmt: skip

    def power(nj):
        return {
            "gate_level": {"nj_per_inference": {"mean": nj}, "cycles_mean": 500, "clock_hz": 4e6}
        }

    reports = {"heartbeat_static": static, "heartbeat_rtl_work": rtl, "power": power(600.0)}
    text = power_doc.heartbeats(reports)
    assert "No design and standby choice meets the 0.5 uJ target" in text
    assert "the inference alone is 0.600 uJ" in text
    assert "would save 50.00 nJ per beat" in text  # 0.1 nJ x (2 + 998 - 500) idle cycles
    reports["power"] = power(100.0)
    assert "No design and standby choice meets" not in power_doc.heartbeats(reports)


def test_the_stream_snapshot_names_its_model_repo_relative_with_a_checksum():
    """docs/reports/stream.json (both end-to-end parts) reads the same in every clone."""
    stream = report.load_snapshots()["stream"]
    assert report.unportable_models(stream) == []
    assert stream["end_to_end"]["model"] == "model/artifacts/inter.json"


def test_an_absolute_or_unchecked_model_path_is_caught_at_any_depth():
    sha = {"artifact_sha256": "0" * 64}
    assert report.unportable_models({"a": [{"model": "model/artifacts/inter.json", **sha}]}) == []
    bad = {"end_to_end": {"model": "/work/x/model/artifacts/inter.json", **sha}}
    assert report.unportable_models(bad) == [
        "end_to_end.model: absolute path /work/x/model/artifacts/inter.json"
    ]
    assert report.unportable_models({"runs": [{"model": "model/artifacts/inter.json"}]}) == [
        "runs[0].model: no sha256 beside it"
    ]


def test_cv_row_quotes_the_shipped_recipe_over_its_seeds_as_mean_and_sample_sd():
    """jκ 0.60, 0.64, 0.68 -> mean 0.640, sd (ddof 1) 0.040; a plain row without the shipped
    recipe falls back to the v2 recipe's nested offsets."""
    from ecg_snn.report.model import SHIPPED_CV
    from ecg_snn.report.results import _cv

    def run(j: float, se: float) -> dict:
        per = {c: {"se": se, "ppv": 0.5} for c in ("N", "S", "V", "F")}
        return {"int": {"j_kappa": j, "accuracy": 0.9, "per_class": per}}

    r = {f"{SHIPPED_CV}_s{k}": run(j, se) for k, (j, se) in enumerate([(0.6, 0.2), (0.64, 0.4),
                                                                     (0.68, 0.6)])}  # fmt: skip
    text = _cv({**r, f"{SHIPPED_CV}_s1_note": {}, f"{SHIPPED_CV}_md02_s0": run(0.1, 0.1)})
    assert "over 3 seeds" in text and "jκ 0.640 ± 0.040" in text
    assert "accuracy 90.0 ± 0.0 %" in text and "S Se 40.0 ± 20.0 / +P 50.0 ± 0.0" in text
    old = {"tie_g16": {"int_offsets_nested": run(0.57, 0.5)["int"]}}
    assert _cv(old).startswith("recipe `tie_g16`, pooled out-of-fold, nested offsets")


def test_take_reads_a_named_path(tmp_path):
    """`name=path` takes the report from `path` (a keyed output file); a path outside the
    repository is refused with one line before anything is written."""
    shipped = "model/artifacts/inter.json"
    keyed = tmp_path / "sim-rom-enginefused.json"
    keyed.write_text(json.dumps({"model": shipped, "mismatches": 0}))
    assert report.sources(("sim", f"sim_fused={keyed}"), tmp_path) == {
        "sim": tmp_path / "sim.json",
        "sim_fused": keyed,
    }
    assert report.take((f"sim_fused={keyed}",), tmp_path, ("sim_fused",)) == {
        "sim_fused": {"model": shipped, "mismatches": 0}
    }
    assert report.main(["--take", f"sim={keyed}"]) == 2


def test_the_engines_table_states_the_targets_its_figures_support():
    """The fused engine's gate-level targets (issue 27) are read off the snapshot: 'not all
    met' when one figure is past its limit, 'all met' once every figure is within it (the check
    can change its verdict either way); a missing report is named instead of a table."""
    import copy

    from ecg_snn.report import engines

    reports = report.load_snapshots()
    assert "| gate level, osu018 180 nm, nJ per inference |" in engines.table(reports)
    worse = copy.deepcopy(reports)
    worse["power_fused"]["gate_level"]["nj_per_inference"]["mean"] = 250.0
    assert "not all met" in engines.table(worse) and "250.00 > 200.00" in engines.table(worse)
    better = copy.deepcopy(reports)
    g = better["power_fused"]["gate_level"]
    g["nj_per_inference"]["mean"], g["cells"], g["flip_flops"], g["area_um2"] = (
        150.0,
        20_000,
        1_000,
        5e5,
    )
    assert "(all met)" in engines.table(better)
    fpga = copy.deepcopy(reports["fpga"])  # the FPGA build's row names its block RAM build
    fpga["hardware"] = {"lanes": 1, "rom": True, "engine": "fused", "block_ram": True}
    assert "(1 lane, ROM, block RAM) |" in engines.table({**better, "fpga_fused": fpga})
    better.pop("fpga_fused", None)  # the fused FPGA build may leave no report: a cell says so
    assert "no report for this model" in engines.table(better)
    del better["power_fused"]
    assert engines.table(better).startswith("Not measured yet: reports power_fused")
