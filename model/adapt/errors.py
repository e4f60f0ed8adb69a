"""The exception of the adaptation command."""


class AdaptError(ValueError):
    """Bad input to `python -m ecg_snn.model.adapt`; the message names the problem and the remedy."""
