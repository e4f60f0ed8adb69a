/* The HAL (snn_hal.h) over SPI, for the accelerator behind its SPI shell on an FPGA (hw/spi.py;
 * the register map is model/contract/spi.py, its codes are generated into snn_config.h as
 * SNN_SPI_*). The board support gives one function, a full-duplex transaction; the same driver
 * then runs on the FPGA as on the RTL in simulation:
 *
 *     static int my_transfer(void *ctx, const uint8_t *tx, uint8_t *rx, uint32_t n) { ... }
 *     static const snn_spi_bus_t bus = { &spi1, my_transfer };
 *     snn_hal_t hal;
 *     snn_hal_spi_init(&hal, &bus);
 *     snn_init(&dev, &hal, 100000);
 *
 * SPI mode 0, MSB first, f_sck <= f_clk / SNN_SPI_SCK_DIVIDER_MIN of the FPGA's clock.
 */
#ifndef SNN_HAL_SPI_H
#define SNN_HAL_SPI_H

#include <stdint.h>

#include "snn_hal.h"

typedef struct {
    void *ctx; /* passed back to transfer: the SPI peripheral, a simulator handle, ... */
    /* One transaction: cs_n low, send tx[0..n-1] while receiving rx[0..n-1], cs_n high.
     * Return 0 on success; anything else makes the HAL call answer "not ready" (put, result:
     * the driver retries, then gives up with SNN_ERR_TIMEOUT) or a link error (status: the
     * driver resets the chip and returns SNN_ERR_LINK). */
    int (*transfer)(void *ctx, const uint8_t *tx, uint8_t *rx, uint32_t n);
} snn_spi_bus_t;

/* Fill `hal` with the SPI functions over `bus` (kept by pointer: it must outlive `hal`). */
void snn_hal_spi_init(snn_hal_t *hal, const snn_spi_bus_t *bus);

/* The shell's sticky SNN_SPI_ERROR_* flags (0: none; a failed transfer reads as 0xff); the read
 * clears them. The HAL's status() reports any as SNN_HAL_LINK_ERROR (and a word still in a
 * beat's buffer as SNN_STATUS_BUSY); its reset (snn_load, snn_reset) reads them clear. */
uint32_t snn_hal_spi_errors(const snn_spi_bus_t *bus);

/* The hardware id of the bitstream (compare with SNN_HARDWARE_ID); 0 if the transfer failed. */
uint32_t snn_hal_spi_hardware_id(const snn_spi_bus_t *bus);

#endif /* SNN_HAL_SPI_H */
