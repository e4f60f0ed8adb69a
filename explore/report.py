"""build/reports/explore.json from the trial results: points, seeds, front, default, rule's pick.

Each point entry is its seed-0 result (CV and hardware) plus, for the points that were re-run
with more seeds, `jk_seeds` and the mean ± sd (sample sd, ddof 1) of jκ over all its seeds.
`dominating_default`: the points whose seed-0 figures dominate the default's (jκ >= and µJ <=,
one strict); `robust` marks those whose mean jκ over seeds is still >= the default's mean.
`distinct_points`: the distinct points among the stage-1 trials (`trials`); the search starts
distinct points only (`search.DistinctSearcher`; `sampler` says how many repeated proposals it
skipped), so the two are equal unless an older run's report is rebuilt. Every point names its
engine (`point.engine`; `hw.engine` too).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ecg_snn.data.files import write_atomic
from ecg_snn.explore import pareto
from ecg_snn.explore.space import DEFAULT, Point


def engine_of(e: dict) -> str:
    """The engine of a report entry (reports from before the engine axis: the event engine)."""
    return e["point"].get("engine", "event")


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample sd (0 for one value) of jκ over seeds."""
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def build(results: list[dict], meta: dict) -> dict:
    """The report body (module docstring)."""
    base = [r for r in results if r["seed"] == 0 and (r.get("hw") is not None or r.get("error"))]
    trials = len(base)
    # the sampler may propose a point again (its trial comes back from the cache): one entry each
    base = list({r["label"]: r for r in reversed(base)}.values())[::-1]
    extra: dict[str, list[tuple[int, float]]] = {}
    for r in results:
        if r.get("cv") is not None:
            extra.setdefault(r["label"], []).append((r["seed"], r["cv"]["j_kappa"]))
    points, entries = [], []
    for r in base:
        e = {k: r.get(k) for k in ("label", "point", "seed", "cv", "hw", "error", "seconds", "key")}
        if pareto.measured(r):
            seeds = sorted(set(extra.get(r["label"], [])))
            jks = [jk for _, jk in seeds]
            m, sd = mean_sd(jks)
            e |= {"jk_seeds": {str(s): jk for s, jk in seeds}, "jk_mean": m, "jk_sd": sd}
            f = pareto.flat(r) | r["point"] | {"label": r["label"], "jk_sd": sd, "jk_mean": m}
            points.append(f)
            e["index"] = len(points) - 1
        entries.append(e)
    idx = pareto.front(points)
    labels = [p["label"] for p in points]
    default = labels.index(DEFAULT.label) if DEFAULT.label in labels else None
    sd_of = {i: points[i]["jk_sd"] for i in idx}
    pick = pareto.pick(points, idx, sd_of)
    dom = []
    if default is not None:
        d = points[default]
        dom = [
            {"label": p["label"], "cv_jk": p[pareto.JK], "uj_per_heartbeat": p[pareto.E],
             "jk_mean": p["jk_mean"], "jk_sd": p["jk_sd"],
             "robust": p["jk_mean"] >= d["jk_mean"]}
            for p in points if pareto.dominates(p, d)
        ]  # fmt: skip
    return {
        "points": entries,
        "front": [
            {
                "label": points[i]["label"],
                "cv_jk": points[i][pareto.JK],
                "jk_mean": points[i]["jk_mean"],
                "jk_sd": points[i]["jk_sd"],
                "uj_per_heartbeat": points[i][pareto.E],
                "area_mm2": points[i]["area_mm2"],
                "cycles": points[i]["cycles"],
                "point": Point.from_dict(points[i]).as_dict(),
            }
            for i in idx
        ],
        "default": None if default is None else points[default]["label"],
        "dominating_default": dom,
        "rule_pick": None if pick is None else points[pick]["label"],
        "rule": pareto.__doc__.split("The rule that picks")[1].strip(),
        "measured": len(points),
        "trials": trials,
        "distinct_points": len(base),
        "failed": sum(1 for e in entries if e["error"]),
    } | meta


def flat_points(body: dict) -> tuple[list[dict], list[int], int | None]:
    """The measured points as the plot reads them, the front's indices and the default's."""
    pts = []
    for e in body["points"]:
        if e.get("index") is not None:
            pts.append(pareto.flat(e) | e["point"] | {"label": e["label"], "jk_sd": e["jk_sd"]})
    labels = [p["label"] for p in pts]
    idx = [labels.index(f["label"]) for f in body["front"]]
    default = labels.index(body["default"]) if body.get("default") in labels else None
    return pts, idx, default


def write(path: Path, body: dict) -> Path:
    return write_atomic(path, json.dumps(body, indent=1, default=float) + "\n")


