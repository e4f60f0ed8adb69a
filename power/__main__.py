"""`python -m power`: see `power/run.py`."""

import sys

from power.run import main

sys.exit(main())
