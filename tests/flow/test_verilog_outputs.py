"""`make verilog` and `make fpga` outputs: keyed by configuration, and a report never beside
another build's Verilog (an interrupted build leaves the previous pair or no report)."""

from __future__ import annotations

import json

import pytest

from ecg_snn.flow import verilog
from ecg_snn.hw.config import HwConfig


def build(artifact, tmp_path, lanes):
    return verilog.build(
        artifact, HwConfig(lanes=lanes), tmp_path / "verilog", tmp_path / "verilog.json",
        synth=False,
    )  # fmt: skip


def test_an_interrupted_build_leaves_the_previous_pair(artifact_factory, tmp_path, monkeypatch):
    artifact = artifact_factory("small")
    build(artifact, tmp_path, 2)
    v_before = (tmp_path / "verilog" / "snn_accelerator.v").read_bytes()

    def interrupted_lint(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(verilog, "lint", interrupted_lint)
    with pytest.raises(KeyboardInterrupt):
        build(artifact, tmp_path, 3)
    # the new Verilog was emitted (into the staging folder) but never replaced the old one
    assert (tmp_path / "verilog" / "snn_accelerator.v").read_bytes() == v_before
    assert json.loads((tmp_path / "verilog.json").read_text())["hardware"]["lanes"] == 2


def test_an_interrupted_swap_leaves_no_report(artifact_factory, tmp_path, monkeypatch):
    """Interrupted after the old report went and before the new one came: files, no report."""
    artifact = artifact_factory("small")
    build(artifact, tmp_path, 2)
    real = verilog.write_atomic

    def interrupted_write(path, content):
        if path.name == "verilog.json":
            raise KeyboardInterrupt
        return real(path, content)

    monkeypatch.setattr(verilog, "write_atomic", interrupted_write)
    with pytest.raises(KeyboardInterrupt):
        build(artifact, tmp_path, 3)
    assert not (tmp_path / "verilog.json").exists()
    monkeypatch.undo()
    r = build(artifact, tmp_path, 3)  # and the next run puts a matching pair back
    assert r["hardware"]["lanes"] == 3 and r["files"] == [
        str(tmp_path / "verilog" / "snn_accelerator.v")
    ]


def test_publish_never_wipes_a_folder_of_other_files(artifact_factory, tmp_path):
    (tmp_path / "verilog").mkdir()
    (tmp_path / "verilog" / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="holds other files"):
        build(artifact_factory("small"), tmp_path, 2)
    assert (tmp_path / "verilog" / "notes.txt").read_text() == "mine"


def test_other_configurations_get_their_own_outputs(monkeypatch, tmp_path, artifact_factory):
    """Lanes, ROM and a non-shipped model key the default output folder and report."""
    seen = {}

    def fake_build(artifact, config, out, report, **kw):
        seen["out"], seen["report"] = out, report
        return {"cycles": {"mean": 1, "max": 1, "silent": 0}, "model": kw["model_path"]}

    monkeypatch.setattr(verilog, "build", fake_build)
    model = artifact_factory("small").save(tmp_path / "m.json")
    assert verilog.main(["--model", str(model), "--lanes", "3", "--no-rom"]) == 0
    key = seen["out"].name  # ROM is the default build: the loadable one is keyed
    assert key.startswith("verilog-lanes3-loadable-model") and seen["report"].name == f"{key}.json"
    assert seen["out"].parent == verilog.ROOT / "build"


def test_fpga_outputs_are_keyed_by_configuration(monkeypatch, tmp_path):
    from ecg_snn.flow import fpga

    seen = []

    def fake_build(artifact, board, config, out, report, **kw):
        seen.append((out.name, report.name))
        return {"utilisation": {}, "fmax_mhz": 1.0, "clock_constraint_mhz": 1.0,
                "place_and_route": "0 s", "bitstream": "x"}  # fmt: skip

    monkeypatch.setattr(fpga, "build", fake_build)
    for var in ("BEATS", "MODEL", "BOARD"):
        monkeypatch.delenv(var, raising=False)
    assert fpga.main([]) == 0
    assert fpga.main(["--lanes", "2", "--rom", "--beats", "0"]) == 0
    assert fpga.main(["--board", "ulx3s"]) == 0
    assert seen == [
        ("icebreaker", "fpga.json"),
        ("icebreaker-lanes2-rom-beats0", "fpga-lanes2-rom-beats0.json"),
        ("ulx3s", "fpga_ulx3s.json"),
    ]
