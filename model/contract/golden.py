"""Integer golden model of the SNN: the reference the RTL and the C code must match bit for bit.

Pure numpy, integer semantics, vectorised over beats. One inference, for chip inputs `x` (the
preprocessed samples, `model/contract/frontend.py`) and `rr` (the RR features):

1. Reset: every membrane `V = v_init` (the TRE residual charge, `round(eta * threshold)`).
2. Constant currents, computed once per inference, exact (range analysis guarantees they fit
   `const_bits`, see `model/contract/artifact.py`)::

       input layer:  C[o, p] = bias[o] + sum_{c,k} W[o, c, k] * x[c, p*stride + k]   (valid conv)
                     C[o]    = bias[o] + sum_i W[o, i] * x[i]                         (dense)
       RR layer:     C[o]    = bias[o] + sum_j W_rr[o, j] * rr[j]
       other layers: C[o, p] = bias[o]

3. For t = 0 .. T-1, layers in order (layer l sees layer l-1's spikes of the *same* step)::

       acc[n]  = sum of W over the presynaptic neurons that spiked at step t   (exact, acc_bits)
       V[n]    = sat(V[n] + acc[n] + C[n])       sat = clamp to the signed membrane_bits range,
                                                 applied once per neuron per step
       s[n]    = V[n] >= threshold               (compare is >=, only for firing layers)
       V[n]    = V[n] - threshold * s[n]          (reset by subtraction)

   The input layer has no spike input (acc = 0). The output layer integrates but never fires.
   Because saturation is applied once to the whole step's sum and `acc` is exact, the order in
   which events arrive within a step does not matter: the RTL may process them in any order.

4. Sum-then-fire (`neuron == "ssf"`). The ssf layers form a suffix of the network; they run
   once, after the IF layers have run all T steps. With `c_in[m]` the number of spikes
   presynaptic neuron m emitted over the inference (0..T)::

       acc[n] = sum_m W[n, m] * c_in[m]                (exact; acc_bits cover T x the IF range)
       V[n]   = sat(v_init + acc[n] + T * C[n])        (one saturation)
       c[n]   = clip(V[n] // threshold, 0, T)          (threshold = 2**k: an arithmetic shift)

   An ssf output layer reports `V`. Trained with clamp-and-quantize activations and
   `v_init = threshold / 2`, this is exactly the quantized CNN. Each non-zero count reads its
   fan-out weights once, so an ssf synaptic operation is one per non-zero count.

5. Decision: `cls = argmax(V_out)`, ties broken towards the lowest class index; the output
   values are the final `V_out`.

Spike counts per layer and synaptic operations (one per spike per structural synapse, the
weight reads an event-driven chip makes) are returned for energy estimates and RTL debugging.

Implementation note: integer matrix products run as float64 BLAS products. They are exact
because every partial sum is an integer bounded by the range analysis (<= 32 bits << 2**53).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ecg_snn.model.contract.artifact import Artifact
from ecg_snn.model.contract.spec import LayerSpec, saturate


def connection_matrix(layer: LayerSpec, weight: np.ndarray) -> np.ndarray:
    """The layer as a dense (n_out, n_in) integer matrix over flattened, channel-major neurons.

    A valid conv1d becomes a Toeplitz-like matrix: output neuron (o, p) reads input neurons
    (c, p*stride + k)."""
    if layer.kind == "dense":
        return np.asarray(weight, dtype=np.int64)
    m = np.zeros(
        (layer.out_channels, layer.out_length, layer.in_channels, layer.in_length), np.int64
    )
    for p in range(layer.out_length):
        start = p * layer.stride
        m[:, p, :, start : start + layer.kernel] = weight
    return m.reshape(layer.n_out, layer.n_in)


def structural_fanout(layer: LayerSpec) -> np.ndarray:
    """Synapses per presynaptic neuron (weights read per spike), zero weights included."""
    ones = np.ones(layer.weight_shape, dtype=np.int64)
    return connection_matrix(layer, ones).sum(axis=0)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer product through float64 BLAS (see the module note on exactness)."""
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def constant_current(
    layer: LayerSpec, artifact: Artifact, x: np.ndarray, rr: np.ndarray
) -> np.ndarray:
    """C for every neuron of `layer`, shape (N, n_out)."""
    n = len(x)
    bias = np.repeat(artifact.bias(layer).astype(np.int64), layer.out_length)
    c = np.broadcast_to(bias, (n, layer.n_out)).copy()
    if layer.source == "input":
        c += _matmul(x.reshape(n, -1), connection_matrix(layer, artifact.weight(layer)).T)
    if layer.rr_inputs:
        c += _matmul(rr, artifact.rr_weight(layer).T)
    return c


