"""The chained chip (`hw/chip.py`: QRS detector -> beat front end -> accelerator) on Verilator
against `stream.core.run_stream` with the shipped artifact (`sim/chip.py`, `stream/chip.py`),
on real MIT-BIH minutes: every beat's position, classified flag, chip inputs, the
accelerator's class, the rhythm measure and the class after the rhythm gate; a lead-off gap;
the checker fails on a corrupted expectation, on a planted off-by-one in the reference window
and on a chip without the gate.
All 48 records whole: `make chip ARGS="--records all --no-synth"`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.sim import chip as bench
from ecg_snn.stream.chip import golden, load_case

ROOT = Path(__file__).resolve().parents[2]
FS = 360
SAMPLE, CLASSIFIED, CHIP, RHYTHM, CLS = (bench.FIELDS.index(f) for f in bench.FIELDS)


@pytest.fixture(scope="module")
def artifact():
    return load_artifact(ROOT / "model" / "artifacts" / "inter.json")


@pytest.fixture(scope="module")
def chip_build(artifact):
    return bench.rtl_build(artifact)


@pytest.fixture(scope="module")
def cases(mitdb_dir) -> list[bench.Case]:
    """Two minutes of 208 (many ventricular beats) and of 203 with a 6 s lead-off gap from
    50 s on (invalid samples, held at a value that must not reach a window)."""
    a = load_case("208", 120)
    b = load_case("203", 120)
    valid = b.valid.copy()
    valid[50 * FS : 56 * FS] = False
    gap = bench.Case("203 gap", np.where(valid, b.samples, -32768), valid)
    return [a, gap]


@pytest.fixture(scope="module")
def runs(chip_build, artifact, cases, tmp_path_factory):
    out = []
    for case in cases:
        exp = golden(artifact, case)
        work = tmp_path_factory.mktemp("chip")
        out.append((exp, bench.run_rtl(chip_build, artifact, case, exp, work)))
    return out


def test_chip_equals_run_stream_on_real_minutes(runs, artifact):
    pre = artifact.spec.preprocess
    for exp, got in runs:
        assert bench.compare(exp, got, pre) == []
        assert len(exp.beats) > 100
        assert len(got.words) == exp.beats[:, 1].sum() * (pre.n_samples + pre.n_rr)
    gap_exp = runs[1][0]
    r = gap_exp.beats[:, 0]
    near = (r + 160 + 36 > 50 * FS) & (r - 96 - 36 < 56 * FS)  # window and margin touch it
    assert near.any() and not gap_exp.beats[near, 1].any()  # the gap's beats unclassified
    assert gap_exp.beats[r > 58 * FS, 1].all()  # and classified again after it
    assert len(set(gap_exp.beats[gap_exp.beats[:, 1] == 1, CLS])) > 1  # more than one class
    for exp, _ in runs:  # the gate changes some beats of both: S -> N where rhythm >= G
        changed = exp.beats[:, CLS] != exp.beats[:, CHIP]
        assert changed.any()
        s, n = artifact.spec.classes.index("S"), artifact.spec.classes.index("N")
        assert (exp.beats[changed, CHIP] == s).all() and (exp.beats[changed, CLS] == n).all()
        assert (exp.beats[changed, RHYTHM] >= artifact.spec.rhythm_gate).all()


def test_checker_catches_a_corrupted_expectation(runs, artifact):
    pre = artifact.spec.preprocess
    exp, got = runs[0]
    beats = exp.beats.copy()
    beats[10, CLS] = (beats[10, CLS] + 1) % len(artifact.spec.classes)  # one class
    beats[20, SAMPLE] += 1  # one position
    words = exp.words.copy()
    k = int(beats[:30, 1].sum())  # the 31st beat's words (classified)
    words[k * (pre.n_samples + pre.n_rr) + pre.n_samples + 1] += 1  # its second RR word
    found = bench.compare(bench.Expected(beats, words), got, pre)
    assert len(found) == 3
    assert found[0].startswith("beat 10 ") and "cls" in found[0]
    assert found[1].startswith("beat 20 ") and "sample" in found[1]
    assert found[2].startswith("beat 30 ") and f"from {pre.rr_features[1]}" in found[2]
    assert bench.compare(bench.Expected(beats[:-1], words), got, pre)[0].startswith(
        f"{len(got.beats)} beats from the RTL, {len(got.beats) - 1} from run_stream"
    )


def test_checker_catches_a_wrong_rhythm_or_accelerator_class(runs, artifact):
    pre = artifact.spec.preprocess
    exp, got = runs[0]
    beats = exp.beats.copy()
    i, j = np.flatnonzero(beats[:, CLASSIFIED])[[5, 6]]
    beats[i, RHYTHM] += 1
    beats[j, CHIP] = (beats[j, CHIP] + 1) % len(artifact.spec.classes)
    found = bench.compare(bench.Expected(beats, exp.words), got, pre)
    assert len(found) == 2
    assert found[0].startswith(f"beat {i} ") and "rhythm" in found[0]
    assert found[1].startswith(f"beat {j} ") and "chip" in found[1]


def test_an_ungated_chip_is_caught(runs, artifact, cases):
    """A chip reporting the accelerator's class (no gate) differs from run_stream on exactly
    the beats the gate changed; so does the gated chip from an expectation without the gate."""
    pre = artifact.spec.preprocess
    for (exp, got), case in zip(runs, cases, strict=True):
        changed = np.flatnonzero(exp.beats[:, CLS] != exp.beats[:, CHIP])
        assert len(changed)
        ungated = got.beats.copy()
        ungated[:, CLS] = ungated[:, CHIP]
        found = bench.compare(exp, dataclasses.replace(got, beats=ungated), pre)
        assert [int(f.split()[1]) for f in found] == changed.tolist()
        assert all(f.endswith(f"cls {artifact.spec.classes.index('S')} != 0") for f in found)
        off = dataclasses.replace(artifact, spec=dataclasses.replace(artifact.spec, rhythm_gate=0))
        found = bench.compare(golden(off, case), got, pre)
        assert [int(f.split()[1]) for f in found] == changed.tolist()


def test_an_off_by_one_window_is_caught(runs, artifact, cases):
    """The reference with its windows cut one sample later (before - 1, after + 1): every
    classified beat's samples differ from the chip's."""
    pre = artifact.spec.preprocess
    late = dataclasses.replace(pre, before=pre.before - 1, after=pre.after + 1)
    art = dataclasses.replace(artifact, spec=dataclasses.replace(artifact.spec, preprocess=late))
    exp = golden(art, cases[0])
    got = runs[0][1]
    found = bench.compare(exp, got, pre)
    assert len(found) > 0.9 * exp.beats[:, 1].sum()
    assert all("inputs differ from x[" in f for f in found[:10])
