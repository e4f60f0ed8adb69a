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
        command = "python -m ecg_snn.sim.formal"
        rows.append(f"| `{command}` | | {_missing(command, 'formal')} |")
    return "\n".join(rows) + "\n"


def _killed_by(r: dict) -> str:
    """The first failing test of a mutant's run (its pytest id), or its selection."""
    first = r.get("first_failure", "")
    if first.startswith(("FAILED tests/", "ERROR tests/")):
        return f"`{first.split()[1].split('::')[-1]}`"
    if r["status"] == "timeout":
        return "a timeout (a hang)"
    return ", ".join(f"`{t.split('/')[-1]}`" for t in r["tests"]) + " (a cocotb test in it fails)"


def mutate_table(m: dict) -> str:
    """The kill rate and one row per mutant of `make mutate`'s report."""
    rows = [
        f"Kill rate: **{m['killed']} of {m['mutants']}** (`make mutate`, "
        f"{m['wall_seconds']:.0f} s wall on the shared machine; the unmutated selections took "
        f"{m['unmutated_seconds']:.0f} s)."
        + (f" Survived: {', '.join(m['survived'])}." if m["survived"] else "")
        + (f" Errors: {', '.join(m['errors'])}." if m["errors"] else ""),
        "",
        "| Mutant | File | Bug | Killed by (first failing test) |",
        "|---|---|---|---|",
    ]
    for r in m["results"]:
        verdict = (
            f"{r['status']}: {_killed_by(r)}"
            if r["status"] in ("killed", "timeout")
            else (f"**{r['status']}**")
        )
        rows.append(f"| `{r['id']}` | `{r['file']}` | {r['why']} | {verdict} |")
    return "\n".join(rows) + "\n"


def _params(p: dict) -> str:
    """A proof's parameters as the tables show them (a queue shape as `shape: neurons, ...`)."""
    p = dict(p)
    broken = p.pop("broken", None)
    if "shape" in p:
        head = f"{p.pop('shape')}: {p.pop('neurons', '')}"
        rest = [
            f"T={p.pop('T')}" if "T" in p else "",
            f"lanes={p.pop('lanes')}" if "lanes" in p else "",
        ]
        rest += [str(p.pop("memory", ""))]
        if "scans" in p:
            rest.append(f"scans {p.pop('scans')}")
        rest += [f"{k}={v}" for k, v in p.items()]
        text = ", ".join([head, *(r for r in rest if r)])
    else:
        text = ", ".join(f"{k}={v}" for k, v in p.items())
    return text + (f"; broken: {broken}" if broken else "")


def formal_tables(f: dict) -> str:
    """The summary, the proved properties and the checks that must fail of the formal report."""
    proved = sum(r["proved"] for r in f["results"])
    refuted = sum(not r["proved"] for r in f["refutations"])
    seconds = sum(r["seconds"] for r in f["results"] + f["refutations"])
    rows = [
        f"`python -m ecg_snn.sim.formal` (`build/reports/formal.json`, {seconds:.0f} s of solver "
        f"time on the shared machine): **{proved} of {len(f['results'])} proved**, {refuted} of "
        f"{len(f['refutations'])} checks that must fail refuted.",
        "",
        "| Property | Parameters | Method | Result |",
        "|---|---|---|---|",
    ]
    for r in f["results"]:
        result = "proved" if r["proved"] else "**FAILED**"
        rows.append(f"| `{r['property']}` | {_params(r['params'])} | {r['method']} | {result} |")
    rows += [
        "",
        "Checks that must fail (so that a pass above means something):",
        "",
        "| Check | Parameters | Method | Result |",
        "|---|---|---|---|",
    ]
    for r in f["refutations"]:
        result = f"violated at {r['failed_at']}" if not r["proved"] else "**NOT violated**"
        rows.append(f"| `{r['property']}` | {_params(r['params'])} | {r['method']} | {result} |")
    return "\n".join(rows) + "\n"
