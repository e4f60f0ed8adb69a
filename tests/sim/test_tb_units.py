"""The simulator-free pieces of the testbench: scoreboard verdicts and pause patterns."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from ecg_snn.sim.tb import hdl_clock, hdl_player
from ecg_snn.sim.tb.pauses import PATTERNS, pauses
from ecg_snn.sim.tb.scoreboard import Expected, Scoreboard, diff_fields


def test_scoreboard_matches_in_order() -> None:
    sb = Scoreboard("t")
    for i in range(3):
        sb.expect(Expected("100", i, {"cls": i, "values": (i, -i)}))
    for i in range(3):
        assert sb.receive({"cls": i, "values": [i, -i]}) is None
    sb.check()
    assert sb.matched == 3 and "3 matched" in sb.report()


def test_scoreboard_reports_first_mismatch_with_record_index_values() -> None:
    sb = Scoreboard("t")
    sb.expect(Expected("100", 0, {"cls": 1, "values": (5, 7)}))
    sb.expect(Expected("101", 4, {"cls": 1, "values": (5, 7)}))
    sb.receive({"cls": 1, "values": (5, 7)})
    m = sb.receive({"cls": 0, "values": (5, 6)})
    assert m is not None and sb.errors == 1
    assert str(m) == (
        "record 101 beat 4: cls: expected 1, got 0; "
        "values: [1] expected 7 got 6 (expected [5, 7], got [5, 6])"
    )
    with pytest.raises(AssertionError, match=r"first mismatch: record 101 beat 4: cls"):
        sb.check()


@pytest.mark.parametrize(
    ("got", "message"),
    [
        ({"cls": 2}, "values: expected [1, 2], got None"),
        ({"cls": 2, "values": (1,)}, "values: expected [1, 2], got (1,)"),
    ],
    ids=["missing-field", "short-sequence"],
)
def test_diff_fields_shapes(got: dict, message: str) -> None:
    assert diff_fields({"cls": 2, "values": (1, 2)}, got) == (message,)


def test_scoreboard_missing_and_unexpected_items_fail() -> None:
    sb = Scoreboard("t")
    sb.expect(Expected("r", 0, {"cls": 1}))
    with pytest.raises(AssertionError, match="first missing: record r beat 0"):
        sb.check()
    sb.clear()
    sb.receive({"cls": 1})
    with pytest.raises(AssertionError, match="first unexpected item"):
        sb.check()


@pytest.mark.parametrize("name", PATTERNS)
def test_pause_patterns_are_seeded_and_non_negative(name: str) -> None:
    a = list(itertools.islice(pauses(name, seed=3), 500))
    assert a == list(itertools.islice(pauses(name, seed=3), 500))
    assert min(a) >= 0
    assert (max(a) == 0) == (name == "none")


def test_unknown_pause_pattern() -> None:
    with pytest.raises(ValueError, match="unknown pause pattern 'often'"):
        pauses("often")


@pytest.mark.parametrize(
    ("width", "words", "data"),
    [
        (6, [0, 63], b"\x00\x3f"),
        (12, [0x123, 0xFFF], b"\x01\x23\x0f\xff"),
        (62, [(1 << 62) - 1], b"\x3f" + b"\xff" * 7),
    ],
)
def test_player_words_are_big_endian_whole_bytes(
    tmp_path: Path, width: int, words: list[int], data: bytes
) -> None:
    """What Verilog's `$fread` into a `width`-bit reg reads: ceil(width / 8) bytes, MSB first."""
    hdl_player.write_words(tmp_path / "w.bin", np.array(words, np.uint64), width)
    assert (tmp_path / "w.bin").read_bytes() == data


def test_player_rejects_a_word_wider_than_its_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not fit the 12-bit port"):
        hdl_player.write_words(tmp_path / "w.bin", np.array([1 << 12]), 12)
    assert not (tmp_path / "w.bin").exists()


