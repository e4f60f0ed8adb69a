"""Compile the firmware for the host: the warning-clean check, `size` figures and the ctypes
library the tests drive.

    python -m ecg_snn.firmware.build [--model PATH] [--out build/firmware]     (what `make
    firmware` runs)

steps: generate the headers and image for the artifact (`firmware/generate.py`) into
`<out>/gen`; compile each firmware source to `<out>/obj/*.o` with `CFLAGS` (what `size` reads:
code, constant data and static RAM); link the firmware plus the host accelerator model and the
batch shim (`firmware/host/`) into `<out>/libsnn_host.so`; measure the reference's time per
beat; write `build/reports/firmware.json`. No CMake: a handful of gcc calls.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.firmware.build:main", "make firmware")

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import config_key, keyed, repo_path
from ecg_snn.firmware.generate import FirmwareError, generate
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.shipped import shipped

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
CC = os.environ.get("CC", "gcc")
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2")
# The firmware proper, as it would go onto a microcontroller (`size` reports on these).
FIRMWARE = {
    "reference": ("src/snn_ref.c",),
    "frontend": ("src/snn_frontend.c", "src/snn_patient.c"),
    "qrs": ("src/snn_qrs.c",),
    "driver": ("src/snn_driver.c", "src/snn_status.c"),
    "hal_spi": ("src/snn_hal_spi.c",),  # the HAL for the accelerator behind its SPI shell
}
HOST = ("host/fake_accel.c", "host/snn_host.c")
# A stand-in for a 32-bit microcontroller build: 32-bit code, no C library (the firmware only
# uses the freestanding <stdint.h> and <stddef.h>; 64-bit division comes from libgcc), -Os.
MCU_PROXY = ("-m32", "-ffreestanding", "-Os")
DEFAULT_MODEL = shipped("inter")
DEFAULT_OUT = REPO / "build" / "firmware"
REPORT = REPO / "build" / "reports" / "firmware.json"


class BuildError(RuntimeError):
    """The C compiler or `size` failed; the message carries its output."""


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise BuildError(f"{' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _includes(gen: Path) -> list[str]:
    return [f"-I{gen}", f"-I{ROOT / 'include'}", f"-I{ROOT / 'host'}"]


def build_library(artifact: Artifact, out: Path) -> Path:
    """Generate for `artifact` into `out/gen` and link `out/libsnn_host.so` in one gcc call."""
    gen = out / "gen"
    generate(artifact, gen)
    sources = [str(ROOT / s) for group in FIRMWARE.values() for s in group]
    sources += [str(ROOT / s) for s in HOST]
    lib = out / "libsnn_host.so"
    tmp = out / ".libsnn_host.so.tmp"  # link aside, then rename: a loaded .so is never rewritten
    # -Bsymbolic: calls inside the library bind to its own functions, so several models'
    # libraries loaded into one Python process never resolve to each other's symbols
    link = ["-fPIC", "-shared", "-Wl,-Bsymbolic"]
    _run([CC, *CFLAGS, *link, *_includes(gen), *sources, "-o", str(tmp)])
    tmp.replace(lib)
    return lib


def build_objects(out: Path, extra: tuple[str, ...] = (), subdir: str = "obj") -> dict:
    """Compile each firmware source (no -fPIC: as for a static firmware image) into
    `out/subdir`, with `extra` flags after `CFLAGS`; returns the objects by part."""
    gen, objs = out / "gen", out / subdir
    objs.mkdir(parents=True, exist_ok=True)
    result: dict[str, list[Path]] = {}
    for part, sources in FIRMWARE.items():
        result[part] = [
            compile_object(ROOT / src, objs / (Path(src).stem + ".o"), gen, extra)
            for src in sources
        ]
    return result


def compile_object(source: Path, obj: Path, gen: Path, extra: tuple[str, ...] = ()) -> Path:
    """One translation unit with `CFLAGS` (any warning is an error: `BuildError`)."""
    _run([CC, *CFLAGS, *extra, *_includes(gen), "-c", str(source), "-o", str(obj)])
    return obj


def can_compile_32bit() -> bool:
    """Whether the compiler has an -m32 code generator (headers are not needed freestanding)."""
    proc = subprocess.run(
        [CC, *MCU_PROXY, "-x", "c", "-c", "-", "-o", os.devnull],
        input="int f(void) { return 0; }\n",
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0


def section_sizes(objects: list[Path]) -> dict[str, int]:
    """Bytes of code (.text), constant data (.rodata and .data.rel.ro: weights, descriptors,
    tables, strings; flash on a microcontroller) and static RAM (.data + .bss) over `objects`,
    from `size -A`."""
    totals = {"code": 0, "const": 0, "ram": 0}
    for obj in objects:
        for line in _run(["size", "-A", str(obj)]).splitlines():
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            name, nbytes = parts[0], int(parts[1])
            if name.startswith(".text"):
                totals["code"] += nbytes
            elif name.startswith((".rodata", ".data.rel.ro")):  # .data.rel.ro: const with pointers
                totals["const"] += nbytes
            elif name.startswith((".data", ".bss")):
                totals["ram"] += nbytes
    return totals


def time_per_beat(lib_path: Path, x: np.ndarray, rr: np.ndarray, repeats: int = 5) -> float:
    """Best-of-`repeats` host time of the C reference per beat, in microseconds."""
    from ecg_snn.firmware.host import HostLib

    lib = HostLib(lib_path)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        lib.reference(x, rr)
        best = min(best, time.perf_counter() - start)
    return best / len(x) * 1e6


def _bench_inputs(
    artifact: Artifact, n: int, real: bool = True
) -> tuple[np.ndarray, np.ndarray, str]:
    """Real beats through the Python front end when `real` and the dataset is at hand (spike
    activity, and so the time, depends on the input), else uniform random chip inputs."""
    from ecg_snn.data.dataset import load_dataset
    from ecg_snn.data.errors import DataError
    from ecg_snn.data.locate import find_mitdb
    from ecg_snn.model.contract.frontend import preprocess_stream, uniform_inputs

    pre = artifact.spec.preprocess
    try:
        if not real:
            raise DataError("real beats not requested")
        config = pre.beat_config()
        ds = load_dataset(find_mitdb(download=False), config=config, progress=False)
    except DataError:  # no MIT-BIH here (or a window it cannot cut): random inputs, reported
        x, rr = uniform_inputs(pre, n, np.random.default_rng(0))
        return x, rr, f"{n} uniform random inputs (no MIT-BIH beats)"
    x, rr = preprocess_stream(pre, ds.window[:n], ds.rr[:n], ds.record[:n])  # records in order
    return x, rr, f"{len(x)} MIT-BIH beats"


def build_all(
    artifact: Artifact,
    out: Path,
    model_path: str = "",
    report_path: Path = REPORT,
    real_beats: bool = True,
) -> dict:
    """Everything `make firmware` does; returns the report it writes to `report_path`."""
    lib = build_library(artifact, out)
    objects = build_objects(out)
    x, rr, inputs = _bench_inputs(artifact, 2000, real_beats)
    sizes = {part: section_sizes(objs) for part, objs in objects.items()}
    proxy = None
    if can_compile_32bit():
        proxy_objects = build_objects(out, MCU_PROXY, "obj32")
        proxy = {part: section_sizes(objs) for part, objs in proxy_objects.items()}
    report = {
        "model": repo_path(model_path) if model_path else model_path,
        "artifact_sha256": artifact.checksum(),
        "hardware_id": f"{artifact.spec.hardware_id():#010x}",
        "compiler": _run([CC, "--version"]).splitlines()[0],
        "cflags": " ".join(CFLAGS),
        "host": platform.machine(),
        "bytes": sizes,
        "bytes_32bit_os": proxy,
        "bytes_32bit_os_flags": " ".join((*CFLAGS, *MCU_PROXY)),
        "bytes_note": "`size -A` on the objects: code=.text, const=.rodata+.data.rel.ro "
        "(weights, descriptors, tables: flash on a microcontroller), ram=.data+.bss (static "
        "buffers); no heap is used, stack not included. bytes: host x86-64 -O2; "
        "bytes_32bit_os: -m32 -ffreestanding -Os, a proxy for a 32-bit microcontroller",
        "image_words": int((out / "gen" / "snn_weights.bin").stat().st_size // 4),
        "time_per_beat_us": round(time_per_beat(lib, x, rr), 3),
        "time_inputs": inputs,
        "outputs": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
    }
    text = json.dumps(report, indent=1, sort_keys=True) + "\n"
    write_atomic(report_path, text)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m ecg_snn.firmware.build", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL") or str(DEFAULT_MODEL))
    parser.add_argument(
        "--out", help="default build/firmware (another model: build/firmware-model<sha8>)"
    )
    args = parser.parse_args(argv)
    if not Path(args.model).is_file():
        print(
            f"make firmware: no model artifact at {args.model}; train one with `make train` or "
            "pass MODEL=path/to/artifact.json",
            file=sys.stderr,
        )
        return 2
    try:
        artifact = load_artifact(args.model)
        # a model other than the shipped one gets its own folder and report: it never
        # replaces the default build (as `make sim` and `make verilog` key theirs)
        shipped = Path(args.model).resolve() == Path(DEFAULT_MODEL).resolve()
        key = config_key({"model": None if shipped else artifact.checksum()[:8]})
        out = Path(args.out) if args.out else keyed(DEFAULT_OUT, key)
        report_path = keyed(REPORT, key)
        report = build_all(artifact, out, args.model, report_path)
    except (ArtifactError, FirmwareError, BuildError) as e:
        print(f"make firmware: {e}", file=sys.stderr)
        return 2
    sizes = json.dumps(report["bytes"])
    print(sizes, f"{report['time_per_beat_us']} us/beat", f"-> {repo_path(report_path)}")
    return 0
