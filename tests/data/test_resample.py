"""Resampling other rates and gains to 360 Hz, 200 ADC units/mV."""

import numpy as np
import pytest

from ecg_snn.data.records import Record
from ecg_snn.data.resample import resample_record


def synthetic(fs: int, gain: float, baseline: int = 0) -> tuple[Record, np.ndarray]:
    """8 s at `fs` with 2 mV Gaussian R waves (sigma 12 ms) every 0.8 s, off the sample grid."""
    t = np.arange(8 * fs) / fs
    r_times = 0.4 + 0.8 * np.arange(9) + 0.37 / fs
    x = np.zeros_like(t)
    for rt in r_times:
        x += 2.0 * np.exp(-0.5 * ((t - rt) / 0.012) ** 2)
    record = Record(
        name="syn",
        fs=fs,
        lead="MLII",
        signal=(np.rint(x * gain) + baseline).astype(np.int32),
        adc_gain=gain,
        ann_sample=np.rint(r_times * fs).astype(np.int64),
        ann_symbol=np.full(len(r_times), "N"),
        baseline=baseline,
    )
    return record, r_times


@pytest.mark.parametrize("fs", [128, 250, 257, 500], ids=lambda fs: f"{fs}Hz")
@pytest.mark.parametrize("gain", [100.0, 200.0, 1000.0], ids=lambda g: f"gain{g:g}")
def test_resampling_keeps_r_positions_and_amplitude(fs, gain):
    record, r_times = synthetic(fs, gain, baseline=512)
    out = resample_record(record, 360, 200.0)
    assert out.fs == 360 and out.adc_gain == 200.0 and out.signal.dtype == np.int32
    assert len(out.signal) == 8 * 360
    expected = np.rint(r_times * 360).astype(int)
    assert np.abs(out.ann_sample - expected).max() <= 1
    for r in out.ann_sample:
        seg = out.signal[r - 20 : r + 20]
        assert abs(int(np.argmax(seg)) - 20) <= 1  # the peak sits on the scaled annotation
        peak_mv = (seg.max() - out.baseline) / out.adc_gain
        assert peak_mv == pytest.approx(2.0, rel=0.05 if fs == 128 else 0.02)


def test_baseline_is_rescaled_with_the_gain():
    record, _ = synthetic(250, 100.0, baseline=1024)
    out = resample_record(record, 360, 200.0)
    assert out.baseline == 2048
    assert np.median(out.signal) == pytest.approx(2048, abs=2)  # flat parts stay at 0 mV


def test_gain_only_change_keeps_samples_in_place():
    record, _ = synthetic(360, 100.0)
    out = resample_record(record, 360, 200.0)
    assert np.array_equal(out.signal, record.signal * 2)
    assert np.array_equal(out.ann_sample, record.ann_sample)


def test_identity_at_360_hz():
    record, _ = synthetic(360, 200.0)
    assert resample_record(record, 360, 200.0) is record


def test_annotation_scaling_rounds_half_up():
    record, _ = synthetic(250, 200.0)
    record = Record(**{**record.__dict__, "ann_sample": np.array([0, 1, 25, 249])})
    # 360/250 = 36/25: 1 -> 1.44 -> 1;  25 -> 36;  249 -> 358.56 -> 359
    assert resample_record(record).ann_sample.tolist() == [0, 1, 36, 359]
