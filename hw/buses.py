"""The typed interfaces between the accelerator's blocks (Amaranth `wiring.Signature`s).

Each is declared from the driver's side (`Out` members are driven by the block that owns the
interface as `Out(...)`) and connected with `wiring.connect`:

    Loader   --LoadBus-------> LayerUnit      one per layer (`Loader.ld[i]`, `LayerUnit.ld`)
    Sequencer--LayerControl--> LayerUnit      one per layer (`Sequencer.ctl[i]`, `LayerUnit.ctl`)

and the accelerator's own ports (`accelerator_ports`), the contract of `model/contract/ports.py`
that every engine (`hw/engine.py`) presents.

The streams between blocks (events, values, results) are `amaranth.lib.stream` signatures and are
declared where they are produced (`hw/synapse.py` `entry_layout` / `value_layout`).
"""

from __future__ import annotations

from amaranth.hdl import signed, unsigned
from amaranth.lib import enum, stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.model.contract.artifact import ModelSpec
from ecg_snn.model.contract.ports import BUS_BITS, ResultLayout


class LoadField(enum.Enum, shape=3):
    """What a load-bus write targets: a section kind of the weight image
    (`model/contract/image.py`)."""

    THRESHOLD = 0
    V_INIT = 1
    BIAS = 2
    RR_WEIGHT = 3
    WEIGHT = 4


class LoadBus(wiring.Signature):
    """One layer's write port for its loadable values, driven by the loader.

    Members (loader side): `en` (write this cycle), `field` (`LoadField`), `addr` (the word of the
    target memory, `LayerGeometry.load_addr_bits` wide), `lane` (the one lane written), `data`
    (the sign-extended image word), `por` (the power-on reset: the layer clears its loaded
    scalars, which the soft reset keeps). Scalars (threshold, v_init) ignore `addr` and `lane`.
    No handshake: the layer takes a write in the cycle `en` is high.
    """

    def __init__(self, addr_bits: int, lane_bits: int) -> None:
        super().__init__(
            {
                "en": Out(1),
                "field": Out(LoadField),
                "addr": Out(addr_bits),
                "lane": Out(lane_bits),
                "data": Out(signed(BUS_BITS)),
                "por": Out(1),
            }
        )


class LayerControl(wiring.Signature):
    """The sequencer's control of one layer (sequencer side).

    - `init` with `init_addr`: write `vw = v_init`, `cin = 0` (and clear `count`) at that address
      (addresses beyond the layer's depth are ignored, so one sweep serves every layer);
    - `fire_start`: a one-cycle pulse that starts the fire scan; `last_step`: the scan is in the
      last timestep (an output layer streams its membranes, a count layer pushes its counts);
    - `fire_busy` (layer -> sequencer): high from the cycle after `fire_start` until the scan's
      last write-back; `idle` (layer -> sequencer): no event or operation in flight.
    """

    def __init__(self, init_bits: int) -> None:
        super().__init__(
            {
                "init": Out(1),
                "init_addr": Out(init_bits),
                "fire_start": Out(1),
                "last_step": Out(1),
                "fire_busy": In(1),
                "idle": In(1),
            }
        )


def accelerator_ports(spec: ModelSpec, result: ResultLayout) -> dict:
    """The members of an accelerator component (`model/contract/ports.py`): the sample, RR (if
    the model has RR inputs), load and result streams, the power-on reset and the status."""
    pre = spec.preprocess
    members = {
        "i_sample": In(stream.Signature(signed(pre.input_bits))),
        "o_result": Out(stream.Signature(result.width)),
        "i_load": In(stream.Signature(BUS_BITS)),
        "por": In(1),
        "busy": Out(1),
        "done": Out(1),
        "loaded": Out(1),
        "load_error": Out(1),
    }
    if spec.n_rr:
        members["i_rr"] = In(stream.Signature(unsigned(pre.rr_bits)))
    return members
