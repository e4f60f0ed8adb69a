"""Formal properties (`sim/formal.py`, Yosys SMT-BMC + Yices): one parameter set of each
property proved, and each check shown able to fail: on a block with the bug it is meant to
exclude (the shift decoder without its top bit, the membrane register one bit short, the event
queue one entry short), against a reference with the opposite rule (`>` instead of `>=`, ties
to the highest index), and every property on each of its broken blocks (`formal.BROKEN`:
constant outputs, frozen counters, off-by-one compares)."""

from __future__ import annotations

import pytest
from amaranth.hdl import Module

from ecg_snn.hw.config import LayerGeometry
from ecg_snn.hw.neuron import ShiftDecoder
from ecg_snn.sim import formal, formal_spi


def _first(name: str) -> formal.Proof:
    return next(p for p in formal.proofs() if p.name == name)


@pytest.mark.parametrize(
    "name",
    [
        "fire_if",
        "fire_ssf",
        "shift_decoder",
        "vw_no_overflow",
        "tie_break",
        "queue_no_overflow",
        *formal_spi.PROPERTIES,
    ],
)
def test_property_is_proved(name, tmp_path):
    proved, tail = formal.run(_first(name), tmp_path)
    assert proved, tail


def test_queue_proof_covers_the_two_cycle_scan(tmp_path):
    """The shape on which a queue one entry short really overflows (below) is proved safe at the
    depth the generator picks, by induction."""
    (proof,) = [p for p in formal.queue_proofs(()) if p.params["shape"] == "d2"]
    assert proof.induction and proof.params["scans"] == [2]
    proved, tail = formal.run(proof, tmp_path)
    assert proved, tail


class _DecoderWithoutTopBit(ShiftDecoder):
    def elaborate(self, platform):
        m = Module()
        for b in range(self._mb - 2):
            with m.If(self.value[b]):
                m.d.comb += self.shift.eq(b)
        return m


class _ShortGeometry(LayerGeometry):
    @property
    def vw_bits(self) -> int:
        return max(self.layer.membrane_bits, self.layer.acc_bits)


NEGATIVE = {
    "decoder-without-top-bit": lambda m: formal.shift_decoder(m, 10, _DecoderWithoutTopBit),
    "vw-one-bit-short": lambda m: formal.vw_no_overflow(
        m, _ShortGeometry(formal._layer(), 2), LayerGeometry(formal._layer(), 2)
    ),
    "fire-reference-strict": lambda m: formal.fire_if(
        m, LayerGeometry(formal._layer(membrane_bits=6), 2), strict=True
    ),
    "ties-to-highest": lambda m: formal.tie_break(m, 3, 2, 4, lowest=False),
}


@pytest.mark.parametrize("name", list(NEGATIVE))
def test_a_violated_property_is_reported(name, tmp_path):
    depth = 8 if name == "ties-to-highest" else 1
    proved, tail = formal.run(formal.Proof(name, {}, NEGATIVE[name], depth), tmp_path)
    assert not proved and "FAILED" in tail, tail


def test_a_queue_one_entry_short_overflows(tmp_path):
    """Negative, on a real trace: with the queue one entry shallower than the generator makes it,
    BMC from reset over a whole inference of the ROM model whose neurons all spike finds the
    design's own overflow assertion (`hw/event_queue.py`) failing, with no lemma involved."""
    bmc = formal.refutations()[0]
    assert not bmc.induction and bmc.params["lemmas"] is False
    proved, tail = formal.run(bmc, tmp_path)
    assert not proved and "hw/event_queue.py" in formal.failure(tail), tail


def test_the_queue_proof_fails_on_a_short_queue(tmp_path):
    """Negative: the induction proof of a shape with a 3-cycle scan does not go through on a
    queue one entry short (its lemma L4 fails), so it cannot pass whatever the depth."""
    proof = formal.refutations()[1]
    assert proof.induction and proof.params["scans"][0] == 3
    proved, tail = formal.run(proof, tmp_path)
    assert not proved and "FAILED" in tail, tail


MUST_FAIL = formal.must_fail()


def _first_of_each_property_fast(proofs: list) -> list:
    """Every variant runs in `make test`; `make test-fast` keeps the first of each property (the
    others are marked slow: a solver run each)."""
    seen: set[str] = set()
    out = []
    for p in proofs:
        prop = p.name.split("/")[0]
        out.append(pytest.param(p, id=p.name, marks=[pytest.mark.slow] if prop in seen else []))
        seen.add(prop)
    return out


@pytest.mark.parametrize("proof", _first_of_each_property_fast(MUST_FAIL))
def test_every_property_fails_on_its_broken_blocks(proof, tmp_path):
    proved, tail = formal.run(proof, tmp_path)
    assert not proved and "FAILED" in tail, f"{proof.name} holds on a broken block:\n{tail}"


def test_every_property_has_broken_blocks():
    named = {p.name for p in formal.proofs()}
    assert named == set(formal.BROKEN) | set(formal_spi.BROKEN)
    assert set(formal_spi.BROKEN) == set(formal_spi.PROPERTIES)
    assert all(len(v) >= 2 for v in formal_spi.BROKEN.values())
    assert all(len(v) >= 2 for v in formal.BROKEN.values())


def test_an_spi_property_the_shell_breaks_is_named_in_its_failure(tmp_path):
    """Negative, read closely: the shell whose WRITE looks at the sample FREE bit for every port
    fails the WRITE property at its own assertion (not at some other one)."""
    (proof,) = [p for p in formal.must_fail() if p.name.endswith("sample-free-bit-for-every-port")]
    proved, tail = formal.run(proof, tmp_path)
    assert not proved and "sim/formal_spi.py" in formal.failure(tail), tail


@pytest.mark.parametrize(
    ("variant", "assertion"),
    [
        ("never-taken", '"taken on that byte"'),
        ("taken-by-a-cut-read", '"a cut read leaves the result"'),
        ("cut-before-the-last-byte-not-flagged", '"a cut read is FRAME"'),
    ],
)
def test_a_result_taken_variant_fails_at_the_property_itself(variant, assertion, tmp_path):
    """Negative, read closely: a shell that never takes the result, one whose cut read takes
    it, and one that does not flag a read cut inside its last result byte each fail the
    result-taken property's own assertion, not a lemma of the transaction model."""
    (proof,) = [p for p in formal.must_fail() if p.name.endswith(f"/{variant}")]
    proved, tail = formal.run(proof, tmp_path)
    assert not proved, tail
    where = formal.failure(tail).split(": ", 1)[1]
    path, line = where.rsplit(":", 1)
    assert path == "sim/formal_spi.py", where
    # the assertion's message is on its line or the next (a wrapped Assert call)
    text = (formal.ROOT / path).read_text().splitlines()[int(line) - 1 : int(line) + 1]
    assert any(assertion in t for t in text), (where, text)


def test_a_mutant_snippet_that_does_not_apply_is_refused():
    from ecg_snn.hw.decision import Decision

    with pytest.raises(LookupError, match="occurs 0 times"):
        formal.mutant(Decision, "no such line", "x")
