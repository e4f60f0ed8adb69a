"""By-patient cross-validation over DS1: the selection set of every inter-patient choice.

DS2 is never loaded. The 22 DS1 records are split into `--folds` groups of whole patients
(`make_folds`: records sorted by S, then V beats, dealt in a snake order, so every S-rich record
— 209, 220, 223, 207, 201 — lands in a validation fold and the S beats are spread); each fold is
predicted by a network trained on the others, and the out-of-fold (OOF) predictions of all 22
patients are pooled into one confusion matrix. Everything fitted is fitted inside training folds:
the network, and the per-class output offsets (`fit_offsets`), which for fold k are fitted on the
OOF logits of the *other* folds (nested), so the "offsets" figures are honest estimates too.

Per recipe the report holds the pooled metrics (accuracy, per-class Se/+P/F1, macro F1, κ, jκ)
of the CQ CNN (float), the integer artifact (`model.quantize.quantize_neurons`; all layers
sum-then-fire with `--neuron ssf`, IF otherwise; after the SNN-aware fine-tune of
`--ft-epochs`, as every shipped model: recipes run before 2026-12-07 had none and were scored on
the converted CNN), the CQ CNN with nested offsets and the integer model with the same offsets
folded into its output bias (what would ship), and the offsets fitted on all folds (the shipped
ones). And the rhythm gate (`model.contract.patient.gate`) on the integer classes, nested like
the offsets (`int_gate_nested`: fold k's threshold, `gate_folds`, best on the other folds' OOF),
its jκ at every threshold on all folds (`gate_curve`) and that curve's best (`gate`).

Output offsets. Adding o_k to the output bias of class k shifts the logit of k by o_k; the
integer output layer computes V = W·c + T·b_q with b_q = rnd((b + o)·θ), so the offset is a
plain output bias in the spec and the golden model, RTL and C compute it already (no new rule).
`fit_offsets` maximises jκ on the OOF logits by coordinate search (o_N = 0).

    python -m ecg_snn.model.cv --name base                        # the current recipe
    python -m ecg_snn.model.cv --name rr_out --rr-also dense3     # RR also into the output layer
    python -m ecg_snn.model.cv --name cap --patient-cap 0.15 --class-power 0.75
    python -m ecg_snn.model.cv --name v3 --rr-features prev_ratio next_ratio prev local \
        tmpl_dist irreg

Results accumulate in build/reports/cv.json (one entry per --name, rewritten atomically).
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.model.cv:main", "python -m ecg_snn.model.cv")

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_json_atomic
from ecg_snn.data.paths import repo_path
from ecg_snn.model.contract.patient import gate

REPO = Path(__file__).resolve().parent.parent
OFFSET_GRID = np.round(np.arange(-4.0, 4.001, 0.1), 2)


def make_folds(records: np.ndarray, y: np.ndarray, n_folds: int, classes) -> list[list[str]]:
    """Whole-record folds: records sorted by (S beats, V beats) descending, dealt snake-wise."""
    names = sorted(set(records.tolist()))
    s_idx, v_idx = classes.index("S"), classes.index("V")
    count = {r: np.bincount(y[records == r], minlength=len(classes)) for r in names}
    order = sorted(names, key=lambda r: (-count[r][s_idx], -count[r][v_idx], r))
    folds: list[list[str]] = [[] for _ in range(n_folds)]
    for i, r in enumerate(order):
        k = i % (2 * n_folds)
        folds[k if k < n_folds else 2 * n_folds - 1 - k].append(r)
    return [sorted(f) for f in folds]


def _objective(y: np.ndarray, pred: np.ndarray, classes) -> float:
    from ecg_snn.model.metrics import classification_metrics

    return classification_metrics(y, pred, classes)["j_kappa"]


def fit_offsets(
    logits: np.ndarray, y: np.ndarray, classes, fixed: dict | None = None, rounds: int = 3
) -> np.ndarray:
    """Per-class logit offsets (o_N = 0) maximising jκ of argmax(logits + o) on (logits, y).

    Coordinate search over `OFFSET_GRID` for each non-N class, `rounds` sweeps; `fixed` pins
    some classes' offsets (e.g. {"F": -4.0} to never call F)."""
    fixed = fixed or {}
    o = np.zeros(len(classes))
    for name, val in fixed.items():
        o[classes.index(name)] = val
    free = [k for k, c in enumerate(classes) if c != "N" and c not in fixed]
    best = _objective(y, np.argmax(logits + o, 1), classes)
    for _ in range(rounds):
        moved = False
        for k in free:
            for val in OFFSET_GRID:
                trial = o.copy()
                trial[k] = val
                score = _objective(y, np.argmax(logits + trial, 1), classes)
                if score > best + 1e-12:
                    best, o, moved = score, trial, True
        if not moved:
            break
    return o


