"""The model artifact: integers plus a versioned spec, the one hand-off out of `model/`.

File format (JSON, so a reviewer can read and diff it)::

    {"schema": "ecg-snn-artifact", "version": 1,
     "spec": {"T": 8, "classes": [...], "decision": ..., ["rhythm_gate": G,]
              "preprocess": {...}, "layers": [...]},
     "tensors": {"conv0.weight": {"shape": [8, 1, 7], "data": [...]}, ...},
     "meta": {...free-form provenance and metrics...},
     "sha256": "<hex digest of the canonical JSON of everything above>"}

Tensors per layer `L`: `L.weight` (shape `LayerSpec.weight_shape`), `L.bias` (out_channels,)
and, for layers with RR inputs, `L.rr_weight` (out_channels, rr_inputs). All integers.

Loading verifies the schema, the version, the checksum, every shape, every value against its
width and the range analysis that proves the accumulators cannot overflow; a failure is an
`ArtifactError` saying which file and which field. Writing is atomic (temp file, then rename).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_snn.data import cache
from ecg_snn.model.contract.patient import gate
from ecg_snn.model.contract.spec import (
    DECISIONS,
    PATIENT_FEATURES,
    LayerSpec,
    Preprocess,
    SpecError,
    count_bits,
    signed_bits_for,
    signed_range,
)

SCHEMA = "ecg-snn-artifact"
SCHEMA_VERSION = 1


class ArtifactError(ValueError):
    """An artifact file or object that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class ModelSpec:
    """The whole hardware configuration of one chip: T timesteps, the classes, the front end
    (`Preprocess`), the layers (`LayerSpec`, in order) and the decision rule.

    Two artifacts with equal `hardware_config()` run on the same silicon (`hardware_id()`).
    `rhythm_gate` is a rule of the host after the chip (`model.contract.patient.gate`; 0: off),
    so it is not part of the hardware configuration; the file names it only when it is on.
    The layers are a prefix of `n_if` integrate-and-fire layers followed by a suffix of
    sum-then-fire layers (either may be empty); see `model.contract.golden`.
    """

    T: int
    classes: tuple[str, ...]
    preprocess: Preprocess
    layers: tuple[LayerSpec, ...]
    decision: str = "argmax_lowest_index"
    rhythm_gate: int = 0

    @property
    def n_rr(self) -> int:
        return self.preprocess.n_rr

    @property
    def n_if(self) -> int:
        """The number of IF layers before the sum-then-fire suffix (validated to be a suffix)."""
        return sum(layer.neuron == "if" for layer in self.layers)

    @property
    def count_bits(self) -> int:
        """Width of a spike count 0..T (what an ssf layer receives per input neuron)."""
        return count_bits(self.T)

    def validate(self) -> None:
        if not 1 <= self.T <= 1024:
            raise SpecError(f"T must be in 1..1024, not {self.T}")
        if self.decision not in DECISIONS:
            raise SpecError(f"decision must be one of {DECISIONS}, not {self.decision!r}")
        if len(self.classes) < 2:
            raise SpecError("a classifier needs at least two classes")
        if self.rhythm_gate and not {"N", "S"} <= set(self.classes):
            raise SpecError("a rhythm gate (S -> N) needs the classes N and S")
        if self.rhythm_gate and not set(PATIENT_FEATURES) & set(self.preprocess.rr_features):
            raise SpecError(
                "a rhythm gate needs the patient front end (its rhythm measure runs there): "
                f"name one of {PATIENT_FEATURES} in rr_features"
            )
        if not 0 <= self.rhythm_gate <= self.preprocess.rr_range[1]:
            raise SpecError(
                f"rhythm_gate must be in 0..{self.preprocess.rr_range[1]} (rr_bits), "
                f"not {self.rhythm_gate}"
            )
        self.preprocess.validate()
        if not self.layers:
            raise SpecError("the model has no layers")
        for layer in self.layers:
            layer.validate()
        first = self.layers[0]
        if first.source != "input":
            raise SpecError(f"the first layer {first.name!r} must take the input samples")
        if first.in_channels != 1 or first.in_length != self.preprocess.n_samples:
            raise SpecError(
                f"layer {first.name!r} expects {first.in_channels} x {first.in_length} inputs, "
                f"the preprocessing gives 1 x {self.preprocess.n_samples}"
            )
        for prev, layer in zip(self.layers, self.layers[1:], strict=False):
            if layer.source != "spikes":
                raise SpecError(f"layer {layer.name!r}: only the first layer takes the input")
            if not prev.fires:
                raise SpecError(f"layer {prev.name!r} does not fire but is not the last layer")
            got = (layer.in_channels, layer.in_length)
            want = (prev.out_channels, prev.out_length)
            if layer.kind == "dense":
                got, want = (layer.in_channels,), (prev.n_out,)
            if got != want:
                raise SpecError(
                    f"layer {layer.name!r} expects input {got}, layer {prev.name!r} gives {want}"
                )
        for layer in self.layers:
            if layer.rr_inputs not in (0, self.n_rr):
                raise SpecError(
                    f"layer {layer.name!r} takes {layer.rr_inputs} RR inputs, the preprocessing "
                    f"gives {self.n_rr}"
                )
        last = self.layers[-1]
        if last.fires or last.kind != "dense" or last.out_channels != len(self.classes):
            raise SpecError(
                f"the last layer {last.name!r} must be a non-firing dense layer with one neuron "
                f"per class ({len(self.classes)})"
            )
        if any(not layer.fires for layer in self.layers[:-1]):
            raise SpecError("only the last layer may be non-firing")
        for prev, layer in zip(self.layers, self.layers[1:], strict=False):
            if prev.neuron == "ssf" and layer.neuron != "ssf":
                raise SpecError(
                    f"layer {layer.name!r} is {layer.neuron!r} but follows the ssf layer "
                    f"{prev.name!r}: an ssf layer emits counts once, only ssf layers can use them"
                )

    def reported(self, cls: np.ndarray, rhythm: np.ndarray | None) -> np.ndarray:
        """The classes a device reports: the chip's `cls` through this spec's rhythm gate
        (`model.contract.patient.gate`) on the beats' `rhythm` (ValueError when the gate is on
        and the rhythm is not known)."""
        if self.rhythm_gate and rhythm is None:
            raise ValueError("this artifact's rhythm gate needs each beat's rhythm measure")
        return gate(self.classes, self.rhythm_gate, cls, rhythm)

    def hardware_config(self) -> dict:
        """Everything that fixes the RTL; two artifacts with equal configs share silicon."""
        return {
            "T": self.T,
            "n_classes": len(self.classes),
            "decision": self.decision,
            "preprocess": dataclasses.asdict(self.preprocess),
            "layers": [layer.hardware_config() for layer in self.layers],
        }

    def hardware_id(self) -> int:
        """A 32-bit fingerprint of `hardware_config()`, checked by the load port and driver."""
        text = json.dumps(self.hardware_config(), sort_keys=True)
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")

    def to_json(self) -> dict:
        gate = {"rhythm_gate": self.rhythm_gate} if self.rhythm_gate else {}
        return {
            "T": self.T,
            "classes": list(self.classes),
            "decision": self.decision,
            **gate,
            "preprocess": dataclasses.asdict(self.preprocess),
            "layers": [dataclasses.asdict(layer) for layer in self.layers],
        }

    @classmethod
    def from_json(cls, d: dict) -> ModelSpec:
        pre = dict(d["preprocess"])
        pre["rr_features"] = tuple(pre["rr_features"])
        return cls(
            T=int(d["T"]),
            classes=tuple(d["classes"]),
            decision=d["decision"],
            rhythm_gate=_gate(d.get("rhythm_gate", 0)),
            preprocess=Preprocess(**pre),
            layers=tuple(LayerSpec(**layer) for layer in d["layers"]),
        )


