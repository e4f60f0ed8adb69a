"""Raw ECG in, a class per beat out: QRS detector -> beat front end -> accelerator on one chip.

`EcgChip` chains `hw/qrs.py` `QrsDetector`, `hw/beat_frontend.py` `BeatFrontend` and
`hw/top.py` `Accelerator` (Verilog module `CHIP_TOP`); it computes what `stream/core.py`
`run_stream` does for every detected beat but the last: its fiducial sample, whether it is
classified (`model/contract/beat_window.py`) and, when it is, the class the device reports: the
golden model's class on its chip inputs after the artifact's rhythm gate (`RhythmGate`,
`model/contract/patient.py` `gate`: an S becomes N when the beat's rhythm, from the front end,
is at least `ModelSpec.rhythm_gate`; a spec without the gate builds no gate logic). A separate
top: the accelerator-only build (`snn_accelerator`, `make verilog`)
is unchanged and stays the default.

Ports (`lib.stream`; a transfer is `valid & ready`):

- `i_sample` (`value` signed 16, `valid` 0 for a lead-off sample): the raw ADC samples at
  360 Hz. Taken when the detector is ready and the front end does not `hold` (its power-up
  clear, the cycle a beat is handed over, a ring read that a sample would overrun).
- `o_beat` (`chip_beat(spec, monitor)`): one per detected beat but the last, in order:
  `sample` (the detector's counter), `classified`, `cls` (the reported class, after the rhythm
  gate; 0 when unclassified); with `monitor` also `chip` (the accelerator's own class, before
  the gate) and `rhythm` (the front end's measure; both 0 when unclassified). A classified
  beat leaves when the accelerator's result is in.
- `i_load`, `por`, `loaded`, `load_error`: the accelerator's (a ROM build ties the load port
  off); `busy`: any block working.
- `o_words` (only with `monitor`, for the benches): every chip input word as the front end
  hands it to the accelerator (`valid` in the cycle of the transfer; not flow-controlled:
  its `ready` is ignored).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ecg_snn.hw.beat_frontend import POS_BITS, BeatFrontend
from ecg_snn.hw.config import Checked, HwConfig
from ecg_snn.hw.qrs import SAMPLE_IN, QrsDetector
from ecg_snn.hw.top import Accelerator
from ecg_snn.model.contract.artifact import Artifact, ModelSpec
from ecg_snn.model.contract.ports import BUS_BITS, ResultLayout

CHIP_TOP = "snn_chip"


def chip_beat(spec: ModelSpec, monitor: bool = False) -> data.StructLayout:
    """`o_beat`'s payload: sample, classified, cls; with `monitor` also chip and rhythm."""
    cls = unsigned(ResultLayout.of(spec).cls_bits)
    fields = {"sample": unsigned(POS_BITS), "classified": 1, "cls": cls}
    if monitor:
        fields.update(chip=cls, rhythm=unsigned(spec.preprocess.rr_bits))
    return data.StructLayout(fields)


