"""Raw ECG in, class out: the integer QRS detector, the front end and the classifier on whole
records (`python -m ecg_snn.stream`), scored beat by beat as EC57 does (`python -m
stream.evaluate`). See docs/stream.md."""
