"""Stream helpers for Amaranth-simulator testbenches (`lib.stream` valid/ready rules).

Shared by every test in `tests/hw/`: a transfer happens on a clock edge where `valid & ready`.
"""

from __future__ import annotations

from typing import Any


async def stream_put(ctx: Any, stream: Any, payload: Any) -> None:
    """Offer `payload` until the sink takes it (one transfer), then drop `valid`."""
    ctx.set(stream.valid, 1)
    ctx.set(stream.payload, payload)
    await ctx.tick().until(stream.ready)
    ctx.set(stream.valid, 0)


async def stream_get(ctx: Any, stream: Any) -> Any:
    """Accept one transfer and return its payload (as the simulator's value)."""
    ctx.set(stream.ready, 1)
    (payload,) = await ctx.tick().sample(stream.payload).until(stream.valid)
    ctx.set(stream.ready, 0)
    return payload


async def feed_beat(ctx: Any, dut: Any, x: Any, rr: Any) -> None:
    """Offer one beat's samples, then its RR features, back to back."""
    for v in x:
        await stream_put(ctx, dut.i_sample, int(v))
    if getattr(dut, "i_rr", None) is not None:
        for v in rr:
            await stream_put(ctx, dut.i_rr, int(v))


async def load_image(ctx: Any, dut: Any, words: Any) -> tuple[int, int]:
    """Stream a weight image into the load port; return (loaded, load_error) afterwards."""
    for w in words:
        await stream_put(ctx, dut.i_load, int(w))
    await ctx.tick()
    return ctx.get(dut.loaded), ctx.get(dut.load_error)


def simulate(
    dut: Any, beats: list[tuple[Any, Any]], image: Any = None
) -> list[tuple[int, list[int], int]]:
    """Run `beats` [(x, rr), ...] through an `Accelerator` in the Amaranth simulator, after
    loading `image` (a weight-image word list) if given. Inputs are offered back to back and
    the result is taken at once. Returns per beat (class, output values, cycles), cycles counted
    from the cycle after the first accepted input word to `o_result.valid`."""
    from amaranth.sim import Simulator

    from ecg_snn.model.contract.ports import unpack_result

    out: list[tuple[int, list[int], int]] = []
    loaded = {"done": image is None}

    async def feeder(ctx: Any) -> None:
        if image is not None:
            ok, err = await load_image(ctx, dut, image)
            assert ok and not err, "the weight image was rejected"
        loaded["done"] = True
        for x, rr in beats:
            await feed_beat(ctx, dut, x, rr)

    async def collector(ctx: Any) -> None:
        for _ in beats:
            n = 0
            while not ctx.get(dut.busy):
                await ctx.tick()
            while not ctx.get(dut.o_result.valid):
                await ctx.tick()
                n += 1
            word = await stream_get(ctx, dut.o_result)
            cls, values = unpack_result(dut.result_layout, word)
            out.append((cls, values, n))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(feeder)
    sim.add_testbench(collector)
    sim.run()
    return out


class SpiMaster:
    """An SPI mode-0 host for Amaranth-simulator testbenches of `hw.spi.SpiShell` (the register
    map is `model/contract/spi.py`). SCK runs at f_clk / (2 * `half`); MOSI changes while SCK
    is low, MISO is sampled just before the rising edge, as a microcontroller's SPI block does.
    """

    def __init__(self, ctx: Any, dut: Any, half: int | None = None) -> None:
        from ecg_snn.model.contract.spi import SCK_DIVIDER_MIN

        self.ctx, self.dut = ctx, dut
        self.half = SCK_DIVIDER_MIN // 2 if half is None else half

    async def _wait(self, n: int) -> None:
        for _ in range(n):
            await self.ctx.tick()

    async def transfer(self, tx: bytes | list[int], *, bits: int | None = None) -> bytes:
        """One transaction (`cs_n` low, the bytes, `cs_n` high); returns the bytes read.
        `bits`: stop after that many bits (a malformed, cut-off transaction)."""
        ctx, dut = self.ctx, self.dut
        n_bits = 8 * len(tx) if bits is None else bits
        ctx.set(dut.cs_n, 0)
        await self._wait(self.half)
        rx = 0
        for i in range(n_bits):
            ctx.set(dut.mosi, (tx[i // 8] >> (7 - i % 8)) & 1)
            await self._wait(self.half)
            rx = (rx << 1) | ctx.get(dut.miso)
            ctx.set(dut.sck, 1)
            await self._wait(self.half)
            ctx.set(dut.sck, 0)
        await self._wait(self.half)
        ctx.set(dut.cs_n, 1)
        await self._wait(self.half)
        rx <<= (-n_bits) % 8
        return rx.to_bytes((n_bits + 7) // 8, "big")
