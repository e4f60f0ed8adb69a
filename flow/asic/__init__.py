"""ASIC implementation: synthesis onto a Liberty cell library, the library reader, static timing."""
