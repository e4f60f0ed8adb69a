"""The mutation and formal tables of docs/verification.md are rendered from their reports (they
were typed by hand and had drifted from them: 706 s quoted for a 220 s run, 20 refutations for
a report holding 2); each verdict shows, a bad one in bold."""

from __future__ import annotations

from ecg_snn.report.verification import formal_tables, mutate_table


def _mutate(results: list[dict]) -> dict:
    killed = sum(r["status"] in ("killed", "timeout") for r in results)
    return {
        "mutants": len(results),
        "killed": killed,
        "survived": [r["id"] for r in results if r["status"] == "survived"],
        "errors": [r["id"] for r in results if r["status"] == "error"],
        "unmutated_seconds": 59.4,
        "wall_seconds": 220.2,
        "results": results,
    }


def _m(id_: str, status: str, first: str = "") -> dict:
    return {"id": id_, "file": "hw/spi.py", "why": "why", "status": status,
            "tests": ["tests/sim/test_spi_rtl.py"], "first_failure": first}  # fmt: skip


def test_mutate_table_names_the_killing_test_and_flags_a_survivor():
    text = mutate_table(
        _mutate(
            [
                _m("a", "killed", "FAILED tests/hw/test_spi.py::test_x[p] - AssertionError"),
                _m("b", "killed", "ERROR _verilator.<locals>._Runner: Failed 1 of 2 tests."),
                _m("c", "timeout", "no result after 60 s"),
                _m("d", "survived"),
            ]
        )
    )
    assert text.startswith("Kill rate: **3 of 4** (`make mutate`, 220 s wall")
    assert "the unmutated selections took 59 s). Survived: d." in text
    assert "| `a` | `hw/spi.py` | why | killed: `test_x[p]` |" in text
    assert (
        "| `b` | `hw/spi.py` | why | killed: `test_spi_rtl.py` (a cocotb test in it fails) |"
        in text
    )
    assert "timeout: a timeout (a hang)" in text
    assert "| `d` | `hw/spi.py` | why | **survived** |" in text


def test_formal_tables_count_and_flag_a_failed_proof_and_an_unrefuted_check():
    proof = {"property": "p", "params": {"membrane_bits": 6}, "method": "combinational",
             "proved": True, "seconds": 1.0}  # fmt: skip
    queue = {"property": "q", "method": "1-induction", "proved": False, "seconds": 2.0,
             "params": {"shape": "small", "neurons": "iii", "T": 2, "lanes": 1,
                        "memory": "load port", "scans": [6, 3]}}  # fmt: skip
    must = {**proof, "property": "p/broken", "params": {"membrane_bits": 6, "broken": "b"},
            "failed_at": "step 0: sim/formal.py:1", "proved": False}  # fmt: skip
    kept = {**must, "proved": True}
    text = formal_tables(
        {"solver": "yices", "results": [proof, queue], "refutations": [must, kept]}
    )
    assert text.startswith("`python -m ecg_snn.sim.formal` (`build/reports/formal.json`, 5 s")
    assert "**1 of 2 proved**, 1 of 2 checks that must fail refuted." in text
    assert "| `p` | membrane_bits=6 | combinational | proved |" in text
    assert (
        "| `q` | small: iii, T=2, lanes=1, load port, scans [6, 3] | 1-induction | **FAILED** |"
        in text
    )
    assert "| `p/broken` | membrane_bits=6; broken: b | combinational | violated at step 0" in text
    assert text.rstrip().endswith("**NOT violated** |")
