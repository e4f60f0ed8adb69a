"""`make explore`'s arguments and its one-line errors."""

from __future__ import annotations

import pytest

from ecg_snn.explore import cli, search


@pytest.mark.parametrize("argv", [["--samples", "0"], ["--workers", "0"], ["--preset", "huge"]])
def test_bad_arguments_exit_2(argv, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        cli.parse_args(argv)
    assert e.value.code == 2 and "error" in capsys.readouterr().err


def test_the_preset_comes_from_explore(monkeypatch) -> None:
    monkeypatch.setenv("EXPLORE", "smoke")
    monkeypatch.setenv("JOBS", "3")
    args = cli.parse_args([])
    assert (args.preset, args.workers) == ("smoke", 3)
    monkeypatch.delenv("EXPLORE")
    assert cli.parse_args([]).preset == "full"


def test_a_cluster_that_cannot_be_reached_is_one_line(monkeypatch, capsys) -> None:
    import ray

    def refuse(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance.\nmore detail")

    monkeypatch.setattr(ray, "init", refuse)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6999")
    with pytest.raises(search.SearchError) as e:
        search.start_ray(2, log=lambda _: None)
    assert str(e.value) == (
        "Ray did not start (RAY_ADDRESS=127.0.0.1:6999): Could not find any running Ray instance."
    )
    assert cli.main(["--preset", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("make explore: Ray did not start")
