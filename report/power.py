"""The figures section of docs/power.md, rendered from a `make power` report by `make report`
(`report/tables.py`), so that the document quotes only measured figures."""

from __future__ import annotations

from pathlib import Path

from ecg_snn.power.report import SPARROW_NJ


def _f(x: float, nd: int = 2) -> str:
    return f"{x:,.{nd}f}"


def _heartbeat_rows(h25: dict, h37: dict) -> list[str]:
    """The energy-per-heartbeat table (nJ) at 25 C and over the 37 C leakage range."""
    return [
        "",
        "| | no power gating | power gating between beats |",
        "|---|---|---|",
        f"| 25 C | {h25['no_power_gating_uj'] * 1e3:.2f} nJ | "
        f"{h25['power_gating_uj'] * 1e3:.2f} nJ |",
        f"| 37 C (x1.5 to x2.3 leakage) | {h37['low']['no_power_gating_uj'] * 1e3:.2f} to "
        f"{h37['high']['no_power_gating_uj'] * 1e3:.2f} nJ | "
        f"{h37['low']['power_gating_uj'] * 1e3:.2f} to "
        f"{h37['high']['power_gating_uj'] * 1e3:.2f} nJ |",
    ]


def markdown(r: dict) -> str:
    n = r["nj_per_inference"]
    lines = [
        f"Model `{Path(r['model']).name}`, {r['beats']} DS2 beats (class-stratified, weighted back "
        f"to DS2 prevalence), RTL = golden on all of them ({r['rtl_golden_mismatches']} "
        f"mismatches), {r['seconds']:.0f} s.",
        "",
        "| nJ per inference (22 nm unless stated) | figure |",
        "|---|---|",
        f"| RTL toggle model, uncalibrated (`tech/22nm.toml`) | {_f(n['mean'])} "
        f"(p50 {_f(n['p50'])}, max {_f(n['max'])}) |",
    ]
    k = r.get("calibrated_22nm")
    if k:
        lines += [
            f"| **RTL model calibrated to the gate level** | **{_f(k['nj_per_inference'])}** "
            f"(band {_f(k['band_nj'][0])} to {_f(k['band_nj'][1])}) |",
            f"| of which leakage (calibrated cell mix) | {_f(k['leakage_nj'], 4)} |",
        ]
    lines += [
        f"| op count: {r['op_count']['synops']:,.0f} synops x E_acc + "
        f"{r['op_count']['input_layer_macs']:,.0f} input-layer MACs | "
        f"{_f(r['op_count_estimate_nj'], 3)} |",
        f"| SNN on the QNN basis (synops x E_acc + useful memory accesses) | "
        f"{_f(r['snn_vs_dense_qnn']['snn_same_basis_nj'])} |",
        f"| dense QNN ({r['dense_qnn']['activation_bits']}-bit activations, perfect weight "
        f"reuse) | {_f(r['dense_qnn_estimate_nj'])} |",
    ]
    if "zero_skip_qnn" in r:
        lines.append(f"| zero-skipping QNN (same beats) | {_f(r['zero_skip_qnn']['total_nj'])} |")
    lines += [
        "",
        "Breakdown of the uncalibrated RTL model (nJ): "
        + ", ".join(f"{b} {_f(v)}" for b, v in r["breakdown_nj"].items())
        + f", leakage {_f(r['leakage_nj'], 3)}.",
        f"Cycles per inference: mean {r['cycles_per_inference']['mean']:,.0f}, max "
        f"{r['cycles_per_inference']['max']:,}; {r['flip_flops']} RTL flip-flop bits, "
        f"{r['memory_bits']:,} memory bits.",
    ]
    g = r.get("gate_level")
    t = r.get("timing")
    if g and g.get("simulated") is False:
        leak = g["leakage"]
        lines += [
            "",
            f"**Gate level, netlist only** ({g['library']}, {g['node_nm']:g} nm, "
            f"{g['voltage_v']:g} V, {g['corner']}): {g['cells']:,} cells of which "
            f"{g['flip_flops']:,} flip-flops, {g['area_um2'] / 1e6:.2f} mm2 of cells; "
            f"memory plan: "
            + ", ".join(
                f"{k.split('/')[-1].split('$')[0]} ({k.split('/')[0].split('.')[-1]}) "
                f"{v['depth']}x{v['width']} {v['kind'].replace('_', ' ')}"
                for k, v in g["memory_plan"].items()
            )
            + f". Leakage from the library: {leak['nw_cells']:,.0f} nW in cells "
            f"({leak['flip_flop_equivalents']:,.0f} flip-flop equivalents) + "
            f"{leak['nw_sram']:,.0f} nW SRAM (model), i.e. {leak['nj_per_inference']:.4f} nJ per "
            f"inference at the mean inference time. Per block (nW): "
            + ", ".join(f"{b} {v:,.0f}" for b, v in sorted(leak["nw_per_block"].items()))
            + ". No dynamic energy: the gate-level simulation was not run (`GATE_SIM=0`).",
        ]
        g = None
    if g:
        lines += [
            "",
            f"**Gate level** ({g['library']}, {g['node_nm']:g} nm, {g['voltage_v']:g} V, "
            f"{g['corner']}; {g['beats']} class-balanced DS2 beats, unweighted mean, "
            f"{g['mismatches']} mismatches with the golden "
            f"model; {g['cells']:,} cells of which {g['flip_flops']:,} flip-flops, "
            f"{g['area_um2'] / 1e6:.2f} mm2 of cells; {g['seconds']:.0f} s):",
            "",
            "| block | gate level, nJ (180 nm) | calibration factor k | held-out error |",
            "|---|---|---|---|",
        ]
        c = r["calibration"]
        for b, v in g["per_block_nj"].items():
            err = c["held_out"]["per_block"].get(b, {}).get("error")
            e = f"{err:+.1%}" if err is not None else "n/a"
            lines.append(f"| {b} | {_f(v)} | {c['factors'][b]:.3f} | {e} |")
        lines += [
            f"| leakage | {_f(g['leakage']['nj_per_inference'], 4)} | | |",
            f"| **total** | **{_f(g['nj_per_inference']['mean'])}** | | "
            f"{c['held_out']['total_error']:+.1%} |",
            "",
            f"SRAM macros (model, `power/sram.py`): {_f(g['sram_nj'])} nJ of the total. "
            f"Held-out: {c['held_out']['beats']} beats, total within 15 %: "
            f"{c['held_out']['within_15_percent']}, worst beat "
            f"{c['held_out']['per_beat_error_max_abs']:.1%}.",
        ]
    if t:
        lines += [
            "",
            f"**Timing** (OpenSTA, {t['scope']}): critical path {t['critical_path_ns']:.2f} ns "
            f"({t['startpoint']} -> {t['endpoint']}), fmax {t['fmax_mhz']:.1f} MHz at 180 nm; "
            f"the slowest beat ({t['cycles_per_inference_max']:,} cycles) needs "
            f"{t['clock_needed_at_200_bpm_hz'] / 1e3:.1f} kHz at 200 bpm: margin "
            f"x{t['real_time_margin_at_200_bpm']:,.0f}.",
        ]
    hb = r.get("heartbeat_22nm")
    if hb:
        h25, h37 = hb["at_25c"], hb["at_37c"]
        lines += [
            "",
            f"**Energy per heartbeat at 75 bpm** (22 nm; dynamic {_f(hb['dynamic_nj'])} nJ from "
            f"the uncalibrated RTL model; leakage {_f(hb['leakage_nw'], 1)} nW from the "
            f"gate-level cell mix, {_f(hb['retained_between_beats_nw'], 1)} nW kept for the "
            f"weights when power-gated):",
            *_heartbeat_rows(h25, h37),
        ]
    if k:
        h25, h37 = k["heartbeat_75_bpm_25c"], k["heartbeat_75_bpm_37c"]
        lines += [
            "",
            f"**Energy per heartbeat at 75 bpm** (22 nm calibrated; leakage "
            f"{_f(k['leakage_nw'], 1)} nW, {_f(k['retained_between_beats_nw'], 1)} nW kept "
            f"for the weights when power-gated):",
            *_heartbeat_rows(h25, h37),
        ]
    return "\n".join(lines) + "\n"


