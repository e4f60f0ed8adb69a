"""`python -m ecg_snn.model` (what `make train` runs): train, convert, quantize, evaluate one
split."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.model.pipeline:cli", "make train")