def if_step(
    v: np.ndarray, acc: np.ndarray, const: np.ndarray, layer: LayerSpec
) -> tuple[np.ndarray, np.ndarray]:
    """One timestep of integrate-and-fire with reset by subtraction.

    v' = sat(v + acc + const);  s = fires and v' >= threshold;  v' -= s * threshold
    Returns the new membrane and the boolean spikes."""
    v = saturate(v + acc + const, *layer.membrane_range)
    if not layer.fires:
        return v, np.zeros(v.shape, dtype=bool)
    s = v >= layer.threshold
    return v - layer.threshold * s, s


def ssf_fire(
    counts_in: np.ndarray, matrix_t: np.ndarray, const: np.ndarray, layer: LayerSpec, T: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum-then-fire: V = sat(v_init + W @ c_in + T*C); c = clip(V // threshold, 0, T).

    Returns (V, counts); a non-firing layer returns zero counts."""
    return ssf_fire_acc(ssf_acc(counts_in, matrix_t), const, layer, T)


def ssf_acc(counts_in: np.ndarray | None, matrix_t: np.ndarray) -> np.ndarray | int:
    """acc = W @ c_in, exact (0 for a layer without spike input)."""
    return 0 if counts_in is None else _matmul(counts_in, matrix_t)


def ssf_fire_acc(
    acc: np.ndarray | int, const: np.ndarray, layer: LayerSpec, T: int
) -> tuple[np.ndarray, np.ndarray]:
    """`ssf_fire` from its accumulated spike current `acc`."""
    v = saturate(layer.v_init + acc + T * const, *layer.membrane_range)
    if not layer.fires:
        return v, np.zeros(v.shape, dtype=np.int64)
    return v, saturate(v // layer.threshold, 0, T)


@dataclass(frozen=True)
class Update:
    """One membrane update as `run` computed it, given to an observer (`run(observe=...)`):
    ``v_new = sat(v + acc + steps * const)``, then the fire. `v` is the membrane before the
    update (IF) or `v_init` (ssf); `steps` is 1 for an IF step and T for the one ssf fire; `out`
    is the step's spikes (IF) or the counts (ssf); `v_new` is after the reset (IF)."""

    layer: LayerSpec
    v: np.ndarray | int
    acc: np.ndarray | int
    const: np.ndarray
    steps: int
    v_new: np.ndarray
    out: np.ndarray


def decide(values: np.ndarray) -> np.ndarray:
    """argmax over classes; `np.argmax` returns the first maximum, i.e. the lowest index."""
    return np.argmax(values, axis=-1)


@dataclass
class GoldenResult:
    cls: np.ndarray  # (N,) class index
    values: np.ndarray  # (N, n_classes) final output membranes
    spikes: np.ndarray  # (N, n_layers) spikes per layer over the inference (0 for the output)
    synops: np.ndarray  # (N,) synaptic operations (weight reads driven by spikes)
    trace: list | None = None  # per step, per layer: the (N, n_out) spike arrays, if recorded
    # (N, n_in of the last layer): spike counts over the inference that the output layer
    # received (its input features: the output values are affine in them unless the output
    # membrane saturates); None for a one-layer model
    last_in: np.ndarray | None = None


CHUNK = 4096  # beats per pass when nothing is recorded: bounds memory on long test sets


def run(
    artifact: Artifact,
    x: np.ndarray,
    rr: np.ndarray,
    record: bool = False,
    observe: Callable[[Update], None] | None = None,
) -> GoldenResult:
    """Run the integer SNN on chip inputs x (N, 1, n_samples) and rr (N, n_rr).

    `record` keeps the per-step spike arrays in `trace` (then all beats run in one pass);
    otherwise the beats run in chunks of `CHUNK`. `observe`, if given, sees every membrane
    update (`Update`): a coverage model measures the real arithmetic through it, without a
    second copy of the loop. Raises ValueError on inputs outside the spec's shapes or ranges."""
    if not record and len(x) > CHUNK:
        parts = [
            run(artifact, x[i : i + CHUNK], rr[i : i + CHUNK], observe=observe)
            for i in range(0, len(x), CHUNK)
        ]
        return GoldenResult(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("cls", "values", "spikes", "synops")
            ),
            last_in=None
            if parts[0].last_in is None
            else np.concatenate([p.last_in for p in parts]),
        )
    spec = artifact.spec
    x = np.asarray(x, dtype=np.int64)
    rr = np.asarray(rr, dtype=np.int64)
    if rr.size != len(x) * spec.n_rr:  # one row of the model's RR inputs per beat
        raise ValueError(
            f"rr must be (N, {spec.n_rr}) for this model's RR inputs "
            f"{list(spec.preprocess.rr_features)}, not {rr.shape} for {len(x)} beats"
        )
    rr = rr.reshape(len(x), spec.n_rr)
    _check_input_range(artifact, x, rr)
    n = len(x)
    layers = spec.layers
    mats = [connection_matrix(layer, artifact.weight(layer)).T for layer in layers]
    fanout = [structural_fanout(layer) for layer in layers]
    consts = [constant_current(layer, artifact, x, rr) for layer in layers]
    v = [np.full((n, layer.n_out), layer.v_init, dtype=np.int64) for layer in layers]
    spikes = np.zeros((n, len(layers)), dtype=np.int64)
    synops = np.zeros(n, dtype=np.int64)
    trace = [] if record else None
    n_if = spec.n_if
    counts = None  # spikes per neuron of the last IF layer over the inference
    last_in = None  # spike counts into the output layer
    for _t in range(spec.T if n_if else 0):
        step = []
        s_prev = None
        for i, layer in enumerate(layers[:n_if]):
            if s_prev is None:
                acc = 0
            else:
                acc = _matmul(s_prev, mats[i])
                synops += s_prev.astype(np.int64) @ fanout[i]
            v_new, s = if_step(v[i], acc, consts[i], layer)
            if observe is not None:
                observe(Update(layer, v[i], acc, consts[i], 1, v_new, s))
            v[i] = v_new
            spikes[:, i] += s.sum(axis=1)
            s_prev = s
            step.append(s)
        counts = s_prev.astype(np.int64) if counts is None else counts + s_prev
        if n_if == len(layers) > 1:
            s_in = step[-2].astype(np.int64)
            last_in = s_in if last_in is None else last_in + s_in
        if record:
            trace.append(step)
    for i in range(n_if, len(layers)):
        if counts is not None:
            synops += (counts > 0).astype(np.int64) @ fanout[i]
            if i == len(layers) - 1:
                last_in = counts
        acc = ssf_acc(counts, mats[i])
        v[i], counts = ssf_fire_acc(acc, consts[i], layers[i], spec.T)
        if observe is not None:
            observe(Update(layers[i], layers[i].v_init, acc, consts[i], spec.T, v[i], counts))
        spikes[:, i] = counts.sum(axis=1)
    values = v[-1]
    return GoldenResult(
        cls=decide(values),
        values=values,
        spikes=spikes,
        synops=synops,
        trace=trace,
        last_in=last_in,
    )


def _check_input_range(artifact: Artifact, x: np.ndarray, rr: np.ndarray) -> None:
    pre = artifact.spec.preprocess
    lo, hi = pre.input_range
    if x.ndim != 3 or x.shape[1:] != (1, pre.n_samples):
        raise ValueError(f"x must have shape (N, 1, {pre.n_samples}), got {x.shape}")
    if x.size and (x.min() < lo or x.max() > hi):
        raise ValueError(f"input samples outside the {pre.input_bits}-bit range [{lo}, {hi}]")
    rlo, rhi = pre.rr_range
    if rr.size and (rr.min() < rlo or rr.max() > rhi):
        raise ValueError(f"RR features outside [{rlo}, {rhi}]")
