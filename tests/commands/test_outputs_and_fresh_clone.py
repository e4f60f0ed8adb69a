"""Outputs keyed by configuration (`make sim`), and the one-line "run this first" messages of
commands whose input a fresh clone does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.sim import run

SHIPPED = run.ARTIFACTS / "inter.json"


def report_of(*argv: str, model: Path = SHIPPED) -> Path:
    args = run.parse_args(["--model", str(model), *argv])
    return run.report_path(args, load_artifact(args.model))


@pytest.fixture(autouse=True)
def no_make_knobs(monkeypatch):
    for var in ("SPLIT", "MODEL", "BEATS", "LANES", "VECTORS"):
        monkeypatch.delenv(var, raising=False)


def test_only_the_full_run_of_the_shipped_model_writes_sim_json():
    assert report_of() == run.REPORT
    assert report_of("--beats", "1") == run.REPORT.with_name("sim-beats1.json")
    quick = report_of("--beats", "1", "--random", "0", "--limits", "none", "--space", "none")
    assert quick.name == "sim-beats1-random0-limitsnone-spacenone.json"
    assert report_of("--parts", "intra_test").name == "sim-partsintra_test.json"
    assert report_of("--lanes", "3").name == "sim-lanes3.json"


def test_another_model_is_keyed_by_its_content(tmp_path):
    copy = tmp_path / "inter.json"
    copy.write_bytes(SHIPPED.read_bytes())
    sha = load_artifact(copy).checksum()[:8]
    assert report_of(model=copy).name == f"sim-model{sha}.json"


def test_a_given_report_path_is_kept(tmp_path):
    args = run.parse_args(["--report", str(tmp_path / "r.json")])
    assert args.report == tmp_path / "r.json"


def test_explore_without_the_cell_library_names_the_target_to_run_first(monkeypatch, capsys):
    """The search trains what it needs (no checkpoint), but the 180 nm area needs `make tech`."""
    from ecg_snn.explore import cli
    from ecg_snn.flow.asic import pdk

    def missing(self):
        raise FileNotFoundError(f"no {self.liberty_name}; run `make tech`")

    monkeypatch.setattr(pdk.CellLibrary, "liberty", missing)
    assert cli.main(["--preset", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `make tech`" in err


@pytest.mark.parametrize(
    ("module", "argv", "message"),
    [
        ("stream.evaluate", ["--markdown"], "run `make stream-eval` first"),
        ("model.cv", ["--table"], "run a recipe first (python -m ecg_snn.model.cv --name NAME"),
    ],
)
def test_reading_a_report_that_is_not_there(module, argv, message, tmp_path, capsys):
    import importlib

    main = importlib.import_module(module).main
    assert main([*argv, "--report", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_python_m_model_train_says_which_command_trains():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "ecg_snn.model.train", "--split", "inter"],
        capture_output=True, text=True, check=False, cwd=Path(run.ROOT),
    )  # fmt: skip
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "run `python -m ecg_snn.model --split" in r.stderr


def test_only_the_default_power_run_writes_power_json(monkeypatch, tmp_path):
    from ecg_snn.power import run as power

    for var in ("TECH", "GATE", "GATE_BEATS", "SRAM_MIN_DEPTH", "GATE_SIM", "JOBS"):
        monkeypatch.delenv(var, raising=False)

    def out(*argv):
        args = power.parse_args(list(argv))
        return power.report_path(args, load_artifact(args.model)).name

    assert out() == "power.json"
    assert out("--beats", "20") == "power-beats20.json"
    assert out("--model", str(run.ARTIFACTS / "intra.json")) == "power-modelintra.json"
    assert out("--tech", "45nm", "--lanes", "4") == "power-lanes4-tech45nm.json"
    copy = tmp_path / "m.json"
    copy.write_bytes(SHIPPED.read_bytes())
    assert out("--model", str(copy)) == f"power-model{load_artifact(copy).checksum()[:8]}.json"