class RhythmGate(Checked, wiring.Component):
    """The rhythm gate (`model/contract/patient.py` `gate`), combinational: `o_cls` is N where
    `i_cls` is S and `rhythm` >= `spec.rhythm_gate`, else `i_cls`. The threshold and the class
    indices are constants of the build (the spec's); a spec without the gate has none."""

    @classmethod
    def check(cls, spec: ModelSpec) -> None:
        if not spec.rhythm_gate:
            raise ValueError("the spec has no rhythm gate (rhythm_gate = 0)")
        if not {"N", "S"} <= set(spec.classes):
            raise ValueError("a rhythm gate (S -> N) needs the classes N and S")

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        cls = unsigned(ResultLayout.of(spec).cls_bits)
        super().__init__(
            {"i_cls": In(cls), "rhythm": In(spec.preprocess.rr_bits), "o_cls": Out(cls)}
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        classes = self.spec.classes
        s, n = classes.index("S"), classes.index("N")
        hit = (self.i_cls == s) & (self.rhythm >= self.spec.rhythm_gate)
        m.d.comb += self.o_cls.eq(Mux(hit, n, self.i_cls))
        return m


def monitor_word(spec: ModelSpec) -> data.StructLayout:
    """`o_words`' payload: the word (a sample, signed; an RR word, unsigned) and which."""
    pre = spec.preprocess
    return data.StructLayout({"value": signed(max(pre.input_bits, pre.rr_bits + 1)), "rr": 1})


class EcgChip(Checked, wiring.Component):
    """Parameters: `spec`, `config`, `artifact` as `Accelerator` (ROM: the artifact's weights
    baked in), `monitor`: add the `o_words` observation port and `o_beat`'s `chip` and `rhythm`
    (module docstring)."""

    @classmethod
    def check(
        cls,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        monitor: bool = False,
    ) -> None:
        Accelerator.check(spec, config, artifact)
        if (config or HwConfig()).engine != "event":
            raise ValueError("the chip chains the event engine (engine='event')")
        BeatFrontend.check(spec.preprocess)

    def __init__(
        self,
        spec: ModelSpec,
        config: HwConfig | None = None,
        artifact: Artifact | None = None,
        monitor: bool = False,
    ) -> None:
        self.spec, self.config, self.artifact = spec, config or HwConfig(), artifact
        self.monitor = monitor
        members = {
            "i_sample": In(stream.Signature(SAMPLE_IN)),
            "o_beat": Out(stream.Signature(chip_beat(spec, monitor))),
            "i_load": In(stream.Signature(BUS_BITS)),
            "por": In(1),
            "busy": Out(1),
            "loaded": Out(1),
            "load_error": Out(1),
        }
        if monitor:
            members["o_words"] = Out(stream.Signature(monitor_word(spec)))
        super().__init__(members)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        pre = self.spec.preprocess
        m.submodules.qrs = qrs = QrsDetector()
        m.submodules.frontend = fe = BeatFrontend(pre)
        m.submodules.accel = acc = Accelerator(self.spec, self.config, self.artifact)

        # the samples: to the detector, observed by the front end (which may hold them)
        take = Signal()
        m.d.comb += [
            qrs.i_sample.valid.eq(self.i_sample.valid & ~fe.hold),
            qrs.i_sample.payload.eq(self.i_sample.payload),
            self.i_sample.ready.eq(qrs.i_sample.ready & ~fe.hold),
            take.eq(self.i_sample.valid & self.i_sample.ready),
            fe.tap_valid.eq(take),
            fe.tap.eq(self.i_sample.payload),
        ]
        wiring.connect(m, qrs.o_beat, fe.i_beat)
        wiring.connect(m, fe.o_x, acc.i_sample)
        if pre.n_rr:
            wiring.connect(m, fe.o_rr, acc.i_rr)
        wiring.connect(m, wiring.flipped(self.i_load), acc.i_load)
        m.d.comb += [
            acc.por.eq(self.por),
            self.loaded.eq(acc.loaded),
            self.load_error.eq(acc.load_error),
            self.busy.eq(qrs.busy | fe.busy | acc.busy),
        ]

        # one beat at a time: the front end's verdict, then (classified) the class
        cls_bits = ResultLayout.of(self.spec).cls_bits
        result = acc.o_result.payload[:cls_bits]  # the accelerator's class
        keep_rhythm = self.spec.rhythm_gate > 0 or self.monitor
        rhythm = Signal(pre.rr_bits)  # the beat's, from o_info (kept only when used)
        reported = result
        if self.spec.rhythm_gate:
            m.submodules.gate = gate = RhythmGate(self.spec)
            m.d.comb += [gate.i_cls.eq(result), gate.rhythm.eq(rhythm)]
            reported = gate.o_cls
        with m.FSM(name="chip"):
            with m.State("INFO"):
                m.d.comb += fe.o_info.ready.eq(1)
                with m.If(fe.o_info.valid):
                    m.d.sync += [
                        self.o_beat.payload.sample.eq(fe.o_info.payload.sample),
                        self.o_beat.payload.classified.eq(fe.o_info.payload.classified),
                        self.o_beat.payload.cls.eq(0),
                    ]
                    if keep_rhythm:
                        m.d.sync += rhythm.eq(fe.o_info.payload.rhythm)
                    if self.monitor:
                        m.d.sync += self.o_beat.payload.chip.eq(0)
                    with m.If(fe.o_info.payload.classified):
                        m.next = "RESULT"
                    with m.Else():
                        m.next = "OUT"
            with m.State("RESULT"):
                m.d.comb += acc.o_result.ready.eq(1)
                with m.If(acc.o_result.valid):
                    m.d.sync += self.o_beat.payload.cls.eq(reported)
                    if self.monitor:
                        m.d.sync += self.o_beat.payload.chip.eq(result)
                    m.next = "OUT"
            with m.State("OUT"):
                m.d.comb += self.o_beat.valid.eq(1)
                with m.If(self.o_beat.ready):
                    m.next = "INFO"

        if self.monitor:
            m.d.comb += self.o_beat.payload.rhythm.eq(rhythm)
            x_go = fe.o_x.valid & acc.i_sample.ready
            m.d.comb += [
                self.o_words.valid.eq(x_go),
                self.o_words.payload.value.eq(fe.o_x.payload),
            ]
            if pre.n_rr:
                with m.If(fe.o_rr.valid & acc.i_rr.ready):
                    m.d.comb += [
                        self.o_words.valid.eq(1),
                        self.o_words.payload.value.eq(fe.o_rr.payload),
                        self.o_words.payload.rr.eq(1),
                    ]
        return m
