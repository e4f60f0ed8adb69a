"""The accelerator's bit-exactness bench: Verilog for a hardware configuration (`design`),
stimulus with golden expectations (`vectors`, `job`), the cocotb side (`bench`, `cocotb_tests`)
and the parallel driver (`shards`)."""
