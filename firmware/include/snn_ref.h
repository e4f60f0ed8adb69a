/* Portable C99 reference classifier of the ECG SNN: bit-exact with model/contract/golden.py.
 *
 * No dynamic memory, no floating point; the working buffers are static arrays sized by the
 * generated snn_config.h, so the functions are not reentrant (one inference at a time).
 */
#ifndef SNN_REF_H
#define SNN_REF_H

#include <stdint.h>

#include "snn_config.h"
#include "snn_types.h"

/* One inference of `model` on chip inputs: x[SNN_N_SAMPLES] signed SNN_INPUT_BITS samples,
 * rr[SNN_N_RR] unsigned SNN_RR_BITS features (may be NULL when SNN_N_RR == 0).
 * Writes the class and output values to *result and, if stats != NULL, the spike and synop
 * counts. Returns SNN_ERR_RANGE (writing nothing) for an input outside its width. */
snn_status_t snn_ref_run(const snn_model_t *model, const int16_t *x, const uint16_t *rr,
                         snn_result_t *result, snn_stats_t *stats);

/* snn_ref_run on the model compiled in from the generated snn_model.h. */
snn_status_t snn_ref_classify(const int16_t *x, const uint16_t *rr, snn_result_t *result,
                              snn_stats_t *stats);

#endif /* SNN_REF_H */
