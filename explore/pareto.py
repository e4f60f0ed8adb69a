"""The Pareto front (higher accuracy, lower energy), the best points, and the plot."""

from __future__ import annotations

from pathlib import Path

MARKERS = {"if": "o", "ssf": "s"}


def accuracy_key(points: list[dict]) -> str:
    """accuracy_inter when measured, else accuracy_intra."""
    keys = ("accuracy_inter", "accuracy_intra")
    return next((k for k in keys if any(p.get(k) is not None for p in points)), keys[0])


def _ok(p: dict, acc: str) -> bool:
    return not p.get("error") and p.get(acc) is not None and p.get("nj_per_inference") is not None


def pareto_front(points: list[dict], acc: str = "accuracy_inter") -> list[int]:
    """Indices of the points no other point beats on both (>= accuracy and <= nJ, one strictly),
    sorted by energy. Failed or unmeasured points are ignored."""
    ok = [i for i, p in enumerate(points) if _ok(p, acc)]
    front = []
    for i in ok:
        a, e = points[i][acc], points[i]["nj_per_inference"]
        dominated = any(
            points[j][acc] >= a
            and points[j]["nj_per_inference"] <= e
            and (points[j][acc] > a or points[j]["nj_per_inference"] < e)
            for j in ok
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i]["nj_per_inference"])


def _brief(p: dict) -> dict:
    keys = ("mode", "T", "weight_bits", "lanes", "accuracy_inter", "accuracy_intra")
    return {k: p.get(k) for k in keys} | {"nj_per_inference": p.get("nj_per_inference")}


def best(points: list[dict], target_nj: float = 10.0) -> dict:
    """The front, the best accuracy per nJ, the most accurate point, the most accurate within
    `target_nj`, and the most accurate point of each mode."""
    acc = accuracy_key(points)
    ok = [p for p in points if _ok(p, acc)]
    if not ok:
        return {"criterion": acc, "pareto_front": []}
    within = [p for p in ok if p["nj_per_inference"] <= target_nj]
    modes = sorted({p["mode"] for p in ok})
    return {
        "criterion": f"{acc} vs nj_per_inference",
        "pareto_front": [_brief(points[i]) for i in pareto_front(points, acc)],
        "accuracy_per_nj": _brief(max(ok, key=lambda p: p[acc] / p["nj_per_inference"])),
        "most_accurate": _brief(max(ok, key=lambda p: (p[acc], -p["nj_per_inference"]))),
        f"most_accurate_within_{target_nj:g}_nj": (
            _brief(max(within, key=lambda p: p[acc])) if within else None
        ),
        "per_mode": {
            m: _brief(max((p for p in ok if p["mode"] == m), key=lambda p: p[acc])) for m in modes
        },
    }


def plot(points: list[dict], path: Path) -> Path:
    """Accuracy vs nJ per inference, one marker per mode, T annotated, the front as a line, and
    each point's dense-QNN estimate as a faint x at the same accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acc = accuracy_key(points)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode, marker in MARKERS.items():
        ps = [p for p in points if p["mode"] == mode and _ok(p, acc)]
        if not ps:
            continue
        ax.scatter(
            [p["nj_per_inference"] for p in ps],
            [100 * p[acc] for p in ps],
            marker=marker,
            s=40,
            label=f"{mode} (RTL toggle model)",
        )
        for p in ps:
            ax.annotate(
                f"T{p['T']} w{p['weight_bits']} l{p['lanes']}",
                (p["nj_per_inference"], 100 * p[acc]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
    qnn = [p for p in points if _ok(p, acc) and p.get("dense_qnn_nj") is not None]
    if qnn:
        ax.scatter(
            [p["dense_qnn_nj"] for p in qnn],
            [100 * p[acc] for p in qnn],
            marker="x",
            color="grey",
            alpha=0.5,
            label="dense QNN estimate (same accuracy)",
        )
    front = [points[i] for i in pareto_front(points, acc)]
    if front:
        ax.plot(
            [p["nj_per_inference"] for p in front],
            [100 * p[acc] for p in front],
            "k--",
            lw=0.8,
            label="Pareto front (SNN)",
        )
    ax.set_xscale("log")
    ax.set_xlabel("nJ per inference")
    ax.set_ylabel(f"{acc.replace('_', ' ')} (%)")
    ax.set_title("Design space: accuracy vs energy per inference", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
