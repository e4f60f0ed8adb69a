"""AAMI class mapping, symbol kinds and user overrides."""

import json

import numpy as np
import pytest

from ecg_snn.data.aami import CLASSES, DEFAULT_MAPPING, Kind, class_counts, classify, load_mapping
from ecg_snn.data.errors import DataError


def test_default_mapping_is_the_aami_table():
    groups = {c: {s for s, k in DEFAULT_MAPPING.items() if k == c} for c in CLASSES}
    assert groups == {
        "N": set("NLRej"),
        "S": set("AaJS"),
        "V": set("VE"),
        "F": {"F"},
        "Q": set("/fQ"),
    }
    assert CLASSES == ("N", "S", "V", "F", "Q")


def test_classify_kinds_and_labels():
    symbols = np.array(list('NAVF/+~|!x"[]?BZ'))
    kind, label = classify(symbols, DEFAULT_MAPPING)
    assert label[:5].tolist() == [0, 1, 2, 3, 4]
    assert kind[:5].tolist() == [Kind.BEAT] * 5
    assert kind[5:13].tolist() == [Kind.NON_BEAT] * 8
    assert kind[13:15].tolist() == [Kind.UNMAPPED_BEAT] * 2
    assert kind[15] == Kind.UNKNOWN and label[15] == -1


def test_override_mapping_from_dict_and_json(tmp_path):
    override = {"N": "N", "B": "N", "r": "V", "Z": "S"}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(override))
    for source in (override, path, str(path)):
        mapping = load_mapping(source)
        kind, label = classify(np.array(list("NBrZA")), mapping)
        assert label.tolist() == [0, 0, 2, 1, -1]
        assert kind[4] == Kind.UNMAPPED_BEAT  # the override replaces the default mapping


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ({"N": "X"}, "class must be one of"),
        ({"NN": "N"}, "one-character annotation symbol"),
    ],
    ids=["bad-class", "bad-symbol"],
)
def test_bad_override(source, match):
    with pytest.raises(DataError, match=match):
        load_mapping(source)


def test_bad_override_files(tmp_path):
    with pytest.raises(DataError, match="cannot read the label mapping file"):
        load_mapping(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_mapping(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(DataError, match="must hold a JSON object"):
        load_mapping(tmp_path / "list.json")


def test_class_counts_lists_every_class():
    assert class_counts(np.array([0, 0, 2, -1], np.int8)) == {
        "N": 2,
        "S": 0,
        "V": 1,
        "F": 0,
        "Q": 0,
    }
