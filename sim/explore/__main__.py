"""`python -m sim.explore`: see `sim.explore.cli`."""

import sys

from sim.explore.cli import main

sys.exit(main())
