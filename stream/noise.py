"""`make stream-noise`: QRS detection under added noise, ours against XQRS, as EC57's noise stress
test does it (ANSI/AAMI EC57 §4.3.2, the MIT-BIH Noise Stress Test Database's recipe).

    python -m ecg_snn.stream.noise [--records 118,119] [--kinds em,ma,bw] [--snr 24,18,12,6,0,-6]
                                   [--seed 0] [--report FILE]

The NSTDB adds *recorded* noise (electrode motion "em", muscle "ma", baseline wander "bw") to
records 118 and 119. That database is not part of this checkout and nothing is downloaded at run
time, so the noise here is **synthetic**, with the spectra of the three kinds (`noise`):

- bw: a sum of 0.05-0.5 Hz sinusoids plus a random walk low-passed at 0.5 Hz (respiration, drift);
- ma: white noise band-passed 20-150 Hz with a slowly varying envelope (EMG bursts);
- em: white noise band-passed 1-15 Hz (the QRS band: the hardest kind, as in the NSTDB) with
  bursts and steps.

The figures are therefore a robustness comparison on equal terms (both detectors see the same
noisy samples), not EC57 NST results. As in the NSTDB, noise is on from 5:00 in alternating
2-minute segments (on, off, on, ...), scaled to the SNR EC57 defines: S = a²/8 with `a` the median
peak-to-peak QRS amplitude of the record's beats (±60 ms of each reference beat), N = the mean
square of the noise while on. Scored as EC57 (from 5:00, 150 ms window, `stream/score.py`).
Writes `build/reports/noise.json` (atomically) and prints one table row per kind and SNR.
"""

from __future__ import annotations

if __name__ == "__main__":
    from ecg_snn.data.cli import run

    run("ecg_snn.stream.noise:main", "make stream-noise")

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal as sps

from ecg_snn.data.cli import Parser
from ecg_snn.data.errors import DataError
from ecg_snn.data.files import write_atomic
from ecg_snn.data.locate import find_mitdb
from ecg_snn.data.records import read_record
from ecg_snn.data.splits import DS2
from ecg_snn.model.contract import qrs
from ecg_snn.model.looks import log_look
from ecg_snn.stream import score

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "reports" / "noise.json"
KINDS = ("em", "ma", "bw")
SNRS = (24, 18, 12, 6, 0, -6)  # the NSTDB's levels, dB
SEGMENT_S = 120  # noise on/off alternation after 5:00
QRS_HALF_S = 0.060


def _band(x: np.ndarray, fs: float, lo: float | None, hi: float | None) -> np.ndarray:
    """Zero-phase 4th-order Butterworth filter of `x` (band-, low- or high-pass)."""
    if lo and hi:
        sos = sps.butter(4, [lo, hi], "bandpass", fs=fs, output="sos")
    elif hi:
        sos = sps.butter(4, hi, "lowpass", fs=fs, output="sos")
    else:
        sos = sps.butter(4, lo, "highpass", fs=fs, output="sos")
    return sps.sosfiltfilt(sos, x)


def _envelope(n: int, fs: float, rng: np.random.Generator, hz: float) -> np.ndarray:
    """A positive, slowly varying gain (mean ~1): bursts at a rate of about `hz`."""
    e = np.abs(_band(rng.standard_normal(n), fs, None, hz)) + 0.2
    return e / e.mean()


