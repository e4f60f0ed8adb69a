"""Reusable cocotb testbench pieces: clock/reset, stream driver and sink, pause patterns,
an in-order scoreboard and a Verilator runner wrapper. Nothing here knows about the SNN; the
accelerator bench (`sim/accel/`) and the self-test (`sim/tb/selftest.py`) build on it."""
