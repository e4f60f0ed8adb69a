/* The hardware-access layer: the only place the driver touches the accelerator.
 *
 * It mirrors the ports of model/contract/ports.py one to one, so the same driver runs against
 *   - real registers on a chip (each function a few memory-mapped reads and writes),
 *   - the RTL in a cocotb simulation (each function one handshake on the stream ports),
 *   - the host model of the accelerator used by the unit tests (firmware/host/fake_accel.c).
 * Fill one snn_hal_t with your functions and pass it to snn_init().
 *
 * Every function must return promptly: the driver does the waiting, with a poll budget, so a
 * dead accelerator gives SNN_ERR_TIMEOUT instead of a hang.
 */
#ifndef SNN_HAL_H
#define SNN_HAL_H

#include <stdint.h>

#include "snn_config.h"

/* The input streams of the accelerator (i_sample, i_rr, i_load): one of SNN_PORT_SAMPLE,
 * SNN_PORT_RR, SNN_PORT_LOAD. Those codes and the SNN_STATUS_* bits of status() (busy, loaded,
 * load_error) are generated into snn_config.h from model/contract/ports.py (Port, Status). */
typedef uint32_t snn_port_t;

/* A status bit of the HAL, not of the accelerator's ports: the link to the accelerator (e.g. the
 * SPI shell) flagged a malformed, cut or overrun transfer since the last reset(). The driver
 * then drops the beat (reset) and returns SNN_ERR_LINK; reset() must clear the flag. */
#define SNN_HAL_LINK_ERROR 0x80000000u

typedef struct {
    void *ctx; /* passed back to every function: register base, simulator handle, ... */
    /* Offer `word` (already masked to the port's width) on `port`: return 1 if it was
     * accepted (valid & ready), 0 if the port was not ready; the driver retries. */
    int (*put)(void *ctx, snn_port_t port, uint32_t word);
    /* If o_result is valid, accept it (assert ready for the transfer), store its payload as
     * SNN_RESULT_WORDS words, least significant first, and return 1; else return 0. */
    int (*get_result)(void *ctx, uint32_t *words);
    /* The SNN_STATUS_* bits, read now, plus SNN_HAL_LINK_ERROR when the link itself reports
     * an error (a HAL without such a link never sets it). */
    uint32_t (*status)(void *ctx);
    /* Pulse the synchronous reset: clears inference state and the link's error flags, keeps the
     * loaded model. */
    void (*reset)(void *ctx);
} snn_hal_t;

#endif /* SNN_HAL_H */
