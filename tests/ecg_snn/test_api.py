"""The Python API: raw ECG in physical units at the signal's own rate, R peaks and classes out;
the chip object's engines agree; bad input is a one-line ValueError."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import wfdb

import ecg_snn
from ecg_snn import classifier
from ecg_snn.stream.core import load_record, run_stream

SECONDS = 120


@pytest.fixture(scope="module")
def record_208(mitdb_dir):
    rec = wfdb.rdrecord(str(mitdb_dir / "208"), sampto=360 * SECONDS, channels=[0])
    return rec.p_signal[:, 0], rec.fs


def test_classify_a_mv_array_equals_the_stream_on_the_record(record_208, mitdb_dir):
    """The same beats and classes as `make stream` on the same stretch of the record: the mV
    array is turned back into the record's ADC units exactly (200 adu/mV)."""
    signal, fs = record_208
    beats = ecg_snn.classify(signal, fs)
    rec, valid = load_record(str(mitdb_dir / "208"))
    rec = dataclasses.replace(rec, signal=rec.signal[: 360 * SECONDS])
    want = run_stream(ecg_snn.chip.load_model(), rec, valid[: 360 * SECONDS])
    assert np.array_equal(beats.sample, want.sample)
    assert np.array_equal(beats.symbol, want.symbol)
    assert beats.fs == fs and len(beats.sample) > 100
    assert set(beats.counts()) >= {"N", "V"}  # 208 has many premature ventricular beats


def test_units_and_leads_describe_the_same_signal(record_208):
    signal, fs = record_208
    mv = ecg_snn.classify(signal, fs)
    uv = ecg_snn.classify(signal * 1000, fs, units="uV")
    adu = ecg_snn.classify(np.rint(signal * 200), fs, units="adu", gain=200)
    two_leads = ecg_snn.classify(np.stack([np.zeros_like(signal), signal], axis=1), fs, lead=1)
    for other in (uv, adu, two_leads):
        assert np.array_equal(other.sample, mv.sample)
        assert np.array_equal(other.symbol, mv.symbol)


def test_a_silent_signal_has_no_beats():
    beats = ecg_snn.classify(np.zeros(360 * 20), 360)
    assert len(beats.sample) == 0 and beats.counts() == {}


def test_the_c_reference_predicts_what_the_golden_model_does(record_208):
    signal, fs = record_208
    beats = ecg_snn.classify(signal[: 360 * 30], fs)
    chip = ecg_snn.Chip.shipped()
    got = chip.predict(beats.x, beats.rr, engine="c")
    assert np.array_equal(got, chip.predict(beats.x, beats.rr))
    assert np.array_equal(got, beats.cls[beats.classified])


def test_plot_writes_a_png(record_208, tmp_path):
    signal, fs = record_208
    beats = ecg_snn.classify(signal[: 360 * 10], fs)
    ecg_snn.plot(signal[: 360 * 10], beats, tmp_path / "beats.png")
    assert (tmp_path / "beats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(signal=np.zeros((2, 2, 2)), fs=360), r"^signal must be \(n,\) or \(n, leads\)"),
        (dict(signal=np.zeros(0), fs=360), r"^signal must be \(n,\) or \(n, leads\)"),
        (dict(signal=np.array(["a"] * 9), fs=360), r"^signal must be numeric, not <U1$"),
        (dict(signal=np.zeros(99), fs=0), r"^fs must be a positive rate in Hz, not 0$"),
        (dict(signal=np.zeros(99), fs=float("nan")), r"^fs must be a positive rate in Hz"),
        (dict(signal=np.zeros(99), fs=360, units="mmHg"), r"^units must be one of"),
        (dict(signal=np.zeros(99), fs=360, units="adu"), r'^units="adu" needs gain'),
        (dict(signal=np.zeros((99, 2)), fs=360, lead=2), r"^lead 2 is not a column"),
        (dict(signal=np.zeros(99), fs=50), r"^fs is 50 Hz; at least 100 Hz"),
    ],
    ids=["3-d", "empty", "strings", "fs-0", "fs-nan", "units", "adu-no-gain", "lead", "fs-50"],
)
def test_bad_input_is_a_one_line_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ecg_snn.classify(**kwargs)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match=r"^engine must be one of \['golden', 'c', 'rtl'\]"):
        ecg_snn.Chip.shipped().predict(np.zeros((1, 1, 64)), np.zeros((1, 4)), engine="spice")


def test_the_chip_output_folder_is_keyed_by_configuration():
    a, b = ecg_snn.Chip.shipped(lanes=4), ecg_snn.Chip.shipped(lanes=8)
    assert a.out != b.out and a.out == ecg_snn.Chip.shipped(lanes=4).out
    # the engine too: the fused chip (ROM weights by default) and the event ROM chip differ
    fused = ecg_snn.Chip.shipped(engine="fused", lanes=4)
    assert fused.config.rom and fused.out != ecg_snn.Chip.shipped(lanes=4, rom=True).out
    assert len(repr(fused)) < 200  # not every weight


