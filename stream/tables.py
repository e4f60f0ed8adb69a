"""The tables of docs/stream.md, rendered from a `build/reports/stream.json` report (pure
functions of the report dict: `report/tables.py` fills the docs' marked sections with them,
`python -m ecg_snn.stream.evaluate --markdown` prints them)."""

from __future__ import annotations

RULES = ("ec57", "ec57_no_vfl", "whole")


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _head(cells) -> list[str]:
    return [_row(cells), "|---" * len(cells) + "|"]


def qrs(report: dict) -> str:
    """Se / +P per detector, part and scoring rule; the published Pan-Tompkins figure."""
    overall = report["qrs"]["overall"]
    cols = [(part, rule) for part in overall for rule in RULES]
    lines = _head(["detector", *(f"{part} {rule}" for part, rule in cols)])
    for n in overall["all"]["ec57"]:
        got = [overall[part][rule][n] for part, rule in cols]
        lines.append(_row([n, *(f"{pct(g['se'])} / {pct(g['ppv'])}" for g in got)]))
    for n, v in report["published"].items():
        lines.append(
            _row([f"{n} (published)", f"{pct(v['se'])} / {pct(v['ppv'])}"] + [""] * (len(cols) - 1))
        )
    return "\n".join(lines) + "\n\n" + qrs_targets(overall["all"]["ec57_no_vfl"]["ours"])


def rtl_check(report: dict) -> str:
    """One line: a recording's classified beats on the Verilator accelerator against golden
    (`make stream RECORD=... RTL=1`)."""
    r = report["rtl"]
    return (
        f"`make stream RECORD={report['record']} RTL=1`: {r['beats']:,} classified beats of "
        f"record {report['record']} on the Verilator accelerator, {r['class_differences']} class "
        f"differences and {r['mismatches']} output mismatches against the golden model "
        f"(`{report['model']}`, {r['cycles_mean']:.0f} cycles per inference on average)."
    )


QRS_TARGET = 0.998  # issue 29: Se and +P, all 48 records, EC57 without the flutter episodes


def qrs_targets(c: dict) -> str:
    """Our detector against issue 29's targets, with the beats that separate it from them."""
    beats = c["tp"] + c["fn"]
    max_fn = int(beats * (1 - QRS_TARGET))  # Se = tp / beats >= target
    max_fp = int(c["tp"] * (1 - QRS_TARGET) / QRS_TARGET)  # +P = tp / (tp + fp) >= target

    def verdict(x: float, n: int, most: int, what: str) -> str:
        ok = x >= QRS_TARGET
        return (f"{pct(x)} %, {'met' if ok else 'missed'} ({n} {what} of {beats:,} beats; "
                f"{most} or fewer would meet it)")  # fmt: skip

    return (
        f"Targets (issue 29: Se and +P ≥ {pct(QRS_TARGET)} % over all 48 records, EC57 without "
        f"the flutter episodes): Se {verdict(c['se'], c['fn'], max_fn, 'missed beats')}; +P "
        f"{verdict(c['ppv'], c['fp'], max_fp, 'false detections')}."
    )


def records(report: dict) -> str:
    """TP / FN / FP per record and detector under the EC57 rule."""
    per_record = report["qrs"]["per_record"]
    names = list(report["qrs"]["overall"]["all"]["ec57"])
    lines = _head(["record", *(f"{n} TP/FN/FP" for n in names)])
    for rec, row in per_record.items():
        lines.append(_row([rec, *("{tp}/{fn}/{fp}".format(**row[n]["ec57"]) for n in names)]))
    return "\n".join(lines)


def end_to_end(report: dict) -> str:
    """Accuracy and per-class Se / +P with annotated and with detected beats, DS2 then DS1."""
    classes = list(report["end_to_end"]["annotated_beats"]["per_class"])
    lines = _head(
        ["part", "beats", "accuracy", *(f"{c} Se / +P" for c in classes), "class agreement"]
    )
    for e2e in (report["end_to_end"], report["end_to_end_ds1"]):
        for label, key in (("annotated", "annotated_beats"), ("detected", "detected_beats")):
            m = e2e[key]
            per = [
                f"{pct(m['per_class'][c]['se'])} / {pct(m['per_class'][c]['ppv'])}" for c in classes
            ]
            agree = pct(e2e["class_agreement"]) if key == "detected_beats" else ""
            lines.append(_row([e2e["part"], label, pct(m["accuracy"]), *per, agree]))
    return "\n".join(lines)


def fiducial(report: dict) -> str:
    """Detection minus reference R over matched beats, in samples."""
    lines = _head(["part", "beats", "median", "mean", "5th / 95th percentile", "within ±4 samples"])
    for part, o in report["qrs"]["fiducial_offset"].items():
        spread = f"{o['p5']:.0f} / {o['p95']:.0f}"
        within = f"{100 * o['within_4_samples']:.1f} %"
        lines.append(_row([part, o["n"], f"{o['median']:.0f}", f"{o['mean']:.2f}", spread, within]))
    return "\n".join(lines)


def cost(report: dict) -> str:
    """State, code size and host throughput of the detector and of the whole golden stream."""
    c, e = report["detector_cost"], report["end_to_end"]
    size = c["c_bytes"]
    mcu = size.get("mcu_proxy_m32_Os", {}).get("code", "n/a")
    lines = _head(["", ""])
    lines += [
        _row(["state (`sizeof(snn_qrs_t)`, x86-64)", f"{c['state_bytes']} bytes"]),
        _row(["C code (x86-64 -O2; -m32 -Os)", f"{size['host_O2']['code']}; {mcu} bytes"]),
        _row(
            [
                "C detector (host -O2, ctypes)",
                f"{c['c_x_real_time']}x real time ({c['c_seconds']} s)",
            ]
        ),
        _row(
            [
                "golden detector (numpy)",
                f"{c['golden_x_real_time']}x real time ({c['golden_numpy_seconds']} s)",
            ]
        ),
        _row(["signal scored", f"{c['signal_seconds']:.0f} s (48 records)"]),
        _row(
            [
                "golden stream on DS2 (detect, cut, front end, golden SNN)",
                f"{e['stream_x_real_time']}x real time",
            ]
        ),
        _row(["C equals golden on every record", c["c_equals_golden"]]),
    ]
    return "\n".join(lines)


SECTIONS = {
    "stream-qrs": qrs,
    "stream-records": records,
    "stream-end-to-end": end_to_end,
    "stream-fiducial": fiducial,
    "stream-cost": cost,
}


def markdown(report: dict) -> str:
    return "\n\n".join(fn(report) for fn in SECTIONS.values()) + "\n"
