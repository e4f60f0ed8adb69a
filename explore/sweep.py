"""Run the points: cached ones are read back, the rest measured in parallel processes.

A point whose artifact or measurement raises is recorded with its error and the sweep goes on;
it is not stored, so a re-run retries it. After every finished point explore.json is rewritten
(atomically), so an interrupted sweep leaves a valid report of what it measured.
"""

from __future__ import annotations

import json
import multiprocessing
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from ecg_snn.data.files import write_atomic
from ecg_snn.explore import pareto
from ecg_snn.explore.cache import Store, point_key
from ecg_snn.explore.grid import Point
from ecg_snn.explore.measure import Bench, measure
from ecg_snn.model.contract.artifact import Artifact

FIELDS = (
    "accuracy_inter",
    "accuracy_intra",
    "spikes_per_inference",
    "synops_per_inference",
    "cycles",
    "cells",
    "flip_flops",
    "memory_bits",
    "nj_per_inference",
    "dense_qnn_nj",
)

_bench: dict[str, Bench] = {}


def error_summary(exc: BaseException) -> str:
    """The exception and the last frames of its traceback, short enough for a JSON field."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = "; ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"{text[:800]} (at {where})" if where else text[:800]


def record(point: Point, result: dict | None, error: str | None, key: str | None) -> dict:
    """One entry of `points`: the point, every schema field (None when not measured), extras."""
    rec = point.as_dict() | dict.fromkeys(FIELDS) | (result or {})
    return rec | {"error": error, "key": key}


def _init(make_bench: Callable[[], Bench]) -> None:
    _bench["bench"] = make_bench()


def _work(
    point: Point,
    artifacts: dict[str, Artifact],
    code: str,
    current_code: Callable[[], str] | None = None,
) -> tuple[dict | None, str | None]:
    try:
        result = measure(point, artifacts, _bench["bench"])
    except Exception as e:  # recorded, never fatal to the sweep
        return None, error_summary(e)
    if current_code is not None and current_code() != code:
        # hw/ or the energy model was edited while this point ran: its figures may mix both
        return None, "the measuring code changed during the sweep; re-run to measure this point"
    return result, None


def write_report(path: Path, points: list[dict], meta: dict) -> dict:
    body = {"points": points, "best": pareto.best(points)} | meta
    write_atomic(path, json.dumps(body, indent=1, default=float) + "\n")
    return body


def run_sweep(
    points: list[Point],
    artifacts_of: Callable[[Point], dict[str, Artifact]],
    make_bench: Callable[[], Bench],
    settings: dict,
    code: str,
    store: Store,
    out: Path,
    jobs: int = 2,
    meta: dict | None = None,
    log: Callable[[str], None] = print,
    current_code: Callable[[], str] | None = None,
) -> dict:
    """Measure (or read back) every point; write `out` after each; return the report body.
    With `current_code`, a point during which the code version moved away from `code` is
    recorded as an error (not stored)."""
    meta = dict(meta or {}) | {"settings": settings, "code_version": code}
    recs: list[dict | None] = [None] * len(points)
    todo: list[tuple[int, str, dict[str, Artifact]]] = []
    for i, p in enumerate(points):
        try:
            arts = artifacts_of(p)
        except Exception as e:
            recs[i] = record(p, None, error_summary(e), None)
            log(f"  {p.label}: no artifact: {recs[i]['error']}")
            continue
        key = point_key(p.as_dict(), arts, settings, code)
        if (hit := store.get(key)) is not None:
            recs[i] = record(p, hit, None, key) | {"cached": True}
            log(f"  {p.label}: cached")
        else:
            todo.append((i, key, arts))

    def done(i: int, key: str, result: dict | None, error: str | None) -> None:
        recs[i] = record(points[i], result, error, key) | {"cached": False}
        if error is None:
            store.put(key, result)
            log(f"  {points[i].label}: {result.get('nj_per_inference'):.2f} nJ")
        else:
            log(f"  {points[i].label}: FAILED {error}")
        write_report(out, [r for r in recs if r is not None], meta)

    log(f"explore: {len(points)} points, {len(todo)} to measure, {jobs} jobs")
    if jobs <= 1 or len(todo) <= 1:
        _init(make_bench) if todo else None
        for i, key, arts in todo:
            done(i, key, *_work(points[i], arts, code, current_code))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            min(jobs, len(todo)), mp_context=ctx, initializer=_init, initargs=(make_bench,)
        ) as pool:
            futures = {
                pool.submit(_work, points[i], arts, code, current_code): (i, key)
                for i, key, arts in todo
            }
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    i, key = futures[f]
                    try:
                        result, error = f.result()
                    except Exception as e:  # the worker process died
                        result, error = None, error_summary(e)
                    done(i, key, result, error)
    return write_report(out, [r for r in recs if r is not None], meta)
