"""The C driver against the accelerator's RTL on Verilator: the compiled driver runs in
a cocotb bridge thread and its HAL calls are handshakes on the real ports
(`sim/accel/cocotb_hal.py`, `sim/accel/driver_tests.py`). One simulator run per module; the tests
below each check one part of what it recorded against golden, the weight image and the port
layout (model/contract).

Model A is the trained artifact (model/artifacts/intra.json or inter.json), else a random
stand-in with the project's front end; model B is A perturbed within its hardware configuration
(`model.variants.perturbed`), loaded into the same build from its generated
snn_weights.bin.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.firmware.build import build_library
from ecg_snn.firmware.generate import config_header, generate
from ecg_snn.hw.config import HwConfig
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, load_artifact
from ecg_snn.model.contract.image import HEADER_WORDS, weight_image
from ecg_snn.model.contract.ports import Port, ResultLayout, pack_result
from ecg_snn.model.contract.spec import signed_range
from ecg_snn.model.variants import perturbed, stand_in
from ecg_snn.sim.accel import design
from ecg_snn.sim.accel.cocotb_hal import BUSY, LOAD_ERROR, LOADED
from ecg_snn.sim.accel.vectors import Vectors, random_and_corners, random_vectors, real_beats
from ecg_snn.sim.tb import runner

ROOT = Path(__file__).resolve().parents[2]
TRAINED = [ROOT / "model" / "artifacts" / n for n in ("intra.json", "inter.json")]
TEST_MODULE = "ecg_snn.sim.accel.driver_tests"
REAL_A, REAL_B = 32, 16  # real beats per model, spread over the test part's records
OTHER_A, OTHER_B = 32, 8  # corner and random vectors per model
POLL_CYCLES = 64
POLL_BUDGET = 400  # x 64 cycles: far above the longest inference and the init sweep


def _status_codes() -> dict[str, int]:
    """snn_status_t, in the order of its enum in snn_types.h (SNN_OK = 0, then one by one)."""
    text = (ROOT / "firmware" / "include" / "snn_types.h").read_text()
    body = text[text.index("SNN_OK = 0") :].split("}")[0]
    return {m: i for i, m in enumerate(re.findall(r"\bSNN_(OK|ERR_\w+)", body))}


S = _status_codes()
OK, RANGE, MAGIC, HARDWARE_ID = S["OK"], S["ERR_RANGE"], S["ERR_MAGIC"], S["ERR_HARDWARE_ID"]
LENGTH, CHECKSUM, REJECTED = S["ERR_LENGTH"], S["ERR_CHECKSUM"], S["ERR_LOAD_REJECTED"]
NOT_LOADED, BUSY_ERR, TIMEOUT = S["ERR_NOT_LOADED"], S["ERR_BUSY"], S["ERR_TIMEOUT"]


@pytest.fixture(scope="module")
def model_a() -> Artifact:
    for path in TRAINED:
        if path.exists():
            return load_artifact(path)
    return stand_in(np.random.default_rng(1))


@pytest.fixture(scope="module")
def model_b(model_a: Artifact) -> Artifact:
    other = perturbed(model_a, np.random.default_rng(7))
    assert other.spec.hardware_id() == model_a.spec.hardware_id()
    return other


def _spread_beats(model: Artifact, part: str, n: int) -> Vectors:
    beats = real_beats(model.spec.preprocess, part)
    return beats[np.linspace(0, len(beats) - 1, n).round().astype(np.int64)]


@pytest.fixture(scope="module")
def vectors(mitdb_dir: Path, model_a: Artifact) -> dict[str, Vectors]:
    part = str(model_a.meta.get("test_part", "intra_test"))  # the model's own test beats
    a = Vectors.concat([_spread_beats(model_a, part, REAL_A), random_and_corners(model_a, OTHER_A)])
    rng = np.random.default_rng(5)
    b = Vectors.concat(
        [
            _spread_beats(model_a, "DS2", REAL_B),
            random_vectors(model_a.spec.preprocess, OTHER_B, rng),
        ]
    )
    return {"a": a, "b": b}


def _bad_images(good: np.ndarray) -> dict[str, np.ndarray]:
    """Images the driver must refuse before sending a word, keyed by the refusal."""
    hwid = good.copy()
    hwid[1] ^= 0x1  # the checksum covers the payload only: still a sound image
    checksum = good.copy()
    checksum[HEADER_WORDS + 5] += np.uint32(1)  # payload changed, checksum kept
    magic = good.copy()
    magic[0] ^= 0x100
    return {"hardware_id": hwid, "checksum": checksum, "length": good[:-1], "magic": magic}


@pytest.fixture(scope="module")
def run(tmp_path_factory, model_a: Artifact, model_b: Artifact, vectors) -> dict:
    """Build (cached), write the job, run both cocotb tests in one simulator process."""
    d = tmp_path_factory.mktemp("driver-rtl")
    lib = build_library(model_a, d / "fw_a")
    generate(model_b, d / "fw_b")
    build = design.accelerator_build(model_a.spec, HwConfig())  # shared with tests/sim
    image_a = weight_image(model_a)
    paths = {}
    for tag, v in vectors.items():
        paths[tag] = d / f"vectors_{tag}.npz"
        np.savez(paths[tag], x=v.x, rr=v.rr)
    np.save(d / "image_a.npy", image_a)
    bad = _bad_images(image_a)
    for name, words in bad.items():
        np.save(d / f"bad_{name}.npy", words)
    job = {
        "lib": str(lib),
        "poll_cycles": POLL_CYCLES,
        "poll_budget": POLL_BUDGET,
        "image_a": str(d / "image_a.npy"),
        "image_b_bin": str(d / "fw_b" / "snn_weights.bin"),
        "vectors_a": str(paths["a"]),
        "vectors_b": str(paths["b"]),
        "bad_images": {name: str(d / f"bad_{name}.npy") for name in bad},
        "raw_bad": str(d / "bad_checksum.npy"),
        "fault_word": HEADER_WORDS + 7,
        "fault_mask": 0x10,
        "input_max": signed_range(model_a.spec.preprocess.input_bits)[1],
        "out": str(d / "out"),
    }
    (d / "job.json").write_text(json.dumps(job, indent=1))
    results = runner.run(
        build, TEST_MODULE, test_dir=d / "run", env={"SIM_DRIVER_JOB": str(d / "job.json")}
    )
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed and len(results) == 2, failed or [r.name for r in results]
    out = {"dir": d, "job": job, "gen_a": d / "fw_a" / "gen", "gen_b": d / "fw_b"}
    for name in ("driver_loads_and_classifies", "driver_errors"):
        out[name] = json.loads((d / "out" / f"{name}.json").read_text())
        with np.load(d / "out" / f"{name}.npz") as f:
            out[name] |= {k: f[k] for k in f.files}
    return out


def _packed(model: Artifact, v: Vectors) -> list[int]:
    """model/contract/ports.py's o_result payload of golden, per vector."""
    g = golden.run(model, v.x[:, None, :], v.rr)
    layout = ResultLayout.of(model.spec)
    return [
        pack_result(layout, int(c), row.tolist()) for c, row in zip(g.cls, g.values, strict=True)
    ]


