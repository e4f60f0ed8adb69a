"""A minimal Verilator C++ harness that writes one SAIF file per stimulus segment.

Why not cocotb: a SAIF file covers a whole run, and cocotb's Verilator main opens one trace for
the whole simulation, so per-beat energy would need one simulator process per beat. This harness
reads a small command script on stdin and can close one SAIF and open the next between beats; it
also runs the clock in C++ (no Python per cycle), so 1,000 beats take seconds.

Commands (one per line; values decimal or 0x-hex)::

    set PORT VALUE          drive a top-level input (<= 64 bits)
    step N                  N clock cycles
    put STREAM VALUE        STREAM__valid=1, STREAM__payload=VALUE until a cycle with ready,
                            then valid=0 (Amaranth lib.stream: transfer on valid & ready)
    get STREAM              STREAM__ready=1 until a cycle with valid; prints 'got <hex> <cycle>'
    collect STREAM          from now on STREAM__ready=1, and every transfer prints 'got <hex>
                            <cycle>' as `get` does, in order with the other commands' output
                            (a block whose outputs come when its inputs decide, not on request)
    wait PORT               clock cycles until output PORT is non-zero (e.g. an interrupt line)
    saif_open FILE          start a new SAIF file (toggle counts restart at zero), after writing
                            FILE.init, the baseline taken at the same instant (see energy.py)
    saif_close              write and close it
    cycles                  prints 'cycles <n>'
    peek PORT               prints 'peek PORT <hex>'

Time: one clock cycle = 4 time units: inputs settle and are dumped at +1, the rising edge at +2,
the falling edge at +4. Signals driven by the harness and signals driven by flip-flops then both
change on multiples of the period, so a signal high for k whole cycles has T1 = 4k (the clock:
T1 = 2 per cycle, TC = 2 per cycle). Every command that waits
gives up after `--max-wait` cycles with exit status 3 (a hung design is an error, not a hang).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ecg_snn.flow.tools import PCH_FIX, VERILATOR_WAIVERS, locked, verilator_env, verilator_root

CYCLE_TIME = 4  # SAIF time units per clock cycle

_PORT = re.compile(
    r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(?:\[(\d+):(\d+)\]\s*)?([A-Za-z_]\w*)\s*;",
    re.M,
)


@dataclass(frozen=True)
class Port:
    name: str
    direction: str
    width: int


def top_ports(verilog_text: str, top: str) -> list[Port]:
    """The ports of module `top` (declared one per line, as Amaranth's Verilog does)."""
    m = re.search(
        rf"^module\s+\\?{re.escape(top)}\s*\(.*?\);(.*?)^endmodule", verilog_text, re.M | re.S
    )
    if m is None:
        raise ValueError(f"module {top!r} not found in the Verilog")
    ports = []
    for d, hi, lo, name in _PORT.findall(m.group(1)):
        width = abs(int(hi) - int(lo)) + 1 if hi else 1
        ports.append(Port(name, d, width))
    return ports


def cpp_member(name: str) -> str:
    """Verilator's C++ name of a port: it encodes each '__' as '___05F'."""
    return name.replace("__", "___05F")


def harness_cpp(ports: list[Port], max_wait: int = 10_000_000) -> str:
    """C++ source of the command-driven harness for a model compiled with --prefix Vtop."""
    setters, getters = [], []
    for p in ports:
        if p.name == "clk":
            continue
        member = cpp_member(p.name)
        if p.direction == "input":
            if p.width > 64:
                raise ValueError(f"input port {p.name} is {p.width} bits; the harness drives <= 64")
            setters.append(f'    if (n == "{p.name}") {{ top->{member} = v; return true; }}')
        if p.width <= 64:
            getters.append(f'    if (n == "{p.name}") return hex64((uint64_t)top->{member});')
        else:
            words = (p.width + 31) // 32
            getters.append(
                f'    if (n == "{p.name}") return hexwide(top->{member}.data(), {words});'
            )
    return (
        _CPP.replace("@SETTERS@", "\n".join(setters))
        .replace("@GETTERS@", "\n".join(getters))
        .replace("@MAXWAIT@", str(max_wait))
    )


def build_harness(
    verilog: Path,
    top: str,
    build_dir: Path,
    extra_args: tuple[str, ...] = (),
    jobs: int = 2,
    cxx_opt: str | None = None,
) -> Path:
    """Verilate `verilog` with SAIF tracing and the harness; return the executable. `cxx_opt`
    replaces the C++ optimisation flag of the model's code (OPT_FAST, -Os by default): a
    gate-level netlist compiles several times faster at -O1.

    Cached by content: a build whose stamp (`harness.ok`) holds the key of the same Verilog,
    arguments and extra files is reused; a lock lets parallel workers share one build."""
    build_dir = Path(build_dir)
    key = _key(verilog, top, extra_args, cxx_opt)
    stamp, exe = build_dir / "harness.ok", build_dir / "obj" / "harness"
    with locked(build_dir / ".lock"):
        if exe.exists() and stamp.exists() and stamp.read_text() == key:
            return exe
        stamp.unlink(missing_ok=True)
        _verilate(verilog, top, build_dir, extra_args, jobs, cxx_opt)
        stamp.write_text(key)
    return exe


def _key(verilog: Path, top: str, extra_args: tuple[str, ...], cxx_opt: str | None) -> str:
    h = hashlib.sha256(Path(verilog).read_bytes())
    h.update(repr((top, extra_args, cxx_opt, _CPP, PCH_FIX)).encode())
    for arg in extra_args:  # control files passed by path: their content counts
        if Path(arg).is_file():
            h.update(Path(arg).read_bytes())
    return h.hexdigest()


def _verilate(
    verilog: Path,
    top: str,
    build_dir: Path,
    extra_args: tuple[str, ...],
    jobs: int,
    cxx_opt: str | None,
) -> None:
    ports = top_ports(Path(verilog).read_text(), top)
    names = {p.name for p in ports}
    if "clk" not in names:
        raise ValueError(f"module {top!r} has no clk port")
    cpp = build_dir / "harness.cpp"
    text = harness_cpp(ports)
    if not cpp.exists() or cpp.read_text() != text:
        cpp.write_text(text)
    cmd = [
        str(verilator_root() / "bin" / "verilator"),
        "--cc",
        "--exe",
        "--build",
        "-j",
        str(jobs),
        "--trace-saif",
        "--trace-underscore",
        "--trace-max-width",
        "4096",
        "--trace-max-array",
        "1",  # memory cells: their energy is E_read/E_write per access, not per cell toggle
        "--prefix",
        "Vtop",
        "--top-module",
        top,
        "-Mdir",
        str(build_dir / "obj"),
        "-o",
        "harness",
        "-Wno-fatal",
        *(f"-Wno-{w}" for w in VERILATOR_WAIVERS),
        "-O2",
        *extra_args,
        str(cpp.resolve()),
        str(Path(verilog).resolve()),
    ]
    env = verilator_env()
    if cxx_opt:
        env["MAKEFLAGS"] += f" OPT_FAST={cxx_opt} OPT_SLOW={cxx_opt}"
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(
            f"verilator failed ({out.returncode}):\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
        )


def run_harness(
    exe: Path,
    script: str,
    cwd: Path | None = None,
    timeout: float = 600,
    args: tuple[str, ...] = (),
) -> list[str]:
    """Run the harness on a command script; return its output lines. `args` go to Verilator's
    runtime (e.g. ``+verilator+seed+3 +verilator+rand+reset+2`` for random power-up values)."""
    out = subprocess.run(
        [str(exe), *args], input=script, capture_output=True, text=True, cwd=cwd, timeout=timeout
    )
    if out.returncode:
        raise RuntimeError(
            f"harness failed ({out.returncode}): {out.stderr[-2000:]}{out.stdout[-2000:]}"
        )
    return out.stdout.splitlines()


_CPP = r"""// Generated by power/harness.py: do not edit.
#include "Vtop.h"
#include "verilated.h"
#include "verilated_saif_c.h"
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

static VerilatedContext* ctx;
static Vtop* top;
static VerilatedSaifC* tfp = nullptr;
static uint64_t cycle = 0;
static std::string collect;  // the output stream `collect` takes (empty: none)
static const uint64_t MAX_WAIT = @MAXWAIT@ULL;

static std::string hex64(uint64_t v) {
    char b[32]; snprintf(b, sizeof b, "%llx", (unsigned long long)v); return b;
}
static std::string hexwide(const uint32_t* w, int n) {
    std::string s; char b[16]; bool lead = true;
    for (int i = n - 1; i >= 0; --i) {
        if (lead && w[i] == 0 && i) continue;
        snprintf(b, sizeof b, lead ? "%x" : "%08x", w[i]); s += b; lead = false;
    }
    return s;
}
static bool set_port(const std::string& n, uint64_t v) {
@SETTERS@
    return false;
}
static std::string get_port(const std::string& n) {
@GETTERS@
    std::cerr << "unknown port " << n << std::endl; std::exit(2);
}
static void dump() { if (tfp) tfp->dump(ctx->time()); }
// Inputs settle (+1), rising edge (+2), falling edge (+4): see the module docstring.
static void settle() {
    top->eval(); ctx->timeInc(1); dump();
    // ready is held high: a valid before this edge is a transfer at it (`get` prints the same)
    if (!collect.empty() && std::stoull(get_port(collect + "__valid"), nullptr, 16) != 0)
        std::cout << "got " << get_port(collect + "__payload") << " " << cycle + 1 << "\n";
}
static void edges() {
    top->clk = 1; top->eval(); ctx->timeInc(1); dump();
    top->clk = 0; top->eval(); ctx->timeInc(2); dump();
}
static void tick() { settle(); edges(); ++cycle; }
static uint64_t num(const std::string& s) { return std::stoull(s, nullptr, 0); }
static void need(const std::string& n, uint64_t v) {
    if (!set_port(n, v)) { std::cerr << "cannot drive port " << n << std::endl; std::exit(2); }
}

int main(int argc, char** argv) {
    ctx = new VerilatedContext; ctx->commandArgs(argc, argv); ctx->traceEverOn(true);
    top = new Vtop{ctx};
    top->clk = 0; top->eval();
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line); std::string cmd, a, b; in >> cmd >> a >> b;
        if (cmd.empty() || cmd[0] == '#') continue;
        if (cmd == "set") need(a, num(b));
        else if (cmd == "step") { for (uint64_t i = 0, n = num(a); i < n; ++i) tick(); }
        else if (cmd == "put") {
            need(a + "__valid", 1); need(a + "__payload", num(b));
            uint64_t w = 0;
            for (;; ++w) {
                settle();
                bool ready = std::stoull(get_port(a + "__ready"), nullptr, 16) != 0;
                edges(); ++cycle;
                if (ready) break;
                if (w > MAX_WAIT) { std::cerr << "put " << a << ": no ready\n"; return 3; }
            }
            need(a + "__valid", 0);
        } else if (cmd == "get") {
            need(a + "__ready", 1);
            uint64_t w = 0;
            for (;; ++w) {
                settle();
                bool valid = std::stoull(get_port(a + "__valid"), nullptr, 16) != 0;
                std::string payload = valid ? get_port(a + "__payload") : "";
                edges(); ++cycle;
                if (valid) { std::cout << "got " << payload << " " << cycle << "\n"; break; }
                if (w > MAX_WAIT) { std::cerr << "get " << a << ": no valid\n"; return 3; }
            }
            need(a + "__ready", 0);
        } else if (cmd == "collect") {
            collect = a; need(a + "__ready", 1);
        } else if (cmd == "wait") {
            uint64_t w = 0;
            while (std::stoull(get_port(a), nullptr, 16) == 0) {
                tick();
                if (++w > MAX_WAIT) { std::cerr << "wait " << a << ": never high\n"; return 3; }
            }
        } else if (cmd == "saif_open") {
            // FILE.init: the same instant, no time elapsed; its toggles are the bits that are
            // 1 when tracing starts, which Verilator counts once (energy.subtract removes them).
            if (tfp) { tfp->close(); delete tfp; }
            tfp = new VerilatedSaifC; top->trace(tfp, 99); tfp->open((a + ".init").c_str());
            tfp->dump(ctx->time()); tfp->close(); delete tfp;
            tfp = new VerilatedSaifC; top->trace(tfp, 99); tfp->open(a.c_str());
            tfp->dump(ctx->time());
        } else if (cmd == "saif_close") {
            if (tfp) { tfp->close(); delete tfp; tfp = nullptr; }
        } else if (cmd == "cycles") std::cout << "cycles " << cycle << "\n";
        else if (cmd == "peek") std::cout << "peek " << a << " " << get_port(a) << "\n";
        else { std::cerr << "unknown command " << cmd << std::endl; return 2; }
    }
    if (tfp) { tfp->close(); delete tfp; }
    top->final(); delete top; delete ctx;
    std::cout.flush();
    return 0;
}
"""
