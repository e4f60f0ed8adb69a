"""The weight image: the word stream the accelerator's load port takes (and firmware stores).

Pure Python/numpy, no Amaranth: the RTL loader, the firmware generator, the C driver and the
testbenches all derive the format from this one module.

Format, a sequence of 32-bit words (little-endian in the binary file)::

    word 0        MAGIC (0x534E4E31, "SNN1")
    word 1        hardware id (`ModelSpec.hardware_id()`): the image only loads into RTL built for
                  the same hardware configuration
    word 2        n, the number of payload words that follow
    words 3..3+n  payload: for each layer in order (`sections(spec)` names them)
                      threshold, v_init,
                      bias[out_channels],
                      rr_weight[out_channels][rr_inputs]   (row-major; only layers with RR inputs)
                      weight[...]                          (row-major over `weight_shape`)
                  every value sign-extended to 32 bits, one value per word
    last word     checksum: the sum of the payload words modulo 2**32

The loader rejects an image whose magic, hardware id, length or checksum is wrong and keeps the
previously loaded model's state flagged as not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.model.contract.artifact import Artifact, ArtifactError, ModelSpec

MAGIC = 0x534E4E31
HEADER_WORDS = 3


@dataclass(frozen=True)
class Section:
    layer: str
    field: str  # "threshold" | "v_init" | "bias" | "rr_weight" | "weight"
    offset: int  # first payload word
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def sections(spec: ModelSpec) -> list[Section]:
    """The payload layout for a hardware configuration, in load order."""
    out, offset = [], 0
    for layer in spec.layers:
        fields = [("threshold", ()), ("v_init", ()), ("bias", (layer.out_channels,))]
        if layer.rr_inputs:
            fields.append(("rr_weight", (layer.out_channels, layer.rr_inputs)))
        fields.append(("weight", layer.weight_shape))
        for name, shape in fields:
            section = Section(layer.name, name, offset, shape)
            out.append(section)
            offset += section.size
    return out


def payload_words(spec: ModelSpec) -> int:
    last = sections(spec)[-1]
    return last.offset + last.size


def weight_image(artifact: Artifact) -> np.ndarray:
    """The artifact's loadable values as a uint32 word stream (header, payload, checksum)."""
    artifact.validate()
    spec = artifact.spec
    layers = {layer.name: layer for layer in spec.layers}
    values = []
    for s in sections(spec):
        layer = layers[s.layer]
        if s.field in ("threshold", "v_init"):
            values.append(np.array([getattr(layer, s.field)], dtype=np.int64))
        else:
            values.append(artifact.tensors[f"{s.layer}.{s.field}"].astype(np.int64).ravel())
    payload = (np.concatenate(values) & 0xFFFFFFFF).astype(np.uint64)
    checksum = int(payload.sum()) & 0xFFFFFFFF
    header = [MAGIC, spec.hardware_id(), len(payload)]
    return np.concatenate([header, payload, [checksum]]).astype(np.uint32)


def parse_image(words: np.ndarray, spec: ModelSpec) -> dict[str, np.ndarray]:
    """Check an image against a hardware configuration and return its values by
    `"<layer>.<field>"` (the inverse of `weight_image`, used by tests and tools)."""
    words = np.asarray(words, dtype=np.uint32)
    if len(words) < HEADER_WORDS + 1 or int(words[0]) != MAGIC:
        raise ArtifactError("not a weight image (bad magic word)")
    if int(words[1]) != spec.hardware_id():
        raise ArtifactError(
            f"weight image is for hardware id {int(words[1]):#010x}, this hardware is "
            f"{spec.hardware_id():#010x}: it was made for a different configuration"
        )
    n = payload_words(spec)
    if int(words[2]) != n or len(words) != HEADER_WORDS + n + 1:
        raise ArtifactError(f"weight image length mismatch: expected {n} payload words")
    payload = words[HEADER_WORDS : HEADER_WORDS + n]
    if int(payload.astype(np.uint64).sum()) & 0xFFFFFFFF != int(words[-1]):
        raise ArtifactError("weight image checksum mismatch")
    signed = payload.astype(np.int64)
    signed = np.where(signed >= 1 << 31, signed - (1 << 32), signed)
    return {
        f"{s.layer}.{s.field}": signed[s.offset : s.offset + s.size].reshape(s.shape)
        for s in sections(spec)
    }