def intra(r: dict) -> str:
    """One line for the intra-patient artifact's energy on the same beats."""
    n = r["nj_per_inference"]
    return (
        f"**{_f(n['mean'])} nJ** per inference (p50 {_f(n['p50'])}, max {_f(n['max'])}; "
        f"{r['beats']} beats, {r['rtl_golden_mismatches']} mismatches), dense QNN "
        f"{_f(r['dense_qnn_estimate_nj'])} nJ, op count {_f(r['op_count_estimate_nj'], 3)} nJ."
    )


def against_band(band: list[float] | tuple[float, float], other: float) -> str:
    """Where SparrowSNN's figure `other` falls against our band (low, high), in one sentence."""
    lo, hi = band
    if hi < other:
        return "SparrowSNN's figure is above our whole band."
    if lo > other:
        return "SparrowSNN's figure is below our whole band."
    return "SparrowSNN's figure lies inside our band: we are below it only if C scales with L."


def findings(r: dict) -> str:
    """What the figures say, with every number taken from the report (calibrated when the
    gate-level simulation ran, else the netlist-only heartbeat)."""
    n, same = r["nj_per_inference"]["mean"], r["snn_vs_dense_qnn"]["snn_same_basis_nj"]
    dense, zs, ops = r["dense_qnn_estimate_nj"], r["zero_skip_qnn"]["total_nj"], r["op_count"]
    g, k = r["gate_level"], r.get("calibrated_22nm")
    if k:
        leak_nw, dyn = k["leakage_nw"], k["dynamic_nj"]
        h25 = k["heartbeat_75_bpm_25c"]
        shares = {b: v / g["nj_per_inference"]["mean"] for b, v in g["per_block_nj"].items()}
        top2 = sorted(shares, key=shares.get, reverse=True)[:2]
        sparrow = (
            f"our **{_f(k['nj_per_inference'])} nJ** (inter; band {_f(k['band_nj'][0])} to "
            f"{_f(k['band_nj'][1])}) is the gate-level run on the characterised 180 nm library "
            f"({_f(g['nj_per_inference']['mean'])} nJ, {g['beats']} beats, bit-exact), carried "
            "to 22 nm by C V^2 with C ~ L (the band's high end: C ~ L^0.5); the uncalibrated RTL "
            f"model said {_f(n)} nJ, x{k['nj_per_inference'] / n:.1f} too low. Ours, "
            "calibrated or not, are pre-silicon figures for computing one beat (memories, "
            "logic, clock, leakage while computing); SparrowSNN's is measured silicon. Energy "
            f"between beats is in neither. {against_band(k['band_nj'], SPARROW_NJ)}"
        )
        clock = (
            f"- **Where the gate-level energy goes**: {top2[0]} {shares[top2[0]]:.0%} and "
            f"{top2[1]} {shares[top2[1]]:.0%} of the 180 nm total"
            + (
                f". The clock is the clock tree, the {g['flip_flops']:,} flip-flops' CLK pins "
                "and the clock gates; it leads, so the energy lever is clocking (coarser clock "
                "gates, fewer flip-flops: the memory-plan table above), not the arithmetic."
                if top2[0] == "clock"
                else "."
            )
        )
        o = g.get("opensta_power")
        if o:
            clock += (
                f" OpenSTA's report_power on the same activity (cells only) gives "
                f"{_f(o['nj_per_inference'])} nJ against our {_f(o['python_cells']['total_nj'])} "
                f"nJ ({o['relative_difference']:+.0%}). OpenSTA clocks every clock-network pin "
                "every period, gated or not; with the clock network free running in ours too, "
                f"ours is {_f(o['python_cells_clock_free_running']['total_nj'])} nJ "
                f"({o['relative_difference_clock_free_running']:+.0%}): switching agrees (ratio "
                f"{o['switching_ratio_clock_free_running']:.3f}), internal energy is "
                f"x{o['internal_ratio_clock_free_running']:.2f}, as this OpenSTA (2.0.17) "
                "charges rise plus fall table energy per transition (`power/sta_power.py`)."
            )
    else:
        hb = r["heartbeat_22nm"]
        leak_nw, dyn, h25 = hb["leakage_nw"], hb["dynamic_nj"], hb["at_25c"]
        sparrow = (
            f"our {_f(n)} nJ (inter) is a pre-silicon estimate from RTL toggles with constants "
            "scaled to an assumed 22 nm point at 4 MHz (section 2); the calibration to the "
            "characterised library (section 4) has not run on this report (`GATE_SIM=0`): read "
            "the figure as uncertain by about x0.5 to x2."
        )
        clock = (
            f"- **Register files and flip-flops**: with the memory plan "
            f'"{g["memory_plan_rule"]}" the netlist has {g["flip_flops"]:,} flip-flops; clock '
            "gating keeps an unwritten word's flip-flops from toggling, but their leakage is "
            "there all the time."
        )
    order = "below" if same < dense else "above"
    zs_order = "below" if same < zs else "above"
    # The heartbeat at 75 bpm is 0.8 s; at the leakage file's low end (x0.1) does leakage
    # still exceed the computation?
    leak_low_nj = leak_nw / 10 * 0.8
    leak_title = "Leakage dominates the heartbeat" if leak_nw * 0.8 > dyn else "The heartbeat"
    span = (
        "that power gating matters more than any per-inference saving holds across that span"
        if leak_low_nj > dyn
        else "at the span's low end the computation is the larger part"
    )
    return "\n".join(
        [
            f"- **Against SparrowSNN** ({SPARROW_NJ:g} nJ per inference, 22 nm silicon): {sparrow}",
            f"- **Against the QNN baselines, on the same basis** (MACs and memory accesses only, "
            f"RTL model): the SNN's {_f(same)} nJ is {order} the dense QNN ({_f(dense)} nJ, every "
            f"weight read once, no zero skipped) and {zs_order} the zero-skipping QNN "
            f"({_f(zs)} nJ, which reads the fan-out weights of each non-zero activation once). "
            "Sum-then-fire is itself a zero-skipping small-activation network; what it still "
            "pays for is the membrane scans. The arithmetic is small: op count "
            f"{_f(r['op_count_estimate_nj'], 3)} nJ, of which {_f(ops['input_layer_nj'], 3)} nJ "
            "are the first layer's MACs.",
            clock,
            f"- **{leak_title}**: {g['leakage']['flip_flop_equivalents']:,.0f} "
            f"flip-flop equivalents at the 22 nm file's assumed leakage give "
            f"{leak_nw / 1000:.1f} uW: {h25['no_power_gating_uj']:.2f} uJ per heartbeat at 75 bpm "
            f"without power gating against {_f(dyn)} nJ of computation, "
            f"{h25['power_gating_uj']:.2f} uJ with logic and membranes switched off between beats "
            "(weights kept). The leakage constant is an assumption (0.01-1 nW per flip-flop for "
            f"low-leakage 22 nm libraries); {span}.",
        ]
    )


