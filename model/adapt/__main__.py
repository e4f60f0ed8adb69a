"""`python -m ecg_snn.model.adapt --record NAME ...`: see `model.adapt.cli`."""

from ecg_snn.model.adapt.cli import main

raise SystemExit(main())
