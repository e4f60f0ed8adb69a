"""Implementation flows: the accelerator's Verilog (emission, lint, statistics, the
content-keyed cache), FPGA place and route, and ASIC synthesis onto a cell library with static
timing (`asic/`)."""
