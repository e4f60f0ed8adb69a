"""`ecg-snn`: one command for the whole flow; each subcommand is a make target's tool.

    ecg-snn classify RECORD [--lead II]    raw ECG in, classes out (= make stream)
    ecg-snn sim [...]                      bit-exact RTL vs golden (= make sim)
    ecg-snn <command> --help               the options of one command

The subcommands hand their arguments to the same entry points the Makefile runs, so
`ecg-snn power --beats 100` and `make power BEATS=100` do the same thing.
"""

from __future__ import annotations

import importlib
import sys

from ecg_snn.data.cli import run

# subcommand -> (module:function taking argv, what it does)
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("ecg_snn.data.__main__:main", "build the MIT-BIH beat dataset (make data)"),
    "train": ("ecg_snn.model.pipeline:cli", "train, convert, quantize, evaluate (make train)"),
    "ship": ("ecg_snn.model.ship:main", "check a new artifact, then ship it (make ship)"),
    "evaluate": (
        "ecg_snn.model.evaluate:main",
        "score an artifact on a split or your WFDB folder (make evaluate)",
    ),
    "cv": ("ecg_snn.model.cv:main", "by-patient cross-validation over DS1"),
    "retrain": (
        "ecg_snn.model.retrain.cli:main",
        "retrain on your own WFDB recordings (make retrain)",
    ),
    "adapt": ("ecg_snn.model.adapt.cli:main", "personalise to one patient (make adapt)"),
    "adapt-eval": ("ecg_snn.model.adapt.evaluate:main", "adaptation over DS2 (make adapt-eval)"),
    "classify": (
        "ecg_snn.stream.__main__:main",
        "detect and classify one raw record (make stream)",
    ),
    "stream-eval": ("ecg_snn.stream.evaluate:main", "QRS and end-to-end scores (make stream-eval)"),
    "stream-noise": ("ecg_snn.stream.noise:main", "QRS under noise vs XQRS (make stream-noise)"),
    "qrs": ("ecg_snn.sim.qrs:main", "the QRS detector block on Verilator (make qrs)"),
    "chip": (
        "ecg_snn.stream.chip:main",
        "the chained chip (QRS -> front end -> accelerator) on Verilator (make chip)",
    ),
    "qrs-gate": (
        "ecg_snn.power.qrs:main",
        "the QRS detector block at gate level: power, fmax (make qrs GATE=1)",
    ),
    "verilog": (
        "ecg_snn.flow.verilog:main",
        "emit, lint and synthesise the Verilog (make verilog)",
    ),
    "fpga": ("ecg_snn.flow.fpga:main", "place and route on the FPGA (make fpga)"),
    "program": ("ecg_snn.flow.program:main", "load the bitstream into the board (make program)"),
    "sim": ("ecg_snn.sim.run:main", "bit-exact RTL vs golden on real beats (make sim)"),
    "mutate": ("ecg_snn.sim.mutate:main", "planted bugs must be caught (make mutate)"),
    "power": ("ecg_snn.power.run:main", "energy per inference and heartbeat (make power)"),
    "firmware": (
        "ecg_snn.firmware.build:main",
        "C reference, driver, weight image (make firmware)",
    ),
    "explore": ("ecg_snn.explore.cli:main", "the co-design search (make explore)"),
    "explore-confirm": (
        "ecg_snn.explore.confirm:main",
        "the search's pick at the shipped training budget",
    ),
    "report": ("ecg_snn.report.render:main", "regenerate the docs' results (make report)"),
    "clean-cache": ("ecg_snn.sim.prune:main", "prune the content-keyed builds (make clean-cache)"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items()]
    return "usage: ecg-snn COMMAND [options]\n\ncommands:\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and exit with its code (Ctrl-C: one line, 130; `data.cli.run`)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage(), end="")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"ecg-snn: unknown command {name!r}; `ecg-snn --help` lists them", file=sys.stderr)
        return 2
    module, func = COMMANDS[name][0].split(":")

    def command() -> int | None:  # imported inside `run`: Ctrl-C while importing is caught too
        return getattr(importlib.import_module(module), func)(rest)

    run(command, f"ecg-snn {name}")  # exits: the command's code, or one line and 130
