"""The README's table of measured results, rendered from the report snapshots.

One row per figure; each names the report it comes from and the command that makes it. A row
whose report is not in the snapshot says so instead of quoting an older number.
"""

from __future__ import annotations

from collections.abc import Callable

Reports = dict[str, dict]


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _se_ppv(metrics: dict, cls: str) -> str:
    c = metrics["per_class"][cls]
    return f"{cls} Se {100 * c['se']:.1f} / +P {100 * c['ppv']:.1f}"


def _seed_band(report: dict, key: str, scale: float = 100.0) -> str:
    seeds = report.get("seeds") or {}
    if key not in seeds.get("mean", {}):
        return ""
    n = len(seeds.get("seeds", seeds.get("per_seed", [])))
    return f"{scale * seeds['mean'][key]:.1f} ± {scale * seeds['sd'][key]:.1f} over {n} seeds"


def train_row(split: str) -> Callable[[dict], str]:
    def fmt(r: dict) -> str:
        m = r["snn_int"]
        text = f"**{pct(m['accuracy'])}** ({_se_ppv(m, 'S')}; {_se_ppv(m, 'V')})"
        if "j_kappa" in r:
            text += f", jκ {r['j_kappa']:.3f}"
        band = _seed_band(r, "accuracy")
        if band:
            text += f"; accuracy {band} %"
        text += f"; {r.get('neuron', 'if')} T = {r['T']}; conversion loss "
        return text + f"{r['conversion_loss_pp']:+.2f} pp"

    return fmt


def _data(r: dict) -> str:
    dropped = sum(r["dropped"].values()) if isinstance(r["dropped"], dict) else r["dropped"]
    return f"{r['records']} records, {r['beats']:,} beats ({dropped} dropped)"


def _spikes(r: dict) -> str:
    return (
        f"{r['spikes_per_inference']:.0f} spikes, {r['synops_per_inference']:.0f} synaptic "
        f"operations (spike rate {pct(r['spike_rate'])})"
    )


def _sim(r: dict) -> str:
    c = r["cycles_per_inference"]
    text = (
        f"**{r['mismatches']} mismatches** on {r['beats']:,} beats + {r['random_vectors']:,} "
        f"random/corner vectors; cycles per inference mean {c['mean']:.0f}, max {c['max']:.0f}"
    )
    bins = r.get("coverage", {}).get("bins")
    if bins:  # the directed limit cases and the coverage bins (docs/verification.md)
        bad = sum(x["mismatches"] for x in r.get("limits", []))
        hit = sum(1 for v in bins.values() if v)
        text += f"; limit cases {bad} mismatches, coverage {hit} of {len(bins)} bins hit"
    return text


def _mutate(r: dict) -> str:
    return f"**{r['killed']} of {r['mutants']} mutants killed**" + (
        f"; survived: {', '.join(r['survived'])}" if r["survived"] else ""
    )


def _verilog(r: dict) -> str:
    lint = r.get("lint", {})
    warnings = len(lint.get("warnings", [])) if isinstance(lint, dict) else lint
    return (
        f"{r['cells']:,} cells, {r['flip_flops']:,} flip-flops, {r['memory_bits']:,} memory "
        f"bits, {warnings} lint warnings ({r['hardware']['lanes']} lanes)"
    )


def _firmware(r: dict) -> str:
    b = r["bytes"]["total"] if "total" in r["bytes"] else r["bytes"]
    return (
        f"{b['code']:,} B code, {b['const']:,} B const, {b['ram']:,} B RAM; "
        f"{r['time_per_beat_us']} µs per beat on the host"
    )


def _power(r: dict) -> str:
    n = r["nj_per_inference"]
    out = (
        f"{n['mean']:.2f} nJ (p50 {n['p50']:.2f}, max {n['max']:.2f}; {r['beats']} beats, "
        f"{r['rtl_golden_mismatches']} mismatches); same basis: SNN "
        f"{r['snn_vs_dense_qnn']['snn_same_basis_nj']:.2f}, dense QNN "
        f"{r['dense_qnn_estimate_nj']:.2f}"
    )
    if "zero_skip_qnn" in r:
        out += f", zero-skipping QNN {r['zero_skip_qnn']['total_nj']:.2f} nJ"
    return out


def _gate(r: dict) -> str:
    g, t = r["gate_level"], r["timing"]
    out = (
        f"{g['cells']:,} cells, {g['flip_flops']:,} flip-flops, {g['area_um2'] / 1e6:.2f} mm2; "
        f"critical path {t['critical_path_ns']:.1f} ns (fmax {t['fmax_mhz']:.1f} MHz)"
    )
    if g.get("nj_per_inference"):
        out += f"; {g['nj_per_inference']['mean']:.1f} nJ per inference at 180 nm"
    return out


# (what, report, formatter, command)
ROWS: tuple[tuple[str, str, Callable[[dict], str], str], ...] = (
    ("dataset: 48 MIT-BIH records", "data", _data, "make data"),
    ("inter-patient DS2, bit-exact integer SNN", "train_inter", train_row("inter"), "make train"),
    (
        "intra-patient test split, bit-exact integer SNN",
        "train_intra",
        train_row("intra"),
        "make train SPLIT=intra",
    ),
    ("activity per inference, inter model (DS2)", "train_inter", _spikes, "make train"),
    ("RTL vs golden model (Verilator)", "sim", _sim, "make sim"),
    ("one-line bugs planted in hw/ caught by the tests", "mutate", _mutate, "make mutate"),
    ("area (Yosys, generic cells)", "verilog", _verilog, "make verilog"),
    ("C reference and driver", "firmware", _firmware, "make firmware"),
    ("energy per inference, 22 nm, RTL toggle model", "power", _power, "make power"),
    ("gate level, osu018 180 nm (OpenSTA)", "power", _gate, "make power GATE=1"),
)


def results_table(reports: Reports) -> str:
    lines = ["| what | figure | command |", "|---|---|---|"]
    for what, name, fmt, command in ROWS:
        if name in reports:
            try:
                figure = fmt(reports[name])
            except (KeyError, TypeError) as e:  # a report of another format: say which
                figure = f"report `{name}` lacks {e}; re-run `{command}`"
        else:
            figure = "not measured in this snapshot"
        lines.append(f"| {what} | {figure} | `{command}` |")
    return "\n".join(lines)
