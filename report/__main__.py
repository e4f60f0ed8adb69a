"""`python -m report` (`make report`): see `report/render.py`."""

import sys

from report.render import main

sys.exit(main())
