"""A small Amaranth design that proves the testbench pieces on their own: a stream FIFO.

`PassThrough` moves `i_data` words to `o_data` in order through a buffered synchronous FIFO
(registered output, so the first word appears two cycles after it is taken), with the same
Amaranth stream port naming as the accelerator. A correct driver/monitor pair sees every word
exactly once, in order, under any idle insertion and back-pressure.
"""

from __future__ import annotations

from pathlib import Path

from amaranth import Module
from amaranth.back import verilog
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

TOP = "passthrough"


class PassThrough(wiring.Component):
    """`o_data` = `i_data`, delayed, through a FIFO of `depth` words of `width` bits."""

    def __init__(self, width: int = 16, depth: int = 4):
        if width < 1 or depth < 2:
            raise ValueError(f"width must be >= 1 and depth >= 2, not {width}, {depth}")
        self._width, self._depth = width, depth
        super().__init__(
            {
                "i_data": In(stream.Signature(width)),
                "o_data": Out(stream.Signature(width)),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.fifo = q = fifo.SyncFIFOBuffered(width=self._width, depth=self._depth)
        m.d.comb += [
            q.w_data.eq(self.i_data.payload),
            q.w_en.eq(self.i_data.valid),
            self.i_data.ready.eq(q.w_rdy),
            self.o_data.payload.eq(q.r_data),
            self.o_data.valid.eq(q.r_rdy),
            q.r_en.eq(self.o_data.ready),
        ]
        return m


def write_verilog(out_dir: Path, width: int = 16, depth: int = 4) -> Path:
    """Emit the design as `<out_dir>/passthrough.v` and return the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{TOP}.v"
    path.write_text(verilog.convert(PassThrough(width, depth), name=TOP))
    return path
