"""`make ship SPLIT=inter|intra`: check a newly trained artifact, then make it the shipped one.

`make train` writes `build/artifacts/<split>.json` and never touches the shipped
`model/artifacts/<split>.json` that every consumer (verilog, sim, power, stream, fpga,
firmware) reads unless MODEL=... is given. Replacing the shipped model is this separate step,
and it happens only after every check passes:

1. the artifact loads: schema, version, sha256 and the spec's rules
   (`model.contract.artifact.load_artifact`);
2. it is a model of this split (``meta.split``, the split's classes) and not a smoke run
   (``meta.max_beats`` = 0; ``--force`` ships a subsampled one anyway);
3. the golden model, run again on the split's test beats, reproduces the accuracy and the
   confusion matrix the training run recorded in ``meta.metrics.snn_int`` exactly (the integers
   are the ones that were scored). This re-reads the test split's score the training run
   already measured; it chooses nothing, so it is no new look at DS2 (docs/model.md).

Then the file is copied byte for byte (atomically: `data.files.write_atomic`) and one line says
what was replaced, with both accuracies. Exit 0 when shipped (or already identical), 1 when a
check fails (the shipped file is untouched), 2 when there is no new artifact.
"""

from __future__ import annotations

if __name__ == "__main__":  # through data.cli, which imports this module itself: a Ctrl-C
    from ecg_snn.data.cli import run  # during the (seconds-long) imports below is caught too

    run("ecg_snn.model.ship:main", "make ship")

import sys
from pathlib import Path

from ecg_snn.data.cli import Parser
from ecg_snn.data.files import write_atomic
from ecg_snn.data.paths import REPO, repo_path
from ecg_snn.model.contract import golden
from ecg_snn.model.contract.artifact import Artifact, ArtifactError, load_artifact
from ecg_snn.model.looks import log_look
from ecg_snn.model.metrics import classification_metrics
from ecg_snn.model.shipped import shipped
from ecg_snn.model.splits import CLASSES, TEST_PART


class ShipError(Exception):
    """A check of `make ship` failed; the message says which and what to do."""


def built(split: str) -> Path:
    """Where `make train` writes the new artifact of `split`."""
    return REPO / "build" / "artifacts" / f"{split}.json"


def check_identity(art: Artifact, split: str, force: bool) -> None:
    """Check 2 of the module docstring: the split's model, and not a smoke run."""
    if art.meta.get("split") != split:
        raise ShipError(f"it is a model of split {art.meta.get('split')!r}, not {split!r}")
    if tuple(art.spec.classes) != CLASSES[split]:
        raise ShipError(f"its classes {art.spec.classes} are not the {split} classes")
    if art.meta.get("max_beats") and not force:
        raise ShipError(
            f"it was trained on a subsample (--max-beats {art.meta['max_beats']}): a smoke "
            "model; retrain without --max-beats, or ship it anyway with ARGS=--force"
        )


def scored_beats(art: Artifact, split: str):
    """The test beats the training run scored: the split's test part, subsampled as it was."""
    from ecg_snn.model.splits import load_split

    data = load_split(split, art.spec.preprocess)
    if art.meta.get("max_beats"):
        from ecg_snn.model.pipeline import subsample  # torch: only for a forced smoke model

        data = subsample(data, art.meta["max_beats"])
    return data.test


def reproduce(art: Artifact, split: str) -> dict:
    """Check 3: the golden model's metrics on the test beats equal the recorded ones."""
    recorded = art.meta.get("metrics", {}).get("snn_int")
    if not recorded:
        raise ShipError("it records no test metrics (meta.metrics.snn_int): not from make train")
    beats = scored_beats(art, split)
    res = golden.run(art, beats.x, beats.rr)  # and the rhythm gate, as the device reports
    m = classification_metrics(beats.y, beats.reported(art.spec, res.cls), art.spec.classes)
    if m["accuracy"] != recorded["accuracy"] or m["confusion"] != recorded["confusion"]:
        raise ShipError(
            f"the golden model gives {100 * m['accuracy']:.2f} % on the {len(beats)} test beats, "
            f"its meta records {100 * recorded['accuracy']:.2f} %: the integers are not the "
            "ones that were scored"
        )
    return m


