"""Power-up: the chip is correct after the power-on reset whatever its flip-flops and memories
held at power-up (issue 23, "Hardware hygiene").

An ASIC's registers and SRAM come up with arbitrary values; Amaranth's Verilog declares every
register with its init value (an FPGA's power-on value), which hides that. `power_up_verilog`
removes those initialisers and the zero init of every written memory (ROM contents stay: they
are the chip's wiring), and Verilator's `--x-initial unique` with `+verilator+seed+N
+verilator+rand+reset+2` gives every such bit a random value per seed. After `por` alone the
loadable chip must report nothing loaded and no error, load the image, classify real DS2 beats
exactly as the golden model does, and keep the model across a soft reset (`rst`). The negative
test shows the check can fail: without `por` (soft reset only) the retained status comes up
random.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import TOP, ResultLayout, to_unsigned, unpack_result

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "model" / "artifacts" / "inter.json"
SEEDS = (1, 2, 3, 4, 5)
BEATS = 6  # real DS2 beats per seed

# `reg [w] name = value;` (an escaped name ends at whitespace, so `;` stays apart from it)
_INIT = re.compile(r"^(\s*reg\s+(?:signed\s+)?(?:\[[^\]]+\]\s*)?(?:\\\S+|\w+))\s*=[^;]*;", re.M)
# `initial begin  mem[0] = ...; ...  end` (Yosys's memory init), the memory's name in group 1
_MEM_INIT = re.compile(
    r"^\s*initial begin\n\s*\\?([^\s\[]+) ?\[\d+\] = [^;]+;\n(?:[^\n]*\] = [^;]+;\n)*\s*end\n", re.M
)


def power_up_verilog(text: str) -> str:
    """`text` without register initialisers and without the init of every memory that has a
    write port (a RAM powers up undefined; a ROM's contents are part of the chip)."""
    text = _INIT.sub(r"\1 ;", text)

    def keep_rom(m: re.Match) -> str:
        name = re.escape(m.group(1))
        written = re.search(rf"^\s*\\?{name} ?\[[^\n]*<=", text, re.M)  # mem[a]... <= d
        return "" if written else m.group(0)

    return _MEM_INIT.sub(keep_rom, text)


def test_power_up_verilog_strips_initialisers():
    text = (
        "  reg [3:0] a = 4'h3;\n  reg \\b$1 = 1'h0;\n  reg [7:0] ram [1:0];\n"
        "  initial begin\n    ram[0] = 8'h00;\n    ram[1] = 8'h00;\n  end\n"
        "  reg [7:0] rom [1:0];\n  initial begin\n    rom[0] = 8'h05;\n    rom[1] = 8'h06;\n  end\n"
        "  always @(posedge clk)\n    ram[wa][3:0] <= wd;\n"
    )
    out = power_up_verilog(text)
    assert "reg [3:0] a ;" in out and "reg \\b$1 ;" in out
    assert "ram[0] =" not in out and "rom[0] = 8'h05;" in out


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory) -> dict[bool, Path]:
    """The loadable and the ROM build of the default model, initialisers stripped, each
    verilated with random initial values."""
    from ecg_snn.flow.verilog import emit
    from ecg_snn.hw.top import Accelerator
    from ecg_snn.power.harness import build_harness

    artifact = load_artifact(MODEL)
    out = {}
    for rom in (False, True):
        d = tmp_path_factory.mktemp(f"powerup_rom{int(rom)}")
        dut = Accelerator(artifact.spec, HwConfig(rom=rom), artifact if rom else None)
        v = emit(dut, d / "rtl")[0]
        stripped = d / f"{TOP}.v"
        stripped.write_text(power_up_verilog(v.read_text()))
        out[rom] = build_harness(
            stripped,
            TOP,
            d / "build",
            extra_args=("--x-initial", "unique", "--x-assign", "unique"),
            cxx_opt="-O1",
        )
    return out


@pytest.fixture(scope="module")
def beats():
    from ecg_snn.data.errors import DataError
    from ecg_snn.sim.accel.vectors import real_beats

    artifact = load_artifact(MODEL)
    try:
        v = real_beats(artifact.spec.preprocess, "DS2", limit=400)
    except DataError as e:
        pytest.skip(f"MIT-BIH not available: {e}")
    idx = np.linspace(0, len(v.x) - 1, BEATS * len(SEEDS)).astype(int)  # spread over records
    return artifact, v.x[idx], v.rr[idx]


def _beat_lines(artifact, x, rr) -> list[str]:
    bits = artifact.spec.preprocess.input_bits
    lines = []
    for xi, ri in zip(x, rr, strict=True):
        lines += [f"put i_sample {to_unsigned(int(s), bits)}" for s in xi]
        lines += [f"put i_rr {int(r)}" for r in ri]
        lines.append("get o_result")
    return lines


# The host drives every input from power-up on (an undriven input is random here too).
IDLE_INPUTS = [
    f"set {p} 0"
    for p in ("por", "rst", "i_load__valid", "i_sample__valid", "i_rr__valid", "o_result__ready")
]


def _run(exe: Path, lines: list[str], seed: int) -> list[str]:
    from ecg_snn.power.harness import run_harness

    args = (f"+verilator+seed+{seed}", "+verilator+rand+reset+2")
    return run_harness(exe, "\n".join(IDLE_INPUTS + lines) + "\n", args=args)


def _peeks(out: list[str]) -> list[int]:
    return [int(ln.split()[2], 16) for ln in out if ln.startswith("peek")]