def _words(payload: np.ndarray) -> list[int]:
    """The HAL's result words (least significant first) as payload integers."""
    return [sum(int(w) << (32 * i) for i, w in enumerate(row)) for row in payload]


def _assert_golden(model: Artifact, v: Vectors, got: dict, tag: str) -> None:
    """The driver's decoded class and values, and the raw o_result payloads, equal golden."""
    g = golden.run(model, v.x[:, None, :], v.rr)
    np.testing.assert_array_equal(got[f"{tag}_cls"], g.cls, err_msg=f"{tag}: class")
    np.testing.assert_array_equal(got[f"{tag}_values"], g.values, err_msg=f"{tag}: values")
    assert _words(got[f"{tag}_payload"]) == _packed(model, v), f"{tag}: payload"


def test_driver_on_rtl_gives_golden_results_for_two_models(run, model_a, model_b, vectors):
    r = run["driver_loads_and_classifies"]
    assert (r["load_a_status"], r["load_b_status"], r["load_a2_status"]) == (OK, OK, OK)
    _assert_golden(model_a, vectors["a"], r, "a")
    _assert_golden(model_b, vectors["b"], r, "b")
    _assert_golden(model_a, vectors["a"][:8], r, "a2")
    assert r["done_pulses"] == len(vectors["a"]) + len(vectors["b"]) + 8


def test_the_comparison_tells_the_two_models_apart(run, model_a, model_b, vectors):
    """Negative test of the check above: B's results are not A's golden, and vice versa."""
    r = run["driver_loads_and_classifies"]
    v = vectors["b"]
    g_a = golden.run(model_a, v.x[:, None, :], v.rr)
    assert not np.array_equal(r["b_values"], g_a.values)
    with pytest.raises(AssertionError, match=r"b: (class|values)"):
        _assert_golden(model_a, v, r, "b")


def test_driver_sends_exactly_the_beats_and_images(run, model_a, model_b, vectors):
    """The port words are the beats' two's-complement samples then RR words, and each image's
    words in order (A from snn_image.h, B from the generated .bin)."""
    r = run["driver_loads_and_classifies"]
    bits = model_a.spec.preprocess.input_bits
    v = vectors["a"]
    np.testing.assert_array_equal(r["a_samples"], (v.x & ((1 << bits) - 1)).ravel())
    np.testing.assert_array_equal(r["a_rr"], v.rr.ravel())
    np.testing.assert_array_equal(r["load_a_words"], weight_image(model_a))
    np.testing.assert_array_equal(r["load_b_words"], weight_image(model_b))
    b_bin = np.fromfile(run["gen_b"] / "snn_weights.bin", dtype="<u4")
    np.testing.assert_array_equal(b_bin, weight_image(model_b))

    # B needs no driver rebuild (the library built for A loaded it above): its configuration
    # header is A's except for the artifact's sha256, which no C source reads
    def config(gen: Path) -> list[str]:
        lines = (gen / "snn_config.h").read_text().splitlines()
        return [line for line in lines if "sha256" not in line.lower()]

    assert config(run["gen_b"]) == config(run["gen_a"])


