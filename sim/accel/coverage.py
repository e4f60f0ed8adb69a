"""Did the stimulus reach the corners? A coverage model measured on the golden model, so a test
or `make sim` can prove its vectors really saturate membranes, really fill registers to their
last bit and really produce decision ties, instead of assuming it.

Per layer (`measure`), over every (beat, neuron, step) update:

- `saturated_high` / `saturated_low`: updates clamped to the top / bottom of the membrane (IF:
  every step; ssf: the one fire);
- `bits`: for each register, the most bits a value in it needed (two's complement), next to
  the register's width (`widths`). Registers and where their widths come from:

      acc       spike-driven current of one step (ssf: over T steps)   spec `acc_bits`
      const     bias + input or RR current                              spec `const_bits`
      cin       input or RR current without the bias (RTL memory)      `LayerGeometry.cin_bits`
      vw        V + acc before the fire stage (ssf: v_init + acc)       `LayerGeometry.vw_bits`
      membrane  V after the one saturation                              spec `membrane_bits`

  `cin` exists only in the input layer and RR layers; the input layer's `acc` is always 0.
  A value is at a register's limit when it needs every bit of it (`bits == width`): a register
  one bit short would wrap on it. `vw` and `cin` are sized one bit above what the spec widths
  need, so only a value that needs that extra bit shows the bit is there.
- `fire_at_threshold` (IF): updates with V exactly equal to the threshold (`>=` vs `>`);
- `count_at_T` / `count_clipped` (ssf): counts equal to T (also for the last IF layer in front
  of an ssf suffix, whose count memory then needs all its `ceil(log2(T+1))` bits), and of them
  those where V // threshold was above T (the clip acted); `top_shift`: non-zero counts of a
  layer whose threshold is the largest legal one (2**(m-2), the top bit of the shift decoder).

Over the run: `ties` (beats whose largest output value is shared by two classes).

`bins` folds a list of such measurements (one per artifact run, each with the `lanes` of the
hardware it ran on) into named bins that must all be non-empty, among them one per lane count
`LANES`; `empty_bins` lists those that are not (`make sim` fails on them).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

from ecg_snn.hw.config import LayerGeometry
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import count_bits, signed_bits_for

REGISTERS = ("acc", "const", "cin", "vw", "membrane")
LANES = tuple(range(1, 17))  # every lane count a run set must exercise (issue 14: 1..16)


def bits_used(a: np.ndarray | int) -> int:
    """Two's-complement bits the values of `a` need (1 for all zeros)."""
    a = np.asarray(a)
    if not a.size:
        return 1
    return signed_bits_for(min(int(a.min()), 0), max(int(a.max()), 0))


class _Layer:
    def __init__(self, layer, artifact: Artifact):
        geo = LayerGeometry(layer, 1)  # widths do not depend on lanes
        self.layer = layer
        self.bias = np.repeat(artifact.bias(layer).astype(np.int64), layer.out_length)
        self.widths = {
            "acc": layer.acc_bits,
            "const": layer.const_bits,
            "cin": geo.cin_bits if geo.has_cin else 0,
            "vw": geo.vw_bits,
            "membrane": layer.membrane_bits,
        }
        self.bits = dict.fromkeys(REGISTERS, 1)
        self.stats = dict.fromkeys(
            ("updates", "saturated_high", "saturated_low", "fire_at_threshold", "count_at_T",
             "count_clipped", "top_shift"), 0)  # fmt: skip

    def see(self, reg: str, values: np.ndarray | int) -> None:
        self.bits[reg] = max(self.bits[reg], bits_used(values))

    def common(self, acc, const, vw, raw) -> np.ndarray:
        lo, hi = self.layer.membrane_range
        self.see("acc", acc)
        self.see("const", const)
        if self.widths["cin"]:
            self.see("cin", const - self.bias)
        self.see("vw", vw)
        v = np.clip(raw, lo, hi)
        self.see("membrane", v)
        self.stats["updates"] += int(np.size(raw))
        self.stats["saturated_high"] += int((raw > hi).sum())
        self.stats["saturated_low"] += int((raw < lo).sum())
        return v

    def report(self) -> dict:
        la = self.layer
        return {
            "neuron": la.neuron,
            "role": role(la),
            "widths": {k: w for k, w in self.widths.items() if w},
            "bits": {k: b for k, b in self.bits.items() if self.widths[k]},
            **self.stats,
        }


def role(layer) -> str:
    if not layer.fires:
        return "output"
    if layer.source == "input":
        return "input"
    return "rr" if layer.rr_inputs else "hidden"


# `make sim` measures its limit cases in parallel threads: without the lock, one thread's
# golden run would count into (and restore over) another's wrappers.
_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _instrumented(layers: dict[str, _Layer], T: int) -> Iterator[None]:
    # golden.run looks `if_step` and `ssf_fire` up in its module at call time; wrapping them
    # there measures the real arithmetic without a second copy of the loop that could drift.
    with _PATCH_LOCK:
        yield from _patched(layers)


