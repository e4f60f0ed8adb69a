"""The search's pick at the shipped training budget: `python -m ecg_snn.explore.confirm`.

The search (`make explore`) scores every point on a short budget (its preset's epochs), the same
for all, so the front compares like with like; a point is shipped only if it also holds at the
budget the shipped model is trained with. This command reads the search's report
(`build/reports/explore.json`), takes the rule's pick and today's default, and cross-validates
both on DS1 at 4 folds x `--epochs` (default 20, the shipped recipe's) over `--seeds` seeds, the
same code path as the search (`explore.evaluate.cross_validate_point`, DS1 only), one Ray Tune
trial per (point, seed), `--workers` at a time, each stored under the search's content key
(`build/explore/points/`), so a re-run reads back what it finished. Output:
`build/reports/explore_confirm.json` (per point: jκ per seed, mean ± sample sd, accuracy, S and V
Se / +P), and one line per run.
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.explore.confirm:main", "python -m ecg_snn.explore.confirm")

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import repo_path
from ecg_snn.explore.report import mean_sd
from ecg_snn.explore.space import DEFAULT, Point
from ecg_snn.flow.tools import env_default

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "build" / "reports"


def picked(body: dict) -> Point:
    """The rule's pick of a search report, as a point."""
    by_label = {e["label"]: e for e in body["points"]}
    if body.get("rule_pick") not in by_label:
        raise ValueError(f"the search report names no measured pick ({body.get('rule_pick')!r})")
    return Point.from_dict(by_label[body["rule_pick"]]["point"])


def summary(point: Point, results: list[dict]) -> dict:
    """One point's stored CV results (a trial per seed): jκ per seed and mean ± sample sd."""
    runs = []
    for r in sorted(results, key=lambda r: r["seed"]):
        m = r["cv"]
        pc = m["per_class"]
        runs.append(
            {
                "seed": r["seed"],
                "j_kappa": m["j_kappa"],
                "accuracy": m["accuracy"],
                "S": [pc["S"]["se"], pc["S"]["ppv"]],
                "V": [pc["V"]["se"], pc["V"]["ppv"]],
            }
        )
    m, sd = mean_sd([r["j_kappa"] for r in runs])
    return {"point": point.as_dict(), "label": point.label, "runs": runs,
            "jk_mean": m, "jk_sd": sd}  # fmt: skip


def confirm(
    points: list[Point],
    epochs: int,
    seeds: int,
    workers: int,
    folds: int = 4,
    store: Path | None = None,
) -> list:
    """The CV of each point at `epochs` per fold over seeds 0..seeds-1, the (point, seed) trials
    run by the search's executor (Ray Tune, `workers` at a time) and stored under the search's
    content keys (in `store`, default the search's), so a re-run or an interrupted run reads
    back every finished trial."""
    import ray

    from ecg_snn.explore import search
    from ecg_snn.explore.cache import code_version, digest
    from ecg_snn.explore.trial import Settings

    # CV only: no energy beats, no calibration (part of the key, not of a CV result)
    settings = Settings(epochs, folds, 0, code_version(), digest("cv only"))
    if store is not None:  # another results directory (tests)
        settings = dataclasses.replace(settings, store=str(store), work=str(store / "work"))
    search.start_ray(workers)
    try:
        unique = list(dict.fromkeys(points))  # the pick may be the default
        runs = search.seeds_stage(unique, range(seeds), settings, workers, search.new_run_id())
    finally:
        ray.shutdown()
    results, unfinished = search.results_of(settings, runs)
    failed = [r["label"] for r in results if r.get("error")]
    if failed or unfinished:
        raise search.SearchError(f"unfinished or failed trials: {', '.join(failed + unfinished)}")
    return [summary(p, [r for r in results if r["label"] == p.label]) for p in points]


def shipped(r: dict) -> bool:
    """Whether a confirm report's pick is today's shipped chip (`explore.space.DEFAULT`)."""
    return Point.from_dict(r["pick"]["point"]) == DEFAULT


def same_point(r: dict) -> bool:
    """Whether a confirm report's pick is its default (a confirm run after the pick shipped)."""
    return r["pick"]["point"] == r["default"]["point"]


def table(r: dict) -> str:
    """The docs' table: each point's jκ per seed and mean ± sd at the confirm budget."""
    lines = [
        f"At the shipped budget (4 folds x {r['epochs']} epochs, {r['seeds']} seeds, DS1 only; "
        "`python -m ecg_snn.explore.confirm`):",
        "",
        "| point | role | CV jκ per seed | mean ± sd | accuracy % (mean) |",
        "|---|---|---|---|---|",
    ]
    for role in ("pick",) if same_point(r) else ("pick", "default"):
        p = r[role]
        acc = 100 * float(np.mean([x["accuracy"] for x in p["runs"]]))
        seeds = ", ".join(f"{x['j_kappa']:.3f}" for x in p["runs"])
        lines.append(
            f"| {p['label']} | {role} | {seeds} | {p['jk_mean']:.3f} ± {p['jk_sd']:.3f} | "
            f"{acc:.1f} |"
        )
    better = r["pick"]["jk_mean"] >= r["default"]["jk_mean"]
    pick = Point.from_dict(r["pick"]["point"])
    if same_point(r):
        again = "The pick is today's default and the shipped chip (`explore.space.DEFAULT`)."
        return "\n".join([*lines, "", again])
    if better and shipped(r):  # shipped since: today's chip is the pick
        verdict = "it replaced the default and is the shipped chip (`explore.space.DEFAULT`)."
    elif better:
        verdict = "it may replace the default (after its DS2 look)."
    else:
        verdict = "the default stays."
    lines += [
        "",
        "At this budget the pick's mean jκ is "
        + ("at or above" if better else "below")
        + f" the default's: {verdict}",
    ]
    if better and shipped(r):
        lines += ["", "`make train` with no options trains its network (`model/pipeline.py` "
                  "DEFAULTS; `make ship` puts it in `model/artifacts/inter.json`)."]  # fmt: skip
    elif better:
        args = " ".join(pick.train_args())
        lines += ["", f'Its network, trained with the shipped recipe: `make train ARGS="{args}"`.']
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m ecg_snn.explore.confirm", description=__doc__.splitlines()[0])
    p.add_argument("--report", type=Path, default=REPORTS / "explore.json")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPORTS / "explore_confirm.json")
    p.add_argument("--workers", type=int, default=env_default("JOBS", 2), help="trials at a time")
    a = p.parse_args(argv)
    if a.epochs < 1 or a.seeds < 1 or a.workers < 1:
        p.error(f"--epochs, --seeds and --workers must be >= 1: {a.epochs}, {a.seeds}, {a.workers}")
    try:
        pick = picked(json.loads(a.report.read_text()))
    except (OSError, ValueError, KeyError) as e:
        print(f"explore.confirm: {a.report}: {e} (run `make explore` first)", file=sys.stderr)
        return 2
    out = {"epochs": a.epochs, "seeds": a.seeds, "search_report": repo_path(a.report)}
    from ecg_snn.explore.search import SearchError

    try:
        out["pick"], out["default"] = confirm([pick, DEFAULT], a.epochs, a.seeds, a.workers)
    except SearchError as e:
        print(f"explore.confirm: {e}", file=sys.stderr)
        return 1
    write_atomic(a.out, json.dumps(out, indent=1) + "\n")
    print(table(out))
    return 0
