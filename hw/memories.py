"""The accelerator's memory inventory: one list that elaboration, the reports and the power flow
read instead of re-deriving it.

`inventory(spec, config, artifact)` (also `Accelerator.memories()`) lists every memory of the
design as a `MemoryInfo`, in the order the generator builds them:

    layer{i}/weight, layer{i}/rr_weight, layer{i}/bias   ROM (`HwConfig.rom`) or loadable
    layer{i}/vw        membrane + partial sum; none in an ssf input layer (`LayerGeometry.has_vw`)
    layer{i}/cin       constant input current (input layer and RR layers)
    layer{i}/count     spike counts of the last IF layer in front of an ssf suffix
    queue/mem          the shared event queue (depth = the longest fire scan)

`LayerUnit` and `EventQueue` build exactly these memories (depth, word and, for ROM, contents
from here) and `LayerUnit` refuses to elaborate if what it built differs from the inventory, so
a memory added to the generator cannot escape the area report (`flow/verilog.py`
`memory_bits`, `rom_files`), the gate-level memory plan (`flow/asic/gate.py`) or the retained
state list (`hw/config.py` `retained_state`).

Each entry says how it is clocked (`clock_gate`):

    "none"    a ROM: logic, no flip-flop and no clock (any depth, `flow/asic/gate.py` kind rom)
    "load"    written only through the load port: its clock opens only while a word is loaded
    "write"   a register file written during inference: a clock gate per word (Yosys
              `clockgate` on the word's write enable) or an SRAM macro (`SRAM_MIN_DEPTH`)

and whether it must be retained across a soft reset or a power-gated sleep (`retained`: the
loadable weights only; with ROM nothing is, `hw/README.md`, "Reset levels and retained
state"). A one-word memory is registers with the same ports (`hw/word.py`), listed here all the
same (`depth` 1): its bits are storage, and the Verilog has no `reg [..] x [0:0]` for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg_snn.hw.config import HwConfig, LayerGeometry
from ecg_snn.model.contract.spec import count_bits, index_bits

CLOCK_GATES = ("none", "load", "write")


@dataclass(frozen=True)
class MemoryInfo:
    """One memory: `scope/name` is its path below the top (the submodule that owns it, then
    the memory's name in the Verilog); a word is `lanes` values of `lane_bits` each (the queue:
    one lane of a whole entry); `rows` the ROM contents, one tuple of lane values per word
    (signed, as the artifact stores them), empty for a RAM."""

    scope: str
    name: str
    depth: int
    lanes: int
    lane_bits: int
    rom: bool
    clock_gate: str
    retained: bool
    rows: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.clock_gate not in CLOCK_GATES:
            raise ValueError(f"clock_gate must be one of {CLOCK_GATES}, not {self.clock_gate!r}")
        if self.rom != bool(self.rows):
            raise ValueError(f"{self.path}: a ROM has contents and a RAM none")
        if self.rows and len(self.rows) != self.depth:
            raise ValueError(f"{self.path}: {len(self.rows)} rows for depth {self.depth}")

    @property
    def path(self) -> str:
        return f"{self.scope}/{self.name}"

    @property
    def width(self) -> int:
        """Bits per word."""
        return self.lanes * self.lane_bits

    @property
    def bits(self) -> int:
        return self.depth * self.width

    def words(self) -> list[int]:
        """The ROM contents as unsigned words, lane 0 in the low bits (two's complement per
        lane): word = sum_j (row[j] mod 2^lane_bits) << (j * lane_bits)."""
        mask = (1 << self.lane_bits) - 1
        return [
            sum((v & mask) << (j * self.lane_bits) for j, v in enumerate(row)) for row in self.rows
        ]

    def as_dict(self) -> dict:
        """The report form (no contents)."""
        return {
            "path": self.path,
            "depth": self.depth,
            "width": self.width,
            "bits": self.bits,
            "rom": self.rom,
            "clock_gate": self.clock_gate,
            "retained": self.retained,
        }


def memory_rows(geo: LayerGeometry, matrix: np.ndarray) -> list[list[int]]:
    """A (out_channels, row_len) matrix as memory words: address g*row_len + r holds
    matrix[g*lanes + j, r] in lane j (zero in padding lanes)."""
    matrix = np.asarray(matrix, dtype=np.int64).reshape(geo.layer.out_channels, -1)
    row_len = matrix.shape[1]
    rows = []
    for g in range(geo.groups):
        for r in range(row_len):
            rows.append(
                [
                    int(matrix[o, r]) if (o := g * geo.lanes + j) < geo.layer.out_channels else 0
                    for j in range(geo.lanes)
                ]
            )
    return rows


def layer_memories(
    index: int, geo: LayerGeometry, tensors: dict | None, T: int, counts_out: bool
) -> list[MemoryInfo]:
    """The memories of layer `index` (module docstring): `tensors` holds `weight`, `bias` and
    `rr_weight` to bake in as ROM, or is None for a loadable layer; `counts_out` marks the last
    IF layer in front of an ssf suffix (it keeps spike counts)."""
    layer, lanes, scope = geo.layer, geo.lanes, f"layer{index}"
    rom = tensors is not None

    def loaded(name: str, depth: int, bits: int) -> MemoryInfo:
        rows = tuple(tuple(r) for r in memory_rows(geo, tensors[name])) if rom else ()
        return MemoryInfo(
            scope, name, depth, lanes, bits, rom, "none" if rom else "load", not rom, rows
        )

    def state(name: str, depth: int, bits: int) -> MemoryInfo:
        return MemoryInfo(scope, name, depth, lanes, bits, False, "write", False)

    out = [loaded("weight", geo.weight_depth, layer.weight_bits)]
    if layer.rr_inputs:
        out.append(loaded("rr_weight", geo.rr_depth, layer.weight_bits))
    out.append(loaded("bias", geo.groups, layer.bias_bits))
    if geo.has_vw:
        out.append(state("vw", geo.depth, geo.vw_bits))
    if geo.has_cin:
        out.append(state("cin", geo.depth, geo.cin_bits))
    if counts_out:
        out.append(state("count", geo.depth, count_bits(T)))
    return out


def entry_bits(spec: object, lanes: int) -> int:
    """Bits of one event-queue entry (`hw.synapse.entry_layout`): g, p, the spike mask and, when
    an ssf layer takes spikes, a count per lane."""
    firing = [LayerGeometry(layer, lanes) for layer in spec.layers[:-1]]
    cbits = spec.count_bits if any(la.neuron == "ssf" for la in spec.layers[1:]) else 0
    g = index_bits(max((x.groups for x in firing), default=1))
    p = index_bits(max((x.positions for x in firing), default=1))
    return g + p + lanes + cbits * lanes


def queue_depth(spec: object, lanes: int) -> int:
    """The event queue's depth: the longest fire scan of a firing layer (`hw/event_queue.py`)."""
    return max((LayerGeometry(la, lanes).depth for la in spec.layers[:-1]), default=1)


