"""The one exception type of the data pipeline.

Every problem with the *input* (a missing file, a corrupt record, a bad parameter) is raised as a
`DataError` whose message says what is wrong and what to do about it. Callers such as
`python -m ecg_snn.data` can then print the message and exit without a traceback, and tests can match on
the message. Bugs in the pipeline itself still raise ordinary exceptions.
"""


class DataError(Exception):
    """Bad input to the data pipeline; the message names the problem and the remedy."""
