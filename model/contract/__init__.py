"""What the chip computes: the integer contract every other part of the flow reads.

numpy only (no torch, no Amaranth, no cocotb), so `model/` (training), `hw/` (the RTL
generator), `firmware/` (the C generator) and `sim/` (testbenches, power) all import it downward.
A newcomer reads this folder to learn what the chip does:

- `spec`      the hardware configuration: `Preprocess` (front end), `LayerSpec`, fixed-point helpers
- `artifact`  `ModelSpec` + integer tensors, the versioned file format, range analysis
- `frontend`  raw beat -> chip input words (samples and RR features), bit-exact
- `patient`   the stateful patient-relative features (running template, RR irregularity)
- `golden`    the integer SNN (IF and sum-then-fire layers, decision), bit-exact
- `ports`     the accelerator's port and result-word layout
- `image`     the 32-bit weight image streamed through the load port
- `qrs`       the integer QRS detector of the streaming front end
- `spi`       the register map of the SPI peripheral shell

The arithmetic is written once, in `docs/arithmetic.md` and in these docstrings; the RTL and the
C reference follow it.
"""
