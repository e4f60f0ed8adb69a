"""The beat front end (`hw/beat_frontend.py`) in the Amaranth simulator against the contract
(`stream.core.cut` with `model/contract/beat_window.py`, `frontend.preprocess_stream`): the
same beats classified, the same chip inputs, for beat positions and decision samples given
directly (no detector), including the window, ring, gap and patient rules by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator

from ecg_snn.data.records import Record
from ecg_snn.hw.beat_frontend import BeatFrontend
from ecg_snn.hw.divider import SeqDivider
from ecg_snn.model.contract import beat_window as bw
from ecg_snn.model.contract.artifact import load_artifact
from ecg_snn.model.contract.frontend import preprocess_stream
from ecg_snn.model.contract.patient import rhythm_values
from ecg_snn.model.contract.spec import Preprocess
from tests.ecg_synth import synthetic_ecg

ROOT = Path(__file__).resolve().parents[2]
ART = load_artifact(ROOT / "model" / "artifacts" / "inter.json")
PRE = ART.spec.preprocess  # the shipped front end: 4 RR and the 3 patient features


def expected(pre: Preprocess, signal, valid, sample, decided) -> list[tuple]:
    """Per beat but the last: (sample, classified, x words, rr words, rhythm), as `run_stream`
    (rhythm: `patient.rhythm_values` of the classified beats, 0 for the others)."""
    from ecg_snn.stream.core import cut

    art = dataclasses.replace(ART, spec=dataclasses.replace(ART.spec, preprocess=pre))
    rec = Record("t", 360, "MLII", np.asarray(signal), 200.0, np.zeros(0), np.zeros(0, "<U1"))
    windows, rr3, keep = cut(rec, np.asarray(sample), art, np.asarray(valid), np.asarray(decided))
    x, rr = preprocess_stream(pre, windows, rr3)
    rhythm = rhythm_values(pre, rr3)
    out, k = [], 0
    for i in range(len(sample) - 1):
        if keep[i]:
            out.append((int(sample[i]), 1, x[k, 0].tolist(), rr[k].tolist(), int(rhythm[k])))
            k += 1
        else:
            out.append((int(sample[i]), 0, [], [], 0))
    return out


def simulate(pre: Preprocess, signal, valid, sample, decided, stall: int = 0) -> list[tuple]:
    """Tap every sample (one a cycle when the block does not hold), offer beat j right after
    its decision sample (no sample taken until it is taken, as the detector), and collect the
    outputs; `stall`: the x/rr consumer takes a word only every `stall + 1` cycles."""
    dut = BeatFrontend(pre)
    at = {int(d): int(s) for s, d in zip(sample, decided, strict=True)}
    got: list[tuple] = []

    async def bench(ctx) -> None:
        xs: list[int] = []
        rrs: list[int] = []
        k, pending, cycle = 0, None, 0
        n_out = len(sample) - 1
        while len(got) < n_out:
            cycle += 1
            ready = stall == 0 or cycle % (stall + 1) == 0
            ctx.set(dut.o_x.ready, ready)
            if pre.n_rr:
                ctx.set(dut.o_rr.ready, ready)
            ctx.set(dut.o_info.ready, 1)
            ctx.set(dut.i_beat.valid, pending is not None)
            if pending is not None:
                ctx.set(dut.i_beat.payload, {"sample": pending, "peak": 0, "searchback": 0})
            tap = pending is None and k < len(signal) and not ctx.get(dut.hold)
            ctx.set(dut.tap_valid, tap)
            if tap:
                ctx.set(dut.tap, {"value": int(signal[k]), "valid": int(valid[k])})
            sampled = await ctx.tick().sample(
                dut.i_beat.ready, dut.o_x.valid, dut.o_x.payload, dut.o_info.valid,
                dut.o_info.payload, *((dut.o_rr.valid, dut.o_rr.payload) if pre.n_rr else ()),
            )  # fmt: skip
            b_ready, xv, xp, iv, ip, *rr = sampled[-(7 if pre.n_rr else 5) :]
            if pending is not None and b_ready:
                pending = None
            if tap:
                if k in at:
                    pending = at[k]
                k += 1
            if xv and ready:
                xs.append(int(xp))
            if pre.n_rr and rr[0] and ready:
                rrs.append(int(rr[1]))
            if iv:
                got.append((int(ip.sample), int(ip.classified), xs, rrs, int(ip.rhythm)))
                xs, rrs = [], []
            if k == len(signal) and pending is None and cycle > 10 * len(signal) + 10**6:
                raise AssertionError("the block stopped")

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def detections(bpm: float, seconds: float, seed: int = 0):
    from ecg_snn.model.contract import qrs

    sig = synthetic_ecg(bpm, seconds, seed)
    det = qrs.detect(sig)
    return sig, det.sample, det.decided


def test_matches_the_contract_on_a_synthetic_record():
    """Detected beats of a synthetic record: every beat after the first classified (the
    template warms up, the irregularity ring fills), the words as the contract's."""
    sig, sample, decided = detections(80, 16)
    valid = np.ones(len(sig), bool)
    want = expected(PRE, sig, valid, sample, decided)
    assert sum(w[1] for w in want) >= 15
    assert simulate(PRE, sig, valid, sample, decided) == want


