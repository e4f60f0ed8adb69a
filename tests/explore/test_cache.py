"""The point key and the store."""

from __future__ import annotations

from pathlib import Path

from ecg_snn.explore.cache import Store, code_version, point_key
from ecg_snn.explore.grid import Point, default_grid
from tests.explore.conftest import tiny_artifact


def test_key_covers_artifact_settings_and_code() -> None:
    p = Point("if", 4, 6, 8)
    a, b = tiny_artifact(p), tiny_artifact(Point("if", 2, 6, 8))
    base = point_key(p.as_dict(), {"inter": a}, {"beats": 8}, "v1")
    assert base == point_key(p.as_dict(), {"inter": a}, {"beats": 8}, "v1")
    assert base != point_key(p.as_dict(), {"inter": b}, {"beats": 8}, "v1")
    assert base != point_key(p.as_dict(), {"inter": a}, {"beats": 9}, "v1")
    assert base != point_key(p.as_dict(), {"inter": a}, {"beats": 8}, "v2")
    lanes16 = Point("if", 4, 6, 16).as_dict()
    assert base != point_key(lanes16, {"inter": a}, {"beats": 8}, "v1")


def test_code_version_follows_the_source(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    v1 = code_version(tmp_path, ("*.py",))
    assert v1 == code_version(tmp_path, ("*.py",))
    (tmp_path / "m.py").write_text("x = 2\n")
    assert code_version(tmp_path, ("*.py",)) != v1


def test_store_roundtrip(tmp_path: Path) -> None:
    s = Store(tmp_path / "c")
    assert s.get("k") is None
    s.put("k", {"a": 1})
    assert s.get("k") == {"a": 1}
    s.path("bad").write_text("{")  # a torn file is a miss, not a crash
    assert s.get("bad") is None


def test_default_grid() -> None:
    g = default_grid()
    assert len(g) == len(set(g)) == 12
    assert {p.mode for p in g} == {"if", "ssf"} and {p.T for p in g} == {2, 4, 8}
    assert {p.weight_bits for p in g} == {6, 8, 10} and {p.lanes for p in g} == {8, 16}
