/* Driver of the ECG SNN accelerator: load a weight image, submit a beat, read the result.
 *
 * Built for one hardware configuration (the generated snn_config.h): it refuses an image whose
 * hardware id, length or checksum does not match before sending a single word, and range-checks
 * every input. All waiting is bounded by the poll budget given to snn_init().
 *
 *     snn_dev_t dev;
 *     snn_init(&dev, &my_hal, 100000);
 *     if (snn_load(&dev, snn_image, SNN_IMAGE_WORDS) != SNN_OK) ...
 *     snn_status_t st = snn_classify(&dev, x, rr, &result);  // x, rr from snn_frontend.h
 */
#ifndef SNN_DRIVER_H
#define SNN_DRIVER_H

#include <stdint.h>

#include "snn_config.h"
#include "snn_hal.h"
#include "snn_types.h"

typedef struct {
    const snn_hal_t *hal;
    uint32_t poll_budget; /* status polls or port retries before SNN_ERR_TIMEOUT */
} snn_dev_t;

void snn_init(snn_dev_t *dev, const snn_hal_t *hal, uint32_t poll_budget);

/* Validate an image (magic, hardware id, length, checksum) without sending it. */
snn_status_t snn_check_image(const uint32_t *words, uint32_t n_words);
/* The same for the image as stored in snn_weights.bin: little-endian bytes. */
snn_status_t snn_check_image_le(const uint8_t *bytes, uint32_t n_bytes);

/* Validate, stream to the load port, then wait for loaded (or load_error). */
snn_status_t snn_load(snn_dev_t *dev, const uint32_t *words, uint32_t n_words);
snn_status_t snn_load_le(snn_dev_t *dev, const uint8_t *bytes, uint32_t n_bytes);

/* Send one beat: x[SNN_N_SAMPLES] samples of SNN_INPUT_BITS, rr[SNN_N_RR] features. */
snn_status_t snn_submit(snn_dev_t *dev, const int16_t *x, const uint16_t *rr);
/* Wait for the result of the submitted beat and decode it (model/contract/ports.py ResultLayout). */
snn_status_t snn_wait_result(snn_dev_t *dev, snn_result_t *result);
/* snn_submit then snn_wait_result. */
snn_status_t snn_classify(snn_dev_t *dev, const int16_t *x, const uint16_t *rr,
                          snn_result_t *result);
/* Abort any inference (the loaded model stays). */
void snn_reset(snn_dev_t *dev);

/* o_result payload (SNN_RESULT_WORDS words, least significant first) -> class and values. */
void snn_decode_result(const uint32_t *words, snn_result_t *result);

#endif /* SNN_DRIVER_H */
