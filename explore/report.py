"""build/reports/explore.json from the trial results: points, seeds, front, default, rule's pick.

Each point entry is its seed-0 result (CV and hardware) plus, for the points that were re-run
with more seeds, `jk_seeds` and the mean ± sd (sample sd, ddof 1) of jκ over all its seeds.
`dominating_default`: the points whose seed-0 figures dominate the default's (jκ >= and µJ <=,
one strict); `robust` marks those whose mean jκ over seeds is still >= the default's mean.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ecg_snn.data.cache import write_atomic
from ecg_snn.explore import pareto
from ecg_snn.explore.space import DEFAULT, Point


def _mean_sd(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def build(results: list[dict], meta: dict) -> dict:
    """The report body (module docstring)."""
    base = [r for r in results if r["seed"] == 0 and (r.get("hw") is not None or r.get("error"))]
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
            m, sd = _mean_sd(jks)
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