def _gate(value: object) -> int:
    """`rhythm_gate` as the file holds it: an integer (not a bool, a float or a string)."""
    if type(value) is not int:
        raise SpecError(f"rhythm_gate must be an integer, not {value!r}")
    return value


def acc_bounds(layer: LayerSpec, weight: np.ndarray, T: int = 1) -> tuple[int, int]:
    """Worst-case spike-driven current: every input with a positive (or negative) weight spikes
    at once. A valid conv gives every output position the whole kernel. An IF layer sums one
    step's spikes; an ssf layer sums spike counts of up to T, so its range is T times wider."""
    if layer.source == "input":
        return 0, 0  # an input layer's drive is all constant current
    w = weight.reshape(layer.out_channels, -1).astype(np.int64)
    scale = T if layer.neuron == "ssf" else 1
    lo, hi = int(np.where(w < 0, w, 0).sum(1).min()), int(np.where(w > 0, w, 0).sum(1).max())
    return scale * lo, scale * hi


def const_bounds(
    layer: LayerSpec, pre: Preprocess, tensors: dict[str, np.ndarray]
) -> tuple[int, int]:
    """Worst-case constant current: bias plus input current (over the full input range) or
    plus RR current (over the full RR range)."""
    b = tensors[f"{layer.name}.bias"].astype(np.int64)
    lo, hi = b.copy(), b.copy()
    extra = []
    if layer.source == "input":
        extra.append((tensors[f"{layer.name}.weight"], pre.input_range))
    if layer.rr_inputs:
        extra.append((tensors[f"{layer.name}.rr_weight"], pre.rr_range))
    for weight, (xmin, xmax) in extra:
        w = weight.reshape(layer.out_channels, -1).astype(np.int64)
        hi += np.maximum(w * xmax, w * xmin).sum(1)
        lo += np.minimum(w * xmax, w * xmin).sum(1)
    return int(lo.min()), int(hi.max())


