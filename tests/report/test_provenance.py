"""`make report --check` refuses a snapshot that does not say where its figures come from
(`report/provenance.py`): each kind of bad snapshot is built here, small, and refused; the
committed snapshots all pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.report import provenance
from ecg_snn.report import render as report

ROOT = report.ROOT
MODEL = "model/artifacts/inter.json"


def _sha() -> str:
    return load_artifact(ROOT / MODEL).checksum()


def _write(d: Path, name: str, body: dict) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.json").write_text(json.dumps(body, indent=2) + "\n")
    return d


def _stamped(body: dict) -> dict:
    return provenance.stamp(body, ROOT / "build" / "reports" / "sim.json", ROOT)


def test_the_committed_snapshots_all_carry_their_source():
    assert report.unsourced() == []


def test_a_stamped_report_passes_and_names_its_source_and_model(tmp_path):
    body = {"model": f"/elsewhere/checkout/{MODEL}", "mismatches": 0, "cycles": {"mean": 812.5}}
    snap = _stamped(body)
    block = snap[provenance.KEY]
    assert block["path"] == "build/reports/sim.json"
    assert (block["model"], block["model_sha256"]) == (MODEL, _sha())
    assert report.unsourced(_write(tmp_path, "sim", snap)) == []
    # a report of no model carries no model fields and passes too
    plain = _stamped({"mutants": 3, "killed": 3})
    assert "model" not in plain[provenance.KEY]
    assert report.unsourced(_write(tmp_path / "p", "mutate", plain)) == []


def _bad_snapshots() -> dict[str, tuple[dict, str]]:
    good = _stamped({"model": MODEL, "mismatches": 0, "cycles": {"mean": 812.5}})
    block = good[provenance.KEY]

    def with_block(**kw) -> dict:
        return {**good, provenance.KEY: {**block, **kw}}

    no_model_sha = {k: v for k, v in block.items() if k != "model_sha256"}
    return {
        "no source block": (
            {k: v for k, v in good.items() if k != provenance.KEY},
            "no _source block",
        ),
        "hand-typed figure": ({**good, "cycles": {"mean": 799.0}}, "edited after it was taken"),
        "absolute path": (with_block(path="/tmp/sim.json"), "not a repo-relative path"),
        "path out of the repo": (with_block(path="../x/sim.json"), "not a repo-relative path"),
        "no model checksum": ({**good, provenance.KEY: no_model_sha}, "no _source.model_sha256"),
        "another model": (with_block(model_sha256="0" * 64), "which is now"),
        "model not the one named": (
            with_block(model="model/artifacts/intra.json"),
            "not the model",
        ),
        "stated checksum differs": (
            _stamped({"model": MODEL, "model_sha256": "1" * 64, "mismatches": 0}),
            "which is now",
        ),
    }


@pytest.mark.parametrize("kind", list(_bad_snapshots()))
def test_a_bad_snapshot_is_refused_saying_why(tmp_path, kind):
    body, why = _bad_snapshots()[kind]
    got = report.unsourced(_write(tmp_path, "sim", body))
    assert len(got) >= 1 and any(why in p for p in got), got
    assert all(p.startswith("sim: ") for p in got)


def test_a_run_on_an_earlier_model_keeps_the_checksum_it_states(tmp_path):
    """The docs' history runs (`EARLIER_MODEL`) state another model checksum: accepted as long
    as the stamp agrees with it; any other snapshot of that model is refused."""
    body = _stamped({"base_artifact": MODEL, "base_sha256": "1" * 64, "accuracy": 0.9})
    d = _write(tmp_path, "adapt_ds1_bias", body)
    assert report.unsourced(d, earlier_model=("adapt_ds1_bias",)) == []
    assert report.unsourced(d, earlier_model=()) != []
    bad = {**body, provenance.KEY: {**body[provenance.KEY], "model_sha256": "2" * 64}}
    d = _write(tmp_path / "b", "adapt_ds1_bias", bad)
    assert any(
        "differs from the checksum the report states" in p
        for p in report.unsourced(d, earlier_model=("adapt_ds1_bias",))
    )


def test_check_exits_1_on_a_refused_snapshot(tmp_path, monkeypatch, capsys):
    good = report.read_snapshots()
    for name, snap in good.items():
        _write(tmp_path, name, snap)
    monkeypatch.setattr(report, "SNAPSHOTS", tmp_path)
    assert report.main(["--check"]) == 0
    sim = dict(good["sim"], mismatches=good["sim"]["mismatches"] + 1)  # a figure typed in
    _write(tmp_path, "sim", sim)
    assert report.main(["--check"]) == 1
    assert "sim: its figures do not match" in capsys.readouterr().out


def test_a_chip_report_may_name_an_earlier_artifact_with_the_same_chip(tmp_path):
    """A chip-only report (`CHIP_REPORTS`) of an artifact kept in model/artifacts/earlier/ stays
    valid while the current artifact's chip (hardware configuration and integers) is the same;
    a report of another kind, or an earlier artifact with another chip, is refused."""
    import dataclasses
    import shutil

    root = tmp_path / "repo"
    (root / "model/artifacts/earlier").mkdir(parents=True)
    current = load_artifact(ROOT / MODEL)
    earlier = dataclasses.replace(current, spec=dataclasses.replace(current.spec, rhythm_gate=0))
    earlier.meta = {"note": "the training record of an earlier run"}
    earlier.save(root / "model/artifacts/earlier/inter-old.json")
    shutil.copy(ROOT / MODEL, root / MODEL)
    old = earlier.checksum()
    assert old != current.checksum() and earlier.chip_checksum() == current.chip_checksum()
    body = provenance.stamp(
        {"model": MODEL, "model_sha256": old, "mismatches": 0}, ROOT / MODEL, ROOT
    )
    body[provenance.KEY]["path"] = "build/reports/sim.json"
    d = _write(tmp_path / "snaps", "sim", body)
    assert report.unsourced(d, root=root) == []
    d = _write(tmp_path / "other", "train_inter", body)  # not a chip report: refused
    assert any("which is now" in p for p in report.unsourced(d, root=root))
    first = earlier.spec.layers[0]
    moved = dataclasses.replace(first, v_init=first.v_init + (1 if first.v_init <= 0 else -1))
    spec = dataclasses.replace(earlier.spec, layers=(moved, *earlier.spec.layers[1:]))
    other = dataclasses.replace(earlier, spec=spec)  # another chip: a loadable value moved
    other.save(root / "model/artifacts/earlier/inter-other.json")
    body2 = {k: v for k, v in body.items() if k != provenance.KEY}
    body2 = provenance.stamp({**body2, "model_sha256": other.checksum()}, ROOT / MODEL, ROOT)
    body2[provenance.KEY]["path"] = "build/reports/sim.json"
    d = _write(tmp_path / "chip", "sim", body2)
    assert any("which is now" in p for p in report.unsourced(d, root=root))


def test_a_corrupt_file_among_the_earlier_artifacts_is_a_problem_not_a_crash(tmp_path):
    import shutil

    root = tmp_path / "repo"
    (root / "model/artifacts/earlier").mkdir(parents=True)
    shutil.copy(ROOT / MODEL, root / MODEL)
    (root / "model/artifacts/earlier/broken.json").write_text('{"trunc')
    body = provenance.stamp({"model": MODEL, "model_sha256": "1" * 64}, ROOT / MODEL, ROOT)
    body[provenance.KEY]["path"] = "build/reports/sim.json"
    got = report.unsourced(_write(tmp_path / "snaps", "sim", body), root=root)
    assert len(got) == 1 and "cannot be read" in got[0], got
