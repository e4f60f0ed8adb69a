"""ctypes access to `libsnn_host.so` (`firmware/build.py`): the C reference, front end and
driver called on whole numpy batches, for the tests and the timing in `make firmware`.

One library per generated model: the C code is compiled for one hardware configuration.
Each method converts to the exact C element types, so a wrong dtype can never reach C.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Protocol

import numpy as np


class DriverError(RuntimeError):
    """A C function returned a status other than SNN_OK; `status` is the snn_status_t."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{message} (snn_status_t {status})")
        self.status = status


def _ptr(a: np.ndarray) -> ctypes.c_void_p:
    """The address of `a`'s data. It does not keep `a` alive: bind the array to a name for the
    duration of the call, never pass `_ptr(make_array())`."""
    return ctypes.c_void_p(a.ctypes.data)


def _c(a: np.ndarray, dtype: str) -> np.ndarray:
    """A C-contiguous copy of exactly `dtype`, refusing values that would not fit it."""
    a = np.asarray(a)
    info = np.iinfo(dtype)
    if a.size and (a.min() < info.min or a.max() > info.max):
        raise ValueError(f"values in [{a.min()}, {a.max()}] do not fit {dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


class Hal(Protocol):
    """An accelerator behind the driver, written in Python (`HostLib.use_hal`): the four HAL
    functions of `firmware/include/snn_hal.h`."""

    def put(self, port: int, word: int) -> bool: ...  # 0 sample, 1 rr, 2 load; True: accepted
    def get_result(self) -> list[int] | None: ...  # SNN_RESULT_WORDS words, or None
    def status(self) -> int: ...  # SNN_STATUS_BUSY 1 | LOADED 2 | LOAD_ERROR 4
    def reset(self) -> None: ...


_PUT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_uint32)
_GET = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_uint32))
_STATUS = ctypes.CFUNCTYPE(ctypes.c_uint32)
_RESET = ctypes.CFUNCTYPE(None)
_TRANSFER = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_uint8), ctypes.c_uint32
)


