"""Which block a net or a memory belongs to, from its hierarchical name.

The breakdown the issue asks for: weight memory, membrane memory, accumulate, fire/reset,
queues, control, clock (all flip-flop clocking), io (top-level inputs driven by the host).
A rule is a regular expression searched in ``"<instance path below the top>/<net or memory>"``
(lower-cased); the first rule that matches wins, and anything unmatched is control. The rules
follow the names the accelerator gives its submodules and signals (STYLE.md: "name submodules
by role"); `tests/power` pins them on hand-written names, and `python -m ecg_snn.power --blocks`
lists what each rule matched on the real netlist so a renamed signal shows up at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

BLOCKS = (
    "weight_memory",
    "membrane_memory",
    "accumulate",
    "fire_reset",
    "queues",
    "control",
    "clock",
    "io",
)

# hw/top.py names: layer{i}/{synapse,fire}, queue, sequencer, decision, loader (hw/fused/:
# core/{mac,fire,weights}); per layer the
# memories weight, rr_weight, bias (weights) and vw (membrane + partial sum), cin (constant
# input current, neuron state too) with ports w_*, b_*, v_*, c_*.
DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|/)(weight|rr_weight|bias)(\$\d+)?$|(^|/)[wb]_(rd|wr|data|addr)", "weight_memory"),
    (r"(^|/)(vw|cin)(\$\d+)?$|(^|/)[vc]_(rd|wr|data|addr)", "membrane_memory"),
    (r"membrane|vmem|potential", "membrane_memory"),
    (r"weight|wmem", "weight_memory"),
    (r"queue|fifo|spike_buf|event_buf|evq", "queues"),
    (r"fire|spike|thresh|reset_sub|compare|cmp", "fire_reset"),
    # the fused engine's MAC array (`hw/fused/`: core/mac) is its accumulate
    (r"synapse|acc|sum|adder|add(?!r)|const|current|(^|/)mac(/|$)", "accumulate"),
)


class BlockMap:
    """Assign names to blocks with ordered (pattern, block) rules; the default is control."""

    def __init__(self, rules: Sequence[tuple[str, str]] = DEFAULT_RULES, default: str = "control"):
        for _, block in rules:
            if block not in BLOCKS:
                raise ValueError(f"unknown block {block!r}; blocks are {BLOCKS}")
        self._rules = [(re.compile(p), b) for p, b in rules]
        self.default = default
        self._cache: dict[str, str] = {}

    def block(self, path: str) -> str:
        """The block of ``"<scope>/<name>"``."""
        hit = self._cache.get(path)
        if hit is None:
            low = path.lower()
            hit = next((b for rx, b in self._rules if rx.search(low)), self.default)
            self._cache[path] = hit
        return hit
