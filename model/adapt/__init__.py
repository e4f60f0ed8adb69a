"""Personalise the chip to one patient: calibrate the shipped artifact on a few labelled minutes.

`python -m ecg_snn.model.adapt --record NAME` (or `make adapt RECORD=NAME`) reads one record, takes the
labelled beats of its first minutes, calibrates the output layer of the base artifact in
integers (`fit`: what changes and how it is fitted; `calibrate`: the held-back safety check),
and writes the new artifact and weight image for the same hardware id, with a report (`run`).
`python -m ecg_snn.model.adapt.evaluate` measures the protocol on every DS2 record. See `docs/adapt.md`.

One concern per module: `beats` (read one record, labelled part), `fit` (the integer change),
`calibrate` (candidates, held-back check), `run` (outputs), `cli`, `evaluate` (the DS2 table).
"""
