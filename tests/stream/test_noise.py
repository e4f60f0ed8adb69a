"""The noise stress test: unit-RMS noise in each kind's band, the NSTDB gating, the EC57 SNR
scale, one-line errors, and a real run on an MIT-BIH record."""

import json

import numpy as np
import pytest
from scipy import signal as sps

from ecg_snn.data.errors import DataError
from ecg_snn.stream import noise

FS = 360.0


def _band_share(x, lo, hi):
    f, p = sps.welch(x, FS, nperseg=4096)
    return p[(f >= lo) & (f <= hi)].sum() / p.sum()


@pytest.mark.parametrize(
    ("kind", "lo", "hi"), [("bw", 0.0, 0.6), ("ma", 18.0, 160.0), ("em", 0.8, 16.0)]
)
def test_each_kind_is_unit_rms_in_its_band(kind, lo, hi):
    x = noise.noise(kind, 200_000, FS, np.random.default_rng(1))
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-9)
    assert _band_share(x, lo, hi) > 0.9
    other = {"bw": (18.0, 160.0), "ma": (0.0, 0.6), "em": (30.0, 160.0)}[kind]
    assert _band_share(x, *other) < 0.05  # the check can fail: another kind's band is empty


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown noise kind"):
        noise.noise("hum", 100, FS, np.random.default_rng(0))


def test_gate_is_off_before_five_minutes_then_two_minutes_on_off():
    g = noise.gate(int(FS * 600), FS)
    at = lambda s: g[int(s * FS)]  # noqa: E731
    assert not g[: int(300 * FS)].any()
    assert at(300) and at(419.9) and not at(420) and not at(539.9) and at(540)


def test_the_added_noise_has_the_requested_ec57_snr():
    n = int(FS * 600)
    ref = np.arange(200, n - 200, 300)
    sig = np.zeros(n)
    for r in ref:  # 0.6 ms-wide spikes of 400 ADC units: a = 400, S = a^2 / 8
        sig[r] = 400
    for snr in (12, 0, -6):
        added = noise.noisy(sig, ref, FS, "ma", snr, seed=3) - sig
        on = noise.gate(n, FS)
        measured = 10 * np.log10((400**2 / 8) / np.mean(added[on] ** 2))
        assert measured == pytest.approx(snr, abs=0.1)
        assert not added[~on].any()


def test_no_reference_beat_is_a_data_error():
    with pytest.raises(DataError, match="no reference beat"):
        noise.qrs_amplitude(np.zeros(1000), np.array([], np.int64), FS)


def test_bad_kind_on_the_command_line_is_one_line(capsys):
    assert noise.main(["--kinds", "hum"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("make stream-noise:")


def test_a_real_record_under_noise(mitdb_dir, tmp_path, capsys):
    out = tmp_path / "noise.json"
    assert (
        noise.main(["--records", "118", "--kinds", "em", "--snr", "6", "--report", str(out)]) == 0
    )
    r = json.loads(out.read_text())
    clean, em = r["pooled"]["clean"], r["pooled"]["em+6"]
    assert clean["ours"]["se"] > 0.99 and clean["xqrs"]["se"] > 0.99
    # the noise really stresses the detectors: false detections appear at 6 dB electrode motion
    assert em["ours"]["fp"] > clean["ours"]["fp"] and em["xqrs"]["fp"] >= clean["xqrs"]["fp"]
    assert "| em | 6 |" in capsys.readouterr().out