@dataclass
class Artifact:
    spec: ModelSpec
    tensors: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def weight(self, layer: LayerSpec) -> np.ndarray:
        return self.tensors[f"{layer.name}.weight"]

    def bias(self, layer: LayerSpec) -> np.ndarray:
        return self.tensors[f"{layer.name}.bias"]

    def rr_weight(self, layer: LayerSpec) -> np.ndarray | None:
        return self.tensors.get(f"{layer.name}.rr_weight")

    def validate(self) -> None:
        """Check the spec, every tensor's shape and range, and the overflow-freedom proof."""
        try:
            self.spec.validate()
        except SpecError as e:
            raise ArtifactError(str(e)) from None
        expected = {}
        for layer in self.spec.layers:
            expected[f"{layer.name}.weight"] = (layer.weight_shape, layer.weight_bits)
            expected[f"{layer.name}.bias"] = ((layer.out_channels,), layer.bias_bits)
            if layer.rr_inputs:
                expected[f"{layer.name}.rr_weight"] = (
                    (layer.out_channels, layer.rr_inputs),
                    layer.weight_bits,
                )
        missing = sorted(set(expected) - set(self.tensors))
        extra = sorted(set(self.tensors) - set(expected))
        if missing or extra:
            raise ArtifactError(f"tensors missing: {missing}, unexpected: {extra}")
        for key, (shape, bits) in expected.items():
            t = self.tensors[key]
            if tuple(t.shape) != shape:
                raise ArtifactError(f"tensor {key} has shape {tuple(t.shape)}, expected {shape}")
            if t.dtype.kind not in "iu":
                raise ArtifactError(f"tensor {key} is {t.dtype}, expected integers")
            lo, hi = signed_range(bits)
            if t.size and (t.min() < lo or t.max() > hi):
                raise ArtifactError(
                    f"tensor {key} has values in [{t.min()}, {t.max()}], outside the "
                    f"{bits}-bit range [{lo}, {hi}]"
                )
        for layer in self.spec.layers:
            for what, (lo, hi), bits in (
                ("acc", acc_bounds(layer, self.weight(layer), self.spec.T), layer.acc_bits),
                (
                    "const",
                    const_bounds(layer, self.spec.preprocess, self.tensors),
                    layer.const_bits,
                ),
            ):
                if signed_bits_for(lo, hi) > bits:
                    raise ArtifactError(
                        f"layer {layer.name!r}: the {what} current can reach [{lo}, {hi}], "
                        f"which needs {signed_bits_for(lo, hi)} bits but {what}_bits is {bits}: "
                        f"the model does not fit this hardware configuration"
                    )

    def body(self) -> dict:
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "spec": self.spec.to_json(),
            "tensors": {
                k: {"shape": list(v.shape), "data": v.astype(np.int64).ravel().tolist()}
                for k, v in sorted(self.tensors.items())
            },
            "meta": self.meta,
        }

    def checksum(self) -> str:
        return _digest(self.body())

    def chip_checksum(self) -> str:
        """sha256 of what the chip holds and does: the spec without the host's rules
        (`rhythm_gate`) and the tensors, not `meta`. Artifacts with equal chip checksums build
        the same RTL and image and run every cycle alike (`report/provenance.py`)."""
        body = self.body()
        body["spec"] = dataclasses.replace(self.spec, rhythm_gate=0).to_json()
        del body["meta"]
        return _digest(body)

    def save(self, path: str | Path) -> Path:
        """Validate, then write atomically: a crash never leaves a half-written artifact."""
        self.validate()
        body = self.body()
        body["sha256"] = _digest(body)
        return cache.write_atomic(path, json.dumps(body, indent=1, sort_keys=True) + "\n")


