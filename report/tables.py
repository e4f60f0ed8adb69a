"""The generated sections of the docs: one renderer per `<!-- report:NAME -->` marker.

Each renderer turns the report snapshots (`docs/reports/<name>.json`, see `report/render.py`) into
Markdown; a figure that has no report yet is shown as "not measured" with the command to run.
"""

from __future__ import annotations

from collections.abc import Callable

from ecg_snn.data import report as data_report
from ecg_snn.explore import confirm as explore_confirm
from ecg_snn.explore import report as explore_report
from ecg_snn.model import cv
from ecg_snn.model.adapt import evaluate as adapt
from ecg_snn.power import qrs as qrs_gate
from ecg_snn.report import engines, verification
from ecg_snn.report import model as model_doc
from ecg_snn.report import power as power_doc
from ecg_snn.report.results import Reports, comparison, fpga_table, lanes_table, results_table
from ecg_snn.report.verification import results as verification_results
from ecg_snn.sim import qrs as qrs_block
from ecg_snn.stream import chip as chip_block
from ecg_snn.stream import noise
from ecg_snn.stream import tables as stream_tables

Renderer = Callable[[Reports], str]

# The DS1 runs behind the choices of docs/adapt.md, in the order they were made.
ADAPT_DESIGN = {
    "adapt_ds1_bias": "bias only",
    "adapt_ds1_last": "bias, then last layer",
    "adapt_ds1_c1": "... also with one class",
    "adapt_ds1_ft": "... and SNN fine-tuning",
}

# The reports the docs quote: build/reports/<name>.json is snapshotted to docs/reports/<name>.json.
# adapt_ds2_first / _v1: the DS2 looks on the earlier default model, kept for the log.
QUOTED: tuple[str, ...] = (
    "data",
    "train_inter",
    "train_intra",
    "sim",
    "mutate",
    "formal",
    "verilog",
    "verilog_lanes4",
    "verilog_lanes16",
    "firmware",
    "cv",
    "fpga",
    "power",
    "power_intra",
    "power_sram16",
    "power_sram128_loadable",
    "sim_fused",
    "verilog_fused",
    "power_fused",
    "fpga_fused",
    "heartbeat",
    "heartbeat_fused",
    "heartbeat_work",
    "heartbeat_work_fused",
    "heartbeat_rtl_work",
    "heartbeat_static",
    "stream",
    "stream_100",
    "explore",
    "explore_confirm",
    "noise",
    "qrs",
    "qrs_all",
    "qrs_gate",
    "chip",
    "chip_all",
    "adapt",
    "adapt_ds2_first",
    "adapt_ds2_v1",
    *ADAPT_DESIGN,
)
# Snapshots the docs quote as history on an earlier default model (their model checksum is the
# one they state, not the current model's: `report/provenance.py`). The V2_RUNS were measured on
# model v2 (sha256 26c1a3be06ea) and not re-run on v3: the sections that quote them say so.
V2_RUNS: tuple[str, ...] = ("power_sram16", "power_sram128_loadable")
EARLIER_MODEL: tuple[str, ...] = ("adapt_ds2_first", "adapt_ds2_v1", *ADAPT_DESIGN, *V2_RUNS)
# Snapshots of the chip alone (RTL, energy, FPGA, Verilog): valid for an earlier artifact with
# the current one's chip (`report/provenance.py`), as the rhythm gate changed only the host.
CHIP_REPORTS: tuple[str, ...] = (
    *("sim", "sim_fused", "power", "power_fused", "fpga", "fpga_fused"),
    *("verilog", "verilog_fused", "verilog_lanes4", "verilog_lanes16"),
    *("heartbeat", "heartbeat_fused", "heartbeat_static", "heartbeat_work"),
    *("heartbeat_work_fused", "heartbeat_rtl_work"),
)


def _from(name: str, command: str, render: Callable[[dict], str]) -> Renderer:
    """A renderer of report `name`, or the command that makes it while there is none."""
    return lambda reports: (
        render(reports[name])
        if name in reports
        else f"Not measured yet: run `{command}`, then `make report TAKE={name}`."
    )


def _adapt_design(reports: Reports) -> str:
    runs = {label: reports[name] for name, label in ADAPT_DESIGN.items() if name in reports}
    if not runs:
        return "Not measured yet: run `python -m ecg_snn.model.adapt.evaluate --records ds1 ...`."
    return adapt.design_table(runs)


