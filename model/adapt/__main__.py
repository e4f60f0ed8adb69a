"""`python -m model.adapt --record NAME ...`: see `model.adapt.cli`."""

from model.adapt.cli import main

raise SystemExit(main())