def _digest(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def changed_integers(a: Artifact, b: Artifact) -> dict[str, int]:
    """Loadable integers that differ between two artifacts of the same spec shape, per tensor
    (thresholds and v_init included; a tensor or field that is the same is left out)."""
    out = {
        k: int(np.count_nonzero(a.tensors[k] != b.tensors[k]))
        for k in sorted(a.tensors)
        if np.count_nonzero(a.tensors[k] != b.tensors[k])
    }
    for la, lb in zip(a.spec.layers, b.spec.layers, strict=True):
        for name in ("threshold", "v_init"):
            if getattr(la, name) != getattr(lb, name):
                out[f"{la.name}.{name}"] = 1
    return out


def load_artifact(path: str | Path) -> Artifact:
    """Read, verify and validate an artifact; every failure is an `ArtifactError`."""
    path = Path(path)
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such artifact (train one with `make train`)") from None
    except IsADirectoryError:
        raise ArtifactError(f"{path}: a directory, not an artifact file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(
            f"{path}: not a valid artifact (truncated or corrupt JSON: {e})"
        ) from None
    if not isinstance(body, dict) or body.get("schema") != SCHEMA:
        raise ArtifactError(f"{path}: not an {SCHEMA} file")
    if body.get("version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"{path}: schema version {body.get('version')!r}, this flow reads version "
            f"{SCHEMA_VERSION}; re-export it with this version of `model/`"
        )
    digest = body.pop("sha256", None)
    if digest != _digest(body):
        raise ArtifactError(f"{path}: checksum mismatch, the file was modified or corrupted")
    try:
        spec = ModelSpec.from_json(body["spec"])
        tensors = {
            k: np.asarray(v["data"], dtype=np.int64).reshape(v["shape"])
            for k, v in body["tensors"].items()
        }
    except (KeyError, TypeError, ValueError) as e:
        raise ArtifactError(f"{path}: malformed artifact ({type(e).__name__}: {e})") from None
    artifact = Artifact(spec=spec, tensors=tensors, meta=body.get("meta", {}))
    try:
        artifact.validate()
    except ArtifactError as e:
        raise ArtifactError(f"{path}: {e}") from None
    return artifact


def derive_widths(layer: LayerSpec, pre: Preprocess, T: int, tensors: dict) -> dict[str, int]:
    """Range analysis: the narrowest acc, const and membrane widths for these integers.

    The membrane bound assumes the worst case for T steps with no reset, so a membrane of this
    width never saturates; a fixed hardware configuration may be narrower, and then the
    saturation written in the golden model applies.
    """
    acc_lo, acc_hi = acc_bounds(layer, tensors[f"{layer.name}.weight"], T)
    const_lo, const_hi = const_bounds(layer, pre, tensors)
    steps = 1 if layer.neuron == "ssf" else T  # an ssf acc already spans the T steps
    v_lo = min(0, layer.v_init, layer.v_init + steps * acc_lo + T * const_lo)
    v_hi = max(layer.threshold, layer.v_init, layer.v_init + steps * acc_hi + T * const_hi)
    return {
        "acc_bits": max(2, signed_bits_for(acc_lo, acc_hi)),
        "const_bits": max(2, signed_bits_for(const_lo, const_hi)),
        "membrane_bits": min(32, max(2, signed_bits_for(v_lo, v_hi))),
    }