def _patched(layers: dict[str, _Layer]) -> Iterator[None]:
    if_step, ssf_fire = golden.if_step, golden.ssf_fire

    def counting_if(v, acc, const, layer):
        c = layers[layer.name]
        vw = v + acc
        vs = c.common(acc, const, vw, vw + const)
        if layer.fires:
            c.stats["fire_at_threshold"] += int((vs == layer.threshold).sum())
        return if_step(v, acc, const, layer)

    def counting_ssf(counts_in, matrix_t, const, layer, T_):
        c = layers[layer.name]
        acc = 0 if counts_in is None else golden._matmul(counts_in, matrix_t)
        vw = layer.v_init + acc
        vs = c.common(np.broadcast_to(acc, np.shape(const)), const, vw, vw + T_ * const)
        v, counts = ssf_fire(counts_in, matrix_t, const, layer, T_)
        if layer.fires:
            c.stats["count_at_T"] += int((counts == T_).sum())
            c.stats["count_clipped"] += int((vs // layer.threshold > T_).sum())
            top = 1 << (layer.membrane_bits - 2)
            if layer.threshold == top:
                c.stats["top_shift"] += int((counts > 0).sum())
        return v, counts

    golden.if_step, golden.ssf_fire = counting_if, counting_ssf
    try:
        yield
    finally:
        golden.if_step, golden.ssf_fire = if_step, ssf_fire


def measure(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> dict:
    """The coverage of inputs x (N, n_samples) and rr (N, n_rr) on `artifact`: per layer (see
    the module docstring), `ties`, `T` and `beats`."""
    return measure_run(artifact, x, rr)[0]


def measure_run(
    artifact: Artifact, x: np.ndarray, rr: np.ndarray
) -> tuple[dict, golden.GoldenResult]:
    """`measure`, and the golden model's result it was measured on (one golden run serves as
    both the expectation and the coverage)."""
    spec = artifact.spec
    layers = {la.name: _Layer(la, artifact) for la in spec.layers}
    n_if = spec.n_if
    counted = 0 < n_if < len(spec.layers)  # the last IF layer counts spikes for an ssf suffix
    with _instrumented(layers, spec.T):
        res = golden.run(artifact, np.asarray(x)[:, None, :], rr, record=counted)
    if counted:
        counts = sum(step[n_if - 1].astype(np.int64) for step in res.trace)
        layers[spec.layers[n_if - 1].name].stats["count_at_T"] += int((counts == spec.T).sum())
        res.trace = None
    values = res.values
    tied = (values == values.max(axis=1, keepdims=True)).sum(axis=1) > 1
    report = {
        "T": spec.T,
        "beats": len(values),
        "ties": int(tied.sum()),
        "count_bits": count_bits(spec.T),
        "layers": {name: c.report() for name, c in layers.items()},
    }
    return report, res


def bins(runs: list[dict]) -> dict[str, int]:
    """Named bins over several runs (`measure` results, each optionally with `lanes`): how often
    each was hit. Per neuron mode that occurs: saturation at both ends, each register at its
    full width (in some layer), IF fire exactly at the threshold, ssf counts clipped at T and the
    top shift; over all: ties, T = 1, T = 1024 (the largest legal T), and `lanes=n` for every
    n in `LANES` (beats run on hardware with n lanes; a run without `lanes` counts in none)."""
    out: dict[str, int] = {"ties": 0, "T=1": 0, "T=1024": 0}
    out.update({f"lanes={n}": 0 for n in LANES})
    modes = {la["neuron"] for r in runs for la in r["layers"].values()}
    for mode in sorted(modes):
        keys = ["saturated_high", "saturated_low"] + [f"full_width:{k}" for k in REGISTERS]
        keys += ["fire_at_threshold"] if mode == "if" else ["count_clipped", "top_shift"]
        keys += ["count_at_T"]
        out.update({f"{mode}/{k}": 0 for k in keys})
    for r in runs:
        out["ties"] += r["ties"]
        out["T=1"] += r["beats"] * (r["T"] == 1)
        out["T=1024"] += r["beats"] * (r["T"] == 1024)
        if "lanes" in r:
            key = f"lanes={r['lanes']}"
            out[key] = out.get(key, 0) + r["beats"]
        for la in r["layers"].values():
            mode = la["neuron"]
            for k in ("saturated_high", "saturated_low", "fire_at_threshold", "count_clipped",
                      "top_shift", "count_at_T"):  # fmt: skip
                if f"{mode}/{k}" in out:
                    out[f"{mode}/{k}"] += la[k]
            for k, w in la["widths"].items():
                out[f"{mode}/full_width:{k}"] += int(la["bits"][k] == w)
    return out


def empty_bins(b: dict[str, int]) -> list[str]:
    return [k for k, v in b.items() if not v]
