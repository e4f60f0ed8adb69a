"""The results table of docs/verification.md, from the `make sim`, `make mutate` and
`python -m ecg_snn.sim.formal` reports (`docs/reports/{sim,mutate,formal}.json`)."""

from __future__ import annotations

from ecg_snn.report.results import Reports

HEADER = ["| Run | Vectors | Result |", "|---|---|---|"]


def _missing(command: str, name: str) -> str:
    return f"not measured yet: run `{command}`, then `make report TAKE={name}`"


def _sim_rows(s: dict) -> list[str]:
    hw = s["hardware"]
    memory = "ROM" if hw["rom"] else "load port"
    cpu = f", {s['sim_cpu_seconds']:.1f} s of CPU for it" if "sim_cpu_seconds" in s else ""
    load = f"; load average {s['load_average']:.1f}" if "load_average" in s else ""
    rows = [
        f"| `make sim` on the shipped model (`docs/reports/sim.json`; {hw['lanes']} lanes, "
        f"{memory}) | {s['beats']:,} {'+'.join(s['parts'])} beats + {s['random_vectors']:,} "
        f"random/corner | {s['mismatches']} mismatches; **{s['beats_per_second']:,.0f} vectors/s** "
        f"on {s['jobs']} jobs ({s['sim_seconds']:.1f} s simulation{cpu}; "
        f"{s['wall_seconds']:.0f} s wall including the builds and the limit cases{load}) |"
    ]
    limits = s.get("limits") or []
    if limits:
        names = ", ".join(f"`{c['case']}`" for c in limits)
        n = sum(c["vectors"] for c in limits)
        bad = sum(c["mismatches"] for c in limits)
        rows.append(
            f"| the same run's limit cases | {names}: {n} vectors, {len(limits)} builds | "
            f"{bad} mismatches |"
        )
    space = s.get("space") or []
    if space:
        n = sum(p["vectors"] for p in space)
        bad = sum(p["mismatches"] for p in space)
        cyc = sum(p["cycle_mismatches"] for p in space)
        lanes = sorted(p["lanes"] for p in space)
        rows.append(
            f"| the same run's random points (Amaranth simulator) | one per lane count "
            f"{lanes[0]}..{lanes[-1]}: {n} vectors | {bad} mismatches, {cyc} cycle mismatches |"
        )
    cov = s["coverage"]
    hit = len(cov["bins"]) - len(cov["empty_bins"])
    rows.append(
        f"| coverage of the same run (`sim.json` `coverage`) | all of the above | "
        f"**{hit} of {len(cov['bins'])} bins hit**"
        + (f"; empty: {', '.join(cov['empty_bins'])}" if cov["empty_bins"] else "")
        + " |"
    )
    return rows


def results(reports: Reports) -> str:
    rows = list(HEADER)
    if "sim" in reports:
        rows += _sim_rows(reports["sim"])
    else:
        rows.append(f"| `make sim` | | {_missing('make sim', 'sim')} |")
    m = reports.get("mutate")
    rows.append(
        f"| `make mutate` | {m['mutants']} mutants of `tests/mutants.toml` | {m['killed']} killed"
        f"{'; survived: ' + ', '.join(m['survived']) if m['survived'] else ''} |"
        if m
        else f"| `make mutate` | | {_missing('make mutate', 'mutate')} |"
    )
    f = reports.get("formal")
    if f:
        proved = sum(r["proved"] for r in f["results"])
        refuted = sum(not r["proved"] for r in f["refutations"])
        queue = sum(r["property"].startswith("queue") for r in f["results"])
        rows.append(
            f"| `python -m ecg_snn.sim.formal` ({f['solver']}) | {len(f['results'])} properties "
            f"({queue} of the event queue), {len(f['refutations'])} checks that must fail | "
            f"{proved} proved; {refuted} of {len(f['refutations'])} refuted as they must be |"
        )
    else:
        rows.append(
            f"| `python -m ecg_snn.sim.formal` | | {_missing('python -m ecg_snn.sim.formal', 'formal')} |"
        )
    return "\n".join(rows) + "\n"