GATE_GRID = np.arange(1, 64)  # rhythm gate thresholds tried (the rr_bits = 6 range)


def gate_curve(y: np.ndarray, cls: np.ndarray, rhythm: np.ndarray, classes) -> np.ndarray:
    """jκ of the rhythm-gated classes at every threshold of GATE_GRID."""
    return np.array([_objective(y, gate(classes, t, cls, rhythm), classes) for t in GATE_GRID])


def with_output_offsets(layers, offsets: np.ndarray):
    """The converted float layers with `offsets` added to the output layer's bias."""
    *hidden, out = layers
    return [*hidden, dataclasses.replace(out, bias=out.bias + np.asarray(offsets, np.float64))]


def artifact_of(layers, pre, T: int, classes, weight_bits: int, neuron: str):
    from ecg_snn.model.quantize import quantize_neurons

    return quantize_neurons(
        layers, pre, T, classes, weight_bits, ssf_from=0 if neuron == "ssf" else None
    )


def run_fold(ds1, val_records, recipe: dict, pre, classes):
    """Train on DS1 minus `val_records`; return (mask, the CNN's float logits, the layers to
    quantize: converted, then fine-tuned for `ft_epochs`)."""
    from ecg_snn.model.convert import convert
    from ecg_snn.model.network import ArchConfig, LayerCfg
    from ecg_snn.model.snn_finetune import fine_tune
    from ecg_snn.model.splits import SplitData
    from ecg_snn.model.train import TrainConfig, predict, tensors, train_cnn

    mask = np.isin(ds1.record, val_records)
    train, val = ds1.take(~mask), ds1.take(mask)
    if recipe["f_label"] != "F":  # train F beats as another class (the F output then unused)
        train.y = np.where(train.y == classes.index("F"), classes.index(recipe["f_label"]), train.y)
    data = SplitData("inter", classes, train, val, val, tuple(val_records))
    cfg = TrainConfig(**{k: recipe[k] for k in TRAIN_KEYS}, batch=512, select="last")
    arch = ArchConfig(
        n_classes=len(classes),
        n_rr=len(pre.rr_features),
        dropout=recipe["dropout"],
        morph_drop=recipe.get("morph_drop", 0.0),
        rr_also=tuple(recipe["rr_also"]),
        tie_out=((1, 0),) if recipe.get("tie_s_to_n") else (),
        rr_gain=recipe.get("rr_gain", 1.0),
        # another architecture (the co-design search's points): LayerCfg fields per layer
        **(
            {"layers": tuple(LayerCfg(*lay) for lay in recipe["layers"])}
            if "layers" in recipe
            else {}
        ),
    )
    net, _ = train_cnn(data, pre, cfg, arch=arch, progress=False)
    x, rr, _ = tensors(val, pre)
    layers = convert(net, None, 0.5)
    if recipe.get("ft_epochs"):  # the integer model is the fine-tuned SNN's, as in the pipeline
        snn, _ = fine_tune(
            layers, data, pre, cfg, recipe["weight_bits"], recipe["neuron"], arch.out_rows,
            recipe["ft_epochs"],
        )  # fmt: skip
        layers = snn.to_float_layers()
    return mask, predict(net, x, rr), layers


TRAIN_KEYS = (
    "T", "epochs", "class_power", "act_l1", "seed", "shift", "noise", "wander", "patient_cap",
)  # fmt: skip


