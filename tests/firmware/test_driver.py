"""The driver through the HAL against the host model of the accelerator: load, submit, read,
reset, and every rejection, with clear status codes. (The same driver against the RTL is the
cocotb testbench's job.)"""

from __future__ import annotations

import numpy as np
import pytest

from ecg_snn.firmware.generate import render
from ecg_snn.firmware.host import DriverError
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.image import weight_image
from ecg_snn.model.contract.ports import ResultLayout, pack_result
from ecg_snn.model.random_artifact import random_artifact

# snn_status_t, as firmware/include/snn_types.h
OK, ARG, RANGE, MAGIC, HARDWARE_ID, LENGTH, CHECKSUM, REJECTED, NOT_LOADED, BUSY, TIMEOUT = range(
    11
)


@pytest.fixture
def artifact(make_variant):
    return make_variant("default")


@pytest.fixture
def lib(artifact, host_lib):
    lib = host_lib(artifact)
    lib.power_on()
    return lib


def test_load_then_classify_gives_golden_results_and_the_packed_result(artifact, lib, make_inputs):
    assert lib.load(weight_image(artifact)) == OK
    x, rr = make_inputs(artifact.spec, 500, seed=4)
    got = lib.driver(x, rr)
    g = golden.run(artifact, x, rr)
    np.testing.assert_array_equal(got["cls"], g.cls)
    np.testing.assert_array_equal(got["values"], g.values)
    layout = ResultLayout.of(artifact.spec)
    for words, cls, values in zip(got["words"], g.cls, g.values, strict=True):
        word = sum(int(w) << (32 * i) for i, w in enumerate(words))
        assert word == pack_result(layout, int(cls), values.tolist())


@pytest.mark.parametrize("form", ["bin-file", "c-array"])
def test_the_generated_image_loads_in_both_forms(artifact, lib, make_inputs, form):
    if form == "bin-file":
        assert lib.load_bytes(render(artifact)["snn_weights.bin"]) == OK
    else:
        assert lib.load_builtin() == OK
    x, rr = make_inputs(artifact.spec, 50, seed=5)
    np.testing.assert_array_equal(lib.driver(x, rr)["cls"], golden.run(artifact, x, rr).cls)


def test_a_second_image_for_the_same_hardware_changes_the_answers(
    artifact, lib, make_retrained, make_inputs
):
    """The accelerator computes with what came through the load port, not with the compiled-in
    model: a retrained image gives the retrained model's golden results."""
    other = make_retrained(artifact, seed=1)
    x, rr = make_inputs(artifact.spec, 500, seed=6)
    for model in (other, artifact, other):
        assert lib.load(weight_image(model)) == OK
        got = lib.driver(x, rr)
        np.testing.assert_array_equal(got["values"], golden.run(model, x, rr).values)
    assert not np.array_equal(golden.run(artifact, x, rr).values, got["values"])


def corrupt(image: np.ndarray, where: str) -> np.ndarray:
    image = image.copy()
    if where == "magic":
        image[0] ^= 1
    elif where == "format-version-2":
        image[0] = 0x534E4E32  # "SNN2": a future image format this driver cannot read
    elif where == "checksum":
        image[5] += 1
    elif where == "length-field":
        image[2] += 1
    elif where == "truncated":
        image = image[:-2]
    return image


@pytest.mark.parametrize(
    ("where", "status", "message"),
    [
        ("magic", MAGIC, "not a weight image"),
        ("format-version-2", MAGIC, "unknown image format"),
        ("checksum", CHECKSUM, "checksum mismatch"),
        ("length-field", LENGTH, "length does not match"),
        ("truncated", LENGTH, "length does not match"),
    ],
    ids=lambda v: str(v),
)
def test_bad_images_are_refused_before_a_word_is_sent(artifact, lib, where, status, message):
    assert lib.load(weight_image(artifact)) == OK
    bad = corrupt(weight_image(artifact), where)
    assert lib.check_image(bad) == status
    assert lib.load(bad) == status
    assert message in lib.strerror(status)
    x, rr = np.zeros((1, 1, artifact.spec.preprocess.n_samples)), np.zeros((1, 2))
    assert lib.submit(x, rr) == OK, "the previous model is still loaded: nothing was sent"


def test_an_image_for_other_hardware_is_refused(artifact, lib):
    other = random_artifact(np.random.default_rng(1), T=artifact.spec.T + 1)
    assert lib.load(weight_image(other)) == HARDWARE_ID
    assert "different hardware configuration" in lib.strerror(HARDWARE_ID)
    assert lib.submit(np.zeros(artifact.spec.preprocess.n_samples), np.zeros(2)) == NOT_LOADED


def test_an_image_corrupted_on_the_wire_is_rejected_by_the_accelerator(artifact, lib):
    assert lib.load(weight_image(artifact)) == OK
    lib.corrupt_next_load()
    assert lib.load(weight_image(artifact)) == REJECTED
    assert lib.submit(np.zeros(artifact.spec.preprocess.n_samples), np.zeros(2)) == NOT_LOADED
    assert lib.load(weight_image(artifact)) == OK  # the next good image clears load_error


def test_submit_before_load_out_of_range_busy_and_reset(artifact, lib):
    pre = artifact.spec.preprocess
    x, rr = np.zeros(pre.n_samples, np.int64), np.zeros(2, np.int64)
    assert lib.submit(x, rr) == NOT_LOADED
    assert lib.load(weight_image(artifact)) == OK
    big = x.copy()
    big[0] = 1 << (pre.input_bits - 1)
    assert lib.submit(big, rr) == RANGE
    assert lib.submit(x, np.array([0, 1 << pre.rr_bits])) == RANGE
    assert lib.submit(x, rr) == OK
    assert lib.submit(x, rr) == BUSY, "the unread result holds the accelerator"
    assert lib.load(weight_image(artifact)) == BUSY
    lib.reset()
    assert lib.submit(x, rr) == OK, "reset drops the pending result, keeps the model"
    got = lib.driver(np.zeros((0, 1, pre.n_samples)), np.zeros((0, 2)))
    assert len(got["cls"]) == 0


def test_a_hung_accelerator_times_out_instead_of_hanging(artifact, lib):
    pre = artifact.spec.preprocess
    x, rr = np.zeros(pre.n_samples), np.zeros(2)
    assert lib.load(weight_image(artifact)) == OK
    lib.stall(True)
    assert lib.load(weight_image(artifact)) == TIMEOUT  # the load port never gets ready
    with pytest.raises(DriverError, match="did not answer") as err:
        lib.driver(x[None, None], rr[None])  # nor does the sample port
    assert err.value.status == TIMEOUT
    lib.stall(False)
    lib.reset()
    assert lib.load(weight_image(artifact)) == OK
    assert lib.submit(x, rr) == OK
    lib.stall(True)
    assert lib.wait() == TIMEOUT  # the result never comes
    lib.stall(False)
    assert lib.wait() == OK
