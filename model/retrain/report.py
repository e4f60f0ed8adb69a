"""Write the retraining report: ``report.json`` (for tools), ``report.md`` (for people), PNGs.

The JSON names the new artifact as ``artifact`` and gives ``snn_int`` (and ``cnn_float``,
``base_snn_int``) in the shape of ``train.json``: ``accuracy``, ``per_class`` {``se``, ``ppv``,
``f1``}, ``macro_f1``, ``confusion``. The Markdown says what data was used and dropped, what
retraining bought against the shipped model on the same test records, what the quantization
had to give up to fit the chip, and the exact commands to verify and load the new model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecg_snn.data.files import write_atomic, write_json_atomic
from ecg_snn.model.retrain.evaluate import confusion_png

MODELS = (
    ("cnn_float", "float CNN (retrained)"),
    ("snn_int", "integer SNN (retrained, = chip)"),
    ("base_snn_int", "integer SNN (shipped base model)"),
)


def _pct(v: float) -> str:
    return f"{100 * v:.2f}"


def _counts_row(label: str, counts: dict[str, int]) -> str:
    return (
        f"| {label} | "
        + " | ".join(str(v) for v in counts.values())
        + f" | {sum(counts.values())} |"
    )


def metrics_table(report: dict[str, Any], classes: tuple[str, ...]) -> list[str]:
    head = (
        "| model | accuracy % | macro F1 | "
        + " | ".join(f"{c} Se / +P / F1" for c in classes)
        + " |"
    )
    lines = [head, "|" + "---|" * (3 + len(classes))]
    for key, label in MODELS:
        m = report[key]
        cells = [
            f"{_pct(m['per_class'][c]['se'])} / {_pct(m['per_class'][c]['ppv'])} / "
            f"{_pct(m['per_class'][c]['f1'])}"
            for c in classes
        ]
        lines.append(
            f"| {label} | {_pct(m['accuracy'])} | {m['macro_f1']:.3f} | " + " | ".join(cells) + " |"
        )
    return lines


def markdown(report: dict[str, Any], classes: tuple[str, ...]) -> str:
    """The human-readable report."""
    d = report["data"]
    s = report["split"]
    gain = report["snn_int"]["accuracy"] - report["base_snn_int"]["accuracy"]
    f1_gain = report["snn_int"]["macro_f1"] - report["base_snn_int"]["macro_f1"]
    out = [
        f"# Retraining report: {report['name']}",
        "",
        f"New artifact: `{report['artifact']}` (hardware id {report['hardware_id']}, the same "
        f"hardware configuration as the base `{report['base_artifact']}`: no new RTL).",
        f"Weight image: `{report['weight_image']}` (little-endian uint32 words, "
        "`model/contract/image.py`).",
        "",
        f"On {report['n_test_beats']} beats of {len(s['records']['test'])} held-out record(s), "
        f"the retrained chip model scores {_pct(report['snn_int']['accuracy'])} % accuracy "
        f"(macro F1 {report['snn_int']['macro_f1']:.3f}) against "
        f"{_pct(report['base_snn_int']['accuracy'])} % (macro F1 "
        f"{report['base_snn_int']['macro_f1']:.3f}) for the shipped model: "
        f"{100 * gain:+.2f} pp accuracy, {f1_gain:+.3f} macro F1.",
        "",
        _changed(report["training"]),
        "",
        "## Data",
        "",
        f"- Database `{d['database']}`, annotator `{d['annotator']}`, "
        f"{d['records_used']} record(s) used ({d['hours']} h), lead sampling rate(s) "
        f"{', '.join(str(f) for f in d['sampling_rates_hz'])} Hz (annotations counted at "
        f"{', '.join(str(f) for f in d['annotation_rates_hz'])} Hz, rescaled to the lead's "
        f"rate), units {', '.join(d['units'])}; resampled to the model's rate and gain.",
        f"- Leads: {_leads(d['leads'])}.",
        f"- Label mapping: {'default AAMI' if not d['mapping'] else d['mapping']}; model classes "
        f"{', '.join(classes)}.",
    ]
    if d["records_skipped"]:
        out.append(f"- Skipped {len(d['records_skipped'])} record(s):")
        out += [f"  - `{r}`: {why}" for r, why in d["records_skipped"].items()]
    else:
        out.append("- No record skipped.")
    out += [
        "",
        "| beats | " + " | ".join(classes) + " | total |",
        "|" + "---|" * (len(classes) + 2),
    ]
    out.append(_counts_row("kept", d["beats_kept"]))
    for part, counts in s["beats"].items():
        out.append(_counts_row(part, counts))
    dropped = d["beats_dropped"]
    reasons = ", ".join(f"{k} {v}" for k, v in dropped["by_reason"].items() if v) or "none"
    out += [
        "",
        f"Dropped {dropped['total']} annotated beats: {reasons} (see `docs/retrain.md` "
        "for each reason; per record in `report.json` -> `data.per_record`).",
        "",
    ]
    out += _saturation(d["saturated_inputs"])
    out += [
        "## Split",
        "",
        f"{_unit(s)}: {s['how']}. Validation (model selection): {s['validation']}.",
        *[f"- kept on one side: {g['why']}" for g in s["kept_together"]],
        *[f"- **warning**: {w}" for w in s["warnings"]],
        f"- train: {', '.join(s['records']['train'])}",
        f"- val: {', '.join(s['records']['val']) or '(beats of the train records)'}",
        f"- test: {', '.join(s['records']['test'])}",
        f"- not used (not in the split file): {', '.join(s['records']['left_out']) or 'none'}",
        "",
        "## Results on the test records",
        "",
        *metrics_table(report, classes),
        "",
        f"Float CNN and chip model agree on {_pct(report['cnn_snn_agreement'])} % of test beats."
        + _absent(s["beats"]["test"]),
        "",
        "![retrained SNN](confusion_snn_int.png) ![shipped model](confusion_base_snn_int.png)",
        "",
        "## Activity and energy (golden model, per inference)",
        "",
        _activity(report),
        "",
        _energy(report),
        "",
        "## Training",
        "",
        _training(report["training"]),
        "",
        "## Quantization into the base hardware",
        "",
        *(
            ["The table is for the fine-tuned candidate; the shipped weights were kept.", ""]
            if report["training"]["kept_base"]
            else []
        ),
        *_quantization(report["quantization"]),
        "",
        "## Verify and load",
        "",
        "```sh",
        "# bit-exact check of the new artifact on the RTL (cocotb + Verilator vs golden model),",
        "# on your own test beats and random/corner vectors (no MIT-BIH needed)",
        f"make sim MODEL={report['artifact']} VECTORS={report['test_beats']}",
        "# C headers and the weight image for the firmware",
        f"python -m ecg_snn.firmware.generate --model {report['artifact']} "
        f"--out build/firmware/{report['name']} --hardware-id {report['hardware_id']}",
        "# or load the image directly through the load port / driver:",
        f"#   {report['weight_image']}",
        "```",
        "",
        f"Reproduce this run: `{report['command']}` ({report['seconds']} s).",
        "",
    ]
    return "\n".join(out)


def _unit(split: dict[str, Any]) -> str:
    """Never call a split "by patient" unless a patient map says which records are whose."""
    if split["unit"] == "patient":
        return f"By patient (patient map `{split['patient_map']}`)"
    return (
        "By record (no patient map: each record is taken to be another patient, except records "
        "that evidently share a source; pass `--patients` if several records are one patient's)"
    )


def _saturation(sat: dict[str, Any]) -> list[str]:
    if sat["fraction"] <= sat["warn_above"] and not sat["records"]:
        return []
    worst = ", ".join(f"{r} {100 * f:.1f} %" for r, f in sat["records"].items())
    return [
        f"**Warning: {100 * sat['fraction']:.1f} % of the chip's input samples are saturated** "
        f"(more than {100 * sat['warn_above']:.0f} % in: {worst or 'no single record'}). The "
        "amplitude is probably wrong: check the gain and units in the headers.",
        "",
    ]


def _absent(test_counts: dict[str, int]) -> str:
    absent = [c for c, n in test_counts.items() if n == 0]
    if not absent:
        return ""
    return (
        f" No test beats of class {', '.join(absent)}: Se and F1 of an absent class are 0 by "
        "convention and pull the macro F1 down; compare the per-class columns instead."
    )


def _leads(leads: dict[str, str]) -> str:
    by_lead: dict[str, list[str]] = {}
    for record, lead in leads.items():
        by_lead.setdefault(lead, []).append(record)
    return "; ".join(f"{lead} ({len(r)} record(s))" for lead, r in by_lead.items())


def _activity(report: dict[str, Any]) -> str:
    new, old = report["activity"], report["base_activity"]
    return (
        f"Retrained: {new['spikes_per_inference']:.1f} spikes, "
        f"{new['synops_per_inference']:.0f} synaptic operations. Shipped: "
        f"{old['spikes_per_inference']:.1f} spikes, {old['synops_per_inference']:.0f} synops."
    )


def _energy(report: dict[str, Any]) -> str:
    return (
        "Energy per inference is measured on the RTL, not estimated here: "
        f"`make power MODEL={report['artifact']}`."
    )


def unchanged_reason(training: dict[str, Any]) -> str | None:
    """Why the new artifact holds exactly the base's integers (None when some changed): the
    report and the command say so instead of calling an unchanged model retrained."""
    if training["integers_changed"]:
        return None
    if training["kept_base"]:
        val = training["val_macro_f1"]
        return (
            f"the shipped weights were kept: the fine-tuned model's validation macro F1 "
            f"{val['retrained']:.3f} is below the shipped model's {val['base']:.3f}"
        )
    return (
        "fine-tuning moved no weight across a quantization step (the float weights round back "
        "to the shipped integers): too few epochs or beats, or too small a learning rate "
        "(--epochs, --lr)"
    )


def _changed(t: dict[str, Any]) -> str:
    """How many of the chip's integers retraining changed; plainly, why none when none did."""
    n, total = t["integers_changed"], t["integers_total"]
    if n:
        return f"Retraining changed {n:,} of the {total:,} integers the chip loads."
    return (
        f"**Retraining changed 0 of the {total:,} integers the chip loads: the new artifact is "
        f"the shipped model.** Why: {unchanged_reason(t)}."
    )


