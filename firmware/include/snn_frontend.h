/* Integer beat front end (docs/arithmetic.md section 1; model/contract/frontend.py, data/beats.py):
 * what a microcontroller computes from raw ADC samples and R-peak times before the chip runs.
 */
#ifndef SNN_FRONTEND_H
#define SNN_FRONTEND_H

#include <stdint.h>

#include "snn_config.h"
#include "snn_types.h"

/* window[SNN_PRE_WINDOW] raw ADC samples [r - before, r + after) -> x[SNN_N_SAMPLES]:
 *   d[i] = sum of `downsample` consecutive samples,  base = sum(d) // n_samples,
 *   x[i] = sat_input_bits((d[i] - base) >> input_shift)                (floor semantics) */
snn_status_t snn_frontend_samples(const int32_t *window, int16_t *x);

/* RR intervals in samples -> rr[SNN_N_RR] features, each saturated to [0, 2^rr_bits - 1]:
 *   prev_ratio = (prev << ratio_shift) // max(local, 1)   (next_ratio alike)
 *   prev, next, local = value >> rr_shift */
snn_status_t snn_frontend_rr(uint32_t prev, uint32_t next, uint32_t local, uint16_t *rr);

/* The same with the beat's patient features (snn_patient_step: tmpl_dist, tmpl_qrs, irreg) in
 * their places. snn_frontend_rr is this with patient = NULL: SNN_ERR_ARG if the artifact names a
 * patient feature. */
snn_status_t snn_frontend_rr_patient(uint32_t prev, uint32_t next, uint32_t local,
                                     const uint16_t *patient, uint16_t *rr);

/* R-peak bookkeeping: the last SNN_PRE_LOCAL_RR_BEATS + 2 R positions, enough for the previous,
 * next and local RR of the beat before the newest peak. Positions are sample counters that may
 * wrap modulo 2^32 (differences are taken in unsigned arithmetic). */
#define SNN_RR_HISTORY (SNN_PRE_LOCAL_RR_BEATS + 2)
typedef struct {
    uint32_t r[SNN_RR_HISTORY];
    uint32_t count; /* peaks pushed, saturating */
} snn_rr_tracker_t;

void snn_rr_init(snn_rr_tracker_t *tracker);
void snn_rr_push(snn_rr_tracker_t *tracker, uint32_t r_sample);

/* The RR intervals of beat i, the one before the newest peak i+1 (the beat is classified once
 * its next peak is known): prev = r[i] - r[i-1], next = r[i+1] - r[i],
 * local = (r[i] - r[i-k]) // k with k = min(i, local_rr_beats), i.e. the floor of the mean of
 * the last k RR intervals ending at beat i, as data/beats.py. SNN_ERR_NO_RR until i >= 1. */
snn_status_t snn_rr_intervals(const snn_rr_tracker_t *tracker, uint32_t *prev, uint32_t *next,
                              uint32_t *local);

#endif /* SNN_FRONTEND_H */