def noise(kind: str, n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of unit-RMS synthetic noise of `kind` (module doc)."""
    t = np.arange(n) / fs
    if kind == "bw":
        f = rng.uniform(0.05, 0.5, 5)
        x = sum(np.sin(2 * np.pi * fi * t + rng.uniform(0, 2 * np.pi)) for fi in f)
        x = x + _band(np.cumsum(rng.standard_normal(n)), fs, None, 0.5) * 0.02
    elif kind == "ma":
        x = _band(rng.standard_normal(n), fs, 20, min(150, 0.45 * fs)) * _envelope(n, fs, rng, 0.5)
    elif kind == "em":
        steps = np.cumsum(rng.standard_normal(n) * (rng.random(n) < 0.5 / fs))  # ~1 step per 2 s
        x = _band(rng.standard_normal(n), fs, 1, 15) * _envelope(n, fs, rng, 0.3)
        x = x + _band(steps, fs, 1, 15) * 3
    else:
        raise ValueError(f"unknown noise kind {kind!r}; known: {', '.join(KINDS)}")
    x = x - x.mean()
    return x / np.sqrt(np.mean(x**2))


def gate(n: int, fs: float) -> np.ndarray:
    """True where the noise is on: from 5:00, alternating 2-minute segments starting on."""
    t = np.arange(n) / fs
    after = t >= score.EC57_START_S
    return after & (((t - score.EC57_START_S) // SEGMENT_S) % 2 == 0)


def qrs_amplitude(sig: np.ndarray, ref: np.ndarray, fs: float) -> float:
    """Median peak-to-peak amplitude within ±60 ms of the reference beats (ADC units)."""
    h = round(QRS_HALF_S * fs)
    pp = [np.ptp(sig[max(r - h, 0) : r + h + 1]) for r in ref if h <= r < len(sig) - h]
    if not pp:
        raise DataError("no reference beat inside the signal: the SNR is undefined")
    return float(np.median(pp))


def noisy(sig: np.ndarray, ref: np.ndarray, fs: float, kind: str, snr_db: float, seed: int):
    """The record plus gated noise of `kind` at `snr_db` (EC57's S/N), rounded to ADC units."""
    rng = np.random.default_rng(seed)
    s = qrs_amplitude(sig, ref, fs) ** 2 / 8
    scale = np.sqrt(s / 10 ** (snr_db / 10))
    n = noise(kind, len(sig), fs, rng) * gate(len(sig), fs) * scale
    return np.round(sig + n).astype(np.int64)


def xqrs(sig_adc: np.ndarray, baseline: int, gain: float, fs: float) -> np.ndarray:
    """wfdb's XQRS on the same samples in mV (its API's unit)."""
    from wfdb import processing

    mv = (sig_adc.astype(np.float64) - baseline) / gain
    return np.sort(np.asarray(processing.xqrs_detect(mv, fs, verbose=False), np.int64))


def ec57(ref: np.ndarray, det: np.ndarray, fs: float) -> dict:
    """TP/FN/FP/Se/+P from 5:00 on (EC57), without the matching pairs."""
    start = score.EC57_START_S
    m = score.match(score.scored(ref, fs, start), score.scored(det, fs, start), fs)
    return {k: m[k] for k in ("tp", "fn", "fp", "se", "ppv")}


def stress(records, kinds, snrs, seed: int, progress=print) -> dict:
    """Per record, kind and SNR: EC57 counts of ours and XQRS (plus both on the clean record)."""
    directory = find_mitdb(download=False)
    out = {}
    for name in records:
        rec = read_record(directory, name)
        ref = score.reference_beats(rec.ann_sample, rec.ann_symbol, len(rec.signal))
        sig = rec.signal.astype(np.int64)
        rows = {}
        for kind, snr in [("clean", None)] + [(k, s) for k in kinds for s in snrs]:
            x = sig if snr is None else noisy(sig, ref, rec.fs, kind, snr, seed)
            rows[kind if snr is None else f"{kind}{snr:+d}"] = {
                "kind": kind,
                "snr_db": snr,
                "ours": ec57(ref, qrs.detect(x, rec.fs).sample, rec.fs),
                "xqrs": ec57(ref, xqrs(x, rec.baseline, rec.adc_gain, rec.fs), rec.fs),
            }
        out[name] = rows
        progress(f"stream-noise: record {name} done ({len(rows)} conditions)")
    return out


def pooled(per_record: dict, condition: str, detector: str) -> dict:
    """Counts summed over the records (gross statistics)."""
    c = [rows[condition][detector] for rows in per_record.values()]
    return score.counts(*(sum(x[k] for x in c) for k in ("tp", "fn", "fp")))


def table(report: dict) -> str:
    """A markdown table: per condition, Se and +P of ours and XQRS over all records."""
    lines = [
        "| noise | SNR dB | ours Se | ours +P | XQRS Se | XQRS +P |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["pooled"].values():
        o, x = row["ours"], row["xqrs"]
        snr = "-" if row["snr_db"] is None else row["snr_db"]
        lines.append(
            f"| {row['kind']} | {snr} | {100 * o['se']:.2f} | {100 * o['ppv']:.2f} | "
            f"{100 * x['se']:.2f} | {100 * x['ppv']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def parse(argv) -> argparse.Namespace:
    ap = Parser(prog="python -m ecg_snn.stream.noise", description=__doc__)
    ap.add_argument("--records", default="118,119")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--snr", default=",".join(map(str, SNRS)))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report", type=Path, default=REPORT)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    try:
        records = [r for r in a.records.split(",") if r]
        kinds = [k for k in a.kinds.split(",") if k]
        bad = sorted(set(kinds) - set(KINDS))
        if bad or not kinds or not records:
            raise ValueError(f"--kinds must be some of {','.join(KINDS)}; --records non-empty")
        snrs = [int(s) for s in a.snr.split(",") if s]
        t0 = time.perf_counter()
        per_record = stress(records, kinds, snrs, a.seed)
    except (ValueError, DataError, FileNotFoundError) as e:
        print(f"make stream-noise: {e}", file=sys.stderr)
        return 2
    conditions = next(iter(per_record.values()))
    report = {
        "noise": "synthetic (em, ma, bw spectra; module doc of stream/noise.py), not the NSTDB",
        "records": records,
        "seed": a.seed,
        "segment_s": SEGMENT_S,
        "ec57_start_s": score.EC57_START_S,
        "per_record": per_record,
        "pooled": {
            c: {
                "kind": conditions[c]["kind"],
                "snr_db": conditions[c]["snr_db"],
                **{d: pooled(per_record, c, d) for d in ("ours", "xqrs")},
            }
            for c in conditions
        },
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    write_atomic(a.report, json.dumps(report, indent=1) + "\n")
    print(table(report), end="")
    print(f"report: {a.report}")
    if set(records) & set(DS2):
        worst = min(report["pooled"].values(), key=lambda r: r["ours"]["se"])
        print(log_look(
            "make stream-noise", f"QRS Se/+P under synthetic noise on {','.join(records)}",
            f"ours worst Se {100 * worst['ours']['se']:.2f} % ({worst['kind']} "
            f"{worst['snr_db']} dB)",
        ))  # fmt: skip
    return 0
