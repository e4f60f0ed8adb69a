"""`python -m ecg_snn.explore`: see `explore.cli`."""

import sys

from ecg_snn.explore.cli import main

sys.exit(main())
