"""The co-design search: the network and the accelerator chosen together, on honest figures.

`python -m ecg_snn.explore` (`make explore`) trains every point and scores it by DS1 by-patient
cross-validation (DS2 is never read), measures its hardware at 180 nm, and keeps the Pareto front
of CV jκ against energy per heartbeat (area beside):

- `space`: a point (architecture, T, weight bits, neuron, lanes, front end) and its recipe
- `presets`: the searches (`smoke`, `full`) and their budgets
- `ds1`: the DS1 beats, read without opening a DS2 record
- `evaluate`: the pooled out-of-fold figures of a point (`model.cv`'s folds and trainer)
- `hardware`, `energy`: cycles, osu018 area and leakage, RTL toggle energy, µJ per heartbeat
- `trial`: one (point, seed), cached by the content that defines it (`cache`)
- `search`: Ray Tune with Optuna's multi-objective sampler; local or RAY_ADDRESS
- `pareto`, `report`: the front, the rule that picks the default, explore.json and the plot

The method and the figures are in docs/explore.md.
"""
