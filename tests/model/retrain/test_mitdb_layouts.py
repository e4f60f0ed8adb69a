"""Real MIT-BIH beats in a user's layout give the chip exactly the inputs MIT-BIH gives it.

`write_user_db` rewrites MIT-BIH records the way another database might store them: one folder
per patient listed in ``RECORDS`` (``patient100/100``), the lead in µV (format 32, 1 ADC unit
per µV), the reference annotations at 4x the signal's rate with that ``fs`` stored in the file,
and a noise-added copy of one record. Read through the retraining, every beat must reach the
chip bit for bit as it does from the original records, and the copy must be linked to its
source. Run as a script it writes such a database (docs/retrain.md, "Measured"):

    .venv/bin/python tests/model/retrain/test_mitdb_layouts.py ../shared/data/mitdb /tmp/userdb
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import wfdb

NOISY = "208"
RECORDS = ("100", "106", "119", "200", "203", "208", "209", "213", "223", "233")


def write_user_db(src: Path, out: Path, names=RECORDS) -> Path:
    """MIT-BIH records `names` from `src` in the layout of the module docstring, into `out`."""
    lines = []
    for name in names:
        rec = wfdb.rdrecord(str(Path(src) / name), physical=False, channels=[0])
        ann = wfdb.rdann(str(Path(src) / name), "atr")
        d = rec.d_signal[:, 0].astype(np.int64)
        uv = (d - rec.baseline[0]) * 1000 // int(rec.adc_gain[0])  # 200 units/mV: exact
        copies = [(name, uv)]
        if name == NOISY:
            noise = np.random.default_rng(0).normal(0, 30, len(uv))  # 30 µV
            copies.append((f"{name}_noisy", np.rint(uv + noise).astype(np.int64)))
        folder = Path(out) / f"patient{name}"
        folder.mkdir(parents=True, exist_ok=True)
        for rname, sig in copies:
            wfdb.wrsamp(rname, fs=360, units=["uV"], sig_name=["MLII"],
                        d_signal=sig[:, None], fmt=["32"], adc_gain=[1.0], baseline=[0],
                        write_dir=str(folder))  # fmt: skip
            wfdb.wrann(rname, "atr", ann.sample * 4, symbol=ann.symbol, fs=1440,
                       write_dir=str(folder))  # fmt: skip
            lines.append(f"patient{name}/{rname}")
    (Path(out) / "RECORDS").write_text("\n".join(lines) + "\n")
    return Path(out)


def test_user_layout_gives_the_chip_the_mitdb_inputs(mitdb_dir, tmp_path):
    from ecg_snn.data.beats import extract_beats
    from ecg_snn.data.records import read_record
    from ecg_snn.model.contract.frontend import preprocess
    from ecg_snn.model.contract.spec import Preprocess
    from ecg_snn.model.retrain.discovery import read_beats

    names = ("100", "119", NOISY)  # N, V-rich, and the noisy copy's source
    db = write_user_db(mitdb_dir, tmp_path / "userdb", names)
    pre, classes = Preprocess(), ("N", "S", "V", "F")
    table = read_beats(db, pre, classes, progress=False)
    summary = table.summary
    assert summary["sampling_rates_hz"] == [360] and summary["annotation_rates_hz"] == [1440]
    assert summary["units"] == ["uV"] and summary["beats_dropped"]["by_reason"]["no_rr"] == 8
    link = summary["same_source"]
    assert link == [{"records": [f"patient{NOISY}/{NOISY}", f"patient{NOISY}/{NOISY}_noisy"],
                     "why": "identical annotations"}]  # fmt: skip
    for name in names:
        beats, _ = extract_beats(read_record(mitdb_dir, name), pre.beat_config())
        keep = beats.label < len(classes)  # the Q beats the 4-class model drops
        x, rr = preprocess(pre, beats.window[keep], beats.rr[keep])
        mine = table.record == f"patient{name}/{name}"
        ux, urr = preprocess(pre, table.window[mine], table.rr[mine])
        assert np.array_equal(x, ux) and np.array_equal(rr, urr)


if __name__ == "__main__":
    print(write_user_db(Path(sys.argv[1]), Path(sys.argv[2])))
