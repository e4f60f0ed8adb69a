"""`python -m ecg_snn.report` (`make report`): see `report/render.py`."""

from ecg_snn.data.cli import run

# the command is imported inside `run`: a Ctrl-C during the import is caught too
run("ecg_snn.report.render:main", "make report")