class HostLib:
    INFO = (
        "hardware_id",
        "n_samples",
        "n_rr",
        "n_classes",
        "n_layers",
        "result_words",
        "window",
        "image_words",
    )

    def __init__(self, path: str | Path):
        # A private copy per path is not needed: tests build each model into its own directory.
        self._lib = ctypes.CDLL(str(path))
        self._lib.snn_host_strerror.restype = ctypes.c_char_p
        raw = np.zeros(len(self.INFO), dtype=np.int64)
        self._lib.snn_host_info(_ptr(raw))
        self.info = dict(zip(self.INFO, (int(v) for v in raw), strict=True))

    def strerror(self, status: int) -> str:
        return self._lib.snn_host_strerror(ctypes.c_int(status)).decode()

    def _check(self, status: int) -> None:
        if status:
            raise DriverError(status, self.strerror(status))

    def _inputs(self, x: np.ndarray, rr: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """Beats as the C batch entry points take them: (n, int16 samples, uint16 RR)."""
        n = len(x)
        xs = _c(np.asarray(x).reshape(n, self.info["n_samples"]), "int16")
        rrs = _c(np.asarray(rr).reshape(n, self.info["n_rr"]), "uint16")
        if not rrs.size:
            rrs = np.zeros(1, dtype=np.uint16)  # never pass a NULL buffer
        return n, xs, rrs

    def reference(self, x: np.ndarray, rr: np.ndarray) -> dict[str, np.ndarray]:
        """The C reference on chip inputs x (N, 1, n_samples), rr (N, n_rr)."""
        n, xs, rrs = self._inputs(x, rr)
        out = {
            "cls": np.zeros(n, np.int32),
            "values": np.zeros((n, self.info["n_classes"]), np.int32),
            "spikes": np.zeros((n, self.info["n_layers"]), np.uint32),
            "synops": np.zeros(n, np.uint32),
        }
        self._check(
            self._lib.snn_host_ref_batch(
                ctypes.c_uint32(n), _ptr(xs), _ptr(rrs), *(_ptr(out[k]) for k in out)
            )
        )
        return out

    def frontend(self, windows: np.ndarray, rr3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The C front end on raw windows (N, window) and RR intervals (N, 3)."""
        n = len(windows)
        w = _c(np.asarray(windows).reshape(n, self.info["window"]), "int32")
        r = _c(np.asarray(rr3).reshape(n, 3), "uint32")
        x = np.zeros((n, self.info["n_samples"]), np.int16)
        rr = np.zeros(max(1, n * self.info["n_rr"]), np.uint16)
        self._check(
            self._lib.snn_host_frontend_batch(
                ctypes.c_uint32(n), _ptr(w), _ptr(r), _ptr(x), _ptr(rr)
            )
        )
        return x[:, None, :].astype(np.int64), rr[: n * self.info["n_rr"]].reshape(n, -1).astype(
            np.int64
        )

    def stream(
        self, windows: np.ndarray, rr3: np.ndarray, record: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The stateful C front end on beats in time order within each record (a new `record`
        name resets the patient state; None: one patient): chip samples (N, 1, L), RR and patient
        features (N, n_rr) and the rhythm gate's measure (N,)."""
        n = len(windows)
        w = _c(np.asarray(windows).reshape(n, self.info["window"]), "int32")
        r = _c(np.asarray(rr3).reshape(n, 3), "uint32")
        rec = np.zeros(n, np.int64) if record is None else np.asarray(record)
        new = _c(np.concatenate([[True], rec[1:] != rec[:-1]])[:n], "uint8")
        x = np.zeros((n, self.info["n_samples"]), np.int16)
        rr = np.zeros(max(1, n * self.info["n_rr"]), np.uint16)
        rhythm = np.zeros(max(1, n), np.uint16)
        self._check(
            self._lib.snn_host_stream_batch(
                ctypes.c_uint32(n), _ptr(w), _ptr(r), _ptr(new), _ptr(x), _ptr(rr), _ptr(rhythm)
            )
        )
        rr = rr[: n * self.info["n_rr"]].reshape(n, -1).astype(np.int64)
        return x[:, None, :].astype(np.int64), rr, rhythm[:n].astype(np.int64)

    def gate(self, cls: np.ndarray, rhythm: np.ndarray) -> np.ndarray:
        """The C rhythm gate (`snn_rhythm_gate`) on classes and rhythm values."""
        n = len(cls)
        c, r = _c(np.asarray(cls), "int32"), _c(np.asarray(rhythm), "uint16")
        out = np.zeros(max(1, n), np.int32)
        self._lib.snn_host_gate_batch(ctypes.c_uint32(n), _ptr(c), _ptr(r), _ptr(out))
        return out[:n].astype(np.int64)

    def rr_track(self, r: np.ndarray) -> np.ndarray:
        """Push R positions one by one; row i: (prev, next, local) of the beat before peak i."""
        r = _c(r, "uint32")
        out = np.zeros((len(r), 3), np.int64)
        self._lib.snn_host_rr_track(ctypes.c_uint32(len(r)), _ptr(r), _ptr(out))
        return out

    def qrs(
        self,
        samples: np.ndarray,
        valid: np.ndarray | None = None,
        trace: bool = False,
        start: int = 0,
    ) -> dict[str, np.ndarray]:
        """The C QRS detector (`snn_qrs.c`) on one lead of samples (N,): per beat `sample`
        (fiducial), `peak`, `decided` (index of the sample fed), `searchback`; with `trace`, also
        per-sample `b` and `i`. `start`: the sample counter's first value (it wraps at 2^32)."""
        x = _c(samples, "int32")
        n = len(x)
        ok = np.ones(n, np.uint8) if valid is None else _c(np.asarray(valid, bool), "uint8")
        cap = n // 64 + 2  # beats are more than the 200 ms refractory period apart
        out = {
            "sample": np.zeros(cap, np.uint32),
            "peak": np.zeros(cap, np.uint32),
            "decided": np.zeros(cap, np.uint32),
            "searchback": np.zeros(cap, np.uint8),
        }
        b = np.zeros(max(n, 1), np.int32) if trace else None
        i = np.zeros(max(n, 1), np.uint32) if trace else None
        self._lib.snn_host_qrs.restype = ctypes.c_uint32
        found = self._lib.snn_host_qrs(
            ctypes.c_uint32(n),
            _ptr(x),
            _ptr(ok),
            ctypes.c_uint32(cap),
            *(_ptr(out[k]) for k in out),
            _ptr(b) if trace else None,
            _ptr(i) if trace else None,
            ctypes.c_uint32(start),
        )
        if found > cap:
            raise DriverError(0, f"{found} beats exceed the {cap} the buffers hold")
        result = {k: v[:found].astype(np.int64) for k, v in out.items()}
        result["searchback"] = result["searchback"].astype(bool)
        if trace:
            result["b"], result["i"] = b[:n].astype(np.int64), i[:n].astype(np.int64)
        return result

    def qrs_decide(self, i: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        """The C detector's decision alone (`snn_qrs_step_filtered`) on given integrator `i`
        and band-pass `b` (N,), as `model.contract.qrs.decide`: per beat `sample`, `peak`,
        `decided`, `searchback`."""
        i = _c(i, "uint32")
        b = _c(b, "int32")
        n = len(i)
        cap = n // 64 + 2  # beats are more than the 200 ms refractory period apart
        out = {
            "sample": np.zeros(cap, np.uint32),
            "peak": np.zeros(cap, np.uint32),
            "decided": np.zeros(cap, np.uint32),
            "searchback": np.zeros(cap, np.uint8),
        }
        self._lib.snn_host_qrs_decide.restype = ctypes.c_uint32
        found = self._lib.snn_host_qrs_decide(
            ctypes.c_uint32(n), _ptr(b), _ptr(i), ctypes.c_uint32(cap), *(_ptr(out[k]) for k in out)
        )
        if found > cap:
            raise DriverError(0, f"{found} beats exceed the {cap} the buffers hold")
        result = {k: v[:found].astype(np.int64) for k, v in out.items()}
        result["searchback"] = result["searchback"].astype(bool)
        return result

    def qrs_state_bytes(self) -> int:
        self._lib.snn_host_qrs_state_bytes.restype = ctypes.c_uint32
        return int(self._lib.snn_host_qrs_state_bytes())

    # -- driver on the host accelerator model ------------------------------------------------

    def power_on(self, poll_budget: int = 1000) -> None:
        self._lib.snn_host_fake_power_on(ctypes.c_uint32(poll_budget))

    def corrupt_next_load(self) -> None:
        self._lib.snn_host_fake_corrupt_next_load()

    def use_hal(self, hal: Hal, poll_budget: int = 1000) -> None:
        """Point the driver at an accelerator implemented in Python instead of the C model."""
        n_words = self.info["result_words"]

        def get(words):
            got = hal.get_result()
            if got is None:
                return 0
            for i, w in enumerate(got[:n_words]):
                words[i] = int(w)
            return 1

        # keep the callbacks alive as long as the library may call them
        self._callbacks = (
            _PUT(lambda port, word: int(bool(hal.put(port, word)))),
            _GET(get),
            _STATUS(lambda: int(hal.status())),
            _RESET(hal.reset),
        )
        self._lib.snn_host_use_callbacks(*self._callbacks, ctypes.c_uint32(poll_budget))

    def use_spi(self, transfer, poll_budget: int = 1000) -> None:
        """Point the driver at the SPI HAL (`firmware/src/snn_hal_spi.c`) whose one board
        function, a full-duplex transaction, is `transfer(tx: bytes) -> bytes` (same length;
        raising or returning None makes the C transfer fail)."""

        def call(tx, rx, n):
            try:
                got = transfer(bytes(tx[:n]))
            except Exception:
                return 1
            if got is None or len(got) != n:
                return 1
            for i, b in enumerate(got):
                rx[i] = b
            return 0

        self._callbacks = (_TRANSFER(call),)
        self._lib.snn_host_use_spi(self._callbacks[0], ctypes.c_uint32(poll_budget))

    def spi_errors(self) -> int:
        self._lib.snn_host_spi_errors.restype = ctypes.c_uint32
        return int(self._lib.snn_host_spi_errors())

    def spi_hardware_id(self) -> int:
        self._lib.snn_host_spi_hardware_id.restype = ctypes.c_uint32
        return int(self._lib.snn_host_spi_hardware_id())

    def stall(self, stalled: bool) -> None:
        """Make the host accelerator hang (no port ready, no result) or recover."""
        self._lib.snn_host_fake_stall(ctypes.c_int(int(stalled)))

    def check_image(self, words: np.ndarray) -> int:
        w = _c(words, "uint32")
        return int(self._lib.snn_host_check_image(_ptr(w), ctypes.c_uint32(len(w))))

    def load(self, words: np.ndarray) -> int:
        w = _c(words, "uint32")
        return int(self._lib.snn_host_driver_load(_ptr(w), ctypes.c_uint32(len(w))))

    def load_builtin(self) -> int:
        """Load the image compiled in from snn_image.h."""
        return int(self._lib.snn_host_driver_load_builtin())

    def load_bytes(self, data: bytes) -> int:
        buf = np.frombuffer(data, dtype=np.uint8).copy() if data else np.zeros(1, np.uint8)
        return int(self._lib.snn_host_driver_load_le(_ptr(buf), ctypes.c_uint32(len(data))))

    def submit(self, x: np.ndarray, rr: np.ndarray) -> int:
        _, xs, rrs = self._inputs(np.asarray(x)[None], np.asarray(rr)[None])
        return int(self._lib.snn_host_driver_submit(_ptr(xs), _ptr(rrs)))

    def wait(self) -> int:
        """snn_wait_result alone: the status (the class is checked elsewhere)."""
        cls = np.zeros(1, np.int32)
        return int(self._lib.snn_host_driver_wait(_ptr(cls)))

    def reset(self) -> None:
        self._lib.snn_host_driver_reset()

    def driver(self, x: np.ndarray, rr: np.ndarray) -> dict[str, np.ndarray]:
        """snn_classify on each beat through the host accelerator model."""
        n, xs, rrs = self._inputs(x, rr)
        out = {
            "cls": np.zeros(n, np.int32),
            "values": np.zeros((n, self.info["n_classes"]), np.int32),
            "words": np.zeros((n, self.info["result_words"]), np.uint32),
        }
        self._check(
            self._lib.snn_host_driver_batch(
                ctypes.c_uint32(n), _ptr(xs), _ptr(rrs), *(_ptr(out[k]) for k in out)
            )
        )
        return out
