"""Stream players and result recorders inside the simulator (Verilog, for `sim/tb/hdl_clock.py`),
and the files they read and write.

Driving a stream from Python costs two awaits per word (`sim/tb/stream.StreamDriver`), and on
the accelerator that Python, not the simulated hardware, set the pace (64 sample words + 4 RR
words per beat, ~470 cycles). Here the clock wrapper gets, per input stream, a player that reads
a phase's words from a binary file and offers them itself, and per output stream a recorder that
takes every word and writes it with its arrival cycle to a text file. Python writes the stimulus
file, sets the counts, toggles `play_go`, and waits for `play_busy` to fall
(`sim/tb/player.py`): no await per word, none per result.

Both follow the timing discipline of `sim/tb/bench.py` exactly, so what they record is what the
Python driver and sink record:

- a player offers its first word right after the edge that saw `play_go` change and, like
  `StreamDriver` with no pauses, the next word right after each transfer edge (`valid` never
  waits for `ready`); at the transfer edge of a beat's first word (every `beat`-th word) it
  logs that edge's cycle (`StreamDriver.starts`);
- a recorder holds `ready` high and, at each transfer edge, writes the payload and the cycle in
  which `valid` was first high, i.e. the edge before (`StreamSink.recv`'s arrival; its `ready`
  is also high whenever it waits with no back-pressure).

While a player or recorder is active it owns its stream's handshake; otherwise the wrapper's
ports pass straight through, so the Python driver and sink work unchanged on the same build
(phases with pauses, the load port, reset tests).

Files (in the simulator's working directory, the cocotb test directory): ``play_<stream>.bin``,
the words big-endian in ceil(width / 8) bytes each (what Verilog's `$fread` into a reg reads);
``play_<stream>.starts``, one cycle per beat; ``rec_<stream>.txt``, one ``<hex payload> <arrival
cycle>`` line per word. The cycle of an edge is its time over the period (`TB.cycle`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

GO = "play_go"  # toggled by Python: every player and recorder with a nonzero count starts
BUSY = "play_busy"  # high from the start edge until every player and recorder is done


def words_reg(stream: str) -> str:
    """Player register: words to send in this run (Python writes it before `play_go`)."""
    return f"play_{stream}_words"


def beat_reg(stream: str) -> str:
    """Player register: words per beat (a start cycle is logged every `beat` words)."""
    return f"play_{stream}_beat"


def count_reg(stream: str) -> str:
    """Recorder register: words to take in this run."""
    return f"rec_{stream}_count"


def left_reg(stream: str) -> str:
    """Recorder register: words still to take (progress)."""
    return f"rec_{stream}_left"


def play_file(stream: str) -> str:
    return f"play_{stream}.bin"


def starts_file(stream: str) -> str:
    return f"play_{stream}.starts"


def rec_file(stream: str) -> str:
    return f"rec_{stream}.txt"


def word_bytes(width: int) -> int:
    return (width + 7) // 8


def write_words(path: Path, words: np.ndarray, width: int) -> None:
    """Write non-negative port words (< 2**width, width <= 64) as a player reads them."""
    w = np.asarray(words, np.uint64).ravel()
    if len(w) and int(w.max()) >> width:
        raise ValueError(f"a word does not fit the {width}-bit port")
    n = word_bytes(width)
    be = w.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - n :]  # the low n bytes, MSB first
    Path(path).write_bytes(be.tobytes())


def read_starts(path: Path) -> np.ndarray:
    """The cycles a player logged, one per beat."""
    text = Path(path).read_text()
    return np.array(text.split(), np.int64)


def read_recorded(path: Path) -> tuple[list[int], np.ndarray]:
    """(payloads, arrival cycles) a recorder wrote."""
    tokens = Path(path).read_text().split()
    return [int(t, 16) for t in tokens[0::2]], np.array(tokens[1::2], np.int64)


def verilog(
    players: Sequence[tuple[str, str]],
    recorders: Sequence[tuple[str, str]],
    *,
    clk: str,
    period_ns: int,
) -> tuple[list[str], dict[str, str]]:
    """Wrapper lines for the given streams ((name, payload range such as "[11:0]") each), and the
    dut connections they take over: {dut port: wrapper net}."""
    lines: list[str] = []
    conn: dict[str, str] = {}
    busy = []
    cycle = f"$time / {period_ns}"
    if players or recorders:
        lines.append(f"  reg {GO} = 1'b0, play_go_seen = 1'b0;")
        lines.append(f"  wire play_start = {GO} != play_go_seen;")
        lines.append(f"  always @(posedge {clk}) play_go_seen <= {GO};")
    for s, rng in players:
        width = _width(rng)
        n = word_bytes(width)
        p = f"play_{s}"
        words, beat = words_reg(s), beat_reg(s)
        lines += [
            f"  // Player of {s}: {words} words from {play_file(s)}, a start logged per {beat}.",
            f"  reg [31:0] {words} = 0, {beat} = 1, {p}_left = 0, {p}_pos = 0;",
            f"  reg {rng} {p}_payload = 0, {p}_next = 0;",
            f"  integer {p}_in = 0, {p}_log = 0, {p}_got = 0;",
            f"  wire {p}_on = {p}_left != 0;",
            f"  wire {s}__valid_w = {p}_on ? 1'b1 : {s}__valid;",
            f"  wire {rng} {s}__payload_w = {p}_on ? {p}_payload : {s}__payload;",
            f"  always @(posedge {clk}) begin",
            f"    if (play_start && {words} != 0) begin",
            f'      {p}_in = $fopen("{play_file(s)}", "rb");',
            f'      {p}_log = $fopen("{starts_file(s)}", "w");',
            f"      if ({p}_in == 0 || {p}_log == 0)",
            f'        $fatal(1, "player {s}: cannot open {play_file(s)} or {starts_file(s)}");',
            f"      {p}_got = $fread({p}_next, {p}_in);",
            f'      if ({p}_got != {n}) $fatal(1, "player {s}: {play_file(s)} is short");',
            f"      {p}_payload <= {p}_next;",
            f"      {p}_left <= {words};",
            f"      {p}_pos <= 0;",
            f"    end else if ({p}_on && {s}__ready) begin  // a transfer at this edge",
            f'      if ({p}_pos == 0) $fwrite({p}_log, "%0d\\n", {cycle});',
            f"      {p}_pos <= {p}_pos + 1 == {beat} ? 0 : {p}_pos + 1;",
            f"      {p}_left <= {p}_left - 1;",
            f"      if ({p}_left == 1) begin",
            f"        $fclose({p}_in);",
            f"        $fclose({p}_log);",
            "      end else begin",
            f"        {p}_got = $fread({p}_next, {p}_in);",
            f'        if ({p}_got != {n}) $fatal(1, "player {s}: {play_file(s)} is short");',
            f"        {p}_payload <= {p}_next;",
            "      end",
            "    end",
            "  end",
        ]
        conn[f"{s}__valid"] = f"{s}__valid_w"
        conn[f"{s}__payload"] = f"{s}__payload_w"
        busy.append(f"{p}_on")
    for s, _rng in recorders:
        r = f"rec_{s}"
        count, left = count_reg(s), left_reg(s)
        lines += [
            f"  // Recorder of {s}: takes {count} words into {rec_file(s)}.",
            f"  reg [31:0] {count} = 0, {left} = 0;",
            f"  integer {r}_out = 0;",
            f"  wire {r}_on = {left} != 0;",
            f"  wire {s}__ready_w = {r}_on ? 1'b1 : {s}__ready;",
            f"  always @(posedge {clk}) begin",
            f"    if (play_start && {count} != 0) begin",
            f'      {r}_out = $fopen("{rec_file(s)}", "w");',
            f'      if ({r}_out == 0) $fatal(1, "recorder {s}: cannot open {rec_file(s)}");',
            f"      {left} <= {count};",
            f"    end else if ({r}_on && {s}__valid) begin  // ready is high: a transfer",
            f'      $fwrite({r}_out, "%h %0d\\n", {s}__payload, {cycle} - 1);',
            f"      {left} <= {left} - 1;",
            f"      if ({left} == 1) $fclose({r}_out);",
            "    end",
            "  end",
        ]
        conn[f"{s}__ready"] = f"{s}__ready_w"
        busy.append(f"{r}_on")
    if busy:
        lines.append(f"  wire {BUSY} = {' | '.join(busy)};")
    return lines, conn


def _width(rng: str) -> int:
    if not rng:
        return 1
    hi, lo = (int(v) for v in rng.strip("[]").split(":"))
    return abs(hi - lo) + 1
