"""`python -m ecg_snn.report` (`make report`): see `report/render.py`."""

import sys

from ecg_snn.report.render import main

sys.exit(main())
