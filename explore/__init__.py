"""Design-space exploration: neuron mode x T x weight bits x lanes, measured.

`python -m ecg_snn.explore` (`make explore`) re-quantizes the *same* trained network (the SNN
checkpoints `build/checkpoints/<split>_snn.pt`, via `model.quantize.quantize_neurons`; no retraining
per point) at every point of the grid and measures it:

- `grid`: the points (`Point`), the default grid and the full cartesian grid
- `artifacts`: the artifact of a point from the trained checkpoint
- `cache`: the point key (artifact + hardware + technology + beat sample + code) and the store
- `synth`: cells / flip-flops / memory bits from Yosys, cached by hardware configuration
- `energy`: nJ per inference from the RTL toggle model (`power`) on a stratified sample
- `measure`: one point: accuracy, spikes, synops, cycles, synthesis, energy, break-even
- `pareto`: the Pareto front (accuracy vs energy), the best points and the plot
- `sweep`: every point in parallel processes, failures recorded, explore.json written atomically

The method and the figures are in docs/explore.md.
"""
