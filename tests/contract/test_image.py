"""The weight image format: a round trip, and every rejection the load port also makes."""

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import ArtifactError
from ecg_snn.model.contract.image import MAGIC, parse_image, sections, weight_image
from ecg_snn.model.random_artifact import random_artifact


@pytest.fixture
def artifact():
    return random_artifact(np.random.default_rng(3))


def test_image_round_trips_every_loadable_value(artifact):
    image = weight_image(artifact)
    assert image[0] == MAGIC and image[1] == artifact.spec.hardware_id()
    values = parse_image(image, artifact.spec)
    for key, tensor in artifact.tensors.items():
        np.testing.assert_array_equal(values[key], tensor)
    for layer in artifact.spec.layers:
        assert values[f"{layer.name}.threshold"] == layer.threshold
        assert values[f"{layer.name}.v_init"] == layer.v_init


def test_sections_tile_the_payload_without_gaps(artifact):
    offset = 0
    for s in sections(artifact.spec):
        assert s.offset == offset
        offset += s.size
    assert offset == len(weight_image(artifact)) - 4


def test_image_for_other_hardware_is_rejected(artifact):
    other = random_artifact(np.random.default_rng(3), T=artifact.spec.T + 1)
    with pytest.raises(ArtifactError, match="different configuration"):
        parse_image(weight_image(other), artifact.spec)


@pytest.mark.parametrize(
    ("index", "message"),
    [(0, "bad magic"), (-1, "checksum"), (5, "checksum")],
    ids=["magic", "checksum-word", "payload"],
)
def test_corrupted_image_is_rejected(artifact, index, message):
    image = weight_image(artifact)
    image[index] ^= 1
    with pytest.raises(ArtifactError, match=message):
        parse_image(image, artifact.spec)


def test_truncated_image_is_rejected(artifact):
    with pytest.raises(ArtifactError, match="length mismatch"):
        parse_image(weight_image(artifact)[:-2], artifact.spec)
