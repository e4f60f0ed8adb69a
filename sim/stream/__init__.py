"""Raw ECG in, class out: the integer QRS detector, the front end and the classifier on whole
records (`python -m sim.stream`), scored beat by beat as EC57 does (`python -m
sim.stream.evaluate`). See docs/stream.md."""
