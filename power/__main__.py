"""`python -m ecg_snn.power`: see `power/run.py`."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.power.run:main", "make power")
