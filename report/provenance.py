"""Where a snapshot's figures come from: every `docs/reports/<name>.json` carries a `_source` block,
and `python -m ecg_snn.report --check` refuses a snapshot without one, or whose figures no longer
match it, so a figure typed into a snapshot (or a snapshot written by hand) cannot reach a
generated section::

    "_source": {
      "path": "build/reports/sim.json",      # the report it was taken from, repo-relative
      "sha256": "...",                       # sha256 of that report's content (canonical JSON)
      "model": "model/artifacts/inter.json", # model-dependent reports only: the model ...
      "model_sha256": "..."                  # ... and its content checksum (Artifact.checksum)
    }

The content checksum is `sha256(json.dumps(report, sort_keys=True, separators=(",", ":")))` of
the report without `_source`: the snapshot re-serialises the report (indented), so the checksum
is of its content, not of its bytes, and `--check` recomputes it from the snapshot itself; any
edit of a figure changes it. A report is model-dependent when it names a model (`model`,
`artifact`, `base_artifact`, at the top or one level down); its `model_sha256` must equal the
checksum the report states itself (`model_sha256`, `artifact_sha256`, `base_sha256`), and the
current checksum of that model file, except for the runs the docs quote as history on an earlier
model (`EARLIER_MODEL`), which keep the checksum they state. A report of the chip alone (RTL,
gate-level power, FPGA, Verilog: `CHIP_REPORTS`) may also name an earlier artifact kept in
`model/artifacts/earlier/` whose chip is the current one's (`Artifact.chip_checksum`: the same
hardware configuration and integers; only the host's rules or the training record differ).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

KEY = "_source"
MODEL_KEYS = ("model", "artifact", "base_artifact")
SHA_KEYS = ("model_sha256", "artifact_sha256", "base_sha256")
ARTIFACTS_DIR = "model/artifacts/"


def content_sha256(report: dict) -> str:
    """sha256 of the report's canonical JSON, without its `_source` block."""
    body = {k: v for k, v in report.items() if k != KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _levels(report: dict) -> list[dict]:
    """The report and its dict values (one level down: a section per model run)."""
    return [report, *(v for v in report.values() if isinstance(v, dict))]


def named_model(report: dict) -> str | None:
    """The model a report names, repo-relative (`model/artifacts/<name>.json`, also when the run
    wrote an absolute path in another checkout), or None for a report of no model."""
    for level in _levels(report):
        for key in MODEL_KEYS:
            value = level.get(key)
            if isinstance(value, str) and value.endswith(".json"):
                at = value.rfind(ARTIFACTS_DIR)
                return value[at:] if at >= 0 else value
    return None


def stated_sha(report: dict) -> str | None:
    """The model checksum the report states itself, if any."""
    for level in _levels(report):
        for key in SHA_KEYS:
            if isinstance(level.get(key), str):
                return level[key]
    return None


EARLIER_DIR = "model/artifacts/earlier"


def model_checksum(root: Path, rel: str) -> str:
    from ecg_snn.model.contract.artifact import load_artifact

    return load_artifact(root / rel).checksum()


def same_chip(root: Path, rel: str, sha: str) -> bool:
    """Is there an earlier artifact (`EARLIER_DIR`) of checksum `sha` whose chip is the one of
    the current model file `rel`?"""
    from ecg_snn.model.contract.artifact import load_artifact

    chip = load_artifact(root / rel).chip_checksum()
    for path in sorted((root / EARLIER_DIR).glob("*.json")):
        earlier = load_artifact(path)  # a broken file is a problem of the check (`problems`)
        if earlier.checksum() == sha:
            return earlier.chip_checksum() == chip
    return False


def stamp(report: dict, source: Path, root: Path) -> dict:
    """`report` with its `_source` block: `source` (repo-relative), the content checksum and, for
    a model-dependent report, the model and its checksum (the one the report states, else the
    model file's current one: `take` has checked it is a shipped model)."""
    block: dict[str, str] = {
        "path": source.resolve().relative_to(root.resolve()).as_posix(),
        "sha256": content_sha256(report),
    }
    model = named_model(report)
    if model is not None:
        block["model"] = model
        block["model_sha256"] = stated_sha(report) or model_checksum(root, model)
    return {**{k: v for k, v in report.items() if k != KEY}, KEY: block}


def _relative(path: object) -> bool:
    if not isinstance(path, str) or not path:
        return False
    p = PurePosixPath(path)
    return not p.is_absolute() and ".." not in p.parts and "\\" not in path and ":" not in path


def problems(
    name: str,
    snapshot: dict,
    root: Path,
    earlier_model: tuple[str, ...] = (),
    chip_reports: tuple[str, ...] = (),
) -> list[str]:
    """Why snapshot `name` may not feed a generated section (empty: it may)."""
    block = snapshot.get(KEY)
    if not isinstance(block, dict):
        return [
            f"{name}: no {KEY} block (path and checksum of its report); "
            f"take it with `make report TAKE={name}`"
        ]
    out = []
    if not _relative(block.get("path")):
        out.append(f"{name}: {KEY}.path {block.get('path')!r} is not a repo-relative path")
    if block.get("sha256") != content_sha256(snapshot):
        out.append(f"{name}: its figures do not match {KEY}.sha256 (edited after it was taken)")
    model = named_model(snapshot)
    if model is None:
        return out
    if block.get("model") != model or not _relative(model):
        out.append(
            f"{name}: {KEY}.model {block.get('model')!r} is not the model it names ({model})"
        )
        return out
    sha = block.get("model_sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        out.append(f"{name}: no {KEY}.model_sha256 for its model {model}")
        return out
    if stated_sha(snapshot) not in (None, sha):
        out.append(f"{name}: {KEY}.model_sha256 differs from the checksum the report states")
    if name not in earlier_model:
        try:
            current = model_checksum(root, model)
        except (OSError, ValueError) as e:
            out.append(f"{name}: its model {model} cannot be read ({e})")
            return out
        try:
            chip_ok = name in chip_reports and current != sha and same_chip(root, model, sha)
        except (OSError, ValueError) as e:  # ArtifactError is a ValueError
            out.append(f"{name}: an earlier artifact in {EARLIER_DIR} cannot be read ({e})")
            return out
        if current != sha and not chip_ok:
            out.append(
                f"{name}: a run of {model} sha256 {sha[:12]}, which is now {current[:12]}: "
                f"rerun it and `make report TAKE={name}`"
            )
    return out
