"""Fixtures shared by every test folder. Keep this small; folder-specific fixtures live in the
folder's own conftest.py."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mitdb_dir() -> Path:
    """The local MIT-BIH copy (never downloaded by tests): fail on CI, skip elsewhere."""
    from ecg_snn.data.errors import DataError
    from ecg_snn.data.locate import find_mitdb

    try:
        return find_mitdb(download=False)
    except DataError as e:
        if os.environ.get("CI"):
            pytest.fail(f"MIT-BIH is required on CI: {e}")
        pytest.skip(f"MIT-BIH not available: {e}")


@pytest.fixture(scope="session")
def mitdb_dataset(mitdb_dir):
    """The default MIT-BIH beat dataset, cached in build/cache (built once, then loaded)."""
    from ecg_snn.data.dataset import build_dataset

    return build_dataset(mitdb_dir, progress=False)


@pytest.fixture(scope="session", autouse=True)
def ds2_look_log(tmp_path_factory):
    """The tests' DS2 looks go to a copy of the log, never into the repository's docs/model.md;
    the commands the tests start inherit the variable."""
    from ecg_snn.model import looks

    log = tmp_path_factory.mktemp("looks") / "model.md"
    log.write_text(f"{looks.BEGIN}\n{looks.HEADER}\n{looks.END}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DS2_LOOK_LOG", str(log))
        yield log
