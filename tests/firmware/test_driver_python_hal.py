"""The C driver against an accelerator written in Python from the contracts alone
(`model/contract/ports.py` ports and result packing, `model/contract/image.py` image checks,
`model/contract/golden.py`):
independent of the C host model, and the same callback route the cocotb testbench will use to
put the RTL behind the driver."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, ModelSpec
from ecg_snn.model.contract.image import HEADER_WORDS, parse_image, payload_words, weight_image
from ecg_snn.model.contract.ports import ResultLayout, pack_result

SAMPLE, RR, LOAD = 0, 1, 2
BUSY, LOADED, LOAD_ERROR = 1, 2, 4
OK, HARDWARE_ID, REJECTED = 0, 4, 7


class PyAccelerator:
    """The port contract of model/contract/ports.py, transaction level; the model it runs is
    whatever
    came through the load port. `ready_every` makes the input ports refuse words now and then
    (backpressure), so the driver's retries are exercised."""

    def __init__(self, spec: ModelSpec, ready_every: int = 1):
        self.spec = spec
        self.layout = ResultLayout.of(spec)
        self.n_image = HEADER_WORDS + payload_words(spec) + 1
        self.ready_every = ready_every
        self.calls = 0
        self.model: Artifact | None = None
        self.load_error = False
        self.image: list[int] = []
        self.reset()

    def reset(self) -> None:
        self.x: list[int] = []
        self.rr: list[int] = []
        self.result: int | None = None
        self.image = []

    def busy(self) -> bool:
        return bool(self.x or self.rr or self.result is not None)

    def status(self) -> int:
        return (
            (BUSY if self.busy() else 0)
            | (LOADED if self.model else 0)
            | (LOAD_ERROR if self.load_error else 0)
        )

    def put(self, port: int, word: int) -> bool:
        self.calls += 1
        if self.calls % self.ready_every:
            return False
        if port == LOAD:
            return self._load(word)
        if self.model is None or self.result is not None:
            return False
        pre = self.spec.preprocess
        if port == SAMPLE and len(self.x) < pre.n_samples:
            sign = 1 << (pre.input_bits - 1)
            self.x.append((word ^ sign) - sign)
        elif port == RR and len(self.rr) < self.spec.n_rr:
            self.rr.append(word)
        else:
            return False
        if len(self.x) == pre.n_samples and len(self.rr) == self.spec.n_rr:
            g = golden.run(self.model, np.array([[self.x]]), np.array([self.rr]))
            self.result = pack_result(self.layout, int(g.cls[0]), g.values[0].tolist())
            self.x, self.rr = [], []
        return True

    def _load(self, word: int) -> bool:
        if self.busy() and not self.image:
            return False
        if not self.image:
            self.model, self.load_error = None, False
        self.image.append(word)
        if len(self.image) == self.n_image:
            try:
                values = parse_image(np.array(self.image, np.uint32), self.spec)
            except ArtifactError:
                self.load_error = True
            else:
                self.model = self._artifact(values)
            self.image = []
        return True

    def _artifact(self, values: dict) -> Artifact:
        layers = [
            dataclasses.replace(
                layer,
                threshold=int(values[f"{layer.name}.threshold"]),
                v_init=int(values[f"{layer.name}.v_init"]),
            )
            for layer in self.spec.layers
        ]
        tensors = {k: v for k, v in values.items() if not k.endswith((".threshold", ".v_init"))}
        return Artifact(spec=dataclasses.replace(self.spec, layers=tuple(layers)), tensors=tensors)

    def get_result(self) -> list[int] | None:
        if self.result is None:
            return None
        word, self.result = self.result, None
        n = (self.layout.width + 31) // 32
        return [(word >> (32 * i)) & 0xFFFFFFFF for i in range(n)]


@pytest.mark.parametrize("ready_every", [1, 3], ids=["always-ready", "backpressure"])
def test_driver_on_a_python_accelerator_gives_golden_results(
    make_variant, make_retrained, make_inputs, host_lib, ready_every
):
    artifact = make_variant("default")
    lib = host_lib(artifact)
    accel = PyAccelerator(artifact.spec, ready_every)
    lib.use_hal(accel)
    x, rr = make_inputs(artifact.spec, 60, seed=8)
    for model in (artifact, make_retrained(artifact, seed=3)):
        assert lib.load(weight_image(model)) == OK
        got = lib.driver(x, rr)
        g = golden.run(model, x, rr)
        np.testing.assert_array_equal(got["cls"], g.cls)
        np.testing.assert_array_equal(got["values"], g.values)


def test_python_accelerator_rejections_reach_the_driver(make_variant, host_lib):
    artifact = make_variant("default")
    lib = host_lib(artifact)
    accel = PyAccelerator(artifact.spec)
    lib.use_hal(accel)
    other = make_variant("all-rr-features")
    assert lib.load(weight_image(other)) == HARDWARE_ID  # refused by the driver, nothing sent
    assert accel.calls == 0
    # an accelerator built for other hardware (same image length, another T) rejects the image
    # the driver considers good: its load_error reaches the caller as SNN_ERR_LOAD_REJECTED
    lib.use_hal(PyAccelerator(dataclasses.replace(artifact.spec, T=artifact.spec.T + 1)))
    assert lib.load(weight_image(artifact)) == REJECTED
