"""One trial of the search: a (point, seed) trained, scored and measured, or read from the cache.

`run_trial` is what a Ray Tune worker calls. Seed 0 of a point gets the whole evaluation (CV and
hardware); further seeds of the points on the front only the CV (their hardware would differ
only by the trained values: the spread of the accuracy is what the seeds are for). The result is
stored under `trial_key` before it is returned, so a search stopped by Ctrl-C or a crash
re-runs only the trials that had not finished.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ecg_snn.explore.cache import Store, digest
from ecg_snn.explore.space import Point

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "explore"


@dataclass(frozen=True)
class Settings:
    """What every trial of one search shares (part of every key)."""

    epochs: int
    folds: int
    beats: int
    code: str  # `cache.code_version()`
    calibration: str  # digest of the calibration factors (every engine's)
    store: str = str(BUILD / "points")
    work: str = str(BUILD / "work")


def trial_key(point: Point, seed: int, settings: Settings, hardware: bool) -> str:
    s = {k: v for k, v in asdict(settings).items() if k not in ("store", "work")}
    return digest({"point": point.as_dict(), "seed": seed, "settings": s, "hardware": hardware})


def evaluate(
    point: Point,
    seed: int,
    settings: Settings,
    hardware: bool,
    score: Callable | None = None,
    measure: Callable | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """{"point", "seed", "cv", "hw" (None without `hardware`), "seconds", "key", "cached"}."""
    from ecg_snn.explore.evaluate import cross_validate_point
    from ecg_snn.explore.hardware import measure_hardware, sample_of

    store = Store(Path(settings.store))
    key = trial_key(point, seed, settings, hardware)
    if (hit := store.get(key)) is not None:
        return hit | {"cached": True}
    t0 = time.perf_counter()
    log(f"  {point.label} seed {seed}: training {settings.folds} folds x {settings.epochs} epochs")
    scored = (score or cross_validate_point)(point, settings.epochs, settings.folds, seed, log=log)
    hw = None
    if hardware:
        h = scored.held_out
        sample = sample_of(h.x, h.rr, h.y, settings.beats)
        log(f"  {point.label}: hardware on {len(sample.labels)} DS1 beats")
        work = Path(settings.work) / key
        try:
            hw = (measure or measure_hardware)(scored.artifact, point.hw_config(), sample, work)
        finally:  # the builds of one design are not reused by another point
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "point": point.as_dict(),
        "label": point.label,
        "seed": seed,
        "cv": scored.metrics,
        "hw": hw,
        "seconds": round(time.perf_counter() - t0, 1),
        "key": key,
    }
    store.put(key, result)
    return result | {"cached": False}


def objectives(result: dict) -> dict:
    """The figures Tune reports and Optuna optimises (flat)."""
    hw = result.get("hw") or {}
    cv = result["cv"]
    return {
        "cv_jk": cv["j_kappa"],
        "uj_per_heartbeat": hw.get("uj_per_heartbeat", float("nan")),
        "area_mm2": hw.get("area_um2", float("nan")) / 1e6,
        "cycles": (hw.get("cycles") or {}).get("mean", float("nan")),
        "spike_rate": cv["spike_rate"],
        "cached": bool(result.get("cached")),
        "key": result["key"],
    }
