"""The fused engine: a streaming, layer-fused, event-driven count-domain accelerator for
all-sum-then-fire artifacts (`hw/fused/README.md`)."""
