"""`python -m ecg_snn.model.adapt --record NAME ...`: see `model.adapt.cli`."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.model.adapt.cli:main", "make adapt")