@pytest.mark.parametrize("fs", [128, 250, 1000])
def test_any_rate_gives_peaks_at_that_rate(record_208, mitdb_dir, fs):
    """The same record resampled to `fs`: every reference beat is found within 150 ms, at the
    array's own rate, and no detection lies outside the array."""
    from scipy.signal import resample_poly

    signal, _ = record_208
    x = resample_poly(signal, fs, 360)
    beats = ecg_snn.classify(x, fs)
    ann = wfdb.rdann(str(mitdb_dir / "208"), "atr", sampto=360 * SECONDS)
    ref = np.rint(ann.sample[np.isin(ann.symbol, list("NLRejAaJSVEFQ/f"))] * fs / 360)
    nearest = np.abs(beats.sample[None, :] - ref[:, None]).min(axis=1)
    assert beats.fs == fs and (nearest <= 0.15 * fs).mean() > 0.99
    assert beats.sample.min() >= 0 and beats.sample.max() < len(x)


def test_nan_samples_are_a_gap(record_208):
    """NaN marks invalid samples (a lead-off stretch): no beat is classified next to it."""
    signal, fs = record_208
    x = signal.copy()
    x[20_000:22_000] = np.nan
    beats = ecg_snn.classify(x, fs)
    inside = (beats.sample > 20_000) & (beats.sample < 22_000)
    assert not inside.any() and len(beats.sample) > 100


def test_beats_whose_rr_interval_spans_a_gap_are_not_classified(mitdb_dir):
    """A 1.4 s dropout in a stretch of record 100: the beats next to it would see an RR
    interval that measures the gap (premature or long), so they are `?`, not S."""
    rec = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 60, channels=[0])
    x = rec.p_signal[:, 0].copy()
    clean = ecg_snn.classify(x, 360)
    x[7200:7700] = np.nan
    gapped = ecg_snn.classify(x, 360)
    assert gapped.counts().get("S", 0) <= clean.counts().get("S", 0)
    around = np.abs(gapped.sample - 7450) < 360 * 1.5
    assert set(gapped.symbol[around]) <= {"?"}


def test_a_two_dimensional_signal_of_leads_by_samples_is_refused():
    with pytest.raises(ValueError, match=r"looks like \(leads, n\): pass signal\.T"):
        ecg_snn.classify(np.zeros((2, 3000)), 250)


def synthetic_mv(seconds: int = 20, fs: int = 250) -> np.ndarray:
    """A small ECG in mV (1 mV QRS, P and T waves; `tests.ecg_synth`)."""
    from tests.ecg_synth import beat_sequence

    signal, _ = beat_sequence(["N"] * (seconds - 2), fs, np.random.default_rng(0), rr=0.9)
    return signal


@pytest.mark.parametrize(
    ("scale", "units", "guess"),
    [(1000, "mV", "uV"), (1e-3, "mV", "V"), (1e-3, "uV", "V"), (1e6, "mV", "uV")],
    ids=["uV-as-mV", "V-as-mV", "V-as-uV", "nV-scale"],
)
def test_a_signal_in_the_wrong_unit_warns_in_one_line(scale, units, guess):
    x = synthetic_mv() * scale
    hint = classifier.units_hint(x, units)
    if scale == 1e6:  # 1e6 x mV fits no unit: nothing to suggest, no warning
        assert hint is None
        return
    assert hint is not None and "\n" not in hint and f"pass units={guess!r}" in hint


def test_the_right_unit_a_flat_signal_and_adc_units_do_not_warn():
    x = synthetic_mv()
    assert classifier.units_hint(x, "mV") is None
    assert classifier.units_hint(x * 1000, "uV") is None
    assert classifier.units_hint(np.rint(x * 200), "adu", 200) is None
    assert classifier.units_hint(np.zeros(1000), "mV") is None


def test_classify_warns_on_a_uv_array_passed_as_mv():
    with pytest.warns(classifier.UnitsWarning, match=r"is it in uV\? \(pass units='uV'\)"):
        ecg_snn.classify(synthetic_mv() * 1000, 250)


def test_a_record_whose_header_gain_is_off_by_a_unit_warns(tmp_path, capsys):
    """A WFDB record whose samples are µV under a header that says mV: `classify_record` warns
    (UnitsWarning) and `make stream` prints one warning line; the right gain warns in neither."""
    from ecg_snn.stream.__main__ import main as stream_main

    x = synthetic_mv(30)
    for name, gain in (("wrong", 1.0), ("right", 200.0)):  # ADC units per mV in the header
        adu = np.rint(x * (1000 if name == "wrong" else 200)).astype(np.int32)
        wfdb.wrsamp(name, fs=250, units=["mV"], sig_name=["MLII"], d_signal=adu[:, None],
                    fmt=["16"], adc_gain=[gain], baseline=[0], write_dir=str(tmp_path))  # fmt: skip
    with pytest.warns(classifier.UnitsWarning, match="is the header's gain or unit field right"):
        ecg_snn.classify_record(tmp_path / "wrong")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", classifier.UnitsWarning)
        ecg_snn.classify_record(tmp_path / "right")
    out = tmp_path / "out"
    argv = [str(tmp_path / "wrong"), "--out", str(out), "--report", str(tmp_path / "r.json")]
    assert stream_main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("make stream: warning: record wrong lead MLII spans") == 1
