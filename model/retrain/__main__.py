"""`python -m ecg_snn.model.retrain --db DIR ...`: see `model.retrain.cli`."""

from ecg_snn.model.retrain.cli import main

raise SystemExit(main())
