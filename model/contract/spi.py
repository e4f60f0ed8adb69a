"""The SPI host interface of the accelerator (`hw/spi.py`, the shell placed on an FPGA), in plain
Python: the RTL shell, the C SPI HAL (`firmware/src/snn_hal_spi.c`, codes generated into
`snn_config.h`) and the testbenches all read the register map from here.

SPI mode 0 (CPOL = 0, CPHA = 0: MOSI/MISO change on the falling SCK edge, are sampled on the
rising one), most significant bit first, `cs_n` active low. SCK is oversampled in the system
clock domain, so `f_sck <= f_clk / SCK_DIVIDER_MIN`.

One transaction = `cs_n` low, a command byte, its data bytes, `cs_n` high. During the command
byte the shell shifts out the *status byte* (`SpiStatus`), sampled when `cs_n` fell, so every
transaction also reads the status::

    STATUS        0x00                     no data (the status byte is the answer)
    WRITE | port  0x10 | Port              4-byte little-endian words for i_sample / i_rr /
                                           i_load, any number of them (a burst)
    READ_RESULT   0x20                     result_bytes(layout) bytes out (o_result payload,
                                           little-endian); the result is taken when its last
                                           byte has been shifted out
    RESET         0x30                     pulses the accelerator's synchronous reset (the
                                           model stays loaded), empties the word buffers;
                                           the error flags stay
    READ_ID       0x40                     4 bytes out: the hardware id (`hardware_id()`)
    READ_ERRORS   0x50                     1 byte out: the sticky `SpiError` flags, which it
                                           clears (read to clear)

Flow control: one 32-bit buffer per input port. A WRITE whose port buffer was full when `cs_n`
fell (its FREE bit in that transaction's status byte is 0) is refused: its data bytes are
ignored, no error (the host saw the status and retries). A burst word that completes while its
buffer is still full is dropped and sets OVERRUN. READ_RESULT with no result valid when `cs_n`
fell (RESULT bit 0) shifts out zeros and takes nothing.

A malformed transaction sets a sticky flag in READ_ERRORS and SPI_ERROR in every status byte
until READ_ERRORS reads it (RESET does not clear it: a cut transaction whose next byte happens
to read as RESET is still reported): `cs_n` rising inside a byte or inside a word (FRAME: the
partial word is dropped), after a taken WRITE's command byte with no word (FRAME), or before
the last byte of a READ_RESULT (FRAME: the result stays for the next read), an unknown command
byte (COMMAND: the rest of the transaction is ignored), an overrun (OVERRUN). Reading past the
end of a READ_RESULT, READ_ID or READ_ERRORS shifts out zeros and is no error.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

from ecg_snn.model.contract.ports import BUS_BITS, Port, ResultLayout

SCK_DIVIDER_MIN = 10  # f_clk / f_sck: 2-flop synchronisers (+-1 cycle), edge detect, MISO register
WORD_BYTES = BUS_BITS // 8


class SpiCommand(IntEnum):
    """Command bytes (`SNN_SPI_CMD_*` in `snn_config.h`); WRITE is OR-ed with a `Port`."""

    STATUS = 0x00
    WRITE = 0x10
    READ_RESULT = 0x20
    RESET = 0x30
    READ_ID = 0x40
    READ_ERRORS = 0x50


class SpiStatus(IntFlag):
    """The status byte (`SNN_SPI_STATUS_*`): the low three bits are `ports.Status`."""

    BUSY = 0x01
    LOADED = 0x02
    LOAD_ERROR = 0x04
    RESULT = 0x08  # o_result is valid: a READ_RESULT now returns it
    SAMPLE_FREE = 0x10  # the i_sample word buffer is empty: a WRITE to it is taken
    RR_FREE = 0x20
    LOAD_FREE = 0x40
    SPI_ERROR = 0x80  # a READ_ERRORS flag is set


class SpiError(IntFlag):
    """The READ_ERRORS byte (`SNN_SPI_ERROR_*`), sticky until READ_ERRORS reads it."""

    FRAME = 0x01
    OVERRUN = 0x02
    COMMAND = 0x04


def free_bit(port: Port) -> SpiStatus:
    """The status bit that says `port`'s word buffer is empty."""
    return SpiStatus(SpiStatus.SAMPLE_FREE << int(port))


def result_bytes(layout: ResultLayout) -> int:
    """Bytes of a READ_RESULT: the result words of the C HAL (`SNN_RESULT_WORDS` x 4)."""
    return layout.words * WORD_BYTES


def write_command(port: Port) -> int:
    return int(SpiCommand.WRITE) | int(port)
