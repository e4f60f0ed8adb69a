"""`python -m model` (what `make train` runs): train, convert, quantize, evaluate one split."""

from model.pipeline import cli

if __name__ == "__main__":
    raise SystemExit(cli())
