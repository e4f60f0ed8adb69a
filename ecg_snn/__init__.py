"""The ECG SNN flow from Python: classify raw ECG, and drive the chip flow.

    >>> import numpy as np, ecg_snn
    >>> beats = ecg_snn.classify(signal_mv, fs=250)          # NumPy array, any rate
    >>> beats.sample, beats.symbol                             # R peaks at 250 Hz, AAMI letters
    >>> beats = ecg_snn.classify_record("path/to/rec", lead="II")   # a WFDB record
    >>> chip = ecg_snn.Chip.shipped(lanes=8)                   # the chip of the shipped model
    >>> chip.predict(beats.x, beats.rr, engine="rtl")          # golden, C or Verilator

The names follow wfdb and neurokit2: a signal and its rate in, sample indices at that rate out.
"""

from ecg_snn.chip import Chip
from ecg_snn.classify import Classification, classify, classify_record, plot

__all__ = ["Chip", "Classification", "classify", "classify_record", "plot"]
