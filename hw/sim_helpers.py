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
