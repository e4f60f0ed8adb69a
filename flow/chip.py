"""The chained chip's Verilog, lint and synthesis (`hw/chip.py` `EcgChip`: QRS detector -> beat
front end -> accelerator; `make chip` runs this, then the Verilator bench, `sim/chip.py`).

`verilog(...)` writes `build/rtl/chip[-monitor]-<key>/snn_chip.v`, keyed like every other design
(`flow.design.design_key`: the spec's hardware configuration, the `HwConfig`, the artifact for
ROM builds and the generator's source), so an unchanged design is not generated again. `build`
lints it (Verilator `-Wall`, the flow's waivers; any other warning fails) and synthesises it
with the accelerator's Yosys script (`flow/verilog.py`: memories kept as `$mem_v2` macros);
returns the figures for the report, with the memory bits of each block.
"""

from __future__ import annotations

from pathlib import Path

from ecg_snn.flow.design import OUT_ROOT, design_key
from ecg_snn.model.contract.artifact import Artifact

TOP = "snn_chip"


def verilog(artifact: Artifact, config: object, monitor: bool = False) -> Path:
    """Path of the chip's Verilog for this artifact and configuration, generated if needed."""
    from amaranth.back import verilog as amaranth_verilog

    from ecg_snn.data.files import write_atomic
    from ecg_snn.hw.chip import CHIP_TOP, EcgChip

    assert CHIP_TOP == TOP
    tag = "chip-monitor" if monitor else "chip"
    out = OUT_ROOT / f"{tag}-{design_key(artifact.spec, config, artifact)}" / f"{TOP}.v"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        dut = EcgChip(artifact.spec, config, artifact, monitor=monitor)
        write_atomic(out, amaranth_verilog.convert(dut, name=TOP, emit_src=False))
    return out


def frontend_verilog(artifact: Artifact) -> Path:
    """The beat front end alone (module `snn_frontend`), for its own cost figures."""
    from amaranth.back import verilog as amaranth_verilog

    from ecg_snn.data.files import write_atomic
    from ecg_snn.hw.beat_frontend import BeatFrontend

    key = design_key(artifact.spec, "frontend", None)
    out = OUT_ROOT / f"frontend-{key}" / "snn_frontend.v"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        dut = BeatFrontend(artifact.spec.preprocess)
        write_atomic(out, amaranth_verilog.convert(dut, name="snn_frontend", emit_src=False))
    return out


def frontend_figures(artifact: Artifact) -> dict:
    """Lint and Yosys figures of the front end alone (cells, flip-flops, memories)."""
    from ecg_snn.flow.verilog import lint, synthesize
    from ecg_snn.hw.beat_frontend import memory_bits as frontend_bits

    vfile = frontend_verilog(artifact)
    result = lint(vfile, "snn_frontend")
    if result["errors"] or result["warnings"]:
        raise RuntimeError(
            "verilator lint of the front end failed:\n"
            + "\n".join(result["errors"] + result["warnings"])
        )
    stats = synthesize(vfile, vfile.parent / "synth", "snn_frontend")
    return {
        **{k: stats[k] for k in ("cells", "flip_flops", "memories")},
        "memory_bits": frontend_bits(artifact.spec.preprocess),
    }


def memory_bits(artifact: Artifact, config: object) -> dict[str, int]:
    """Bits in the memories of each block and in all."""
    from ecg_snn.hw.beat_frontend import memory_bits as frontend_bits
    from ecg_snn.hw.memories import inventory
    from ecg_snn.hw.qrs import memory_bits as qrs_bits

    bits = {
        "qrs": qrs_bits(),
        "frontend": frontend_bits(artifact.spec.preprocess),
        "accelerator": sum(m.bits for m in inventory(artifact.spec, config, artifact)),
    }
    return {**bits, "total": sum(bits.values())}


def build(artifact: Artifact, config: object, synth: bool = True) -> dict:
    """Verilog (without the monitor port), lint (raises on any warning) and, with `synth`,
    Yosys figures."""
    from ecg_snn.flow.verilog import lint, synthesize

    vfile = verilog(artifact, config)
    result = lint(vfile, TOP)
    if result["errors"] or result["warnings"]:
        raise RuntimeError(
            "verilator lint of the chip failed:\n"
            + "\n".join(result["errors"] + result["warnings"])
        )
    figures: dict = {
        "top": TOP,
        "verilog": str(vfile),
        "memory_bits": memory_bits(artifact, config),
    }
    if synth:
        print("make chip: Yosys synthesis of the beat front end alone", flush=True)
        figures["frontend"] = frontend_figures(artifact)
        print("make chip: Yosys synthesis of the chip (several minutes)", flush=True)
        stats = synthesize(vfile, vfile.parent / "synth", TOP)
        figures.update({k: stats[k] for k in ("cells", "flip_flops", "memories")})
    return figures