def test_matches_with_a_slow_accelerator_and_odd_rhythm():
    """Irregular positions (a premature beat, a long pause that resets the patient state) and
    a consumer taking a word every third cycle."""
    rng = np.random.default_rng(3)
    rr = [300, 290, 310, 180, 420, 300, 1200, 310, 300, 295, 305, 150, 450, 300, 300]
    sample = np.cumsum([400, *rr])
    decided = sample + 200 + rng.integers(0, 30, len(sample))
    n = int(decided[-1]) + 50
    sig = (rng.integers(-300, 300, n) + 1024).astype(np.int64)
    valid = np.ones(n, bool)
    want = expected(PRE, sig, valid, sample, decided)
    assert simulate(PRE, sig, valid, sample, decided, stall=2) == want


def test_ring_rule_fires_in_the_block():
    """Beat 1's next beat decided when its oldest sample read is the oldest in the ring
    (classified), beat 3's one sample later (unclassified), beat 2's far later (unclassified),
    as the contract says."""
    m = bw.margin(PRE)
    sample = np.array([300, 700, 1100, 4300, 4700])
    # e - (r - before - m) = WINDOW_RING - 1 for beat 1, WINDOW_RING for beat 3
    e1 = 700 - PRE.before - m + bw.WINDOW_RING - 1
    e3 = 4300 - PRE.before - m + bw.WINDOW_RING
    decided = np.array([500, 900, e1, 4500, e3])
    n = e3 + 10
    sig = (np.arange(n) % 97).astype(np.int64)
    valid = np.ones(n, bool)
    want = expected(PRE, sig, valid, sample, decided)
    assert [w[1] for w in want] == [0, 1, 0, 0]
    got = simulate(PRE, sig, valid, sample, decided)
    assert got == want


def test_gap_rules_in_the_block():
    """Invalid samples (each beat i leaves at e = decided[i+1]): 880 in beat 1's margin (out)
    and between beat 2's neighbours (out); 1750 between the neighbours of beats 3 and 4 but in
    no margin (both out); 2492 in beat 5's margin but after its emit sample 2490 (kept: the
    causal rule), in beat 6's window and between beat 7's neighbours (out); beat 8 clean."""
    sample = np.array([300, 700, 1100, 1500, 1900, 2300, 2400, 2800, 3200, 3600])
    decided = np.array([450, 900, 1300, 1700, 2100, 2470, 2490, 2950, 3350, 3750])
    n = int(decided[-1]) + 10
    sig = (np.arange(n) % 50 * 7).astype(np.int64)
    valid = np.ones(n, bool)
    valid[[880, 1750, 2492]] = False
    want = expected(PRE, sig, valid, sample, decided)
    assert [w[1] for w in want] == [0, 0, 0, 0, 0, 1, 0, 0, 1]
    assert simulate(PRE, sig, valid, sample, decided) == want


@pytest.mark.parametrize("invalid", [None, 1100], ids=["clean", "gap-left-the-ring"])
def test_gap_between_neighbours_that_has_left_the_ring(invalid):
    """Beat 2 follows a 3500-sample pause: when it leaves (4990) the ring starts at 1919, so
    an invalid sample at 1100 (after its previous beat, 1000) is known only as the last
    invalid sample evicted from the ring: beat 2 out; without it, beat 2 is classified."""
    sample = np.array([500, 1000, 4500, 4800, 5100])
    decided = np.array([700, 1200, 4700, 4990, 5300])
    n = int(decided[-1]) + 10
    sig = (np.arange(n) % 61 * 5).astype(np.int64)
    valid = np.ones(n, bool)
    if invalid:
        valid[invalid] = False
    want = expected(PRE, sig, valid, sample, decided)
    assert [w[1] for w in want] == [0, 0, 0 if invalid else 1, 1]
    assert simulate(PRE, sig, valid, sample, decided) == want


