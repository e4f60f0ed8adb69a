"""`make chip` (`stream/chip.py`) on bad input: one line and a non-zero exit before any build,
as `make stream` and `make verilog` do."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.stream import chip

ROOT = Path(__file__).resolve().parents[2]


def _other_rate(tmp_path: Path) -> Path:
    a = load_artifact(ROOT / "model" / "artifacts" / "inter.json")
    pre = dataclasses.replace(a.spec.preprocess, fs=250)
    spec = dataclasses.replace(a.spec, preprocess=pre)
    return dataclasses.replace(a, spec=spec).save(tmp_path / "fs250.json")


@pytest.mark.parametrize(
    "case", ["corrupt model", "seconds nan", "seconds 3", "model at 250 Hz", "no record"]
)
def test_bad_input_is_one_line_and_nonzero(case, tmp_path, mitdb_dir, capsys, monkeypatch):
    monkeypatch.setattr(chip, "evaluate", lambda *a, **k: pytest.fail("reached the build"))
    report = str(tmp_path / "r.json")
    args = ["--records", "100", "--seconds", "5", "--no-synth", "--report", report]
    if case == "corrupt model":
        bad = tmp_path / "bad.json"
        bad.write_text('{"not": "an artifact"')
        args += ["--model", str(bad)]
    elif case == "seconds nan":
        args[3] = "nan"
    elif case == "seconds 3":  # shorter than the detector's learning period and 2 s
        args[3] = "3"
    elif case == "no record":
        args[1] = ","
    else:
        args += ["--model", str(_other_rate(tmp_path))]
    with pytest.raises(SystemExit) as e:
        chip.main(args)
    assert e.value.code not in (0, None)
    assert not (tmp_path / "r.json").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and "Traceback" not in "".join(err), err  # usage line + one message
