/* The HAL over SPI (see snn_hal_spi.h; register map in model/contract/spi.py). Each HAL call is
 * one transaction: the status byte the shell sends during the command byte says whether a
 * write was taken and whether a result was there, so no call needs a second round trip. */
#include "snn_hal_spi.h"

#include <stddef.h>

#define WORD_BYTES 4u

static int transfer(const snn_spi_bus_t *bus, const uint8_t *tx, uint8_t *rx, uint32_t n)
{
    return bus->transfer(bus->ctx, tx, rx, n);
}

static int spi_put(void *ctx, snn_port_t port, uint32_t word)
{
    const snn_spi_bus_t *bus = (const snn_spi_bus_t *)ctx;
    uint8_t tx[1 + WORD_BYTES], rx[1 + WORD_BYTES];
    uint32_t i;
    tx[0] = (uint8_t)(SNN_SPI_CMD_WRITE | port);
    for (i = 0; i < WORD_BYTES; i++)
        tx[1 + i] = (uint8_t)(word >> (8 * i)); /* little-endian */
    if (transfer(bus, tx, rx, sizeof tx) != 0)
        return 0;
    /* the buffer was free when cs_n fell: the shell took the word */
    return (rx[0] & (SNN_SPI_STATUS_SAMPLE_FREE << port)) != 0;
}

static int spi_get_result(void *ctx, uint32_t *words)
{
    const snn_spi_bus_t *bus = (const snn_spi_bus_t *)ctx;
    uint8_t tx[1 + SNN_SPI_RESULT_BYTES] = { 0 }, rx[1 + SNN_SPI_RESULT_BYTES];
    uint32_t i;
    tx[0] = SNN_SPI_CMD_READ_RESULT;
    if (transfer(bus, tx, rx, sizeof tx) != 0 || !(rx[0] & SNN_SPI_STATUS_RESULT))
        return 0;
    for (i = 0; i < SNN_RESULT_WORDS; i++) {
        const uint8_t *b = rx + 1 + WORD_BYTES * i;
        words[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                   (uint32_t)b[3] << 24;
    }
    return 1;
}

/* The input word buffers a beat goes through: a word still in one is input the core has not
 * taken yet, so the chip is not idle. */
#define BEAT_FREE (SNN_SPI_STATUS_SAMPLE_FREE | (SNN_N_RR > 0 ? SNN_SPI_STATUS_RR_FREE : 0u))

static uint32_t spi_status(void *ctx)
{
    const snn_spi_bus_t *bus = (const snn_spi_bus_t *)ctx;
    uint8_t tx[1] = { SNN_SPI_CMD_STATUS }, rx[1];
    uint32_t s;
    if (transfer(bus, tx, rx, 1) != 0)
        return SNN_HAL_LINK_ERROR;
    s = rx[0] & (SNN_STATUS_BUSY | SNN_STATUS_LOADED | SNN_STATUS_LOAD_ERROR);
    if ((rx[0] & BEAT_FREE) != BEAT_FREE)
        s |= SNN_STATUS_BUSY;
    if (rx[0] & SNN_SPI_STATUS_SPI_ERROR)
        s |= SNN_HAL_LINK_ERROR;
    return s;
}

static uint32_t read_bytes(const snn_spi_bus_t *bus, uint8_t cmd, uint32_t n, uint32_t failed);

/* RESET keeps the shell's sticky error flags (model/contract/spi.py): read them clear too. */
static void spi_reset(void *ctx)
{
    const snn_spi_bus_t *bus = (const snn_spi_bus_t *)ctx;
    uint8_t tx[1] = { SNN_SPI_CMD_RESET }, rx[1];
    (void)transfer(bus, tx, rx, 1);
    (void)read_bytes(bus, SNN_SPI_CMD_READ_ERRORS, 1, 0xffu);
}

void snn_hal_spi_init(snn_hal_t *hal, const snn_spi_bus_t *bus)
{
    hal->ctx = (void *)bus;
    hal->put = spi_put;
    hal->get_result = spi_get_result;
    hal->status = spi_status;
    hal->reset = spi_reset;
}

static uint32_t read_bytes(const snn_spi_bus_t *bus, uint8_t cmd, uint32_t n, uint32_t failed)
{
    uint8_t tx[1 + WORD_BYTES] = { 0 }, rx[1 + WORD_BYTES];
    uint32_t i, v = 0;
    tx[0] = cmd;
    if (transfer(bus, tx, rx, 1 + n) != 0)
        return failed;
    for (i = 0; i < n; i++)
        v |= (uint32_t)rx[1 + i] << (8 * i);
    return v;
}

uint32_t snn_hal_spi_errors(const snn_spi_bus_t *bus)
{
    return read_bytes(bus, SNN_SPI_CMD_READ_ERRORS, 1, 0xffu);
}

uint32_t snn_hal_spi_hardware_id(const snn_spi_bus_t *bus)
{
    return read_bytes(bus, SNN_SPI_CMD_READ_ID, WORD_BYTES, 0u);
}
