"""The trial key follows the code a point's figures come from, and nothing else."""

from __future__ import annotations

from pathlib import Path

from ecg_snn.explore.cache import REPO, Store, code_files, code_version


def _tree(root: Path) -> None:
    """ecg_snn.a.top -> ecg_snn.b.used (inside a function too); ecg_snn.c.other: unreachable."""
    for pkg in ("a", "b", "c"):
        (root / pkg).mkdir()
        (root / pkg / "__init__.py").write_text("")
    (root / "a" / "top.py").write_text("def f():\n    from ecg_snn.b import used\n")
    (root / "b" / "used.py").write_text("import numpy\nX = 1\n")
    (root / "c" / "other.py").write_text("Y = 1\n")


def test_the_version_follows_imported_code_only(tmp_path: Path) -> None:
    _tree(tmp_path)
    entry = ("ecg_snn.a.top",)
    names = {p.relative_to(tmp_path).as_posix() for p in code_files(entry, tmp_path)}
    assert names == {"a/top.py", "b/__init__.py", "b/used.py"}
    v1 = code_version(tmp_path, entry, ())
    (tmp_path / "c" / "other.py").write_text("Y = 2\n")
    assert code_version(tmp_path, entry, ()) == v1  # not imported: same key
    (tmp_path / "b" / "used.py").write_text("import numpy\nX = 2\n")
    assert code_version(tmp_path, entry, ()) != v1  # imported through a function body


def test_the_real_measuring_path() -> None:
    files = {p.relative_to(REPO).as_posix() for p in code_files()}
    # what turns a point into figures: the trainer, the RTL generator, the energy model
    assert {"model/train.py", "model/cv.py", "hw/layer.py", "power/energy.py"} <= files
    assert {"flow/asic/gate.py", "model/contract/golden.py", "explore/space.py"} <= files
    # both engines a point can be measured on: their generators and cycle models
    assert {"hw/engine.py", "hw/top.py", "hw/fused/top.py", "hw/fused/cycles.py"} <= files
    # what it never runs: another flow, the application, the search's own driver
    assert not files & {"flow/fpga.py", "explore/search.py", "explore/presets.py"}
    assert not any(f.startswith(("stream/", "report/", "sim/", "firmware/")) for f in files)


def test_store_roundtrip(tmp_path: Path) -> None:
    s = Store(tmp_path / "c")
    assert s.get("k") is None
    s.put("k", {"a": 1})
    assert s.get("k") == {"a": 1}
    s.path("bad").write_text("{")  # a torn file is a miss, not a crash
    assert s.get("bad") is None
