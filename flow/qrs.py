"""The QRS detector block's Verilog, lint and synthesis (`hw/qrs.py`; `make qrs` runs this, then
the Verilator bench, `sim/qrs.py`).

`build(out)` writes `<out>/snn_qrs.v` (module `TOP`), lints it with Verilator `-Wall` and the
flow's named waivers (`flow/tools.py`; any other warning fails) and synthesises it with the same
Yosys script as the accelerator (`flow/verilog.py`: memories kept as `$mem_v2` macros, counted in
`memory_bits`; the rest generic gates and flip-flops). Returns the figures for the report.
"""

from __future__ import annotations

from pathlib import Path

from amaranth.back import verilog

from ecg_snn.data.files import write_atomic
from ecg_snn.flow.verilog import lint, synthesize
from ecg_snn.hw.qrs import QrsDetector, memory_bits

TOP = "snn_qrs"


def emit(out: Path, sample_bits: int = 16, work_clock: bool = False) -> Path:
    """Write the Verilog of `QrsDetector(sample_bits)` as `<out>/snn_qrs.v`; `work_clock`: the
    ASIC build, clocked only while it has work through the library's clock gate at its root
    (the file carries the gate's behavioural model for RTL simulators)."""
    from ecg_snn.flow.asic.gate import ICG_CELL, ICG_MODEL_VERILOG

    out.mkdir(parents=True, exist_ok=True)
    dut = QrsDetector(sample_bits, work_clock, ICG_CELL if work_clock else None)
    text = verilog.convert(dut, name=TOP, emit_src=False)
    return write_atomic(out / f"{TOP}.v", text + (ICG_MODEL_VERILOG if work_clock else ""))


def build(out: Path, synth: bool = True) -> dict:
    """Verilog, lint (raises on any warning) and, with `synth`, Yosys figures."""
    vfile = emit(out)
    result = lint(vfile, TOP)
    if result["errors"] or result["warnings"]:
        raise RuntimeError(
            "verilator lint of the QRS block failed:\n"
            + "\n".join(result["errors"] + result["warnings"])
        )
    figures: dict = {"top": TOP, "verilog": str(vfile), "memory_bits": memory_bits()}
    if synth:
        stats = synthesize(vfile, out / "synth", TOP)
        figures.update({k: stats[k] for k in ("cells", "flip_flops", "memories")})
    return figures
