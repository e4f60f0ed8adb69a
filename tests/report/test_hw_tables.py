"""hw/README.md's generated lanes table and the all-records QRS summary."""

from ecg_snn.report.results import lanes_table
from ecg_snn.sim.qrs import summary


def _verilog(lanes: int, cells: int) -> dict:
    cycles = {"mean": 10.0, "max": 20, "inputs": "64 random", "clock_hz_200bpm_max": 1.0}
    real = {"mean": 5.0, "max": 9, "inputs": "1000 real", "clock_hz_200bpm_max": 2000.0}
    return {
        "hardware": {"lanes": lanes},
        "cells": cells,
        "flip_flops": 1,
        "memory_bits": 2,
        "weight_memory_bytes": 3,
        "cycles": cycles,
        "cycles_real_beats": real,
    }


def test_lanes_table_has_a_row_per_snapshot_and_names_the_missing_ones():
    text = lanes_table({"verilog": _verilog(8, 12_345), "verilog_lanes16": _verilog(16, 54_321)})
    assert "| 8 | 12,345 |" in text and "| 16 | 54,321 |" in text
    assert "Not measured yet: verilog_lanes4" in text
    assert "2.0 kHz" in text


def test_qrs_summary_names_the_record_of_the_slowest_sample_and_counts_mismatches():
    cases = [
        {"case": "100:0:1805", "mismatches": 0, "cycles_per_sample_max": 80},
        {"case": "108:0:1805", "mismatches": 2, "cycles_per_sample_max": 119},
    ]
    r = {
        "cases": cases,
        "samples": 10,
        "beats": 3,
        "cycles_per_sample_mean": 10.4,
        "cycles_per_sample_max": 119,
        "min_clock_hz": 42_840,
    }
    text = summary(r)
    assert "(record 108)" in text and "2 mismatches" in text and "42.8 kHz" in text


def test_fpga_verdict_follows_the_report():
    from ecg_snn.report.results import fpga_verdict

    r = {
        "utilisation": {
            "ICESTORM_LC": {"used": 4000, "available": 5280},
            "ICESTORM_RAM": {"used": 30, "available": 30},
        },
        "latency_ms_at_fmax": {"max": 0.46},
        "latency_ms_at_constraint": {"max": 0.60},
        "fmax_mhz": 15.6,
    }
    text = fpga_verdict(r)
    assert "fits the device, met" in text and "at fmax, met" in text and "MHz, missed" in text
    r["utilisation"]["ICESTORM_RAM"]["used"] = 31
    r["fmax_mhz"] = 24.0
    text = fpga_verdict(r)
    assert "fits the device, missed" in text and "MHz, met" in text