def memory_plans(reports: dict, earlier: tuple[str, ...] = ()) -> str:
    """The gate-level run under each memory plan and weight storage measured (`power`: the
    default build; `power_sram<N>...`: `make power GATE=1 SRAM_MIN_DEPTH=N [ROM=0]`), side by
    side; the runs named in `earlier` are marked as runs of the earlier model v2."""
    runs = {
        name: r
        for name, r in sorted(reports.items())
        if name == "power" or name.startswith("power_sram")
        if r.get("gate_level", {}).get("simulated", True) and "calibrated_22nm" in r
    }
    if not runs:
        return "Not measured yet: run `make power GATE=1`, then `make report TAKE=power`."
    lines = [
        "| weights | memory plan | cells | flip-flops | area, mm2 | SRAM macros | 180 nm total, nJ "
        "| of which clock | of which SRAM (model) | calibrated 22 nm, nJ | beats, mismatches |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        g, k = r["gate_level"], r["calibrated_22nm"]
        srams = [v for v in g["memory_plan"].values() if v["kind"] == "sram"]
        total = g["nj_per_inference"]["mean"]
        weights = "ROM (logic)" if r.get("hardware", {}).get("rom") else "loadable"
        if name in earlier:
            weights += " (model v2 run)"
        lines.append(
            f"| {weights} | {g['memory_plan_rule'].split(' (')[0]} | {g['cells']:,} | "
            f"{g['flip_flops']:,} | {g['area_um2'] / 1e6:.2f} | {len(srams)} | {_f(total)} | "
            f"{_f(g['per_block_nj']['clock'])} | {_f(g['sram_nj'])} "
            f"| {_f(k['nj_per_inference'])} | {g['beats']}, {g['mismatches']} |"
        )
    return "\n".join(lines) + "\n"


_STANDBY = {
    "clock_running": "clock running, powered",
    "clock_stopped": "clock stopped, powered (leakage)",
    "power_gated": "power-gated (nothing retained with ROM weights)",
}


_DESIGNS = {
    "free_running": "core clocked on every cycle",
    "work_clock": "core clocked only while it has work (`work_clock`)",
}


def heartbeats(reports: dict) -> str:
    """The heartbeat section: the work-clocked chip measured at gate level (`heartbeat_work`)
    against the chip whose core is clocked on every cycle (`heartbeat`); before the work-clocked
    run exists, the free-running chip with the RTL estimate of what work-driven clocking would
    save (`heartbeat_rtl_work`), or lower bounds from the parts measured so far."""
    if "heartbeat" not in reports:
        need = ("heartbeat_static", "heartbeat_rtl_work", "power")
        if all(k in reports for k in need):
            return bounds_section(*(reports[k] for k in need))
        return (
            "Not measured yet: run `python -m ecg_snn.power.heartbeat`, then "
            "`make report TAKE=heartbeat`."
        )
    r = reports["heartbeat"]
    if "heartbeat_work" in reports:
        return _free_and_work(r, reports["heartbeat_work"])
    text = heartbeat(r)
    if "heartbeat_rtl_work" in reports:
        static = reports.get("heartbeat_static")
        text += "\n\n" + work_clock_section(r, reports["heartbeat_rtl_work"], static)
    return text


def fused_heartbeat(reports: dict) -> str:
    """The fused engine's chip: work-clocked (`heartbeat_work_fused`) against its core clocked
    on every cycle (`heartbeat_fused`), whichever are measured."""
    free, work = reports.get("heartbeat_fused"), reports.get("heartbeat_work_fused")
    if free is None and work is None:
        return (
            "Not measured yet: run `python -m ecg_snn.power.heartbeat --engine fused "
            "--work-clock`, then `make report TAKE=heartbeat_work_fused`."
        )
    return _free_and_work(free, work)


def _free_and_work(free: dict | None, work: dict | None) -> str:
    """The work-clocked chip's section when it is measured (else the free-running one's), and
    the two side by side when both are."""
    text = heartbeat(work or free)
    return text + ("\n\n" + compare_heartbeats(free, work) if free and work else "")


_BOUND_DESIGNS = {
    "clock_enables": "core clock enables only (no clock gate at the root of the core's tree)",
    "root_gate": "`work_clock` driving a clock gate at the root of the core's tree",
}


def bounds_section(static: dict, rtl: dict, power: dict) -> str:
    """The heartbeat from the parts measured so far (`power.heartbeat.bounds`): lower bounds,
    and only the conclusions they support."""
    from ecg_snn.power.heartbeat import bounds

    g = power["gate_level"]
    inference = {"nj": g["nj_per_inference"]["mean"], "cycles": g["cycles_mean"]}
    b = bounds(static, rtl, inference, g["clock_hz"])
    w, e = rtl["windows"], b["idle_nj_per_cycle"]
    leak = sum(static["leakage_nw"].values())
    lines = [
        "The full gate-level run of the SPI chip (`python -m ecg_snn.power.heartbeat`) has not "
        "been taken yet. From the parts measured so far: the inference at gate level "
        f"({_f(inference['nj'])} nJ over {inference['cycles']:,.0f} cycles, the accelerator "
        "alone, section 6); the SPI chip's mapped netlist "
        f"({static['cells']:,} cells, {static['flip_flops']['core']:,} + "
        f"{static['flip_flops']['shell']:,} flip-flops in core + shell, "
        f"{static['clock_gates']:,} clock gates; `{static['command']}`): an idle cycle (only "
        "the clock toggles, every clock gate closed; Liberty energies) costs "
        f"{_f(sum(e.values()), 4)} nJ, of which {_f(e['core'], 4)} in the core's own clock "
        f"tree, {_f(e['shell'], 4)} in the shell's and {_f(e['shared'], 4)} in the shared "
        f"trunk; leakage {_f(leak / 1e3)} uW (library, 25 C). Cycles per beat at RTL "
        f"(`{rtl['command']}`, {rtl['mismatches']} mismatches): "
        + ", ".join(f"{k} {v['cycles']:,.0f}" for k, v in w.items())
        + f" ({b['active_cycles']:,.0f} active cycles with the 2-cycle wake).",
        "",
        "| uJ per heartbeat at 75 bpm, at least | clock running | clock stopped | power-gated |",
        "|---|---:|---:|---:|",
    ]
    for d, label in _BOUND_DESIGNS.items():
        u = b["uj_per_heartbeat_at_least"][d]
        lines.append(
            f"| {label} | {u['clock_running']:,.3f} | {u['clock_stopped']:,.3f} | "
            f"{u['power_gated']:,.3f} |"
        )
    best = min(min(u.values()) for u in b["uj_per_heartbeat_at_least"].values())
    inf_uj = inference["nj"] / 1000
    lines += [
        "",
        "Lower bounds: the shell's data toggles while it shifts the words in, and its clocking "
        "during the inference's own cycles, are not counted.",
    ]
    if best > b["target_uj"]:
        lines.append(
            f"- No design and standby choice meets the {b['target_uj']} uJ target: the best "
            f"bound is {best:.3f} uJ"
            + (f"; the inference alone is {inf_uj:.3f} uJ." if inf_uj > b["target_uj"] else ".")
        )
    u = b["uj_per_heartbeat_at_least"]["clock_enables"]
    lines.append(
        f"- Between beats, a running clock costs at least {u['clock_running']:,.1f} uJ per "
        f"heartbeat, a stopped one {u['clock_stopped']:,.2f} uJ (leakage): the clock must stop "
        "between beats, and only power gating removes the leakage."
    )
    saved = b["active_nj_at_least"]["clock_enables"] - b["active_nj_at_least"]["root_gate"]
    lines.append(
        f"- While a beat arrives the core idles for {b['active_cycles'] - inference['cycles']:,.0f}"
        f" cycles; a clock gate at the root of its tree, opened by `work_clock`'s enable, would "
        f"save {_f(saved)} nJ per beat ({_f(e['core'], 4)} nJ per idle cycle). The enable alone "
        "stops the core's banks, not its clock tree."
    )
    return "\n".join(lines)


def work_clock_section(r: dict, rtl: dict, static: dict | None = None) -> str:
    """The work-clocked shell's core-clock cycles (RTL, exact) against the free-running
    chip's measured idle cycle: the saving per beat, an estimate, and the heartbeat it gives.
    The core's idle cycle is its clock tree's (`static`, split by the clock pins each net
    reaches) when given, else the idle window's cells under `accel/`."""
    from ecg_snn.power.heartbeat import work_clock_estimate

    if static is not None:
        core_idle = static["core"]["idle_nj_per_cycle"]
        basis = "its clock tree up to the closed clock gates, from the netlist"
    else:
        core_idle = r["idle"]["core"]["dynamic_nj"] / r["idle"]["cycles"]
        basis = "the idle window's cells under `accel/`"
    e = work_clock_estimate(core_idle, rtl)
    b = r["budget_75_bpm"]
    w = rtl["windows"]
    lines = [
        f"**Work-driven clocking** (`hw/spi.py`, `work_clock`; `{rtl['command']}`: the "
        f"work-clocked shell at RTL on the same beats, {rtl['mismatches']} mismatches): cycles "
        "per beat with the core's clock enable high:",
        "",
        "| window | cycles | core clocked | core clock off |",
        "|---|---:|---:|---:|",
    ]
    for name, x in w.items():
        lines.append(
            f"| {name} | {x['cycles']:,.0f} | {x['core_enabled']:,.0f} | "
            f"{e['core_clock_off_cycles'][name]:,.0f} |"
        )
    idle = rtl["idle"]
    after = b["active_nj"] - e["saved_active_nj_at_most"]
    lines += [
        f"| idle ({idle['cycles']:,} cycles) | {idle['cycles']:,} | {idle['core_enabled']:,.0f} "
        f"| {idle['cycles'] - idle['core_enabled']:,.0f} |",
        "",
        f"At {_f(e['core_idle_nj_per_cycle'], 4)} nJ per idle core cycle (gate level: {basis}), "
        "stopping the core's clock in those cycles saves at most "
        f"{_f(e['saved_active_nj_at_most'])} nJ of the {_f(b['active_nj'])} nJ active energy "
        f"per beat ({e['saved_active_nj_at_most'] / b['active_nj']:.0%}), leaving "
        f"{_f(after)} nJ: with power gating between beats "
        f"{after / 1000:.3f} uJ per heartbeat"
        + (
            f", within the {b['target_uj']} uJ target."
            if after / 1000 <= b["target_uj"]
            else f", still above the {b['target_uj']} uJ target."
        )
        + " An estimate, not a gate-level measurement of the work-clocked chip (`--work-clock` "
        "measures it: the enable and a clock gate at the root of the core's tree).",
    ]
    if static is not None:
        total = sum(static[p]["idle_nj_per_cycle"] for p in ("core", "shell", "shared"))
        sim = b["idle_nj_per_cycle"]
        lines.append(
            f"Check: the idle cycle from the netlist alone is {_f(total, 4)} nJ, the simulated "
            f"idle window {_f(sim, 4)} nJ ({total / sim - 1:+.1%})."
        )
    return "\n".join(lines)


def compare_heartbeats(before: dict, after: dict) -> str:
    """Before / after table of two heartbeat reports (each with its command)."""
    rows = [
        ("clock gates (latch + AND)", lambda r: f"{r.get('clock_gates', 0):,}"),
        ("cells", lambda r: f"{r['cells']:,}"),
        ("active energy per beat, nJ", lambda r: _f(r["budget_75_bpm"]["active_nj"])),
        (
            "transfer window, core, nJ",
            lambda r: _f(
                r["windows"]["transfer"]["core"]["dynamic_nj"]
                + r["windows"]["transfer"]["core"]["leakage_nj"]
            ),
        ),
        ("compute window, nJ", lambda r: _f(r["windows"]["compute"]["total_nj"])),
        ("idle cycle, nJ", lambda r: _f(r["budget_75_bpm"]["idle_nj_per_cycle"], 4)),
        ("leakage, uW", lambda r: _f(r["budget_75_bpm"]["leakage_nw"] / 1e3)),
    ]
    rows += [
        (
            f"uJ per heartbeat, {_STANDBY[k]}",
            lambda r, k=k: f"{r['budget_75_bpm']['uj_per_heartbeat'][k]:,.3f}",
        )
        for k in _STANDBY
    ]
    lines = [
        "| 180 nm, per beat at 75 bpm | "
        + " | ".join(_DESIGNS.get(r.get("design", "free_running"), "?") for r in (before, after))
        + " |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {fn(before)} | {fn(after)} |" for name, fn in rows]
    lines += [
        "",
        f"Before: `{before['command']}`{_commit(before)}; after: `{after['command']}`"
        f"{_commit(after)}.",
    ]
    return "\n".join(lines)


def _commit(r: dict) -> str:
    return f" (commit {r['commit'][:7]})" if r.get("commit") else ""


def heartbeat(r: dict) -> str:
    """The energy-per-heartbeat section at the measured node (`power/heartbeat.py`): the
    measured windows, the budget under each standby choice, and only the conclusions these
    figures support (each claim is rendered from the numbers it states)."""
    b = r["budget_75_bpm"]
    w = r["windows"]
    rows = [("wake (power-on reset)", r["wake"])] + [
        (name, w[name]) for name in ("transfer", "compute", "read")
    ]
    lines = [
        f"Measured at gate level on {r['node']}: the SPI shell (`{r['top']}`, "
        f"{_DESIGNS.get(r.get('design', 'free_running'))}, {r['cells']:,} "
        f"cells, {r['flip_flops']:,} flip-flops) with the ROM accelerator inside, {r['beats']} DS2 "
        f"beats sent as the C driver sends them ({r['words_per_beat']} words, one "
        f"{r['bytes_per_word_transaction']}-byte WRITE each, SCK {r['sck_hz'] / 1e3:.0f} kHz at a "
        f"{r['clock_hz'] / 1e6:.0f} MHz clock), results read back over MISO: {r['mismatches']} "
        f"mismatches with the golden model. `{r['command']}`.",
        "",
        "| window (mean per beat) | cycles | core, nJ | shell, nJ | total, nJ |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, x in rows:
        core = x["core"]["dynamic_nj"] + x["core"]["leakage_nj"]
        shell = x["shell"]["dynamic_nj"] + x["shell"]["leakage_nj"]
        lines.append(
            f"| {name} | {x['cycles']:,.0f} | {_f(core)} | {_f(shell)} | {_f(x['total_nj'])} |"
        )
    idle = r["idle"]
    per = {p: idle[p]["dynamic_nj"] / idle["cycles"] for p in ("core", "shell")}
    lines += [
        f"| idle, per cycle (clock running, dynamic) | 1 | {_f(per['core'], 4)} | "
        f"{_f(per['shell'], 4)} | {_f(b['idle_nj_per_cycle'], 4)} |",
        "",
        f"Active: {b['active_cycles']:,} cycles ({b['active_s'] * 1e3:.2f} ms), "
        f"{_f(b['active_nj'])} nJ. Leakage (library figures, 25 C): "
        f"{_f(b['leakage_nw'] / 1e3)} uW. "
        f"Standby between beats: {b['standby_s']:.4f} s at 75 bpm.",
        "",
        "| between beats | standby, nJ | uJ per heartbeat | average power, uW | "
        f"<= {b['target_uj']} uJ |",
        "|---|---:|---:|---:|---|",
    ]
    for k, label in _STANDBY.items():
        lines.append(
            f"| {label} | {_f(b['standby_nj'][k])} | {b['uj_per_heartbeat'][k]:,.3f} | "
            f"{b['average_power_uw'][k]:,.3f} | {'yes' if b['meets_target'][k] else 'no'} |"
        )
    lines += ["", *_heartbeat_findings(r)]
    return "\n".join(lines)


def _heartbeat_findings(r: dict) -> list[str]:
    """Claims, each rendered from the figures it rests on."""
    b, w = r["budget_75_bpm"], r["windows"]
    meets = [k for k, ok in b["meets_target"].items() if ok]
    out = []
    if meets:
        out.append(
            f"- Meets the {b['target_uj']} uJ target: {', '.join(_STANDBY[k] for k in meets)}; "
            f"not: {', '.join(_STANDBY[k] for k in _STANDBY if k not in meets) or 'none'}."
        )
    else:
        short = min(b["uj_per_heartbeat"].values())
        out.append(
            f"- No standby choice meets the {b['target_uj']} uJ target: the best is "
            f"{short:.3f} uJ ({short / b['target_uj']:.2f} x the target)."
        )
    running, stopped = b["standby_nj"]["clock_running"], b["standby_nj"]["clock_stopped"]
    out.append(
        f"- Between beats, a running clock costs {running / max(stopped, 1e-12):,.0f} x the "
        f"leakage of a stopped one ({_f(running / 1e3)} against {_f(stopped / 1e3)} uJ per beat)."
    )
    share = w["transfer"]["total_nj"] / b["active_nj"]
    core = w["transfer"]["core"]["dynamic_nj"]
    if r.get("design") == "work_clock":
        shell = w["transfer"]["shell"]["dynamic_nj"]
        idle = r["idle"]["shell"]["dynamic_nj"] / r["idle"]["cycles"]
        idle_nj = idle * w["transfer"]["cycles"]
        out.append(
            f"- Receiving the beat is {share:.0%} of the active energy "
            f"({_f(w['transfer']['total_nj'])} nJ over {w['transfer']['cycles']:,.0f} cycles, "
            f"leakage included): dynamic, the core, clocked only for the words it takes, "
            f"{_f(core)} nJ; the shell {_f(shell)} nJ, of which at most {_f(idle_nj)} nJ "
            f"({idle_nj / shell:.0%}) is what it costs with nothing to do ({_f(idle, 4)} nJ per "
            "cycle): it oversamples SCK at f_clk, so its synchronisers and edge detectors are "
            "clocked on every cycle, its protocol registers only on an edge or a word taken."
        )
        return out
    out.append(
        f"- Receiving the beat is {share:.0%} of the active energy "
        f"({_f(w['transfer']['total_nj'])} nJ over {w['transfer']['cycles']:,.0f} cycles), of "
        f"which the core's clocking and input integration is {_f(core)} nJ; the core's measured "
        f"idle clocking over those cycles is {_f(b['core_idle_during_transfer_nj'])} nJ, the "
        "most that stopping its clock while the words arrive can save (an estimate from the "
        "idle window, not a measured gated design)."
    )
    return out
