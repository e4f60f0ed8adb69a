"""The Pareto front of the search (CV jκ up, µJ per heartbeat down), the rule, and the plot.

Dominance: a dominates b when jκ_a >= jκ_b and E_a <= E_b with one of them strict. The front is
the set of measured points no other measured point dominates, sorted by energy.

The rule that picks the default from the front (docs/explore.md): among the front points whose
mean CV jκ over seeds is within one standard deviation of the front's best mean (the seeds' sd of
that best point; differences below it are not resolved by the cross-validation), the one with the
least energy per heartbeat; ties by area, then cycles. Means, not the seed-0 score the front is
drawn from: one seed's draw can sit far above the point's other seeds. The engine is part of a
point, measured on its own design, so it enters the rule like any other field: the pick ships on
its engine (a fused pick with ROM weights, checked by `make sim ENGINE=fused`).
"""

from __future__ import annotations

from pathlib import Path

JK, E = "cv_jk", "uj_per_heartbeat"
# plot markers by (neuron, engine): the fused engine runs sum-then-fire points only
MARKERS = {("if", "event"): "o", ("ssf", "event"): "s", ("ssf", "fused"): "D"}


def measured(r: dict) -> bool:
    """A seed-0 result with both objectives."""
    return not r.get("error") and r.get("cv") is not None and r.get("hw") is not None


def flat(r: dict) -> dict:
    """The figures the front and the plot read, from one result."""
    hw, cv = r["hw"], r["cv"]
    return {
        JK: cv["j_kappa"],
        E: hw["uj_per_heartbeat"],
        "area_mm2": hw["area_um2"] / 1e6,
        "cycles": hw["cycles"]["mean"],
    }


def dominates(a: dict, b: dict) -> bool:
    return a[JK] >= b[JK] and a[E] <= b[E] and (a[JK] > b[JK] or a[E] < b[E])


def front(points: list[dict]) -> list[int]:
    """Indices of the non-dominated points of `points` (flat dicts), sorted by energy."""
    idx = [i for i, p in enumerate(points) if not any(dominates(q, p) for q in points)]
    return sorted(idx, key=lambda i: points[i][E])


def mean_jk(p: dict) -> float:
    """A point's jκ over its seeds (`jk_mean`), or its one score when it has no other seed."""
    m = p.get("jk_mean")
    return p[JK] if m is None else m


def pick(points: list[dict], front_idx: list[int], sd_of: dict[int, float]) -> int | None:
    """The rule (module docstring). `sd_of[i]`: the seeds' sd of point i's jκ (0 if one seed)."""
    if not front_idx:
        return None
    best = max(front_idx, key=lambda i: mean_jk(points[i]))
    floor = mean_jk(points[best]) - sd_of.get(best, 0.0)
    near = [i for i in front_idx if mean_jk(points[i]) >= floor]
    return min(near, key=lambda i: (points[i][E], points[i]["area_mm2"], points[i]["cycles"]))


def plot(points: list[dict], front_idx: list[int], default: int | None, path: Path) -> Path:
    """CV jκ against µJ per heartbeat; marker area ∝ chip area; shape by neuron and engine
    (`MARKERS`), colour by T; the front as a line; today's default ringed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    amax = max((p["area_mm2"] for p in points), default=1.0)
    cmap = plt.get_cmap("viridis")
    Ts = sorted({p["T"] for p in points})
    for (neuron, engine), marker in MARKERS.items():
        for t in Ts:
            ps = [p for p in points if (p["neuron"], p.get("engine", "event"), p["T"]) == (
                neuron, engine, t)]  # fmt: skip
            if not ps:
                continue
            ax.scatter(
                [p[E] for p in ps],
                [p[JK] for p in ps],
                s=[20 + 300 * p["area_mm2"] / amax for p in ps],
                marker=marker,
                color=cmap(Ts.index(t) / max(1, len(Ts) - 1)),
                alpha=0.7,
                edgecolors="k",
                linewidths=0.4,
                label=f"{neuron} {engine}, T={t}" + (" (QNN-like)" if t == 1 else ""),
            )
    if front_idx:
        f = [points[i] for i in front_idx]
        ax.plot([p[E] for p in f], [p[JK] for p in f], "k--", lw=0.8, label="Pareto front")
        for p in f:
            if p.get("jk_sd"):
                ax.errorbar(p[E], p[JK], yerr=p["jk_sd"], color="k", lw=0.8, capsize=2)
            ax.annotate(
                p["label"].replace("_", " "), (p[E], p[JK]), fontsize=5, xytext=(4, -8),
                textcoords="offset points",
            )  # fmt: skip
    if default is not None:
        d = points[default]
        ax.scatter([d[E]], [d[JK]], s=400, facecolors="none", edgecolors="red", linewidths=1.5,
                   label=f"the search's default ({d['label']})")  # fmt: skip
    ax.set_xlabel("µJ per heartbeat at 75 bpm, 180 nm (osu018 leakage + calibrated RTL toggles)")
    ax.set_ylabel("CV jκ (DS1 by patient, pooled OOF, integer model)")
    ax.set_title("Co-design search: marker area ∝ chip area", fontsize=10)
    leg = ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=0.6)
    for handle in leg.legend_handles:  # legend markers of one size: size is the chip's area
        if hasattr(handle, "set_sizes"):
            handle.set_sizes([30])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path
