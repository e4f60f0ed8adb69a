"""`python -m ecg_snn`: the `ecg-snn` command."""

import sys

from ecg_snn.cli import main

sys.exit(main())