def test_window_rr_division_and_template_by_hand():
    """A 16-sample window, downsample 4 (chip samples 0..3, the QRS range all of them).
    Beat 1: samples 1,1,1,1,2,...,4: d = 4, 8, 12, 16, base = 40 // 4 = 10, x1 = -6, -2, 2, 6;
    prev_ratio = (100 << 5) // 100 = 32 (k = 1: local = prev); an empty template and no
    |dRR| yet: 0, 0, 0; taken, k = 0: acc = x1 << 4.
    Beat 2: a flat 5: x = 0; local = (330 - 100) // 2 = 115, prev_ratio = 4160 // 115 = 36;
    tmpl_dist = tmpl_qrs = (16 << 5) // 16 = 32; irreg = (30 << 6) // 115 = 16; taken with
    k = bit_length(1) = 1: acc = 16 x1 + (-16 x1 >> 1) = 8 x1, t = x1 >> 1 = -3, -1, 1, 3.
    Beat 3: x1 again; local = (460 - 200) // 2 = 130, prev_ratio = 32; |x1 - t| = 8,
    sum |t| = 8: tmpl_dist = tmpl_qrs = 32; |dRR| = 30, 0: irreg = (15 << 6) // 130 = 7."""
    pre = Preprocess(before=8, after=8, downsample=4, input_shift=0, input_bits=12,
                     rr_features=("prev_ratio", "local", "tmpl_dist", "tmpl_qrs", "irreg"),
                     rr_bits=8, ratio_shift=5, rr_shift=0, local_rr_beats=2)  # fmt: skip
    sample = np.array([100, 200, 330, 460, 590])
    decided = np.array([150, 260, 400, 520, 650])
    sig = np.zeros(660, np.int64)
    sig[192:208] = sig[452:468] = np.repeat([1, 2, 3, 4], 4)
    sig[322:338] = 5
    valid = np.ones(len(sig), bool)
    x1 = [-6, -2, 2, 6]
    want = [
        (100, 0, [], [], 0),
        (200, 1, x1, [32, 100, 0, 0, 0], 0),
        (330, 1, [0, 0, 0, 0], [36, 115, 32, 32, 16], 16),  # rhythm = irreg (<= 16 |dRR|)
        (460, 1, x1, [32, 130, 32, 32, 7], 7),
    ]
    assert expected(pre, sig, valid, sample, decided) == want
    assert simulate(pre, sig, valid, sample, decided) == want


def test_irreg_and_rhythm_over_more_than_16_differences_by_hand():
    """RR intervals 100, 180, 100, 180, 100, then 100: beats 2..5 bring |dRR| = 80 each, every
    later beat 0 (beat i brings d_i); from beat 7 on local = 100. irreg = ((sum of the newest
    16 // count) << 6) // 100, rhythm the same over the ring's up to 64:
    beat 18 (d_2..d_18): irreg 240 // 16 = 15 -> 960 // 100 = 9, rhythm 320 // 17 = 18 -> 11;
    beat 21: irreg 0 (d_6..d_21), rhythm 320 // 20 = 16 -> 10;
    beat 65 (64 differences, the ring full): rhythm 320 // 64 = 5 -> 3;
    beat 66 (d_2 evicted): 240 // 64 = 3 -> 1; beat 69 (d_6..d_69): 0."""
    pre = Preprocess(before=8, after=8, downsample=4, input_shift=0, input_bits=12,
                     rr_features=("prev_ratio", "local", "tmpl_dist", "tmpl_qrs", "irreg"),
                     rr_bits=8, ratio_shift=5, rr_shift=0, local_rr_beats=2)  # fmt: skip
    rr = [100, 180, 100, 180, 100] + [100] * 66
    sample = np.cumsum([100, *rr])
    decided = sample + 50
    sig = (np.arange(int(decided[-1]) + 10) % 23).astype(np.int64)
    valid = np.ones(len(sig), bool)
    want = expected(pre, sig, valid, sample, decided)
    hand = {18: (9, 11), 21: (0, 10), 65: (0, 3), 66: (0, 1), 69: (0, 0)}
    assert {i: (want[i][3][4], want[i][4]) for i in hand} == hand
    assert all(w[1] for w in want[1:])
    assert simulate(pre, sig, valid, sample, decided) == want


def test_divider_hand_values():
    dut = SeqDivider(8, 4)
    cases = [(200, 7, 28), (255, 1, 255), (0, 5, 0), (6, 7, 0), (7, 7, 1), (255, 15, 17)]
    got = []

    async def bench(ctx) -> None:
        for num, den, _ in cases:
            ctx.set(dut.num, num)
            ctx.set(dut.den, den)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            cycles = 0
            while ctx.get(dut.busy):
                await ctx.tick()
                cycles += 1
            got.append((num, den, ctx.get(dut.quotient)))
            assert cycles == 8

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == cases


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pre": Preprocess(fs=250)}, "the front end runs at the detector's 360 Hz, not 250"),
        ({"pre": PRE, "sample_bits": 15}, "sample_bits must be an integer from 16 to 32, not 15"),
        ({"pre": "x"}, "pre must be a Preprocess, not str"),
    ],
    ids=["rate", "bits", "type"],
)
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=f"^{message}$"):
        BeatFrontend(**kwargs)
