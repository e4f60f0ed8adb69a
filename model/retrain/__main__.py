"""`python -m model.retrain --db DIR ...`: see `model.retrain.cli`."""

from model.retrain.cli import main

raise SystemExit(main())
