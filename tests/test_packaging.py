"""The wheel holds every package of the tree under the one name `ecg_snn`, and what the code
reads at run time (pyproject.toml's lists are written by hand: this is their check)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.test_layers import NAMESPACE, PACKAGES

REPO = Path(__file__).resolve().parents[1]
SETTINGS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def tree_packages(root: Path = REPO) -> set[str]:
    """Every folder with an `__init__.py` under the project's packages, as installed names."""
    out = {NAMESPACE}
    for top in PACKAGES:
        if top == NAMESPACE:
            continue
        for init in (root / top).rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            out.add(".".join((NAMESPACE, *rel)))
    return out


def test_every_package_of_the_tree_is_in_the_wheel():
    assert set(SETTINGS["packages"]) == tree_packages()


def test_every_top_level_folder_maps_under_the_namespace():
    mapping = SETTINGS["package-dir"]
    assert {f"{NAMESPACE}.{top}": top for top in PACKAGES if top != NAMESPACE} == mapping


def test_the_check_sees_a_package_missing_from_the_list(tmp_path):
    (tmp_path / "hw" / "newblock").mkdir(parents=True)
    (tmp_path / "hw" / "newblock" / "__init__.py").write_text("")
    assert "ecg_snn.hw.newblock" in tree_packages(tmp_path)
    assert "ecg_snn.hw.newblock" not in SETTINGS["packages"]


def test_run_time_files_are_package_data():
    data = SETTINGS["package-data"]
    for package, patterns in data.items():
        folder = REPO / package.removeprefix(f"{NAMESPACE}.")
        assert all(list(folder.glob(p)) for p in patterns), (package, patterns)
    assert (REPO / "model" / "artifacts" / "inter.json").exists()
    assert "artifacts/*.json" in data[f"{NAMESPACE}.model"]
