"""The README's table of measured results, rendered from the report snapshots.

One row per figure; each names the report it comes from and the command that makes it. A row
whose report is not in the snapshot says so instead of quoting an older number.
"""

from __future__ import annotations

from collections.abc import Callable

from ecg_snn.explore import confirm as explore_confirm
from ecg_snn.explore import report as explore_report
from ecg_snn.power.calibrate import band_nj, calibrated_nj
from ecg_snn.power.report import SPARROW_NJ
from ecg_snn.power.report import weighting as gate_weighting
from ecg_snn.report.model import SHIPPED_CV, cv_runs, shipped_view
from ecg_snn.report.power import against_band

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
    if n < 2:
        return ""
    return f"{scale * seeds['mean'][key]:.1f} ± {scale * seeds['sd'][key]:.1f} % over {n} seeds"


def train_row() -> Callable[[dict], str]:
    def fmt(r: dict) -> str:
        m = r["snn_int"]
        text = f"**{pct(m['accuracy'])}** ({_se_ppv(m, 'S')}; {_se_ppv(m, 'V')})"
        if "j_kappa" in r:
            text += f", jκ {r['j_kappa']:.3f}"
        band = _seed_band(r, "accuracy")
        if band:
            text += f"; accuracy {band}"
        text += f"; {r.get('neuron', 'if')} T = {r['T']}; conversion loss "
        return text + f"{r['conversion_loss_pp']:+.2f} pp"

    return fmt


def _data(r: dict) -> str:
    why = ", ".join(f"{n} {k}" for k, n in r["dropped"]["by_reason"].items() if n)
    return f"{r['records']} records, {r['beats']:,} beats; {r['dropped']['total']} dropped ({why})"


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
    if "wall_seconds" in r:
        text += f"; {r['wall_seconds'] / 60:.1f} min wall, {r.get('jobs', 2)} simulator processes"
    if "hardware" in r:
        text += f"; {hardware(r)}"
    return text


def _mutate(r: dict) -> str:
    return f"**{r['killed']} of {r['mutants']} mutants killed**" + (
        f"; survived: {', '.join(r['survived'])}" if r["survived"] else ""
    )


def hardware(r: dict, engine: bool = True) -> str:
    """The accelerator a report ran: its engine (unless `engine` is False), lanes, weights,
    and "block RAM" for the fused engine's FPGA build (`HwConfig.block_ram`)."""
    h = r["hardware"]
    lanes = f"{h['lanes']} lane" + ("s" if h["lanes"] != 1 else "")
    kind = f"{h.get('engine', 'event')} engine, " if engine else ""
    memories = ", block RAM" if h.get("block_ram") else ""
    return f"{kind}{lanes}, {'ROM' if h['rom'] else 'load port'}{memories}"


def _verilog(r: dict) -> str:
    return (
        f"{r['cells']:,} cells, {r['flip_flops']:,} flip-flops, {r['memory_bits']:,} memory "
        f"bits ({r['weight_memory_bytes']:,} B of weights), {r['lint_warnings']} Verilator "
        f"-Wall warnings ({hardware(r)})"
    )


