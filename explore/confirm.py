"""The search's pick at the shipped training budget: `python -m ecg_snn.explore.confirm`.

The search (`make explore`) scores every point on a short budget (its preset's epochs), the same
for all, so the front compares like with like; a point is shipped only if it also holds at the
budget the shipped model is trained with. This command reads the search's report
(`build/reports/explore.json`), takes the rule's pick and today's default, and cross-validates
both on DS1 at 4 folds x `--epochs` (default 20, the shipped recipe's) over `--seeds` seeds, the
same code path as the search (`explore.evaluate.cross_validate_point`, DS1 only). Output:
`build/reports/explore_confirm.json` (per point: jκ per seed, mean ± sample sd, accuracy, S and V
Se / +P), and one line per run.
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.explore.confirm:main", "python -m ecg_snn.explore.confirm")

import json
import sys
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import repo_path
from ecg_snn.explore.space import DEFAULT, Point

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "build" / "reports"


def picked(body: dict) -> Point:
    """The rule's pick of a search report, as a point."""
    by_label = {e["label"]: e for e in body["points"]}
    if body.get("rule_pick") not in by_label:
        raise ValueError(f"the search report names no measured pick ({body.get('rule_pick')!r})")
    return Point.from_dict(by_label[body["rule_pick"]]["point"])


def confirm(point: Point, epochs: int, seeds: int, folds: int = 4) -> dict:
    """CV of `point` at `epochs` per fold over seeds 0..seeds-1: jκ per seed and mean ± sd."""
    from ecg_snn.explore.evaluate import cross_validate_point

    runs = []
    for seed in range(seeds):
        m = cross_validate_point(point, epochs, folds, seed).metrics
        pc = m["per_class"]
        runs.append(
            {
                "seed": seed,
                "j_kappa": m["j_kappa"],
                "accuracy": m["accuracy"],
                "S": [pc["S"]["se"], pc["S"]["ppv"]],
                "V": [pc["V"]["se"], pc["V"]["ppv"]],
            }
        )
        print(f"{point.label} seed {seed}: CV jκ {m['j_kappa']:.3f}", flush=True)
    jk = [r["j_kappa"] for r in runs]
    sd = float(np.std(jk, ddof=1)) if len(jk) > 1 else 0.0
    return {"point": point.as_dict(), "label": point.label, "runs": runs,
            "jk_mean": float(np.mean(jk)), "jk_sd": sd}  # fmt: skip


def table(r: dict) -> str:
    """The docs' table: each point's jκ per seed and mean ± sd at the confirm budget."""
    lines = [
        f"At the shipped budget (4 folds x {r['epochs']} epochs, {r['seeds']} seeds, DS1 only; "
        "`python -m ecg_snn.explore.confirm`):",
        "",
        "| point | role | CV jκ per seed | mean ± sd | accuracy % (mean) |",
        "|---|---|---|---|---|",
    ]
    for role in ("pick", "default"):
        p = r[role]
        acc = 100 * float(np.mean([x["accuracy"] for x in p["runs"]]))
        seeds = ", ".join(f"{x['j_kappa']:.3f}" for x in p["runs"])
        lines.append(
            f"| {p['label']} | {role} | {seeds} | {p['jk_mean']:.3f} ± {p['jk_sd']:.3f} | "
            f"{acc:.1f} |"
        )
    better = r["pick"]["jk_mean"] >= r["default"]["jk_mean"]
    lines += [
        "",
        "At this budget the pick's mean jκ is "
        + ("at or above" if better else "below")
        + " the default's: "
        + ("it may replace the default (after its DS2 look)." if better else "the default stays."),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m ecg_snn.explore.confirm", description=__doc__.splitlines()[0])
    p.add_argument("--report", type=Path, default=REPORTS / "explore.json")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPORTS / "explore_confirm.json")
    a = p.parse_args(argv)
    if a.epochs < 1 or a.seeds < 1:
        p.error(f"--epochs and --seeds must be >= 1, not {a.epochs}, {a.seeds}")
    try:
        pick = picked(json.loads(a.report.read_text()))
    except (OSError, ValueError, KeyError) as e:
        print(f"explore.confirm: {a.report}: {e} (run `make explore` first)", file=sys.stderr)
        return 2
    out = {"epochs": a.epochs, "seeds": a.seeds, "search_report": repo_path(a.report)}
    out["pick"] = confirm(pick, a.epochs, a.seeds)
    out["default"] = confirm(DEFAULT, a.epochs, a.seeds)
    write_atomic(a.out, json.dumps(out, indent=1) + "\n")
    print(table(out))
    return 0
