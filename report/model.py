"""docs/model.md's figures of the shipped models, rendered from their training reports.

`train_inter` / `train_intra` (`make train [SPLIT=intra]`, snapshot `docs/reports/train_*.json`)
give the test-set tables; `cv` (`python -m ecg_snn.model.cv`) the cross-validation behind the
choices. Issue 24's targets are read against both: the CV decides, DS2 is shown beside.
"""

from __future__ import annotations

import numpy as np

from ecg_snn.model import cv

# (report key, label) of the views `model.pipeline` scores on the test part, in training order.
VIEWS = (
    ("cnn_float_before_snn_finetune", "CNN float (before SNN fine-tune)"),
    ("cnn_float", "CNN float (fine-tuned weights)"),
    ("snn_int_argmax", "SNN int (golden), plain argmax: the chip's class"),
    ("snn_int", "**SNN int (golden), as reported: through the rhythm gate**"),
)
# Issue 24's targets: (label, metric, class or None, threshold).
TARGETS = (
    ("accuracy ≥ 95 %", "accuracy", None, 0.95),
    ("jκ ≥ 0.80 (CV ≥ 0.72)", "j_kappa", None, 0.80),
    ("S Se ≥ 85 %", "se", "S", 0.85),
    ("S +P ≥ 60 %", "ppv", "S", 0.60),
    ("V Se ≥ 95 %", "se", "V", 0.95),
    ("V +P ≥ 92 %", "ppv", "V", 0.92),
)
CV_JK_TARGET = 0.72
# The per-record table shows a record when it has any of these (DS2 records, shipped seed).
NOTABLE = {"n_s": 10, "n_v": 20, "false_s": 100, "false_v": 50}
NOTABLE_WORDS = {"n_s": "S", "n_v": "V", "false_s": "false S", "false_v": "false V"}


# the `model.cv` recipe of the shipped inter model, on its network (`--shape`), SNN fine-tune
# included: runs `pick_s<k>` of build/reports/cv.json (docs/model.md)
SHIPPED_CV = "pick"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _cells(m: dict, classes: list[str]) -> list[str]:
    pc = m["per_class"]
    return [f"{100 * m['accuracy']:.2f}"] + [
        f"{_pct(pc[c]['se'])} / {_pct(pc[c]['ppv'])}" for c in classes
    ]


