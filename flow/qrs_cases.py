"""The QRS detector block's test cases and checker, shared by its RTL bench (`sim/qrs.py`,
`make qrs`) and its gate-level run (`power/qrs.py`, `make qrs GATE=1`).

A case is `record:start_s:seconds` of an MIT-BIH record's detector lead (MLII; V5 for 102 and
104), or any samples with their valid flags (`Case`). The golden beats are the contract's
detector on the same samples (`model/contract/qrs.py`); a block's beats, decoded from its
`o_beat` payloads (`beat_rows`), must equal them one for one (`compare`), decision sample
included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.model.contract import qrs

# The noisy records of the issue (105: noise, 108: large P waves, 203: ventricular runs and
# noise), a clean one, and 222 (its first search-back at 4:04), five minutes each from the start.
DEFAULT_CASES = ("100:0:300", "105:0:300", "108:0:300", "203:0:300", "222:0:300")
FIELDS = ("sample", "peak", "decided", "searchback")


@dataclass(frozen=True)
class Case:
    name: str
    samples: np.ndarray
    valid: np.ndarray


def golden(case: Case) -> np.ndarray:
    """The golden beats as (N, 4) rows: sample, peak, decided, searchback."""
    g = qrs.detect(case.samples, valid=case.valid)
    return np.stack([g.sample, g.peak, g.decided, g.searchback.astype(np.int64)], axis=1)


def case_rows(cases: list[Case], expected: list[np.ndarray], got: list) -> list[dict]:
    """Per case: samples, golden beats, mismatches (`compare`) and cycles per sample, from the
    runs `got` (anything with `beats`, `compare` rows, and `cycles`, per sample: the RTL bench
    and the gate level alike)."""
    rows = []
    for case, exp, g in zip(cases, expected, got, strict=True):
        diffs = compare(exp, g.beats)
        rows.append(
            {
                "case": case.name,
                "samples": len(case.samples),
                "beats": len(exp),
                "mismatches": len(diffs),
                "first_mismatches": diffs[:5],
                "cycles_per_sample_mean": round(float(g.cycles.mean()), 2),
                "cycles_per_sample_max": int(g.cycles.max()),
            }
        )
    return rows


def compare(expected: np.ndarray, got: np.ndarray) -> list[str]:
    """Every difference between two beat lists, one line each (empty: bit-exact)."""
    out = []
    if len(expected) != len(got):
        out.append(f"{len(got)} beats from the RTL, {len(expected)} from the golden detector")
    for k, (e, g) in enumerate(zip(expected, got, strict=False)):
        diff = [f"{f} {int(g[j])} != {int(e[j])}" for j, f in enumerate(FIELDS) if e[j] != g[j]]
        if diff:
            out.append(f"beat {k}: " + ", ".join(diff))
    return out


def load_case(spec: str) -> Case:
    """`record:start_s:seconds` of MIT-BIH (the detector lead `stream` uses)."""
    from ecg_snn.data.errors import DataError
    from ecg_snn.data.locate import find_mitdb
    from ecg_snn.data.records import read_record

    try:
        name, start, seconds = spec.split(":")
        lo, n = int(float(start) * qrs.FS), int(float(seconds) * qrs.FS)
    except ValueError:
        raise SystemExit(f"make qrs: case {spec!r} is not record:start_s:seconds") from None
    if lo < 0 or n <= 0:
        raise SystemExit(f"make qrs: case {spec!r} needs start_s >= 0 and seconds > 0")
    try:
        rec = read_record(find_mitdb(download=False), name)
    except DataError as e:
        raise SystemExit(f"make qrs: case {spec!r}: {e}") from None
    if lo >= len(rec.signal):  # a case running past the end stops there (`--records all`)
        raise SystemExit(
            f"make qrs: case {spec!r} starts after the end of record {name} "
            f"({len(rec.signal) / qrs.FS:.0f} s)"
        )
    signal = np.asarray(rec.signal, np.int64)[lo : lo + n]
    valid = getattr(rec, "valid", None)
    valid = np.ones(len(signal), bool) if valid is None else np.asarray(valid, bool)[lo : lo + n]
    return Case(spec, signal, valid)


def words(case: Case) -> np.ndarray:
    """The `i_sample` payloads: the sample (16-bit two's complement) with the valid flag at
    bit 16."""
    value = np.clip(case.samples, -(1 << 15), (1 << 15) - 1) & 0xFFFF
    return (value | (case.valid.astype(np.int64) << 16)).astype(np.uint64)


def beat_rows(payloads: list[int], decided: np.ndarray) -> np.ndarray:
    """(N, 4) rows of `compare` from `o_beat` payloads (sample, peak, then the search-back
    flag, `COUNTER_BITS` each) and the sample each beat was decided at."""
    mask = (1 << qrs.COUNTER_BITS) - 1
    rows = [
        (p & mask, (p >> qrs.COUNTER_BITS) & mask, 0, p >> (2 * qrs.COUNTER_BITS)) for p in payloads
    ]
    beats = np.array(rows, np.int64).reshape(-1, 4)
    beats[:, 2] = decided
    return beats
