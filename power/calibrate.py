"""The RTL toggle model calibrated to the gate-level run, carried to 22 nm; energy per heartbeat.

Calibration (per block b, dynamic energy only; leakage is handled apart):

    RTL_180(b) = s_180 * RTL_45(b),  s_180 = (180/45) * (1.8/0.9)^2 = 16
                 (every dynamic constant of the 45 nm table scaled by C V^2 with C ~ feature size)
    k_b        = sum_fit gate(b) / sum_fit RTL_180(b)            over the fit beats
    predicted  = sum_b k_b * RTL_180(b)                          on the held-out beats

fit and held-out beats alternate through the class-stratified sample. At 22 nm the calibrated
figure is sum_b k_b * RTL_22(b): only the ratios k_b travel, the 22 nm constants stay those of
`tech/22nm.toml`. The RTL_22 energies are those of `make power`'s own (class-weighted, larger)
sample, so the carry also re-weights the gate-level sample (class-balanced, unweighted) to DS2's
class mix. Because both RTL points are the 45 nm table scaled by C V^2, on the same beats this
would equal gate_180 * (22/180) * (0.8/1.8)^2. The held-out error checks the factors on other
beats of the same design; it is not the uncertainty of the carry to 22 nm (factors fitted on 4
and on 20 beats differed by 10-17 % per block). The band states that C ~ L is an assumption:
with C ~ L^0.5
(wires and fixed parasitics that do not shrink with the gate) the 180 -> 22 nm factor is
(22/180)^0.5 * (0.8/1.8)^2, x2.9 higher, and the held-out error widens both ends.

Leakage at 22 nm: the gate-level leakage mix (sum of cell leakage / leakage of one flip-flop =
flip-flop equivalents) times the 22 nm technology file's leakage per flip-flop (`ff_leak_nw`, an
assumption for a low-leakage library), plus the SRAM bits at `mem_bit_leak_nw`. At 37 C instead
of the libraries' 25 C, subthreshold leakage grows by 2^(12/T_double) with T_double = 10-20 C
(a factor 1.5-2.3); the report gives both ends.

Energy per heartbeat at 75 bpm (one inference per beat, 0.8 s apart):

    no power gating:   E_beat = E_dyn + P_leak * 0.8 s
    power gating:      E_beat = E_dyn + P_leak * t_inference + P_leak,weights * (0.8 s - t_inf)

The membranes are re-initialised at every inference (`hw/layer.py`, init), so between beats
only the weights must be kept: the rest of the chip is switched off, the weight memories stay
powered (retention, at their full leakage: an upper bound).
"""

from __future__ import annotations

import numpy as np

from ecg_snn.power.blocks import BLOCKS

S_180_FROM_45 = (180 / 45) * (1.8 / 0.9) ** 2
SCALE_22_FROM_180 = (22 / 180) * (0.8 / 1.8) ** 2
SCALE_22_FROM_180_WIRES = (22 / 180) ** 0.5 * (0.8 / 1.8) ** 2
WIRES_FACTOR = SCALE_22_FROM_180_WIRES / SCALE_22_FROM_180  # the band's high end over C ~ L
BEAT_S_75_BPM = 60 / 75
TEMP_37C = (2 ** (12 / 20), 2 ** (12 / 10))  # leakage x at 37 C vs 25 C: (low, high)
WEIGHT_BLOCKS = ("weight_memory",)


def fit_factors(gate: np.ndarray, rtl180: np.ndarray, fit: np.ndarray) -> dict[str, float]:
    """k_b per block from per-beat (N, blocks) arrays over the `fit` mask."""
    out = {}
    for j, b in enumerate(BLOCKS):
        den = rtl180[fit, j].sum()
        out[b] = float(gate[fit, j].sum() / den) if den > 0 else 0.0
    return out


def held_out_error(
    gate: np.ndarray, rtl180: np.ndarray, factors: dict[str, float], test: np.ndarray
) -> dict:
    """Relative error (predicted - gate) / gate on the held-out beats: total and per block
    (blocks with < 1 % of the gate-level total are listed but not judged)."""
    k = np.array([factors[b] for b in BLOCKS])
    pred = rtl180[test] * k
    g = gate[test]
    total_g = g.sum()
    per_block = {}
    for j, b in enumerate(BLOCKS):
        if g[:, j].sum() > 0:
            per_block[b] = {
                "error": float(pred[:, j].sum() / g[:, j].sum() - 1),
                "share_of_gate_total": float(g[:, j].sum() / total_g),
            }
    per_beat = pred.sum(axis=1) / g.sum(axis=1) - 1
    major = [b for b, v in per_block.items() if v["share_of_gate_total"] >= 0.05]
    return {
        "total_error": float(pred.sum() / total_g - 1),
        "per_beat_error_max_abs": float(np.abs(per_beat).max()),
        "per_block": per_block,
        "major_blocks": major,
        "within_15_percent": bool(
            abs(pred.sum() / total_g - 1) <= 0.15
            and all(abs(per_block[b]["error"]) <= 0.15 for b in major)
        ),
        "beats": int(test.sum()),
    }


def calibrated_nj(
    factors: dict[str, float], breakdown_nj: dict[str, float], leakage_nw: float, t_inf_s: float
) -> tuple[float, float]:
    """(dynamic, total) nJ per inference at 22 nm: the RTL model's 22 nm per-block energies
    `breakdown_nj` times the calibration factors k_b (module docstring), plus the calibrated
    leakage `leakage_nw` over the inference time. Any model on the same hardware shape may be
    carried with the factors of one gate-level run (the README's intra-patient figure is)."""
    dyn = sum(factors[b] * breakdown_nj[b] for b in BLOCKS)
    return dyn, dyn + leakage_nw * t_inf_s


def band_nj(dyn_nj: float, leak_nj: float, error: float) -> tuple[float, float]:
    """The calibrated figure's band (module docstring): low, the held-out error `error`
    (relative, either sign) below; high, the same above and C ~ L^0.5 instead of C ~ L."""
    err = abs(error)
    return dyn_nj * (1 - err) + leak_nj, dyn_nj * (1 + err) * WIRES_FACTOR + leak_nj


def heartbeat_uj(e_dyn_nj: float, p_leak_nw: float, p_keep_nw: float, t_inf_s: float) -> dict:
    """Energy per heartbeat at 75 bpm, in uJ, with and without power gating between beats."""
    idle = BEAT_S_75_BPM - t_inf_s
    no_gate = e_dyn_nj + p_leak_nw * BEAT_S_75_BPM
    gated = e_dyn_nj + p_leak_nw * t_inf_s + p_keep_nw * idle
    return {"no_power_gating_uj": no_gate / 1000, "power_gating_uj": gated / 1000}


def heartbeat_37c(e_dyn_nj: float, p_leak_nw: float, p_keep_nw: float, t_inf_s: float) -> dict:
    """`heartbeat_uj` with the leakage at 37 C, both ends of `TEMP_37C`."""
    out = {}
    for name, f in zip(("low", "high"), TEMP_37C, strict=True):
        out[name] = heartbeat_uj(e_dyn_nj, p_leak_nw * f, p_keep_nw * f, t_inf_s)
    return out