def views_table(r: dict) -> str:
    """The test part of one training report: every view, accuracy, per-class Se / +P, κ, jκ."""
    classes = list(r["classes"])
    head = ["view", "accuracy", *(f"{c} Se / +P" for c in classes), "κ", "jκ"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label in VIEWS:
        if key not in r:  # a report from before the view existed
            continue
        if key == "snn_int" and not r.get("rhythm_gate"):
            label = "**SNN int (golden)**"
        m = r[key]
        rows.append(
            "| "
            + " | ".join([label, *_cells(m, classes), f"{m['kappa']:.3f}", f"{m['j_kappa']:.3f}"])
            + " |"
        )
    seeds = r["seeds"]["seeds"]
    line = (
        f"{r['test_part']}: {r['n_beats']['test']:,} beats of `{r['artifact']}` "
        f"(artifact checksum `{r['artifact_sha256'][:12]}…`), seed {r['seed']}"
        + (f" of {len(seeds)} ({', '.join(map(str, seeds))})" if len(seeds) > 1 else "")
        + f"; {r['neuron']} T = {r['T']}, {r['weight_bits']}-bit weights, {r['n_weights']:,} "
        f"integer weights, trained on {r['n_beats']['train']:,} beats. Conversion loss (CNN "
        f"float − SNN int) {r['conversion_loss_pp']:+.2f} pp; macro F1 "
        f"{_pct(r['macro_f1']['all'])} % (all classes), {_pct(r['macro_f1']['nsv'])} % (N S V); "
        f"{r['spikes_per_inference']:.0f} spikes and {r['synops_per_inference']:,.0f} synaptic "
        f"operations per inference (spike rate {_pct(r['spike_rate'])} %)"
    )
    if r["test_part"] == "DS2":  # record 232's S beats are timing-defined
        line += f"; S Se without record 232 {_pct(r['s_se']['without_232'])} %"
    line += (
        f". Training {r['train_seconds']:.0f} s, whole run {r['total_seconds']:.0f} s "
        "(the training run, on a shared machine)."
    )
    return "\n".join(rows) + "\n\n" + line


def records_table(r: dict) -> str:
    """DS2 records with notable S or V figures (`NOTABLE`), shipped seed."""
    rows = [
        "| record | beats | accuracy | S | S Se | false S | V | V Se | false V |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def se(x: float | None) -> str:
        return "–" if x is None else _pct(x)

    for rec, p in sorted(r["per_record"].items()):
        if not any(p[k] >= n for k, n in NOTABLE.items()):
            continue
        rows.append(
            f"| {rec} | {p['n']} | {_pct(p['accuracy'])} | {p['n_s']} | {se(p['s_se'])} "
            f"| {p['false_s']} | {p['n_v']} | {se(p['v_se'])} | {p['false_v']} |"
        )
    rule = " or ".join(f"≥ {n} {NOTABLE_WORDS[k]}" for k, n in NOTABLE.items())
    return "\n".join(rows) + f"\n\nRecords with {rule} beats (all records: `per_record`)."


def seeds_table(report: dict) -> str:
    """The cross-validation of every recipe run with at least 3 seeds (mean ± sd)."""
    groups: dict[str, list[str]] = {}
    for name in report:
        if name != "_source":
            groups.setdefault(cv.seed_group(name), []).append(name)
    keep = {n: report[n] for names in groups.values() if len(names) >= 3 for n in names}
    return cv.seed_table(keep)


def cv_runs(report: dict, recipe: str) -> list[dict]:
    """The runs of `recipe` (one per seed) in a `model.cv` report."""
    return [r for n, r in report.items() if n != "_source" and cv.seed_group(n) == recipe]


def shipped_view(runs: list[dict]) -> str:
    """The CV view of what ships: the integer model through the nested rhythm gate when every
    run has it (the shipped inter model has the gate), else plain argmax."""
    return "int_gate_nested" if runs and all("int_gate_nested" in r for r in runs) else "int"


def gate_table(report: dict) -> str:
    """The rhythm gate on each recipe run with it (mean ± sd over seeds): plain argmax against
    the nested gate (fold k's threshold fitted on the other folds), the thresholds the folds
    chose, and the threshold best on the mean of the seeds' pooled curves."""
    groups: dict[str, list[dict]] = {}
    for name, r in report.items():
        if name != "_source" and "int_gate_nested" in r:
            groups.setdefault(cv.seed_group(name), []).append(r)
    rows = [
        "| recipe | seeds | int jκ | + gate jκ (nested) | + gate acc | + gate S Se / +P "
        "| + gate V Se / +P | fold thresholds | all-fold threshold per seed | best on the mean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def ms(values, scale=1.0, digits=1):
        v = scale * np.asarray(values, dtype=np.float64)
        return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if len(v) > 1 else 0:.{digits}f}"

    for name, runs in groups.items():
        g = [r["int_gate_nested"] for r in runs]
        pc = [m["per_class"] for m in g]
        curves = np.mean([[r["gate_curve"][k] for k in sorted(r["gate_curve"], key=int)]
                          for r in runs], axis=0)  # fmt: skip
        best = sorted(runs[0]["gate_curve"], key=int)[int(curves.argmax())]
        rows.append(
            f"| {name} | {len(runs)} | {ms([r['int']['j_kappa'] for r in runs], digits=3)} "
            f"| {ms([m['j_kappa'] for m in g], digits=3)} | {ms([m['accuracy'] for m in g], 100)} "
            f"| {ms([c['S']['se'] for c in pc], 100)} / {ms([c['S']['ppv'] for c in pc], 100)} "
            f"| {ms([c['V']['se'] for c in pc], 100)} / {ms([c['V']['ppv'] for c in pc], 100)} "
            f"| {', '.join(str(t) for r in runs for t in r['gate_folds'])} "
            f"| {', '.join(str(r['gate']) for r in runs)} | {best} ({curves.max():.3f}) |"
        )
    return "\n".join(rows)


def _value(m: dict, metric: str, cls: str | None) -> float:
    return m[metric] if cls is None else m["per_class"][cls][metric]


def confirm_as_cv(confirm: dict) -> dict:
    """`explore_confirm`'s pick (the shipped network once shipped) as a `model.cv` report of one
    recipe, `pick`, one entry per seed: accuracy, jκ and the S and V Se / +P it records."""
    out = {}
    for run in confirm["pick"]["runs"]:
        pc = {c: {"se": run[c][0], "ppv": run[c][1]} for c in ("S", "V")}
        m = {"accuracy": run["accuracy"], "j_kappa": run["j_kappa"], "per_class": pc}
        out[f"pick_s{run['seed']}"] = {"int": m}
    return out


def targets_table(cv_report: dict, train: dict, recipe: str) -> str:
    """Issue 24's targets against the shipped recipe's CV (mean ± sd over its seeds, plain
    argmax) and its DS2 look (the shipped seed)."""
    found = cv_runs(cv_report, recipe)
    view = shipped_view(found)
    runs = [r[view] for r in found]
    what = "nested rhythm gate" if view == "int_gate_nested" else "plain argmax"
    rows = [
        f"| target | CV `{recipe}`, {what} ({len(runs)} seeds, mean ± sd) | DS2 (shipped seed) "
        "| status |",
        "|---|---|---|---|",
    ]
    for label, metric, cls, goal in TARGETS:
        v = np.array([_value(m, metric, cls) for m in runs])
        ds2 = _value(train["snn_int"], metric, cls)
        cv_goal = CV_JK_TARGET if metric == "j_kappa" else goal
        scale, digits = (1, 3) if metric == "j_kappa" else (100, 1)
        sd = v.std(ddof=1) if len(v) > 1 else 0.0
        met = [name for name, x, g in (("CV", v.mean(), cv_goal), ("DS2", ds2, goal)) if x >= g]
        status = "met (" + ", ".join(met) + ")" if met else "missed"
        rows.append(
            f"| {label} | {scale * v.mean():.{digits}f} ± {scale * sd:.{digits}f} "
            f"| {scale * ds2:.{digits}f} | {status} |"
        )
    return "\n".join(rows)