def rom_tensors(artifact: object, index: int) -> dict:
    """Layer `index`'s loadable values from `artifact`, as the ROM build bakes them in."""
    layer = artifact.spec.layers[index]
    t = {"weight": artifact.weight(layer), "bias": artifact.bias(layer)}
    if layer.rr_inputs:
        t["rr_weight"] = artifact.rr_weight(layer)
    t["threshold"], t["v_init"] = layer.threshold, layer.v_init
    return t


def inventory(spec: object, config: HwConfig, artifact: object | None = None) -> list[MemoryInfo]:
    """Every memory of `Accelerator(spec, config, artifact)` (module docstring); `artifact` is
    needed only for a ROM build's contents (`spec` is a `ModelSpec`)."""
    if config.rom and artifact is None:
        raise ValueError("the ROM option bakes the weights in: pass artifact=")
    lanes, n_if, n = config.lanes, spec.n_if, len(spec.layers)
    out: list[MemoryInfo] = []
    for i, layer in enumerate(spec.layers):
        geo = LayerGeometry(layer, lanes)
        tensors = rom_tensors(artifact, i) if config.rom else None
        out += layer_memories(i, geo, tensors, spec.T, counts_out=i == n_if - 1 and i < n - 1)
    width = entry_bits(spec, lanes)
    out.append(
        MemoryInfo("queue", "mem", queue_depth(spec, lanes), 1, width, False, "write", False)
    )
    return out


def retained_state(spec: object, config: HwConfig) -> dict[str, int]:
    """Bits that must keep their value across the soft reset, or across a power-gated sleep
    between beats if the chip is not to be reloaded after each wake-up (`hw/README.md`, "Reset
    levels and retained state"), by name: the `retained` memories of the inventory, the status
    and the loaded scalars (per IF layer the threshold, per ssf layer the shift k, per layer
    v_init). Empty with ROM weights: everything else is rebuilt every inference. `spec` is a
    `ModelSpec`; a loadable inventory needs no artifact."""
    if config.rom:
        return {}
    names = {f"layer{i}": layer.name for i, layer in enumerate(spec.layers)}
    out = {f"{names[m.scope]}.{m.name}": m.bits for m in inventory(spec, config) if m.retained}
    for layer in spec.layers:
        mb = layer.membrane_bits
        if layer.neuron == "ssf":
            out[f"{layer.name}.shift"] = index_bits(mb)
        else:
            out[f"{layer.name}.threshold"] = mb
        out[f"{layer.name}.v_init"] = mb
    out["loader.loaded"] = out["loader.load_error"] = 1
    return out
