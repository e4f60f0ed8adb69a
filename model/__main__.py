"""`python -m ecg_snn.model` (what `make train` runs): train, convert, quantize, evaluate one split."""

from ecg_snn.model.pipeline import cli

if __name__ == "__main__":
    raise SystemExit(cli())
