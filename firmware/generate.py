"""Artifact -> firmware sources: the C view of one model, generated, never hand-edited.

    python -m ecg_snn.firmware.generate --model model/artifacts/inter.json --out build/firmware/gen

writes four files into `--out` (each atomically, byte-for-byte deterministic for one artifact):

- `snn_config.h`: the hardware configuration as macros (T, shapes, widths, preprocessing, the
  hardware id, the weight-image and result layouts). The driver and the front end need only this.
- `snn_model.h`: the loadable values (thresholds, v_init, weights, biases, RR weights) as
  `static const` fixed-width arrays and one `snn_layer_t` descriptor per layer, which the C
  reference (`firmware/src/snn_ref.c`) walks; include it from exactly one translation unit.
- `snn_image.h`: the weight image (`model.contract.image.weight_image`) as a `uint32_t` array, for a
  driver that keeps the image in flash.
- `snn_weights.bin`: the same image as little-endian 32-bit words, for a loader that reads it
  from storage or receives it over the air.

The generator refuses an artifact the C code cannot express (`FirmwareError`, saying which
field and why), and, given `--hardware-id`, an artifact made for another hardware configuration.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.firmware.generate:main", "python -m ecg_snn.firmware.generate")

import sys
from pathlib import Path

import numpy as np

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.firmware import cemit
from ecg_snn.model.contract import patient, qrs
from ecg_snn.model.contract.artifact import SCHEMA_VERSION, Artifact, ArtifactError, load_artifact
from ecg_snn.model.contract.image import HEADER_WORDS, MAGIC, payload_words, weight_image
from ecg_snn.model.contract.ports import Port, ResultLayout, Status
from ecg_snn.model.contract.spec import ALL_FEATURES, DECISIONS, LayerSpec
from ecg_snn.model.contract.spi import (
    SCK_DIVIDER_MIN,
    SpiCommand,
    SpiError,
    SpiStatus,
    result_bytes,
)

FILES = ("snn_config.h", "snn_model.h", "snn_image.h", "snn_weights.bin")
MAX_DIM = 0xFFFF  # descriptor fields are uint16_t
MAX_SHIFT = 31  # shifts of 32-bit RR values must stay inside int64_t
NEURON_CODES = {"if": "SNN_NEURON_IF", "ssf": "SNN_NEURON_SSF"}  # snn_types.h


class FirmwareError(ValueError):
    """An artifact the firmware cannot express, or one for another hardware configuration."""


def check_expressible(artifact: Artifact, hardware_id: int | None = None) -> None:
    """Raise `FirmwareError` unless the C reference, front end and driver can run `artifact`."""
    spec = artifact.spec
    try:
        artifact.validate()
    except ArtifactError as e:
        raise FirmwareError(f"invalid artifact: {e}") from None
    if hardware_id is not None and spec.hardware_id() != hardware_id:
        raise FirmwareError(
            f"the artifact is for hardware id {spec.hardware_id():#010x}, the target hardware is "
            f"{hardware_id:#010x}: it was made for a different hardware configuration"
        )
    if spec.decision != DECISIONS[0]:
        raise FirmwareError(
            f"decision {spec.decision!r}: the C code implements only {DECISIONS[0]}"
        )
    if len(spec.classes) > 255:
        raise FirmwareError(f"{len(spec.classes)} classes: the C result holds a uint8_t class")
    if spec.T > MAX_DIM:  # also: an ssf spike count (0..T) is a uint16_t
        raise FirmwareError(f"T={spec.T} exceeds {MAX_DIM}")
    pre = spec.preprocess
    for name in ("input_shift", "ratio_shift", "rr_shift"):
        if getattr(pre, name) > MAX_SHIFT:
            raise FirmwareError(f"preprocess.{name}={getattr(pre, name)} exceeds {MAX_SHIFT}")
    if pre.window > MAX_DIM:
        raise FirmwareError(f"a window of {pre.window} samples exceeds {MAX_DIM}")
    synapses = 0
    names = set()
    for layer in spec.layers:
        where = f"layer {layer.name!r}"
        if layer.name in names:
            raise FirmwareError(f"{where}: duplicate layer name")
        names.add(layer.name)
        if layer.kind not in ("conv1d", "dense") or layer.neuron not in NEURON_CODES:
            raise FirmwareError(f"{where}: {layer.kind}/{layer.neuron} has no C implementation")
        dims = (layer.in_channels, layer.in_length, layer.out_channels, layer.out_length)
        if max(*dims, layer.kernel, layer.stride, layer.rr_inputs, layer.n_out) > MAX_DIM:
            raise FirmwareError(f"{where}: a dimension exceeds {MAX_DIM}")
        synapses += int(np.prod(layer.weight_shape)) * layer.out_length
    if spec.T * synapses >= 1 << 32:
        raise FirmwareError("T x synapses exceeds 2**32: the uint32_t synops counter could wrap")


def _layer_arrays(artifact: Artifact, i: int, layer: LayerSpec) -> tuple[str, list[str]]:
    """The arrays of one layer and the three `snn_tensor_t` initialisers pointing at them."""
    text, tensors = [], []
    for field, bits in (
        ("weight", layer.weight_bits),
        ("bias", layer.bias_bits),
        ("rr_weight", layer.weight_bits),
    ):
        values = artifact.tensors.get(f"{layer.name}.{field}")
        if values is None:
            tensors.append("{ 0, 0 }")
            continue
        ctype, size = cemit.int_type(bits)
        name = f"snn_l{i}_{field}"
        shape = "x".join(str(d) for d in values.shape)
        text.append(cemit.c_array(ctype, name, values, f"layer {i} {field} [{shape}], {bits} bit"))
        tensors.append(f"{{ {name}, {size} }}")
    return "".join(text), tensors


def count_neurons(spec) -> int:
    """Size of the reference's spike-count buffers: the widest of the last IF layer and the ssf
    layers (1 for an all-IF model, so an IF build pays no RAM for ssf)."""
    layers = spec.layers
    n_if = spec.n_if
    if n_if == len(layers):
        return 1
    return max(lay.n_out for lay in layers[max(0, n_if - 1) :])


def patient_constants(pre) -> list[tuple[str, int]]:
    """The rules of model/contract/patient.py as C constants (QRS slice clipped like Python's)."""
    c = pre.before // pre.downsample
    return [
        ("SNN_PAT_TEMPLATE_SHIFT", patient.TEMPLATE_SHIFT),
        ("SNN_PAT_DISTANCE_SHIFT", patient.DISTANCE_SHIFT),
        ("SNN_PAT_IRREG_SHIFT", patient.IRREG_SHIFT),
        ("SNN_PAT_IRREG_BEATS", patient.IRREG_BEATS),
        ("SNN_PAT_RHYTHM_BEATS", patient.RHYTHM_BEATS),
        ("SNN_PAT_GAP", f"{patient.GAP_SECONDS * pre.fs}u"),
        ("SNN_PAT_QRS_LO", max(c - patient.QRS_BEFORE, 0)),
        ("SNN_PAT_QRS_HI", min(c + patient.QRS_AFTER, pre.n_samples)),
        ("SNN_PAT_WARMUP", patient.WARMUP),
        ("SNN_PAT_ACCEPT_MAX", patient.ACCEPT_MAX),
        ("SNN_PAT_MAX_REJECTS", patient.MAX_REJECTS),
    ]


def config_header(artifact: Artifact) -> str:
    spec, pre = artifact.spec, artifact.spec.preprocess
    layout = ResultLayout.of(spec)
    layers = spec.layers
    feature_codes = ", ".join(f"SNN_RR_{f.upper()}" for f in pre.rr_features) or "0"
    const_neurons = sum(lay.n_out for lay in layers if lay.source == "input" or lay.rr_inputs)
    lo, hi = pre.input_range
    pairs: list[tuple[str, str | int]] = [
        ("SNN_SCHEMA_VERSION", SCHEMA_VERSION),
        ("SNN_ARTIFACT_SHA256", cemit.c_string(artifact.checksum())),
        ("SNN_HARDWARE_ID", f"{spec.hardware_id():#010x}u"),
        ("SNN_T", spec.T),
        ("SNN_N_LAYERS", len(layers)),
        ("SNN_N_CLASSES", len(spec.classes)),
        ("SNN_N_SAMPLES", pre.n_samples),
        ("SNN_N_RR", spec.n_rr),
        ("SNN_N_RR_ALLOC", max(1, spec.n_rr)),
        ("SNN_INPUT_BITS", pre.input_bits),
        ("SNN_INPUT_MIN", f"({lo})"),  # parenthesised: a negative macro
        ("SNN_INPUT_MAX", hi),
        ("SNN_RR_BITS", pre.rr_bits),
        ("SNN_RR_MAX", pre.rr_range[1]),
        ("SNN_MAX_NEURONS", max(lay.n_out for lay in layers)),
        ("SNN_TOTAL_NEURONS", sum(lay.n_out for lay in layers)),
        ("SNN_CONST_NEURONS", max(1, const_neurons)),
        ("SNN_COUNT_NEURONS", count_neurons(spec)),
        ("SNN_PRE_FS", pre.fs),
        ("SNN_PRE_GAIN_MILLI", round(pre.gain * 1000)),
        ("SNN_PRE_BEFORE", pre.before),
        ("SNN_PRE_AFTER", pre.after),
        ("SNN_PRE_WINDOW", pre.window),
        ("SNN_PRE_DOWNSAMPLE", pre.downsample),
        ("SNN_PRE_INPUT_SHIFT", pre.input_shift),
        ("SNN_PRE_RATIO_SHIFT", pre.ratio_shift),
        ("SNN_PRE_RR_SHIFT", pre.rr_shift),
        ("SNN_PRE_LOCAL_RR_BEATS", pre.local_rr_beats),
        ("SNN_PRE_RR_FEATURES", f"{{ {feature_codes} }}"),
        *patient_constants(pre),
        # the rhythm gate (0: off) and the classes it maps (-1: the artifact has no such class)
        ("SNN_RHYTHM_GATE", spec.rhythm_gate),
        *((f"SNN_CLASS_{k}", spec.classes.index(k) if k in spec.classes else "(-1)") for k in "SN"),
        *((f"SNN_QRS_{k}", v if v >= 0 else f"({v})") for k, v in qrs.c_constants().items()),
        ("SNN_IMAGE_MAGIC", f"{MAGIC:#010x}u"),
        ("SNN_IMAGE_HEADER_WORDS", HEADER_WORDS),
        ("SNN_PAYLOAD_WORDS", payload_words(spec)),
        ("SNN_IMAGE_WORDS", HEADER_WORDS + payload_words(spec) + 1),
        ("SNN_RESULT_CLS_BITS", layout.cls_bits),
        ("SNN_RESULT_VALUE_BITS", layout.value_bits),
        ("SNN_RESULT_BITS", layout.width),
        ("SNN_RESULT_WORDS", layout.words),
        *((f"SNN_PORT_{port.name}", int(port)) for port in Port),
        *((f"SNN_STATUS_{bit.name}", f"{int(bit):#x}u") for bit in Status),
        # the SPI shell's register map (hw/spi.py), for firmware/src/snn_hal_spi.c
        *((f"SNN_SPI_CMD_{cmd.name}", f"{int(cmd):#04x}u") for cmd in SpiCommand),
        *((f"SNN_SPI_STATUS_{bit.name}", f"{int(bit):#04x}u") for bit in SpiStatus),
        *((f"SNN_SPI_ERROR_{bit.name}", f"{int(bit):#04x}u") for bit in SpiError),
        ("SNN_SPI_RESULT_BYTES", result_bytes(layout)),
        ("SNN_SPI_SCK_DIVIDER_MIN", SCK_DIVIDER_MIN),
    ]
    for i, layer in enumerate(layers):  # documentation for the reader and for RTL cross-checks
        for field in ("weight_bits", "bias_bits", "acc_bits", "const_bits", "membrane_bits"):
            pairs.append((f"SNN_L{i}_{field.upper()}", getattr(layer, field)))
        pairs.append((f"SNN_L{i}_NEURON", NEURON_CODES[layer.neuron]))
    classes = ", ".join(cemit.c_string(c) for c in spec.classes)
    codes = "\n".join(
        f"#define SNN_RR_{name.upper():<11} {i}" for i, name in enumerate(ALL_FEATURES)
    )
    return (
        cemit.banner("Hardware configuration of the ECG SNN accelerator.", artifact.checksum())
        + "#ifndef SNN_CONFIG_H\n#define SNN_CONFIG_H\n\n"
        + "/* RR feature codes, in model.contract.spec.ALL_FEATURES order */\n"
        + codes
        + "\n\n"
        + cemit.defines(pairs)
        + f"#define SNN_CLASS_NAMES {{ {classes} }}\n"
        + "\n#endif /* SNN_CONFIG_H */\n"
    )


def model_header(artifact: Artifact) -> str:
    spec = artifact.spec
    arrays, descriptors = [], []
    v_offset = c_offset = 0
    for i, layer in enumerate(spec.layers):
        text, (weight, bias, rr_weight) = _layer_arrays(artifact, i, layer)
        arrays.append(text)
        has_const = layer.source == "input" or layer.rr_inputs > 0
        kind = "SNN_CONV1D" if layer.kind == "conv1d" else "SNN_DENSE"
        descriptors.append(
            f"    {{ {cemit.c_string(layer.name)}, {kind}, {int(layer.source == 'input')}, "
            f"{int(layer.fires)}, {layer.membrane_bits}, {NEURON_CODES[layer.neuron]},\n"
            f"      {layer.in_channels}, {layer.in_length}, {layer.out_channels}, "
            f"{layer.out_length}, {layer.kernel}, {layer.stride}, {layer.rr_inputs},\n"
            f"      {cemit.c_int(layer.threshold, 'int32_t')}, "
            f"{cemit.c_int(layer.v_init, 'int32_t')}, {v_offset}, "
            f"{c_offset if has_const else -1},\n"
            f"      {weight}, {bias}, {rr_weight} }}"
        )
        v_offset += layer.n_out
        c_offset += layer.n_out if has_const else 0
    return (
        cemit.banner("Loadable values and layer descriptors of the ECG SNN.", artifact.checksum())
        + "#ifndef SNN_MODEL_H\n#define SNN_MODEL_H\n\n"
        + '#include "snn_config.h"\n#include "snn_types.h"\n\n'
        + "\n".join(arrays)
        + "\n/* name, kind, from_input, fires, membrane_bits, neuron, in_channels, in_length,"
        + "\n * out_channels, out_length, kernel, stride, rr_inputs, threshold, v_init, v_offset,"
        + "\n * c_offset, weight, bias, rr_weight */\n"
        + "static const snn_layer_t snn_layers[SNN_N_LAYERS] = {\n"
        + ",\n".join(descriptors)
        + "\n};\n\nstatic const snn_model_t snn_model = { snn_layers };\n"
        + "\n#endif /* SNN_MODEL_H */\n"
    )


def image_header(artifact: Artifact, image: np.ndarray) -> str:
    return (
        cemit.banner(
            "Weight image (model/contract/image.py format) for the load port.", artifact.checksum()
        )
        + "#ifndef SNN_IMAGE_H\n#define SNN_IMAGE_H\n\n"
        + '#include <stdint.h>\n#include "snn_config.h"\n\n'
        + cemit.c_array("uint32_t", "snn_image", image)
        + "\ntypedef char snn_image_size_check[sizeof snn_image == 4 * SNN_IMAGE_WORDS ? 1 : -1];\n"
        + "\n#endif /* SNN_IMAGE_H */\n"
    )


def render(artifact: Artifact, hardware_id: int | None = None) -> dict[str, bytes]:
    """Every generated file's content by name (pure: no file system access)."""
    check_expressible(artifact, hardware_id)
    image = weight_image(artifact)
    return {
        "snn_config.h": config_header(artifact).encode(),
        "snn_model.h": model_header(artifact).encode(),
        "snn_image.h": image_header(artifact, image).encode(),
        "snn_weights.bin": image.astype("<u4").tobytes(),
    }


def generate(artifact: Artifact, out: str | Path, hardware_id: int | None = None) -> list[Path]:
    """Render and write every file into `out`; an unchanged file is not rewritten, so `make`
    and the C build see no new timestamp."""
    out = Path(out)
    written = []
    for name, data in render(artifact, hardware_id).items():
        path = out / name
        if not (path.is_file() and path.read_bytes() == data):
            write_atomic(path, data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m ecg_snn.firmware.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="artifact JSON (model/contract/artifact.py)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument(
        "--hardware-id",
        type=lambda s: int(s, 0),
        help="refuse an artifact for another hardware configuration (e.g. 0x1234abcd)",
    )
    args = parser.parse_args(argv)
    try:
        paths = generate(load_artifact(args.model), args.out, args.hardware_id)
    except (ArtifactError, FirmwareError) as e:
        print(f"firmware.generate: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0