def _results(artifact, out: list[str]) -> list[tuple[int, list[int]]]:
    layout = ResultLayout.of(artifact.spec)
    return [unpack_result(layout, int(ln.split()[1], 16)) for ln in out if ln.startswith("got")]


def _golden(artifact, x, rr) -> list[tuple[int, list[int]]]:
    ref = golden.run(artifact, x[:, None, :], rr)
    return [(int(c), [int(v) for v in vals]) for c, vals in zip(ref.cls, ref.values, strict=True)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_loadable_chip_is_defined_after_power_on_reset(harnesses, beats, seed):
    """Random power-up values, `por`: not loaded, no error; the image loads; real beats are
    bit-exact; a soft reset keeps the model and the next beats are bit-exact too."""
    artifact, x, rr = beats
    k = SEEDS.index(seed)
    x, rr = x[k * BEATS : (k + 1) * BEATS], rr[k * BEATS : (k + 1) * BEATS]
    half = BEATS // 2
    lines = ["set por 1", "step 2", "set por 0", "peek loaded", "peek load_error", "peek busy"]
    lines += [f"put i_load {int(w)}" for w in weight_image(artifact)]
    lines += ["step 2", "peek loaded", "peek load_error"]
    lines += _beat_lines(artifact, x[:half], rr[:half])
    lines += ["set rst 1", "step 2", "set rst 0", "peek loaded"]  # soft reset: model kept
    lines += _beat_lines(artifact, x[half:], rr[half:])
    out = _run(harnesses[False], lines, seed)
    assert _peeks(out) == [0, 0, 0, 1, 0, 1]
    assert _results(artifact, out) == _golden(artifact, x, rr)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_rom_chip_is_defined_after_power_on_reset(harnesses, beats, seed):
    """The ROM build (nothing retained): after `por` it is loaded and bit-exact at once."""
    artifact, x, rr = beats
    k = SEEDS.index(seed)
    x, rr = x[k * BEATS : (k + 1) * BEATS], rr[k * BEATS : (k + 1) * BEATS]
    lines = ["set por 1", "step 2", "set por 0", "peek loaded", "peek busy"]
    lines += _beat_lines(artifact, x, rr)
    out = _run(harnesses[True], lines, seed)
    assert _peeks(out) == [1, 0]
    assert _results(artifact, out) == _golden(artifact, x, rr)


@pytest.mark.slow
def test_without_power_on_reset_the_status_is_undefined(harnesses):
    """Negative: the soft reset alone leaves `loaded` / `load_error` at their random power-up
    values (they are retained state), so a power-up test without `por` sees a chip flagged
    as loaded, or in error, over undefined weights on some seed."""
    lines = ["set rst 1", "step 2", "set rst 0", "peek loaded", "peek load_error"]
    status = [tuple(_peeks(_run(harnesses[False], lines, seed))) for seed in SEEDS]
    assert any(s != (0, 0) for s in status), status


@pytest.fixture(scope="module")
def shell_harness(tmp_path_factory) -> Path:
    """The chip a power switch would cut: the SPI shell with the work-clocked ROM core
    (`hw/spi.py`), initialisers stripped, random initial values."""
    from amaranth.back import verilog

    from ecg_snn.hw.spi import SPI_TOP, SpiShell
    from ecg_snn.power.harness import build_harness

    artifact = load_artifact(MODEL)
    d = tmp_path_factory.mktemp("powerup_shell")
    shell = SpiShell(artifact.spec, HwConfig(rom=True), artifact, work_clock=True)
    text = verilog.convert(shell, name=SPI_TOP, emit_src=False)
    (d / f"{SPI_TOP}.v").write_text(power_up_verilog(text))
    return build_harness(
        d / f"{SPI_TOP}.v",
        SPI_TOP,
        d / "build",
        extra_args=("--x-initial", "unique", "--x-assign", "unique"),
        cxx_opt="-O1",
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_power_gated_chip_is_defined_after_each_wake_up(shell_harness, beats, seed, tmp_path):
    """Power gating between beats (ROM, nothing retained): from random power-up values, the
    reset pin alone (2 cycles, `power/heartbeat.py`'s wake window) and then beats sent over SPI
    as the C driver sends them give results equal to the golden model, shell and
    work-clocked core alike."""
    from ecg_snn.power.heartbeat import send_beats

    artifact, x, rr = beats
    k = SEEDS.index(seed)
    x, rr = x[k * 2 : k * 2 + 2], rr[k * 2 : k * 2 + 2]
    args = (f"+verilator+seed+{seed}", "+verilator+rand+reset+2")
    _, bad = send_beats(shell_harness, artifact, x, rr, tmp_path, args=args)
    assert bad == 0


def test_retained_state_list():
    """The retained state (`Accelerator.retained_state`): nothing with ROM weights; with the
    load port, every loaded memory bit plus the status and the loaded scalars (the default
    model: 4 ssf layers, shifts of 5+4+4+4 bits, v_init of 19+10+13+12 bits: each layer's
    membrane width)."""
    from ecg_snn.hw.config import LayerGeometry
    from ecg_snn.hw.memories import retained_state

    artifact = load_artifact(MODEL)
    assert retained_state(artifact.spec, HwConfig(rom=True)) == {}
    kept = retained_state(artifact.spec, HwConfig())
    memories = sum(v for k, v in kept.items() if k.endswith(("weight", "bias")))
    assert memories == 8 * sum(LayerGeometry(la, 8).weight_bytes() for la in artifact.spec.layers)
    assert sum(kept.values()) - memories == 2 + 17 + 54
    assert not any(k.endswith(".threshold") for k in kept)  # ssf layers keep a shift instead
