"""Technology files: the shipped points load, and every kind of bad file gives a clear error."""

from __future__ import annotations

import math
import tomllib

import pytest

from ecg_snn.power.tech import REQUIRED, TECH_DIR, TechError, load_technology


def _text(name: str = "22nm") -> str:
    return (TECH_DIR / f"{name}.toml").read_text()


@pytest.mark.parametrize("name", ["22nm", "45nm"])
def test_shipped_points_load_with_sources(name):
    tech = load_technology(name)
    assert set(REQUIRED) <= set(tech.constants)
    assert all(c.source.strip() for c in tech.constants.values())


def test_memory_model_reproduces_horowitz_cache_reads():
    """E_read = a*w + b*w*sqrt(d) at 45 nm: 64-bit reads of 8 KB and 32 KB = 10 and 20 pJ."""
    tech = load_technology("45nm")
    assert math.isclose(tech.mem_read_pj(64, 1024), 10.0, rel_tol=1e-3)
    assert math.isclose(tech.mem_read_pj(64, 4096), 20.0, rel_tol=1e-3)
    assert math.isclose(tech.mem_write_pj(64, 1024), 10.0, rel_tol=1e-3)


def test_22nm_is_45nm_scaled_by_cv2():
    """Every dynamic constant at 22 nm is the 45 nm one times s = (22/45)*(0.8/0.9)^2."""
    s = (22 / 45) * (0.8 / 0.9) ** 2
    t45, t22 = load_technology("45nm"), load_technology("22nm")
    for key in (
        "add8_pj",
        "add32_pj",
        "mult8_pj",
        "accumulate_pj",
        "comb_toggle_pj",
        "reg_toggle_pj",
        "ff_clock_pj",
        "mem_b_pj_per_bit",
    ):
        assert math.isclose(t22.c(key), t45.c(key) * s, rel_tol=5e-3), key


def test_adder_and_multiplier_interpolation():
    tech = load_technology("45nm")
    assert math.isclose(tech.add_pj(8), 0.03) and math.isclose(tech.add_pj(32), 0.1)
    assert math.isclose(tech.mult_pj(8, 8), 0.2) and math.isclose(tech.mult_pj(8, 4), 0.1)


def _write(tmp_path, text):
    path = tmp_path / "t.toml"
    path.write_text(text)
    return path


BAD = [
    ("malformed", lambda t: t + "\n[[[", "malformed TOML"),
    (
        "version",
        lambda t: t.replace("schema_version = 1", "schema_version = 7"),
        "unknown schema_version 7",
    ),
    ("no_version", lambda t: t.replace("schema_version = 1", ""), "unknown schema_version None"),
    (
        "missing",
        lambda t: t.replace("[constants.ff_leak_nw]", "[constants.ff_leak_nw_x]"),
        "unknown constants|missing constants",
    ),
    ("negative", lambda t: t.replace("value = 0.002413", "value = -0.002413"), "negative"),
    ("nan", lambda t: t.replace("value = 0.002413", "value = nan"), "finite"),
    (
        "unit",
        lambda t: t.replace('value = 0.002413\nunit = "pJ"', 'value = 0.002413\nunit = "fJ"'),
        "must be in 'pJ'",
    ),
    (
        "source",
        lambda t: t.replace('source = "45 nm value 6.25 fJ * s (s = 0.386)"', 'source = ""'),
        "no source",
    ),
    ("zero_clock", lambda t: t.replace("value = 4.0e6", "value = 0"), "clock_hz' must be positive"),
]


@pytest.mark.parametrize(("edit", "match"), [(b[1], b[2]) for b in BAD], ids=[b[0] for b in BAD])
def test_bad_technology_files(tmp_path, edit, match):
    text = edit(_text())
    assert text != _text()
    with pytest.raises(TechError, match=match):
        load_technology(_write(tmp_path, text))


def test_missing_constant_named(tmp_path):
    raw = tomllib.loads(_text())
    del raw["constants"]["mem_write_factor"]
    lines = [l for l in _text().split("\n\n") if "[constants.mem_write_factor]" not in l]
    with pytest.raises(TechError, match=r"missing constants \['mem_write_factor'\]"):
        load_technology(_write(tmp_path, "\n\n".join(lines)))


def test_missing_file_lists_points():
    with pytest.raises(TechError, match="shipped points: 22nm, 45nm"):
        load_technology("7nm")
