"""`python -m sim.power`: see `sim/power/run.py`."""

import sys

from sim.power.run import main

sys.exit(main())
