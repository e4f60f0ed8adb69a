"""The exception of the retraining command.

Every problem with the engineer's input that is not already a `data.errors.DataError` (a split
file that names unknown records, too few beats of a class, a base model that cannot be
fine-tuned, a model that cannot be made to fit the base hardware) is a `RetrainError` whose
message says what is wrong and what to do. `python -m ecg_snn.model.retrain` prints it and exits with
status 2, without a traceback.
"""


class RetrainError(ValueError):
    """Bad input to the retraining command; the message names the problem and the remedy."""
