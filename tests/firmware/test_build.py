"""The host build: strict compiler flags that really fail on a warning, the `make firmware`
report, and its refusal without a model."""

from __future__ import annotations

import json

import pytest

from ecg_snn.firmware import build
from ecg_snn.firmware.build import CFLAGS, BuildError, build_all, compile_object
from ecg_snn.firmware.generate import count_neurons, generate


def test_the_flags_are_strict_c99():
    for flag in ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"):
        assert flag in CFLAGS


@pytest.mark.parametrize(
    "body",
    [
        "int f(void) { int unused; return 0; }",  # -Wall
        "int f(unsigned a) { return a < 0; }",  # -Wextra (type-limits)
        "long long f(void) { return 0LL; } int g(void) { return (int)sizeof(f); }",  # -pedantic
    ],
    ids=["unused", "type-limits", "pedantic"],
)
def test_a_warning_fails_the_build(tmp_path, artifact_gen, body):
    """A negative test for the checker: the flags must turn each class of warning into an error."""
    src = tmp_path / "bad.c"
    src.write_text(body + "\n")
    with pytest.raises(BuildError, match="error"):
        compile_object(src, tmp_path / "bad.o", artifact_gen)


@pytest.fixture
def artifact_gen(make_variant, tmp_path):
    return generate(make_variant("default"), tmp_path / "gen")[0].parent


def test_build_all_reports_sizes_and_time(make_variant, tmp_path):
    artifact = make_variant("deep-long")
    report_path = tmp_path / "firmware.json"
    report = build_all(artifact, tmp_path / "fw", report_path=report_path, real_beats=False)
    assert json.loads(report_path.read_text()) == report
    sizes = report["bytes"]
    assert sizes["reference"]["code"] > 0 and sizes["driver"]["code"] > 0
    # the reference's static RAM is its five buffers (membranes, constants, acc, spikes and
    # the ssf spike counts, one uint16_t pair for an all-IF model), plus alignment padding
    layers = artifact.spec.layers
    n_total = sum(layer.n_out for layer in layers)
    n_const = sum(layer.n_out for layer in layers if layer.source == "input" or layer.rr_inputs)
    n_max = max(layer.n_out for layer in layers)
    buffers = (
        4 * n_total + 4 * n_const + 4 * n_max + 2 * n_max + 2 * 2 * count_neurons(artifact.spec)
    )
    assert buffers <= sizes["reference"]["ram"] < buffers + 128
    assert sizes["driver"]["ram"] == 0, "the driver keeps no state of its own"
    assert sizes["reference"]["const"] >= 4 * 0 + sum(t.size for t in artifact.tensors.values()), (
        "weights are in flash"
    )
    assert report["time_per_beat_us"] > 0
    if build.can_compile_32bit():
        assert report["bytes_32bit_os"]["reference"]["ram"] >= buffers
    assert report["cflags"] == " ".join(CFLAGS)


def test_the_firmware_is_freestanding_32bit_clean(make_variant, tmp_path):
    """No C library and 32-bit int-width assumptions: what a microcontroller build needs."""
    if not build.can_compile_32bit():
        pytest.skip("this gcc has no -m32 code generator")
    generate(make_variant("wide"), tmp_path / "gen")
    objects = build.build_objects(tmp_path, build.MCU_PROXY, "obj32")
    assert all(obj.is_file() for objs in objects.values() for obj in objs)


def test_make_firmware_without_a_model_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MODEL", raising=False)
    assert build.main(["--model", str(tmp_path / "none.json"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no model artifact" in err and "make train" in err


def test_another_model_never_replaces_the_default_build(tmp_path, monkeypatch, capsys):
    """`make firmware MODEL=other.json` writes its own folder and report, keyed by the model's
    checksum; the default build and report are left alone."""
    import shutil

    from ecg_snn.model.contract.artifact import load_artifact
    from ecg_snn.model.shipped import shipped

    monkeypatch.delenv("MODEL", raising=False)
    monkeypatch.setattr(build, "DEFAULT_OUT", tmp_path / "firmware")
    monkeypatch.setattr(build, "REPORT", tmp_path / "reports" / "firmware.json")
    other = shutil.copy(shipped("inter"), tmp_path / "other.json")
    assert build.main(["--model", str(other)]) == 0
    sha = load_artifact(other).checksum()[:8]
    assert (tmp_path / f"firmware-model{sha}" / "gen" / "snn_weights.bin").is_file()
    assert (tmp_path / "reports" / f"firmware-model{sha}.json").is_file()
    assert (
        not (tmp_path / "firmware").exists()
        and not (tmp_path / "reports" / "firmware.json").exists()
    )
    assert f"firmware-model{sha}.json" in capsys.readouterr().out
