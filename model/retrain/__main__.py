"""`python -m ecg_snn.model.retrain --db DIR ...`: see `model.retrain.cli`."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.model.retrain.cli:main", "make retrain")