def test_rtl_drops_loaded_with_the_first_image_word(run):
    """The driver's assumption (docs/firmware.md): `loaded` falls with an image's first word
    and rises only once the last is checked. Flags are sampled as each word is offered."""
    r = run["driver_loads_and_classifies"]
    flags = r["load_b_flags"]  # B replaces A: loaded before the first word, not after it
    assert tuple(flags[0]) == (1, 0)
    assert not flags[1:].any(), "loaded or load_error while the image was still arriving"


def test_driver_refuses_bad_images_before_sending_a_word(run):
    e = run["driver_errors"]
    expected = {"hardware_id": HARDWARE_ID, "checksum": CHECKSUM, "length": LENGTH, "magic": MAGIC}
    for name, code in expected.items():
        assert e[f"refuse_{name}_status"] == code, name
        assert e[f"refuse_{name}_hal_calls"] == {}, f"{name}: the driver touched the ports"
        assert e[f"refuse_{name}_flags"]["loaded"] == 1, f"{name}: the model was disturbed"


def test_rtl_rejects_a_corrupted_image_sent_raw(run, model_a, vectors):
    e = run["driver_errors"]
    assert e["raw_flags"] == {"loaded": 0, "load_error": 1, "busy": 0}
    # the driver then refuses to submit: one status read, no word sent
    assert e["submit_not_loaded_status"] == NOT_LOADED
    assert e["submit_not_loaded_hal_calls"] == {"status:-:ok": 1}
    _assert_golden(model_a, vectors["a"][:2], e, "after_refusals")


def test_a_fault_on_the_wire_is_rejected_by_the_rtl_and_reported(run, model_a, vectors):
    e = run["driver_errors"]
    assert e["load_fault_status"] == REJECTED
    assert e["load_fault_flags"] == {"loaded": 0, "load_error": 1, "busy": 0}
    assert e["load_a_again_status"] == OK
    _assert_golden(model_a, vectors["a"][:4], e, "after_fault")


def test_driver_range_busy_reset_and_timeout_on_rtl(run, model_a, vectors):
    e = run["driver_errors"]
    assert e["submit_range_status"] == RANGE
    assert e["submit_range_hal_calls"] == {"status:-:ok": 1}  # checked before the first word
    assert e["submit_first_status"] == OK
    assert e["submit_busy_status"] == BUSY_ERR
    assert e["submit_busy_hal_calls"] == {"status:-:ok": 1}
    assert e["load_busy_status"] == BUSY_ERR
    assert e["wait_first_status"] == OK
    assert _words(e["busy_payload"]) == _packed(model_a, vectors["a"][:1])  # the first beat's
    assert e["submit_then_reset_status"] == OK
    assert e["reset_flags"] == {"loaded": 1, "load_error": 0, "busy": 0}
    assert e["wait_after_reset_status"] == TIMEOUT
    _assert_golden(model_a, vectors["a"][:4], e, "after_reset")


def test_driver_giving_up_mid_beat_drops_the_half_beat(run, model_a, vectors):
    """With no retries the driver times out after the first sample (the RTL takes several
    cycles per input word): part of the beat is in the chip, so the driver resets it before
    returning SNN_ERR_TIMEOUT; the chip is idle, keeps its model, and the next snn_submit
    goes through."""
    e = run["driver_errors"]
    assert e["submit_gives_up_status"] == TIMEOUT
    assert 0 < e["submit_gives_up_hal_calls"].get("put:i_sample:ok", 0) < 64
    assert e["submit_gives_up_flags"] == {"loaded": 1, "load_error": 0, "busy": 0}
    assert e["submit_after_giving_up_status"] == OK
    assert e["reset_half_beat_flags"] == {"loaded": 1, "load_error": 0, "busy": 0}


def test_an_interrupted_image_does_not_spoil_the_next_load(run, model_a, vectors):
    """An image interrupted on the wire leaves the loader mid-image; snn_load resets the chip
    before streaming, so the next load succeeds at once."""
    e = run["driver_errors"]
    assert e["load_after_interrupted_status"] == OK
    assert e["load_after_interrupted_again_status"] == OK
    assert e["load_after_interrupted_reset_status"] == OK
    _assert_golden(model_a, vectors["a"][:2], e, "after_reload")


def test_a_hal_error_reaches_the_test(run):
    assert "no port 7" in run["driver_errors"]["hal_error"]


def test_hal_codes_in_the_c_header_come_from_the_contract(model_a):
    """The C driver's port codes and status bits are generated from `model.contract.ports`, the
    same values the cocotb HAL uses; the hand-written HAL header defines none of them."""
    text = config_header(model_a)
    for port in Port:
        assert re.search(rf"#define SNN_PORT_{port.name}\s+{int(port)}\n", text)
    for name, value in (("BUSY", BUSY), ("LOADED", LOADED), ("LOAD_ERROR", LOAD_ERROR)):
        assert re.search(rf"#define SNN_STATUS_{name}\s+0x{int(value):x}u\n", text)
    assert "#define SNN_STATUS" not in (ROOT / "firmware" / "include" / "snn_hal.h").read_text()
