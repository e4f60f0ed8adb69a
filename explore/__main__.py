"""`python -m ecg_snn.explore`: see `explore.cli`."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.explore.cli:main", "make explore")