def _f(v, digits=3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def figures(e: dict) -> str:
    """A measured point's objectives: jκ over its seeds, energy per heartbeat, area."""
    return (
        f"jκ {_f(e['jk_mean'])} ± {_f(e['jk_sd'])} over seeds, "
        f"{_f(e['hw']['uj_per_heartbeat'], 2)} µJ per heartbeat, "
        f"{_f(e['hw']['area_um2'] / 1e6, 2)} mm²"
    )


def markdown(body: dict) -> str:
    """The tables docs/explore.md quotes: the front, who dominates the default, and the SNN vs
    QNN-like answer (best point per neuron x T, with spike rate and the dynamic share)."""
    pts = [e for e in body["points"] if e.get("index") is not None]
    pts = list({e["label"]: e for e in reversed(pts)}.values())[::-1]  # older reports repeat
    front = list({f["label"]: f for f in reversed(body["front"])}.values())[::-1]
    dominating = {d["label"] for d in body["dominating_default"]}
    rows = [
        "| point | engine | CV jκ (seed 0) | jκ mean ± sd (seeds) | µJ / beat | gated µJ | mm² "
        "| cycles | spike rate | S Se / +P | V Se / +P |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_label = {e["label"]: e for e in pts}
    for f in front:
        e = by_label[f["label"]]
        pc = e["cv"]["per_class"]
        rows.append(
            f"| {f['label']} | {engine_of(e)} | {_f(f['cv_jk'])} "
            f"| {_f(e['jk_mean'])} ± {_f(e['jk_sd'])} "
            f"({len(e['jk_seeds'])}) | {_f(e['hw']['uj_per_heartbeat'], 2)} "
            f"| {_f(e['hw']['uj_per_heartbeat_gated'], 2)} | {_f(e['hw']['area_um2'] / 1e6, 2)} "
            f"| {e['hw']['cycles']['mean']:.0f} | {_f(e['cv']['spike_rate'])} "
            f"| {100 * pc['S']['se']:.1f} / {100 * pc['S']['ppv']:.1f} "
            f"| {100 * pc['V']['se']:.1f} / {100 * pc['V']['ppv']:.1f} |"
        )
    trials = body.get("trials", len(body["points"]))
    skipped = (body.get("sampler") or {}).get("repeats_skipped")
    out = [
        f"{len(pts)} distinct points measured in {trials} trials ({body.get('failed', 0)} failed"
        + ("" if skipped is None else f"; {skipped} repeated proposals of the sampler skipped")
        + "). Front (CV jκ up, µJ per heartbeat down):",
        "",
        *rows,
        "",
    ]
    d = by_label.get(body.get("default") or "")
    if d is not None:
        out += [
            f"The search's default (the shipped chip when it ran) {d['label']}: CV jκ "
            f"{_f(d['cv']['j_kappa'])} (seed 0), "
            f"{figures(d)}; dominated by {len(dominating)} points.",
            "",
        ]
    pick = by_label.get(body.get("rule_pick") or "")
    if pick is not None:
        dom = "; it dominates the default" if pick["label"] in dominating else ""
        out += [f"The rule's pick: **{pick['label']}** ({figures(pick)}{dom}).", ""]
    wall = body.get("wall_seconds") or {}
    if "total" in wall:
        out += [
            f"Wall time {wall['total'] / 60:.0f} min ({wall['explore'] / 60:.0f} min the search "
            f"stage, the rest the seeds), {body.get('workers')} workers on Ray "
            f"({body.get('ray')}).",
            "",
        ]
    groups: dict[tuple, list[dict]] = {}
    for e in pts:
        groups.setdefault((e["point"]["neuron"], engine_of(e), e["point"]["T"]), []).append(e)
    out += [
        "| neuron | engine | T | points | best CV jκ | its µJ / beat | least µJ / beat "
        "| mean spike rate | mean dynamic share of the heartbeat |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (neuron, engine, T), es in sorted(groups.items()):
        best = max(es, key=lambda e: e["cv"]["j_kappa"])
        least = min(e["hw"]["uj_per_heartbeat"] for e in es)
        rate = float(np.mean([e["cv"]["spike_rate"] for e in es]))
        dyn = float(
            np.mean([e["hw"]["dynamic_nj_180nm"] / 1000 / e["hw"]["uj_per_heartbeat"] for e in es])
        )
        out.append(
            f"| {neuron} | {engine} | {T} | {len(es)} | {_f(best['cv']['j_kappa'])} "
            f"| {_f(best['hw']['uj_per_heartbeat'], 2)} | {_f(least, 2)} | {_f(rate)} "
            f"| {100 * dyn:.0f} % |"
        )
    return "\n".join(out) + "\n"
