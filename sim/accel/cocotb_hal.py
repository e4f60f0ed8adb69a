"""The firmware's HAL (`firmware/include/snn_hal.h`) on the accelerator's RTL in a cocotb
simulation: the compiled C driver, called through ctypes (`firmware.host.HostLib`), drives the
real ports of `model/contract/ports.py` instead of a model.

How the C driver reaches the simulator (cocotb 2.1's thread bridge, `cocotb.task`)::

    cocotb test ── await hal.run(lib.load, words) ──> a bridge thread runs the C driver
                                                         │ a HAL call (ctypes callback)
    scheduler  <── resume(self._put)(port, word) ────────┘ blocks the thread until the
      runs the coroutine: valid/ready on the RTL,            coroutine has finished
      clock edges pass, then wakes the thread

Only one side runs at a time: while the driver thread computes, the simulator is parked (cocotb
waits for the thread to block in `resume` or finish), and while the coroutine awaits clock edges
the thread is blocked. Simulated time therefore passes only inside HAL calls, as on a chip where
the CPU's bus accesses are what take time, and the result is deterministic.

Each call follows the timing discipline of `sim/tb/bench.py` (write after a rising edge, sample
at the falling edge) and returns right after a rising edge:

- `put`: offer the word; if the port takes it this cycle, return 1; otherwise keep it offered
  (`valid` never waits for `ready`) up to `poll_cycles` cycles, or until `ready` rises, and
  return 0. The driver's retry offers the same word, so `valid` stays high across the retry
  without a gap; any other call first withdraws a word left offered by a driver that gave up.
- `get_result`: accept `o_result` if it is valid this cycle; otherwise wait up to `poll_cycles`
  (the firmware's polling interval; ends early when `valid` rises) and return "nothing".
- `status`: one cycle, sampling `busy`, `loaded` and `load_error`.
- `reset`: `rst` high for two cycles.

So the driver's poll budget, in polls, is worth `poll_cycles` cycles each: set it above the
longest inference (and the membrane-initialisation sweep after a load) over `poll_cycles`.

Every port operation is recorded (`trace`, `counts`) so tests can prove what reached the ports
(nothing, for an image the driver refuses). An exception inside a coroutine cannot cross the C
frames of the driver: it is kept in `errors`, the HAL then answers "not ready" at once (so the
driver fails fast with a timeout), and `check()` re-raises it in the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles, First, RisingEdge

from ecg_snn.model.contract.ports import BUS_BITS, Port, Status

SAMPLE, RR, LOAD = Port.SAMPLE, Port.RR, Port.LOAD  # snn_port_t
BUSY, LOADED, LOAD_ERROR = Status.BUSY, Status.LOADED, Status.LOAD_ERROR  # SNN_STATUS_*
PORTS = {port: port.verilog for port in Port}


@dataclass(frozen=True)
class Op:
    """One HAL call as the RTL saw it. `value`: the word put, the status read or the result
    payload; `ok`: put accepted / result present; `cycle` at return; for load words, `flags` is
    (loaded, load_error) sampled in the cycle the word was offered."""

    kind: str  # "put" | "status" | "result" | "reset"
    port: int
    value: int
    ok: bool
    cycle: int
    flags: tuple[int, int] | None = None


class RtlHal:
    """The four HAL functions over a running `sim.tb.bench.TB` (clock started, out of reset);
    `result_words` is `SNN_RESULT_WORDS`, `poll_cycles` the polling interval."""

    def __init__(self, tb: Any, *, result_words: int, poll_cycles: int = 64):
        if poll_cycles < 1:
            raise ValueError(f"poll_cycles must be at least 1, not {poll_cycles!r}")
        self.tb = tb
        dut = tb.dut
        self.result_words = result_words
        self.poll_cycles = poll_cycles
        self._ports = {
            p: (
                getattr(dut, f"{n}__valid"),
                getattr(dut, f"{n}__ready"),
                getattr(dut, f"{n}__payload"),
            )
            for p, n in PORTS.items()
            if hasattr(dut, f"{n}__valid")
        }
        for valid, _, _ in self._ports.values():
            valid.value = 0
        self._res_valid = dut.o_result__valid
        self._res_ready = dut.o_result__ready
        self._res_payload = dut.o_result__payload
        self._res_ready.value = 0
        self._ready_rise = {p: RisingEdge(r) for p, (_, r, _) in self._ports.items()}
        self._valid_rise = RisingEdge(self._res_valid)
        self._offered: tuple[int, int] | None = None
        self._flip: tuple[int, int] | None = None
        self._load_words = 0  # load words accepted since the fault was set
        self.trace: list[Op] = []
        self.counts: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self._blocking = {
            name: self._guard(resume(getattr(self, f"_{name}")), default)
            for name, default in (("put", 0), ("get_result", None), ("status", 0), ("reset", None))
        }

    # -- the blocking functions the driver thread calls (`HostLib.use_hal`) ----------------

    def put(self, port: int, word: int) -> bool:
        return bool(self._blocking["put"](port, word))

    def get_result(self) -> list[int] | None:
        return self._blocking["get_result"]()

    def status(self) -> int:
        return int(self._blocking["status"]())

    def reset(self) -> None:
        self._blocking["reset"]()

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """Await `func(*args)` (a C driver call through `HostLib`) in a `cocotb.task.bridge`
        thread. Afterwards no word stays offered (a driver that gave up on a port leaves it
        offered; a CPU that stopped writing would not write it later), and an error of a HAL
        coroutine is re-raised here."""
        result = await bridge(func)(*args)
        self._withdraw()
        self.check()
        return result

    def check(self) -> None:
        """Re-raise the first error a HAL coroutine hit (the driver only saw 'not ready')."""
        if self.errors:
            raise RuntimeError(f"{len(self.errors)} HAL call(s) failed") from self.errors[0]

    def puts(self, port: int) -> list[int]:
        """The words the RTL accepted on `port`, in order."""
        return [op.value for op in self.trace if op.kind == "put" and op.port == port and op.ok]

    def fault_on_load(self, word_index: int, mask: int) -> None:
        """A fault on the load port's wire: the `word_index`-th load word accepted from now on
        reaches the RTL with `mask` XORed in (the driver checked the good word; only the chip
        can catch it). `mask=0` removes the fault."""
        self._flip = (word_index, mask) if mask else None
        self._load_words = 0

    def clear(self) -> None:
        self.trace.clear()
        self.counts.clear()

    # -- the coroutines, run by the scheduler ----------------------------------------------

    def _guard(self, blocking: Callable[..., Any], default: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if self.errors:
                return default
            try:
                return blocking(*args)
            except Exception as e:  # it must not unwind through the driver's C frames
                self.errors.append(e)
                return default

        return call

    def _withdraw(self, keep: tuple[int, int] | None = None) -> None:
        """Stop offering a word the driver gave up on (called right after a rising edge, so no
        transfer happens at the next one)."""
        if self._offered is not None and self._offered != keep:
            self._ports[self._offered[0]][0].value = 0
            self._offered = None

    def _record(self, kind: str, port: int, value: int, ok: bool, flags=None) -> None:
        self.trace.append(Op(kind, port, value, ok, self.tb.cycle(), flags))
        self.counts[f"{kind}:{PORTS.get(port, '-')}:{'ok' if ok else 'no'}"] += 1

    async def _put(self, port: int, word: int) -> int:
        tb = self.tb
        if port not in self._ports:
            raise ValueError(f"the RTL has no port {PORTS.get(port, port)!r}")
        self._withdraw(keep=(port, word))
        valid, ready, payload = self._ports[port]
        sent = word
        if port == LOAD and self._flip is not None and self._load_words == self._flip[0]:
            sent = word ^ self._flip[1]
        if self._offered is None:
            payload.value = sent
            valid.value = 1
            self._offered = (port, word)
        await tb.falling
        flags = None
        if port == LOAD:
            flags = (int(self.tb.dut.loaded.value), int(self.tb.dut.load_error.value))
        if ready.value:
            await tb.rising  # the transfer edge
            valid.value = 0
            self._offered = None
            if port == LOAD:
                self._load_words += 1
            self._record("put", port, sent, True, flags)
            return 1
        await First(self._ready_rise[port], ClockCycles(tb.clk, self.poll_cycles))
        self._record("put", port, sent, False, flags)
        return 0

    async def _get_result(self) -> list[int] | None:
        tb = self.tb
        self._withdraw()
        self._res_ready.value = 1
        await tb.falling
        if self._res_valid.value:
            word = int(self._res_payload.value)
            await tb.rising  # the transfer edge
            self._res_ready.value = 0
            self._record("result", -1, word, True)
            mask = (1 << BUS_BITS) - 1
            return [(word >> (BUS_BITS * i)) & mask for i in range(self.result_words)]
        await tb.rising  # valid was low before this edge: no transfer
        self._res_ready.value = 0
        if self.poll_cycles > 1:
            await First(self._valid_rise, ClockCycles(tb.clk, self.poll_cycles - 1))
        self._record("result", -1, 0, False)
        return None

    async def _status(self) -> int:
        tb, dut = self.tb, self.tb.dut
        self._withdraw()
        await tb.falling
        s = (
            (BUSY if dut.busy.value else 0)
            | (LOADED if dut.loaded.value else 0)
            | (LOAD_ERROR if dut.load_error.value else 0)
        )
        await tb.rising
        self._record("status", -1, s, True)
        return s

    async def _reset(self) -> None:
        self._withdraw()
        await self.tb.reset()
        self._record("reset", -1, 0, True)
