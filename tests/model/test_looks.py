"""The DS2 look log: numbered rows appended between the markers, nothing else touched, a clear
error for a log without its table, concurrent commands each get their row."""

import threading

import pytest

from ecg_snn.model import looks


@pytest.fixture
def log(tmp_path, monkeypatch):
    path = tmp_path / "model.md"
    path.write_text(
        f"# Model\n\ntext before\n\n{looks.BEGIN}\n{looks.HEADER}\n{looks.END}\n\nafter\n"
    )
    monkeypatch.setenv("DS2_LOOK_LOG", str(path))
    return path


def test_looks_are_numbered_rows_between_the_markers(log):
    line = looks.log_look("make train", "DS2 classes", "accuracy 90.00 %", "ab" * 32)
    looks.log_look("make stream-eval", "QRS | classes", "Se 99.8 %")
    text = log.read_text()
    got = looks.rows(text)
    assert [r.split("|")[1].strip() for r in got] == ["1", "2"]
    assert "abababababab" in got[0] and "| - |" in got[1]  # sha cut to 12; none given: "-"
    assert "QRS / classes" in got[1]  # a pipe would break the table
    assert text.startswith("# Model\n\ntext before\n") and text.endswith(f"{looks.END}\n\nafter\n")
    assert line.startswith("DS2 look 1 logged in ")


def test_a_log_without_its_table_is_an_error(log):
    log.write_text("# Model\n\nno markers\n")
    with pytest.raises(looks.LookLogError, match="exactly one"):
        looks.log_look("make train", "DS2", "x")
    log.write_text(f"{looks.END}\n{looks.BEGIN}\n")  # reversed markers
    with pytest.raises(looks.LookLogError):
        looks.rows(log.read_text())


def test_no_log_file_prints_instead(tmp_path, monkeypatch):
    monkeypatch.setenv("DS2_LOOK_LOG", str(tmp_path / "absent.md"))
    line = looks.log_look("make train", "DS2 classes", "accuracy 90 %")
    assert line.startswith("DS2 look (not logged: no ") and not (tmp_path / "absent.md").exists()


def test_concurrent_looks_each_get_a_row(log):
    def four(k):
        for j in range(4):
            looks.log_look(f"cmd{k}", "DS2", str(j))

    threads = [threading.Thread(target=four, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = [int(r.split("|")[1]) for r in looks.rows(log.read_text())]
    assert numbers == list(range(1, 17))


def test_the_repository_log_has_its_table():
    assert looks.LOG.exists()
    looks.rows(looks.LOG.read_text())  # raises if the markers were lost in an edit
