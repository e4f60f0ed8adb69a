/* A host model of the accelerator behind the HAL, for testing the driver without the RTL.
 *
 * It follows the port contract of model/contract/ports.py: the load port takes an image word by word
 * while idle (loaded drops with the first word; loaded or load_error rises after the last),
 * samples and RR words are taken only while a model is loaded and no result is pending, and the
 * inference is the C reference run over the values that arrived through the load port (not the
 * compiled-in ones), so a second artifact's image really changes the answers.
 */
#ifndef FAKE_ACCEL_H
#define FAKE_ACCEL_H

#include <stdint.h>

#include "snn_hal.h"
#include "snn_types.h"

/* The HAL of the one host accelerator model; fake_accel_power_on() first. */
extern const snn_hal_t fake_accel_hal;

/* Power-on state: nothing loaded. */
void fake_accel_power_on(void);
/* Flip a bit of the next image's payload on the "wire": the accelerator must reject it. */
void fake_accel_corrupt_next_load(void);
/* A hung accelerator: no port accepts, no result comes (1), or back to normal (0). */
void fake_accel_stall(int stalled);
/* The payload of the last result the accelerator produced (SNN_RESULT_WORDS words). */
const uint32_t *fake_accel_last_result(void);

#endif /* FAKE_ACCEL_H */
