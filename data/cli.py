"""The one way a command of the flow ends: its exit code, or one line and 130 on Ctrl-C.

Every command of the flow runs through `run`, named by "module:function" so that `run` itself
imports it and a Ctrl-C during the (seconds-long) torch, amaranth or matplotlib imports is
caught too. A module that is its own command puts the guard first, before its imports::

    from __future__ import annotations

    if __name__ == "__main__":
        from ecg_snn.data.cli import run

        run("ecg_snn.sim.run:main", "make sim")  # imports it again, as itself; runs main()

    import argparse                       # reached only when imported
    ...

and a package's ``__main__.py`` is just ``run("ecg_snn.model.pipeline:cli", "make train")``. A
callable is accepted too (`run(main, name)`), for tests and for code already imported.

Contract: `run` exits with the code the command returns (None -> 0; a `SystemExit` passes
through unchanged). A `KeyboardInterrupt` (Ctrl-C, or SIGINT from a parent) prints exactly one
line, ``<name>: interrupted (Ctrl-C)``, on stderr and exits with 130 = 128 + SIGINT, the code a
shell reports for a process killed by Ctrl-C, without a traceback. Nothing is half-written
because every output file of the flow goes through `data.files.write_atomic` (temporary
sibling, then rename; the temporary file is removed when the interrupt unwinds through it),
and a folder a command fills file by file is registered with `discard_on_interrupt` and
removed: an interrupted command leaves each output either complete or absent.

This module sits in `data/`, the lowest layer, so every layer can use it; it imports only the
standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

INTERRUPTED = 130  # 128 + SIGINT (2): what a shell reports for a Ctrl-C'd process
_DISCARD: list[Path] = []  # what the running command is creating (`discard_on_interrupt`)


def discard_on_interrupt(path: str | Path) -> Path:
    """Register a folder (or file) the running command is filling: if Ctrl-C stops the command,
    `run` removes it, since it would be left half-written (a run folder of several files, a
    staging folder). Returns `path`. Single files need no registration: `write_atomic`."""
    _DISCARD.append(Path(path))
    return Path(path)


def _discard() -> None:
    while _DISCARD:
        path = _DISCARD.pop()
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def interrupted_line(name: str) -> str:
    """The one line a command prints when Ctrl-C stops it."""
    return f"{name}: interrupted (Ctrl-C)"


def _resolve(target: str | Callable[[], int | None]) -> Callable[[], int | None]:
    """`target` itself, or the function a ``"package.module:function"`` string names."""
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr or "main")


class Parser(argparse.ArgumentParser):
    """argparse with the flow's one-line errors. A bad option or value (``--beats x``, or
    ``BEATS=x`` reaching an option default through the environment) prints
    ``<prog>: error: <argparse's message> (--help lists the options)`` on stderr and exits 2,
    like every other error of the flow, instead of argparse's whole usage block first."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


@contextlib.contextmanager
def heartbeat(what: str, every: float = 10.0, out=None) -> Iterator[None]:
    """While the block runs, print ``<what>: still running (N s)`` every `every` seconds, so a
    long quiet step (place and route, synthesis) never looks hung."""
    out = out or sys.stdout
    done, start = threading.Event(), time.monotonic()

    def beat() -> None:
        while not done.wait(every):
            print(f"{what}: still running ({time.monotonic() - start:.0f} s)", file=out, flush=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class _Sigint:
    """Ctrl-C as Python's default handler treats it (raise KeyboardInterrupt), remembered: a
    SIGINT that lands inside a C extension's import can come out as another exception (numpy
    turns one inside its `datetime` capsule import into an ImportError), and `run` must still
    call that an interrupt."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum, frame) -> None:
        self.seen = True
        raise KeyboardInterrupt


def run(target: str | Callable[[], int | None], name: str) -> NoReturn:
    """Run a command's entry point and exit (module docstring: codes and the Ctrl-C line).
    Any exception after a SIGINT arrived counts as the interrupt (`_Sigint`)."""
    _DISCARD.clear()
    sigint = _Sigint()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, sigint) if main_thread else None
    try:
        code = _resolve(target)()
    except KeyboardInterrupt:
        code = _interrupted(name)
    except Exception:
        if not sigint.seen:
            raise
        code = _interrupted(name)
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    raise SystemExit(code)


def _interrupted(name: str) -> int:
    """Remove what the command was creating, print the one line; the exit code."""
    _discard()
    sys.stdout.flush()
    print(interrupted_line(name), file=sys.stderr, flush=True)
    return INTERRUPTED
