"""The two engines side by side (`hw/fused/README.md`, "Measurements"): the event engine's
reports (`sim`, `verilog`, `power`) against the fused engine's (`sim_fused`, `verilog_fused`,
`power_fused`), the same shipped model, and issue 27's targets read off the figures."""

from __future__ import annotations

from ecg_snn.report.results import Reports, hardware, weighting

ENGINES = {
    "event": ("sim", "verilog", "power", "fpga"),
    "fused": ("sim_fused", "verilog_fused", "power_fused", "fpga_fused"),
}
# issue 27, at 180 nm gate level on the default model: (label, figure, limit)
TARGETS = (
    ("nJ per inference", lambda g: g["nj_per_inference"]["mean"], 200.0),
    ("cells", lambda g: g["cells"], 25_000),
    ("flip-flops", lambda g: g["flip_flops"], 1_500),
    ("mm²", lambda g: g["area_um2"] / 1e6, 1.0),
)


def _n(v: float) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def _fpga(r: dict | None) -> str:
    if r is None:  # a build that did not place and route leaves no report
        return "no report for this model (the prose below the table)"
    lc, ram = r["utilisation"]["ICESTORM_LC"], r["utilisation"]["ICESTORM_RAM"]
    lat = r["latency_ms_at_fmax"]
    return (
        f"{lc['used']:,} / {lc['available']:,} LC, {ram['used']} / {ram['available']} EBR; fmax "
        f"{r['fmax_mhz']:.1f} MHz; {lat['mean']:.2f} / {lat['max']:.2f} ms "
        f"({hardware(r, engine=False)})"
    )


def _rows(sim: dict, verilog: dict, power: dict, fpga: dict | None) -> list[str]:
    """One engine's column, in the order of `ROWS`."""
    c, g = sim["cycles_per_inference"], power["gate_level"]
    k = power["calibrated_22nm"]
    return [
        f"{sim['mismatches']} mismatches, {sim['beats']:,} beats + {sim['random_vectors']:,} "
        f"random ({hardware(sim, engine=False)})",
        f"{c['mean']:,.0f} / {c['p50']:,} / {c['max']:,}",
        f"{verilog['cells']:,} / {verilog['flip_flops']:,} / {verilog['memory_bits']:,} "
        f"({hardware(verilog, engine=False)})",
        f"{power['nj_per_inference']['mean']:.2f} ({power['beats']} beats)",
        f"**{g['nj_per_inference']['mean']:.1f}** ({g['beats']} beats, {weighting(g)}, "
        f"{g['mismatches']} mismatches)",
        f"{g['cells']:,} / {g['flip_flops']:,} / {g['area_um2'] / 1e6:.2f}",
        f"{g['leakage']['nw_cells'] / 1e3:.2f}",
        f"{k['nj_per_inference']:.2f} (band {k['band_nj'][0]:.2f} to {k['band_nj'][1]:.2f})",
        _fpga(fpga),
    ]


ROWS = (
    ("`make sim` on DS2 (RTL vs golden)", "make sim"),
    ("cycles per inference, DS2 (mean / p50 / max)", "make sim"),
    ("Yosys generic cells / flip-flops / memory bits", "make verilog"),
    ("RTL toggle model, 22 nm, nJ per inference", "make power"),
    ("gate level, osu018 180 nm, nJ per inference", "make power GATE=1"),
    ("gate level cells / flip-flops / mm²", "make power GATE=1"),
    ("leakage, 180 nm cells, µW", "make power GATE=1"),
    ("22 nm, calibrated to the gate level, nJ", "make power GATE=1"),
    ("iCE40 UP5K with the SPI shell: cells, fmax, latency per beat mean / max", "make fpga"),
)


def table(reports: Reports) -> str:
    """Both engines' figures and the targets the fused one meets or misses."""
    optional = {"fpga_fused"}  # the FPGA build of a model the device cannot hold leaves none
    missing = [
        n for names in ENGINES.values() for n in names if n not in reports and n not in optional
    ]
    if missing:
        return f"Not measured yet: reports {', '.join(missing)} are not in the snapshot."
    cols = {e: _rows(*(reports.get(n) for n in names)) for e, names in ENGINES.items()}
    lines = ["| | event engine | fused engine | command (`ENGINE=fused` for the fused one) |"]
    lines.append("|---|---|---|---|")
    for i, (what, command) in enumerate(ROWS):
        lines.append(f"| {what} | {cols['event'][i]} | {cols['fused'][i]} | `{command}` |")
    g = reports["power_fused"]["gate_level"]
    met = [
        f"{label} {_n(f(g))} {'≤' if f(g) <= limit else '>'} {_n(limit)}"
        for label, f, limit in TARGETS
    ]
    ok = all(f(g) <= limit for _, f, limit in TARGETS)
    lines += [
        "",
        "Issue 27's gate-level targets for the fused engine ("
        + ("all met" if ok else "not all met")
        + "): "
        + "; ".join(met)
        + ".",
    ]
    return "\n".join(lines)
