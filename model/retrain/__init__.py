"""Retrain the SNN on an engineer's own WFDB recordings for the *same* chip.

`python -m ecg_snn.model.retrain --db DIR` (or `make retrain DB=DIR`) reads the recordings at any
sampling rate, cuts beats the way the firmware does, splits by patient, fine-tunes the shipped
model (or trains from scratch), converts and quantizes it into the base artifact's hardware
configuration (same shapes and widths: no new RTL), and writes the new artifact, its weight
image and a report. See `docs/retrain.md`.

One concern per module: `discovery` (find, check, read, cut), `split` (patients), `finetune`
(the CNN of an artifact, training), `fit` (quantize into fixed widths), `evaluate` (scores),
`report` (JSON, Markdown, PNG), `pipeline` (the stages in order), `cli` (the command line).
"""
