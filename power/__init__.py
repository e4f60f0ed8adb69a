"""Energy per inference from what the RTL did: toggles, memory accesses, cycles.

- `tech`: technology files (TOML, versioned), every constant with its source
- `saif`: a streaming reader for Verilator's `--trace-saif` output
- `netlist`: what each traced net is (register, combinational, alias, memory port)
- `blocks`: which block (weight memory, membrane memory, accumulate, ...) a name belongs to
- `energy`: the energy equation for one simulated window
- `harness`: a Verilator C++ harness writing one SAIF per beat
- `estimates`: the op-count (synops x E_acc) and dense quantized-ANN comparisons

The method, the constants and the figures are in docs/power.md.
"""