def previous(path: Path, art: Artifact) -> str:
    """What the replaced artifact was, for the message: its recorded test accuracy, and its
    hardware id when the new model needs other hardware (the RTL must be rebuilt)."""
    if not path.is_file():
        return "there was none"
    try:
        old = load_artifact(path)
        acc = f"the replaced one {100 * old.meta['metrics']['snn_int']['accuracy']:.2f} %"
    except (ArtifactError, KeyError, TypeError):
        return "the replaced one was unreadable"
    new_id, old_id = art.spec.hardware_id(), old.spec.hardware_id()
    if new_id != old_id:
        acc += f"; other hardware: id {old_id:#010x} -> {new_id:#010x}, rebuild the RTL"
    return acc


def name_shipped(split: str, art: Artifact, to: Path, reports: Path) -> list[Path]:
    """The training reports of this artifact (`train.json`, `train_<split>.json` in `reports`,
    matched by checksum) then name the shipped file as their artifact (the file the docs quote;
    `trained_to`: where the run wrote it). Returns the reports rewritten."""
    import json

    out = []
    for path in (reports / "train.json", reports / f"train_{split}.json"):
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if r.get("artifact_sha256") != art.checksum() or r.get("artifact") == repo_path(to):
            continue
        r["trained_to"], r["artifact"] = r.get("artifact"), repo_path(to)
        write_atomic(path, json.dumps(r, indent=1, sort_keys=True) + "\n")
        out.append(path)
    return out


def ship(split: str, new: Path, to: Path, force: bool = False) -> str:
    """Run the checks, copy `new` over `to`; returns the one line to print."""
    if not new.is_file():
        raise FileNotFoundError(
            f"no new artifact at {repo_path(new)}; run `make train SPLIT={split}` first"
        )
    try:
        art = load_artifact(new)
    except ArtifactError as e:
        raise ShipError(str(e)) from None
    check_identity(art, split, force)
    m = reproduce(art, split)
    look = ""
    if (
        TEST_PART[split][1] == "DS2"
    ):  # the check scored DS2 again: logged, though it chooses nothing
        look = "; " + log_look(
            "make ship", "integrity check: the golden model reproduces the artifact's recorded "
            "DS2 figures (no new information)", f"accuracy {100 * m['accuracy']:.2f} %",
            art.checksum(),
        )  # fmt: skip
    body = new.read_bytes()
    reports = REPO / "build" / "reports"
    if to.is_file() and to.read_bytes() == body:
        name_shipped(split, art, to, reports)
        sha = art.checksum()[:12]
        return f"{repo_path(to)} is already this artifact (sha256 {sha}); unchanged{look}"
    before = previous(to, art)
    write_atomic(to, body)
    name_shipped(split, art, to, reports)
    return (
        f"shipped: {repo_path(to)} replaced by {repo_path(new)} (sha256 {art.checksum()[:12]}; "
        f"{TEST_PART[split][1]} accuracy {100 * m['accuracy']:.2f} % reproduced by the golden "
        f"model, {before}){look}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m ecg_snn.model.ship", description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=tuple(CLASSES), default="inter")
    ap.add_argument(
        "--model", type=Path, help="new artifact (default build/artifacts/<split>.json)"
    )
    ap.add_argument("--to", type=Path, help="shipped path (default model/artifacts/<split>.json)")
    ap.add_argument("--force", action="store_true", help="ship a subsampled (smoke) model too")
    args = ap.parse_args(argv)
    new, to = args.model or built(args.split), args.to or shipped(args.split)
    try:
        print(f"make ship: {ship(args.split, new, to, args.force)}")
    except FileNotFoundError as e:
        print(f"make ship: {e}", file=sys.stderr)
        return 2
    except ShipError as e:
        print(f"make ship: not shipped, {repo_path(to)} unchanged: {e}", file=sys.stderr)
        return 1
    return 0