def test_wrapper_hands_the_played_handshakes_to_players(tmp_path: Path) -> None:
    """Played streams and the recorded one are rewired to the player and recorder nets; a
    stream the design lacks is skipped; the other ports pass straight through."""
    src = tmp_path / "m.v"
    src.write_text(
        "module m(clk, a__valid, a__ready, a__payload, r__valid, r__ready, r__payload);\n"
        "  input clk;\n  input a__valid;\n  output a__ready;\n  input [11:0] a__payload;\n"
        "  output r__valid;\n  input r__ready;\n  output [61:0] r__payload;\nendmodule\n"
    )
    path, _ = hdl_clock.wrap(src, "m", tmp_path, players=["a", "b"], recorders=["r"])
    text = path.read_text()
    dut = next(line for line in text.splitlines() if line.strip().startswith("m dut("))
    assert ".a__valid(a__valid_w)" in dut and ".a__payload(a__payload_w)" in dut
    assert ".r__ready(r__ready_w)" in dut and ".a__ready(a__ready)" in dut
    assert "play_b_" not in text and "reg [11:0] play_a_payload" in text
    assert f"wire {hdl_player.BUSY} = play_a_on | rec_r_on;" in text


def test_builds_never_change_the_process_environment(monkeypatch) -> None:
    """Builds run from threads: the key and each build's environment are computed without
    touching `os.environ` (the cocotb runner copies it), and the build's own settings win over
    a MAKEFLAGS inherited from an outer make."""
    import os

    from ecg_snn.sim.tb import runner

    monkeypatch.setenv("MAKEFLAGS", "-j2")
    before = dict(os.environ)
    env = runner.build_env()
    key = runner.build_key([Path(hdl_clock.__file__)], "top", ["-O3"], False)
    assert dict(os.environ) == before
    assert env["MAKEFLAGS"] == f"-j2 {runner.PCH_FIX} {runner.MAKE_VARS}"
    assert "-DVL_TIME_CONTEXT" not in env["CXXFLAGS"].split()
    monkeypatch.setenv("MAKEFLAGS", "-j1 --jobserver-auth=fifo:/tmp/x")
    assert runner.build_key([Path(hdl_clock.__file__)], "top", ["-O3"], False) == key

    r = runner._verilator(env)
    r.env = {}
    r._set_env_common()
    assert r.env["MAKEFLAGS"] == env["MAKEFLAGS"] and r.env["CXXFLAGS"] == env["CXXFLAGS"]
    assert r.env["PATH"].startswith(env["PATH"])
    assert dict(os.environ) == {**before, "MAKEFLAGS": "-j1 --jobserver-auth=fifo:/tmp/x"}


@pytest.mark.slow
def test_concurrent_builds_leave_the_process_environment_alone(tmp_path: Path) -> None:
    """Real Verilator builds from three threads (two designs, one of them twice: the second waits
    on the first's lock and reuses it) while a watcher samples `os.environ` throughout: it never
    changes, and each design gets one build directory."""
    import os
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ecg_snn.sim.tb import runner

    sources = []
    for k in (1, 2):
        src = tmp_path / f"m{k}.v"
        src.write_text(
            f"module m{k}(input clk, input [3:0] a, output reg [3:0] q);\n"
            f"  always @(posedge clk) q <= a + 4'd{k};\nendmodule\n"
        )
        sources.append((src, f"m{k}"))
    before, seen, done = dict(os.environ), [], threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if dict(os.environ) != before:
                seen.append(set(os.environ.items()) ^ set(before.items()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            jobs = [sources[0], sources[1], sources[0]]
            builds = list(
                pool.map(lambda s: runner.build([s[0]], s[1], build_root=tmp_path / "b"), jobs)
            )
    finally:
        done.set()
        watcher.join()
    assert seen == [] and dict(os.environ) == before
    assert builds[0].dir == builds[2].dir != builds[1].dir
    assert all((b.dir / "build.ok").exists() for b in builds)