def _firmware(r: dict) -> str:
    parts = r["bytes"]
    total = {k: sum(p[k] for p in parts.values()) for k in ("code", "const", "ram")}
    each = ", ".join(f"{name} {p['code']:,}" for name, p in parts.items())
    return (
        f"{total['code']:,} B code ({each}), {total['const']:,} B const (weights), "
        f"{total['ram']:,} B static RAM; {r['time_per_beat_us']} µs per beat on the host"
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


def weighting(g: dict) -> str:
    """How a gate-level mean was taken (`power.report.weighting`), for DS2's beats."""
    return gate_weighting(g, "DS2's") or "unweighted mean of a class-stratified sample"


def _power_rtl(r: dict) -> str:
    return f"{_power(r)}; {hardware(r)}"


def _gate(r: dict) -> str:
    g, t = r["gate_level"], r["timing"]
    out = (
        f"{g['cells']:,} cells, {g['flip_flops']:,} flip-flops, {g['area_um2'] / 1e6:.2f} mm2; "
        f"critical path {t['critical_path_ns']:.1f} ns (fmax {t['fmax_mhz']:.1f} MHz)"
    )
    if g.get("nj_per_inference"):
        out += (
            f"; **{g['nj_per_inference']['mean']:.1f} nJ per inference at 180 nm** "
            f"({g['beats']} DS2 beats, {weighting(g)}, {g['mismatches']} mismatches with golden)"
        )
    return f"{out}; {hardware(r)}"


def _calibrated(r: dict) -> str:
    k, c = r["calibrated_22nm"], r["calibration"]["held_out"]
    return (
        f"**{k['nj_per_inference']:.2f} nJ** (band {k['band_nj'][0]:.2f} to "
        f"{k['band_nj'][1]:.2f}; RTL model x its per-block gate-level factors, held-out error "
        f"{c['total_error']:+.1%}); uncalibrated RTL model {k['uncalibrated_rtl_nj']:.2f} nJ; "
        f"{k['heartbeat_75_bpm_25c']['power_gating_uj'] * 1000:.2f} nJ per heartbeat at 75 bpm "
        f"with power gating between beats (the inference alone); {hardware(r)}"
    )


def _heartbeat(r: dict) -> str:
    """The headline: energy per heartbeat at 75 bpm of the SPI chip at gate level."""
    b, t = r["budget_75_bpm"], r["windows"]["transfer"]
    u, p = b["uj_per_heartbeat"], b["average_power_uw"]
    return (
        f"**{u['power_gated']:.3f} µJ per heartbeat** ({p['power_gated']:.2f} µW) power-gated "
        f"between beats; {u['clock_stopped']:.2f} µJ with the clock stopped, powered (leakage "
        f"{b['leakage_nw'] / 1e3:.2f} µW); active {b['active_nj']:,.0f} nJ per beat, of which "
        f"{t['total_nj']:,.0f} nJ while the beat arrives over SPI; {r['cells']:,} cells, "
        f"{r['beats']} DS2 beats, {r['mismatches']} mismatches; {r['engine']} "
        f"engine, {r['lanes']} lanes, ROM"
    )


def _mean_sd(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    """mean ± sample sd (ddof 1), as the CV tables of docs/model.md quote them."""
    v = [scale * x for x in values]
    mean = sum(v) / len(v)
    sd = (sum((x - mean) ** 2 for x in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else 0.0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def _cv_seeds(runs: list[dict]) -> str:
    """The shipped recipe and network over its seeds, plain argmax (the integer model of the
    fine-tuned SNN, no offsets)."""
    view = shipped_view(runs)
    ints = [run[view] for run in runs]

    def cls(c: str, key: str) -> str:
        return _mean_sd([m["per_class"][c][key] for m in ints], 100, 1)

    return (
        f"recipe `{SHIPPED_CV}` (the shipped network and recipe, SNN fine-tune included), "
        f"pooled out-of-fold over {len(runs)} seeds, "
        f"{'the nested rhythm gate' if view == 'int_gate_nested' else 'plain argmax'}: jκ "
        f"{_mean_sd([m['j_kappa'] for m in ints])}, accuracy "
        f"{_mean_sd([m['accuracy'] for m in ints], 100, 1)} % (S Se {cls('S', 'se')} / +P "
        f"{cls('S', 'ppv')}; V Se {cls('V', 'se')} / +P {cls('V', 'ppv')})"
    )


def _cv(r: dict) -> str:
    runs = [r[k] for k in sorted(r) if k.startswith(f"{SHIPPED_CV}_s") and k[-1].isdigit()]
    if runs:
        return _cv_seeds(runs)
    name = "tie_g16" if "tie_g16" in r else next(iter(r))
    m = r[name]["int_offsets_nested"]
    return (
        f"recipe `{name}`, pooled out-of-fold, nested offsets: {pct(m['accuracy'])}, jκ "
        f"{m['j_kappa']:.3f} ({_se_ppv(m, 'S')}; {_se_ppv(m, 'V')})"
    )


def _qrs(r: dict) -> str:
    o = r["qrs"]["overall"]["all"]["ec57_no_vfl"]
    ours, xqrs = o["ours"], o["xqrs"]
    return (
        f"**Se {pct(ours['se'])} / +P {pct(ours['ppv'])}** (wfdb XQRS {pct(xqrs['se'])} / "
        f"{pct(xqrs['ppv'])}; published Pan-Tompkins 99.3 / 99.5 %); EC57 from 5:00, "
        "ventricular flutter episodes excluded"
    )


def _stream(r: dict) -> str:
    e = r["end_to_end"]
    det, ann = e["detected_beats"], e["annotated_beats"]
    return (
        f"{pct(det['accuracy'])} with detected beats vs {pct(ann['accuracy'])} on annotated beats "
        f"({_se_ppv(det, 'S')}; {_se_ppv(det, 'V')}); golden stream "
        f"{e['stream_x_real_time']:,.0f}x real time"
    )


def _power_intra(r: dict) -> str:
    n = r["nj_per_inference"]
    return f"{n['mean']:.2f} nJ (p50 {n['p50']:.2f}, max {n['max']:.2f}; {r['beats']} DS2 beats)"


# (what, report, formatter, command)
def _explore(r: dict) -> str:
    by_label = {e["label"]: e for e in r["points"] if e.get("index") is not None}
    text = f"{r['distinct_points']} points, front of {len(r['front'])}"
    for role, key in (("the rule's pick", "rule_pick"), ("the search's default", "default")):
        if (e := by_label.get(r.get(key) or "")) is not None:
            text += f"; {role} {e['label']} ({explore_report.figures(e)})"
    return text


def _chip(r: dict) -> str:
    return (
        f"**{r['mismatches']} mismatches** with the golden stream on {r['records']} records whole "
        f"({r['beats']:,} beats, {r['gated']:,} changed by the rhythm gate); "
        f"{r['cycles_per_sample_mean']} cycles per sample, clock >= {r['min_clock_hz'] / 1e3:.0f} "
        f"kHz; {r['memory_bits']['total']:,} memory bits (`hw/README.md`)"
    )


def _confirm(r: dict) -> str:
    pick, default = r["pick"], r["default"]
    shipped = explore_confirm.shipped(r)  # today's chip (explore.space.DEFAULT)
    budget = f"(CV jκ, {r['seeds']} seeds, 4 folds x {r['epochs']} epochs)"
    if explore_confirm.same_point(r):  # confirmed again once shipped: one point, one figure
        return (
            f"pick {pick['jk_mean']:.3f} ± {pick['jk_sd']:.3f} {budget}; the pick is the "
            "default and the shipped chip (`docs/explore.md`)"
        )
    return (
        f"pick {pick['jk_mean']:.3f} ± {pick['jk_sd']:.3f} against the default's "
        f"{default['jk_mean']:.3f} ± {default['jk_sd']:.3f} {budget}; "
        + ("the pick is the shipped chip" if shipped else "the shipped model is still the default")
        + " (`docs/explore.md`)"
    )


ROWS: tuple[tuple[str, str, Callable[[dict], str], str], ...] = (
    ("dataset: 48 MIT-BIH records", "data", _data, "make data"),
    ("inter-patient DS2, bit-exact integer SNN", "train_inter", train_row(), "make train"),
    (
        "intra-patient test split, bit-exact integer SNN",
        "train_intra",
        train_row(),
        "make train SPLIT=intra",
    ),
    (
        "inter-patient, DS1 by-patient cross-validation (the selection set)",
        "cv",
        _cv,
        "python -m ecg_snn.model.cv",
    ),
    ("activity per inference, inter model (DS2)", "train_inter", _spikes, "make train"),
    ("RTL vs golden model (Verilator)", "sim", _sim, "make sim"),
    ("the same, the shipped chip", "sim_fused", _sim, "make sim ENGINE=fused ROM=1 LANES=4"),
    ("planted one-line bugs caught (RTL, QRS, driver, benches)", "mutate", _mutate, "make mutate"),
    ("area (Yosys, generic cells)", "verilog", _verilog, "make verilog"),
    ("C reference and driver", "firmware", _firmware, "make firmware"),
    ("energy per inference, 22 nm, RTL toggle model", "power", _power_rtl, "make power"),
    (
        "energy per inference, intra model, same beats",
        "power_intra",
        _power_intra,
        "python -m ecg_snn.power --model model/artifacts/intra.json",
    ),
    ("gate level, osu018 180 nm (OpenSTA)", "power", _gate, "make power GATE=1"),
    (
        "the same, the shipped chip (the co-design pick's hardware)",
        "power_fused",
        _gate,
        "make power GATE=1 ENGINE=fused LANES=4",
    ),
    (
        "energy per heartbeat at 75 bpm, 180 nm gate level: the SPI chip, work-clocked "
        "(inference, input transfer, leakage, standby)",
        "heartbeat_work",
        _heartbeat,
        "python -m ecg_snn.power.heartbeat --work-clock",
    ),
    (
        "the same, the shipped chip",
        "heartbeat_work_fused",
        _heartbeat,
        "python -m ecg_snn.power.heartbeat --work-clock --engine fused",
    ),
    (
        "energy per inference, 22 nm, calibrated to the gate level",
        "power",
        _calibrated,
        "make power GATE=1",
    ),
    (
        "the same, the shipped chip",
        "power_fused",
        _calibrated,
        "make power GATE=1 ENGINE=fused LANES=4",
    ),
    (
        "the same, memories of >= 16 words as SRAM macros (modelled, `docs/power.md`; a run of "
        "model v2)",
        "power_sram16",
        _calibrated,
        "make power GATE=1 SRAM_MIN_DEPTH=16",
    ),
    ("integer QRS detector, 48 MIT-BIH records", "stream", _qrs, "make stream-eval"),
    ("DS2 end to end from the raw ECG (detected beats)", "stream", _stream, "make stream-eval"),
    (
        "raw-ECG chip: QRS detector, beat front end, accelerator, rhythm gate (Verilator)",
        "chip_all",
        _chip,
        'make chip ARGS="--records all --no-synth"',
    ),
    (
        "co-design search, both engines (DS1 CV jκ over 3 seeds; µJ per heartbeat: the search's "
        "measure, the RTL model calibrated to gate level plus 0.8 s of leakage, no power gating; "
        "area on osu018)",
        "explore",
        _explore,
        "make explore",
    ),
    (
        "the search's pick at the shipped training budget",
        "explore_confirm",
        _confirm,
        "python -m ecg_snn.explore.confirm",
    ),
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
        # a report that records its own command line names the run exactly (e.g. its lanes)
        command = reports.get(name, {}).get("command", command)
        lines.append(f"| {what} | {figure} | `{command}` |")
    return "\n".join(lines)


def comparison(reports: Reports) -> str:
    """The paragraph that sets our figures against the numbers to beat (../shared/REFERENCES.md)."""
    need = ("train_inter", "train_intra", "power", "power_intra", "power_fused")
    missing = [n for n in need if n not in reports]
    if missing:
        return f"Not compared yet: reports {', '.join(missing)} are not in the snapshot."
    inter, intra = reports["train_inter"]["snn_int"], reports["train_intra"]["snn_int"]
    power, power_intra = reports["power"], reports["power_intra"]
    e_inter = power["nj_per_inference"]["mean"]
    e_intra = power_intra["nj_per_inference"]["mean"]
    basis = (
        "ours is a pre-silicon RTL-toggle estimate at an assumed 22 nm point, not calibrated to a "
        "gate-level run."
    )
    k = power.get("calibrated_22nm")
    inter_band = ""
    if k:
        # the inter model on the shipped chip (the fused engine); intra on the event engine
        kf = reports["power_fused"]["calibrated_22nm"]
        inter_band = (
            f" on the shipped chip ({hardware(reports['power_fused'])}; band "
            f"{kf['band_nj'][0]:.1f} to {kf['band_nj'][1]:.1f})"
        )
        e_inter = kf["nj_per_inference"]
        t_intra = power_intra["inference_time_us"] * 1e-6
        factors = power["calibration"]["factors"]
        dyn, e_intra = calibrated_nj(factors, power_intra["breakdown_nj"], k["leakage_nw"], t_intra)
        err = power["calibration"]["held_out"]["total_error"]
        lo, hi = band_nj(dyn, e_intra - dyn, err)
        basis = (
            f"ours (band {lo:.1f} to {hi:.1f} nJ) is pre-silicon: the RTL toggle model calibrated "
            "per block to a bit-exact gate-level run on a characterised 180 nm library, carried "
            "to 22 nm by C V^2 with C ~ L (the band's high end: C ~ L^0.5); the intra model (its "
            f"own network) on the {hardware(power)}, with the inter model's per-block factors "
            "on that engine. "
            f"{against_band((lo, hi), SPARROW_NJ)}"
        )
    s, v = inter["per_class"]["S"], inter["per_class"]["V"]
    return (
        f"Against the numbers to beat (`../shared/REFERENCES.md`). Intra-patient: "
        f"{pct(intra['accuracy'])} at {e_intra:.2f} nJ per inference, against SparrowSNN's "
        f"98.29 % at 31.39 nJ (22 nm silicon, leakage included); {basis} "
        "See `docs/power.md`. Inter-patient (DS2, never used for a choice): "
        f"{pct(inter['accuracy'])}"
        f", S Se {100 * s['se']:.1f} % at +P {100 * s['ppv']:.1f} % (published 76-91 % at "
        f"31-53 %), V Se {100 * v['se']:.1f} % at +P {100 * v['ppv']:.1f} % (published 77-94 % "
        f"at 73-93 %), at {e_inter:.2f} nJ{inter_band}. {_cv_against(reports, inter)} The "
        "targets it misses and every recipe tried are in `docs/model.md`."
    )


def _cv_against(reports: Reports, inter: dict) -> str:
    """The honest estimate of the shipped inter network (its DS1 CV at the shipped budget,
    `explore_confirm`'s pick once shipped) set against its one DS2 score, in the words the
    figures support."""
    runs = cv_runs(reports.get("cv", {}), SHIPPED_CV)
    c = reports.get("explore_confirm")
    if len(runs) >= 3:  # the shipped recipe's own CV, in the view that ships (the gate)
        jk = [r[shipped_view(runs)]["j_kappa"] for r in runs]
        m, n = sum(jk) / len(jk), len(jk)
        sd = (sum((x - m) ** 2 for x in jk) / (n - 1)) ** 0.5
    elif c is not None and explore_confirm.shipped(c):
        m, sd, n = c["pick"]["jk_mean"], c["pick"]["jk_sd"], c["seeds"]
    else:
        return "The DS1 cross-validation of the shipped network is not in the snapshot."
    ds2 = inter["j_kappa"]
    word = "below" if ds2 < m - sd else "above" if ds2 > m + sd else "within one sd of"
    return (
        f"The honest estimate, the shipped network's DS1 cross-validation ({n} seeds), "
        f"is jκ {m:.3f} ± {sd:.3f}; DS2's jκ {ds2:.3f} is {word} it."
    )


def fpga_table(r: dict) -> str:
    """The README's FPGA table, from `make fpga`'s build/reports/fpga.json."""
    u = r["utilisation"]
    lc, ram = u["ICESTORM_LC"], u["ICESTORM_RAM"]
    spram = u.get("ICESTORM_SPRAM", {"used": 0, "available": 4})
    c, lf, lc_ms = r["cycles_ds2"], r["latency_ms_at_fmax"], r["latency_ms_at_constraint"]
    m = r["realtime_margin_200bpm"]
    rows = [
        ("device, lanes", f"{r['device']}, {r['hardware']['lanes']} lane(s), load port"),
        (
            "utilisation (nextpnr)",
            f"{lc['used']:,} / {lc['available']:,} logic cells "
            f"({100 * lc['used'] / lc['available']:.0f} %), {ram['used']} / {ram['available']} "
            f"EBR, {spram['used']} / {spram['available']} SPRAM; "
            f"Yosys: {r['lut4']:,} LUT4, {r['flip_flops']:,} flip-flops",
        ),
        (
            "timing (nextpnr)",
            f"fmax **{r['fmax_mhz']:.1f} MHz** against the {r['clock_constraint_mhz']:.0f} MHz "
            f"constraint ({'met' if r['timing_met'] else 'not met'})",
        ),
        (
            f"cycles per inference, {c['beats']:,} of {c['of_ds2_beats']:,} DS2 beats",
            f"mean {c['mean']:,.0f}, p99 {c['p99']:,.0f}, max {c['max']:,}",
        ),
        (
            "latency per beat",
            f"mean **{lf['mean']:.2f} ms**, max {lf['max']:.2f} ms at fmax "
            f"({lc_ms['mean']:.2f} / {lc_ms['max']:.2f} ms at the constraint)",
        ),
        (
            "real-time margin at 200 bpm",
            f"{m['at_fmax']:.0f}x at fmax, {m['at_constraint']:.0f}x at the constraint",
        ),
        ("bitstream", f"{r['bitstream_bytes']:,} bytes"),
    ]
    table = ["| what | figure |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
    return "\n".join(table) + "\n\n" + fpga_verdict(r)


# The FPGA issue's targets: fit the UP5K, every beat under 0.5 ms, fmax >= 24 MHz.
FPGA_LATENCY_MS, FPGA_FMAX_MHZ = 0.5, 24.0


def fpga_verdict(r: dict) -> str:
    """One line against the FPGA targets, read off the report."""
    u = r["utilisation"]
    fits = all(u[k]["used"] <= u[k]["available"] for k in ("ICESTORM_LC", "ICESTORM_RAM"))
    lat, lat_c = r["latency_ms_at_fmax"]["max"], r["latency_ms_at_constraint"]["max"]

    def yes(ok: bool) -> str:
        return "met" if ok else "missed"

    return (
        f"Against the targets: fits the device, {yes(fits)}; every beat under "
        f"{FPGA_LATENCY_MS} ms at fmax, {yes(lat < FPGA_LATENCY_MS)} (max {lat:.2f} ms; at the "
        f"board's clock {lat_c:.2f} ms); fmax ≥ {FPGA_FMAX_MHZ:.0f} MHz, "
        f"{yes(r['fmax_mhz'] >= FPGA_FMAX_MHZ)} ({r['fmax_mhz']:.1f} MHz)."
    )


# `make verilog LANES=n` snapshots beside the default build's (`verilog`, the hardware default).
LANE_REPORTS = ("verilog_lanes4", "verilog", "verilog_lanes16")


def lanes_table(reports: Reports) -> str:
    """hw/README.md's lanes table: the shipped model's ROM build at each synthesised lane count."""
    rows = [
        "| lanes | cells | flip-flops | memory bits | weight bytes | cycles random mean / max "
        "| cycles real beats mean / max | clock for 200 bpm (real max) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    missing = [name for name in LANE_REPORTS if name not in reports]
    for name in LANE_REPORTS:
        if name in missing:
            continue
        r = reports[name]
        c, b = r["cycles"], r["cycles_real_beats"]
        rows.append(
            f"| {r['hardware']['lanes']} | {r['cells']:,} | {r['flip_flops']:,} "
            f"| {r['memory_bits']:,} | {r['weight_memory_bytes']:,} "
            f"| {c['mean']:,.0f} / {c['max']:,} | {b['mean']:,.0f} / {b['max']:,} "
            f"| {b['clock_hz_200bpm_max'] / 1e3:.1f} kHz |"
        )
    if missing:
        rows.append(
            f"\nNot measured yet: {', '.join(missing)} (`make verilog LANES=n`, then `make "
            "report TAKE=verilog_lanes<n>=build/reports/verilog-lanes<n>.json`)."
        )
    first = reports.get("verilog", {})
    if "cycles" in first:
        rows.append(
            f'\nCycles: "random" over {first["cycles"]["inputs"]}, "real beats" over '
            f"{first['cycles_real_beats']['inputs']}, by the cycle model (`hw/cycles.py`)."
        )
    return "\n".join(rows)