_ADAPT = "make adapt-eval"
_TRAIN = "make train"
_QRS_GATE = "make qrs GATE=1"
_QRS_ALL = 'make qrs ARGS="--records all --no-synth --report build/reports/qrs_all.json"'
_CHIP_ALL = 'make chip ARGS="--records all --no-synth --report build/reports/chip_all.json"'


def _model_targets(reports: Reports) -> str:
    """Issue 24's targets: the shipped recipe's CV on the shipped network (`cv`'s
    `SHIPPED_CV` runs, the README's CV row), else the confirm of the shipped pick, else the
    recipe's, against its DS2 look."""
    if "train_inter" not in reports:
        return "Not measured yet: run `make train`."
    cv_report = reports.get("cv", {})
    if len(model_doc.cv_runs(cv_report, model_doc.SHIPPED_CV)) >= 3:
        return model_doc.targets_table(cv_report, reports["train_inter"], model_doc.SHIPPED_CV)
    confirm = reports.get("explore_confirm")
    if confirm is not None and explore_confirm.shipped(confirm):
        cv_runs = model_doc.confirm_as_cv(confirm)
        return model_doc.targets_table(cv_runs, reports["train_inter"], "pick")
    if "cv" not in reports:
        return "Not measured yet: run `python -m ecg_snn.model.cv`."
    return model_doc.targets_table(reports["cv"], reports["train_inter"], model_doc.SHIPPED_CV)


def _qrs_gate(reports: Reports) -> str:
    """The QRS block at gate level, against the shipped chip's heartbeat when it is measured."""
    if "qrs_gate" not in reports:
        return f"Not measured yet: run `{_QRS_GATE}`, then `make report TAKE=qrs_gate`."
    return qrs_gate.table(reports["qrs_gate"], reports.get("heartbeat_work_fused"))


RENDERERS: dict[str, Renderer] = {
    "results": results_table,
    "verification": verification_results,
    "mutants": _from("mutate", "make mutate", verification.mutate_table),
    "formal": _from("formal", "python -m ecg_snn.sim.formal", verification.formal_tables),
    "comparison": comparison,
    "fpga": _from("fpga", "make fpga", fpga_table),
    "lanes": lanes_table,
    "data-parts": _from("data", "make data", data_report.parts_table),
    "cv": _from("cv", "python -m ecg_snn.model.cv --name NAME", cv.table),
    "cv-seeds": _from("cv", "python -m ecg_snn.model.cv --name NAME", model_doc.seeds_table),
    "cv-gate": _from("cv", "python -m ecg_snn.model.cv --name NAME", model_doc.gate_table),
    "train-inter": _from("train_inter", _TRAIN, model_doc.views_table),
    "train-inter-records": _from("train_inter", _TRAIN, model_doc.records_table),
    "train-intra": _from("train_intra", f"{_TRAIN} SPLIT=intra", model_doc.views_table),
    "model-targets": _model_targets,
    "power": _from("power", "make power GATE=1", power_doc.markdown),
    "power-findings": _from("power", "make power GATE=1", power_doc.findings),
    "power-plans": lambda reports: power_doc.memory_plans(reports, V2_RUNS),
    "engines": engines.table,
    "fused-heartbeat": power_doc.fused_heartbeat,
    "power-heartbeat": power_doc.heartbeats,
    "power-intra": _from(
        "power_intra",
        "python -m ecg_snn.power --model model/artifacts/intra.json "
        "--out build/reports/power_intra.json",
        power_doc.intra,
    ),
    **{key: _from("stream", "make stream-eval", fn) for key, fn in stream_tables.SECTIONS.items()},
    "stream-noise": _from("noise", "make stream-noise", noise.table),
    "stream-rtl": _from("stream_100", "make stream RECORD=100 RTL=1", stream_tables.rtl_check),
    "explore": _from("explore", "make explore", explore_report.markdown),
    "explore-confirm": _from(
        "explore_confirm", "python -m ecg_snn.explore.confirm", explore_confirm.table
    ),
    "qrs-block": _from("qrs", "make qrs", qrs_block.table),
    "qrs-all": _from("qrs_all", _QRS_ALL, qrs_block.summary),
    "chip-all": _from("chip_all", _CHIP_ALL, chip_block.summary),
    "chip-cost": _from("chip", "make chip", chip_block.cost),
    "qrs-gate": _qrs_gate,
    "qrs-gate-summary": _from("qrs_gate", _QRS_GATE, qrs_gate.summary),
    "adapt": _from("adapt", _ADAPT, adapt.table),
    "adapt-records": _from("adapt", _ADAPT, adapt.records_table),
    "adapt-targets": _from("adapt", _ADAPT, adapt.targets_table),
    "adapt-design": _adapt_design,
}