def cross_validate(recipe: dict, n_folds: int = 4, progress: bool = True) -> dict:
    """Pooled OOF metrics of one recipe (see the module docstring)."""
    from ecg_snn.model.contract import golden
    from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS
    from ecg_snn.model.metrics import classification_metrics
    from ecg_snn.model.report import summary
    from ecg_snn.model.splits import load_split

    start = time.perf_counter()
    pre = DEFAULT_PREPROCESS
    if recipe.get("rr_features"):  # another front end (e.g. the patient features of v3)
        pre = dataclasses.replace(pre, rr_features=tuple(recipe["rr_features"]))
    pre.validate()
    data = load_split("inter", pre)
    ds1 = data.train.take(np.arange(len(data.train)))
    for name in ("x", "rr", "y", "record", "rhythm"):
        setattr(ds1, name, np.concatenate([getattr(data.train, name), getattr(data.val, name)]))
    del data.test  # DS2 is not used here
    classes = data.classes
    folds = make_folds(ds1.record, ds1.y, n_folds, classes)
    logits = np.zeros((len(ds1), len(classes)))
    fold_of = np.zeros(len(ds1), np.int64)
    int_pred = np.zeros(len(ds1), np.int64)
    fold_layers = []
    spikes = np.zeros(len(ds1))
    for k, recs in enumerate(folds):
        t0 = time.perf_counter()
        mask, lg, layers = run_fold(ds1, recs, recipe, pre, classes)
        logits[mask], fold_of[mask] = lg, k
        art = artifact_of(
            layers, pre, recipe["T"], classes, recipe["weight_bits"], recipe["neuron"]
        )
        res = golden.run(art, ds1.x[mask], ds1.rr[mask])
        int_pred[mask], spikes[mask] = res.cls, res.spikes.sum(1)
        fold_layers.append(layers)
        if progress:
            m = classification_metrics(ds1.y[mask], res.cls, classes)
            print(
                f"  fold {k + 1}/{n_folds} {recs}: int acc {100 * m['accuracy']:.2f} "
                f"S Se/+P {100 * m['per_class']['S']['se']:.1f}/"
                f"{100 * m['per_class']['S']['ppv']:.1f} ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    fixed = {"F": -4.0} if recipe["f_policy"] == "never" else None
    nested = np.zeros_like(logits)
    int_off = np.zeros(len(ds1), np.int64)
    fold_offsets = []
    for k in range(n_folds):
        te = fold_of == k
        o = fit_offsets(logits[~te], ds1.y[~te], classes, fixed)
        fold_offsets.append(o.tolist())
        nested[te] = logits[te] + o
        art = artifact_of(
            with_output_offsets(fold_layers[k], o), pre, recipe["T"], classes,
            recipe["weight_bits"], recipe["neuron"],
        )  # fmt: skip
        int_off[te] = golden.run(art, ds1.x[te], ds1.rr[te]).cls
    y = ds1.y
    # the rhythm gate on the integer classes: fold k's threshold from the other folds' OOF
    int_gate, gate_folds = int_pred.copy(), []
    for k in range(n_folds):
        te = fold_of == k
        t = int(GATE_GRID[gate_curve(y[~te], int_pred[~te], ds1.rhythm[~te], classes).argmax()])
        gate_folds.append(t)
        int_gate[te] = gate(classes, t, int_pred[te], ds1.rhythm[te])
    curve = gate_curve(y, int_pred, ds1.rhythm, classes)
    out = {
        "recipe": recipe,
        "folds": folds,
        "n_beats": len(y),
        "cnn": summary(classification_metrics(y, logits.argmax(1), classes)),
        "int": summary(classification_metrics(y, int_pred, classes)),
        "cnn_offsets_nested": summary(classification_metrics(y, nested.argmax(1), classes)),
        "int_offsets_nested": summary(classification_metrics(y, int_off, classes)),
        "int_gate_nested": summary(classification_metrics(y, int_gate, classes)),
        "gate_folds": gate_folds,
        "gate": int(GATE_GRID[curve.argmax()]),
        "gate_curve": {int(t): float(v) for t, v in zip(GATE_GRID, curve, strict=True)},
        "fold_offsets": fold_offsets,
        "offsets": fit_offsets(logits, y, classes, fixed).tolist(),
        "spikes_per_inference": float(spikes.mean()),
        "seconds": time.perf_counter() - start,
    }
    # the OOF predictions themselves, for per-record analysis (not a report)
    oof = REPO / "build" / "cv" / f"{recipe.get('name', 'oof')}.npz"
    oof.parent.mkdir(parents=True, exist_ok=True)
    np.savez(oof, logits=logits, y=y, record=ds1.record, int_pred=int_pred, int_off=int_off)
    return out


def line(name: str, r: dict) -> str:
    def f(m):
        s, v = m["per_class"]["S"], m["per_class"]["V"]
        return (
            f"acc {100 * m['accuracy']:.2f} jκ {m['j_kappa']:.3f} S {100 * s['se']:.1f}/"
            f"{100 * s['ppv']:.1f} V {100 * v['se']:.1f}/{100 * v['ppv']:.1f}"
        )

    return f"{name}: int {f(r['int'])} | int+offsets {f(r['int_offsets_nested'])}"


def table(report: dict) -> str:
    """The markdown table of every recipe in a cv.json (pooled OOF; docs/model.md)."""

    def cells(m):
        s, v = m["per_class"]["S"], m["per_class"]["V"]
        return (
            f"{100 * m['accuracy']:.2f} | {m['j_kappa']:.3f} | {100 * s['se']:.1f} / "
            f"{100 * s['ppv']:.1f} | {100 * v['se']:.1f} / {100 * v['ppv']:.1f}"
        )

    rows = [
        "| recipe | int acc | int jκ | int S Se / +P | int V Se / +P | + offsets acc | jκ "
        "| S Se / +P | V Se / +P | spikes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report.items():
        rows.append(
            f"| {name} | {cells(r['int'])} | {cells(r['int_offsets_nested'])} "
            f"| {r['spikes_per_inference']:.0f} |"
        )
    return "\n".join(rows)


def seed_group(name: str) -> str:
    """The recipe a run belongs to: its name without a `_s<seed>` suffix."""
    return re.sub(r"_s\d+$", "", name)


def seed_table(report: dict) -> str:
    """Mean ± sd over the seeds of each recipe (runs grouped by `seed_group`), plain argmax
    (int) and with nested offsets (int + off): jκ, accuracy, S and V Se / +P, and the S offset."""

    def ms(values, scale=1.0, digits=1):
        v = scale * np.asarray(values, dtype=np.float64)
        return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if len(v) > 1 else 0:.{digits}f}"

    groups: dict[str, list[dict]] = {}
    for name, r in report.items():
        groups.setdefault(seed_group(name), []).append(r)
    rows = [
        "| recipe | seeds | int jκ | int acc | int S Se / +P | int V Se / +P | + off jκ "
        "| + off acc | + off S Se / +P | + off V Se / +P | S offset |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in groups.items():
        cells = [name, str(len(runs))]
        for view in ("int", "int_offsets_nested"):
            m = [r[view] for r in runs]
            pc = [x["per_class"] for x in m]
            cells += [
                ms([x["j_kappa"] for x in m], digits=3),
                ms([x["accuracy"] for x in m], 100),
                f"{ms([c['S']['se'] for c in pc], 100)} / {ms([c['S']['ppv'] for c in pc], 100)}",
                f"{ms([c['V']['se'] for c in pc], 100)} / {ms([c['V']['ppv'] for c in pc], 100)}",
            ]
        cells.append(ms([r["offsets"][1] for r in runs]))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def first_bad_knob(args: argparse.Namespace) -> str | None:
    """The first knob out of its range, as a one-line message; None when all are in range (so a
    bad value stops the run before the data is read, not after a fold of training)."""
    from ecg_snn.data.splits import DS1
    from ecg_snn.model.pipeline import knob_error

    if not 2 <= args.folds <= len(DS1):
        return f"--folds must be 2 .. {len(DS1)} (the DS1 patients)"
    return knob_error(args)


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m ecg_snn.model.cv", description=__doc__.splitlines()[0])
    p.add_argument("--name", help="key of this recipe in the report (required to run one)")
    p.add_argument("--table", action="store_true", help="print the report as a markdown table")
    p.add_argument(
        "--seeds", action="store_true", help="print mean ± sd over seeds (names ending _s<k>)"
    )
    p.add_argument("--merge", nargs="+", help="merge these cv reports into --report, then exit")
    p.add_argument("--folds", type=int, default=4)
    p.add_argument(
        "--shape", type=int, nargs=5, metavar=("C0", "K0", "C1", "K1", "DENSE"),
        help="another network (as `make train ARGS=\"--shape ...\"`; default: the v2 network)",
    )  # fmt: skip
    p.add_argument("--T", type=int, default=4)
    p.add_argument("--neuron", choices=("if", "ssf"), default="ssf")
    p.add_argument("--weight-bits", type=int, default=8)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument(
        "--ft-epochs", type=int, default=3,
        help="SNN fine-tune epochs before quantization (the shipped pipeline's 3; 0: none)",
    )  # fmt: skip
    p.add_argument("--class-power", type=float, default=0.5)
    p.add_argument("--act-l1", type=float, default=0.5)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--shift", type=int, default=2)
    p.add_argument("--noise", type=float, default=0.01)
    p.add_argument("--wander", type=float, default=0.05)
    p.add_argument("--patient-cap", type=float, default=0.0)
    p.add_argument("--tie-s-to-n", action="store_true", help="S row = N row + RR (S vs N by RR)")
    p.add_argument("--rr-gain", type=float, default=1.0, help="RR weight reparametrisation")
    p.add_argument("--morph-drop", type=float, default=0.0, help="P(drop all conv features)")
    p.add_argument("--rr-also", nargs="*", default=[], help="more RR layers, e.g. dense3")
    p.add_argument("--f-label", choices=("F", "N", "V"), default="F", help="train F beats as")
    p.add_argument("--f-policy", choices=("fit", "never"), default="fit", help="F offset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--rr-features", nargs="*", default=None,
        help="the RR inputs (default: the shipped front end's), e.g. add tmpl_dist tmpl_qrs irreg",
    )  # fmt: skip
    p.add_argument("--report", default=str(REPO / "build" / "reports" / "cv.json"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path = Path(args.report)
    if args.merge:
        report = json.loads(path.read_text()) if path.exists() else {}
        for other in args.merge:
            try:
                report.update(json.loads(Path(other).read_text()))
            except (OSError, json.JSONDecodeError) as e:
                print(f"python -m ecg_snn.model.cv: --merge {other}: {e}", file=sys.stderr)
                return 2
        write_json_atomic(path, report)
        return 0
    if args.table or args.seeds:
        if not path.is_file():
            print(
                f"python -m ecg_snn.model.cv: no report at {repo_path(path)}; run a recipe "
                "first (python -m ecg_snn.model.cv --name NAME ...), or --report "
                "docs/reports/cv.json for the committed one",
                file=sys.stderr,
            )
            return 2
        report = json.loads(path.read_text())
        report.pop("_source", None)  # a committed snapshot's provenance, not a recipe
        print(seed_table(report) if args.seeds else table(report))
        return 0
    if not args.name:
        parser().error("--name is required to run a recipe")
    if bad := first_bad_knob(args):
        parser().error(bad)
    if args.rr_features:
        from ecg_snn.model.contract.spec import DEFAULT_PREPROCESS, SpecError

        try:
            dataclasses.replace(DEFAULT_PREPROCESS, rr_features=tuple(args.rr_features)).validate()
        except SpecError as e:
            parser().error(str(e))
    recipe = {k: v for k, v in vars(args).items() if k not in ("folds", "report", "merge", "seeds")}
    if recipe.pop("shape", None):
        from ecg_snn.model.network import shaped_layers

        recipe["layers"] = [list(dataclasses.astuple(lay)) for lay in shaped_layers(*args.shape)]
    from ecg_snn.model.train import setup_torch

    setup_torch(args.seed)
    try:
        result = cross_validate(recipe, args.folds)
    except ValueError as e:  # a network the converter or the widths cannot take: one line
        print(f"python -m ecg_snn.model.cv: {e}", file=sys.stderr)
        return 2
    report = json.loads(path.read_text()) if path.exists() else {}
    report[args.name] = result
    write_json_atomic(path, report)
    print(line(args.name, result))
    return 0