def _training(t: dict[str, Any]) -> str:
    select = t.get("select", "macro_f1")
    key = f"val_{select}"
    hist = [h for h in t["history"] if key in h]
    text = f"{t['mode']}; batch {t['batch']}, peak learning rate {t['lr']}, seed {t['seed']}, "
    text += f"{t['seconds']} s."
    if hist:
        best = max(hist, key=lambda h: h[key])
        text += (
            f" Kept the epoch with the best validation {select.replace('_', ' ')} during "
            f"training ({best[key]:.3f})."
        )
    val = t["val_macro_f1"]
    text += (
        f" On the validation records the retrained chip model has macro F1 "
        f"{val['retrained']:.3f}, the shipped one {val['base']:.3f}."
    )
    if t["from_scratch"] and val["retrained"] < val["base"]:
        text += (
            " **The shipped model is better on your validation records**: this from-scratch "
            "model was written as trained; consider fine-tuning (drop --from-scratch) or more "
            "epochs and data."
        )
    if t["kept_base"]:
        text += (
            " Fine-tuning did not beat the shipped model there, so **the shipped model's weights "
            "were kept**: the new artifact computes what the shipped one does."
        )
    return text


def _quantization(notes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| layer | threshold | default threshold | rescaled because | bits given up | "
        "membrane may saturate |",
        "|---|---|---|---|---|---|",
    ]
    for n in notes:
        why = ", ".join(n["limited_by"]) or "-"
        lines.append(
            f"| {n['layer']} | {n['threshold']} | {n['natural_threshold']} | {why} | "
            f"{n['resolution_bits_lost']} | {'yes' if n['may_saturate'] else 'no'} |"
        )
    if any(n["rescaled"] for n in notes):
        lines += [
            "",
            "Rescaled layers: the threshold and every integer of the layer were scaled "
            "down together so they fit the base widths; the layer computes the same function "
            "with less weight resolution. Nothing was clipped.",
        ]
    return lines


def write_report(report: dict[str, Any], directory: Path, classes: tuple[str, ...]) -> Path:
    """PNGs first, then report.json, then report.md (each atomic)."""
    directory = Path(directory)
    for key, label in MODELS:
        confusion_png(report[key], classes, label, directory / f"confusion_{key}.png")
    write_json_atomic(directory / "report.json", report)
    text = markdown(report, classes)
    write_atomic(directory / "report.md", lambda f: f.write(text.encode()))
    return directory / "report.md"
