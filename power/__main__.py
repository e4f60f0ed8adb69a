"""`python -m ecg_snn.power`: see `power/run.py`."""

import sys

from ecg_snn.power.run import main

sys.exit(main())
