"""`make mutate` (`python -m ecg_snn.sim.mutate`): the mutant list applies to this tree, a stale
entry
is refused, the working tree is never touched, and one mutant really is killed end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecg_snn.sim import mutate


def test_every_mutant_applies_exactly_once_to_this_tree():
    mutants = mutate.load()
    listed = mutate.MUTANTS.read_text().count("[[mutant]]")
    assert len(mutants) == listed >= 23  # every listed mutant loads; none was dropped
    named = {t.split("::")[0] for m in mutants for t in m.tests}
    assert [t for t in sorted(named) if not (mutate.ROOT / t).exists()] == []  # tests moved?
    assert len({m.id for m in mutants}) == len(mutants)
    # hw/ and the widths it reads from the contract; the chip's boundaries: the SPI shell, the
    # load port, the hardware id, the QRS detector (contract and C), the benches, the driver
    roots = ("hw/", "model/contract/spec.py", "model/contract/qrs.py", "firmware/src/", "sim/tb/")
    assert all(m.file.startswith(roots) and m.tests for m in mutants)
    files = {m.file for m in mutants}
    assert {"hw/spi.py", "hw/top.py", "hw/sequencer.py", "model/contract/spec.py"} <= files
    assert {"model/contract/qrs.py", "firmware/src/snn_qrs.c", "sim/tb/hdl_player.py"} <= files
    assert {"firmware/src/snn_driver.c", "firmware/src/snn_hal_spi.c"} <= files
    # killed by the default test set: every selection names tests `make test` runs
    assert all(t.startswith("tests/") for m in mutants for t in m.tests)


def _toml(tmp_path: Path, find: str, file: str = "hw/neuron.py") -> Path:
    path = tmp_path / "mutants.toml"
    path.write_text(
        'default_tests = ["tests/hw/test_limits.py"]\n'
        f'[[mutant]]\nid = "x"\nfile = "{file}"\nfind = {json.dumps(find)}\nreplace = "y"\n'
    )
    return path


@pytest.mark.parametrize(
    ("find", "file", "says"),
    [
        ("no such snippet in the source", "hw/neuron.py", "occurs 0 times"),
        ("m.d.comb", "hw/neuron.py", "not exactly once"),
        ("anything", "hw/missing.py", "no file hw/missing.py"),
    ],
    ids=["stale", "ambiguous", "missing-file"],
)
def test_a_snippet_that_does_not_match_once_is_refused(tmp_path, capsys, find, file, says):
    path = _toml(tmp_path, find, file)
    with pytest.raises(mutate.MutantError, match=says):
        mutate.load(path)
    assert mutate.main(["--mutants", str(path), "--report", str(tmp_path / "r.json")]) == 2
    assert "x: the snippet" in capsys.readouterr().err or file.endswith("missing.py")
    assert not (tmp_path / "r.json").exists()


def test_mutants_go_to_a_copy(tmp_path):
    m = next(m for m in mutate.load() if m.id == "vw-one-bit-short")
    before = (mutate.ROOT / m.file).read_text()
    tree = mutate.copy_tree(tmp_path / "copy")
    mutate.apply(m, tree)
    assert (mutate.ROOT / m.file).read_text() == before
    assert m.replace in (tree / m.file).read_text() and m.find not in (tree / m.file).read_text()


def test_the_ssf_shift_decoder_mutant_is_killed(tmp_path):
    """End to end on one mutant of the list that used to survive every test (issue 14), with
    only the test that should kill it: it passes unmutated and fails with the mutant."""
    m = next(m for m in mutate.load() if m.id == "ssf-shift-decoder-top-bit")
    path = tmp_path / "one.toml"
    test = "tests/hw/test_limits.py::test_limit_case_bit_exact_on_the_rtl[ssf]"
    path.write_text(
        f"[[mutant]]\nid = {json.dumps(m.id)}\nfile = {json.dumps(m.file)}\n"
        f"find = {json.dumps(m.find)}\nreplace = {json.dumps(m.replace)}\n"
        f"tests = [{json.dumps(test)}]\n"
    )
    report = tmp_path / "mutate.json"
    assert mutate.main(["--mutants", str(path), "--report", str(report)]) == 0
    r = json.loads(report.read_text())
    assert (r["mutants"], r["killed"], r["survived"]) == (1, 1, [])
    assert test in r["results"][0]["first_failure"]
