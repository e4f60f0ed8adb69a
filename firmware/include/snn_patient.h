/* Patient-relative front end (model/contract/patient.py, docs/arithmetic.md section 1b): a
 * running template of the patient's beats and an RR irregularity measure, kept by the host that
 * feeds the accelerator. Per beat, in time order, after snn_frontend_samples:
 *
 *   gap:        prev > SNN_PAT_GAP reset the state first
 *   tmpl_dist = sat((sum|x - t| << DISTANCE_SHIFT) // max(sum|t|, 1)),  t = acc >> TEMPLATE_SHIFT
 *   tmpl_qrs  = the same over chip samples [SNN_PAT_QRS_LO, SNN_PAT_QRS_HI)
 *               (both 0 while the template is empty)
 *   irreg     = sat(((sum of the last IRREG_BEATS |prev - prev_last|) // count << IRREG_SHIFT)
 *                   // max(local, 1))                         (0 before the first difference)
 *   take      = (prev << 3) >= 7 * local && (accepted < WARMUP || tmpl_dist <= ACCEPT_MAX)
 *               acc += ((x << s) - acc) >> min(bit_length(accepted), s), accepted saturates
 *               at 2^s; MAX_REJECTS beats in a row not taken empty the template.
 * All shifts and divisions floor (snn_int.h). */
#ifndef SNN_PATIENT_H
#define SNN_PATIENT_H

#include <stdint.h>

#include "snn_config.h"
#include "snn_types.h"

typedef struct {
    int32_t acc[SNN_N_SAMPLES];          /* the template times 2^TEMPLATE_SHIFT */
    uint32_t accepted;                   /* beats taken since the last reset, saturating */
    uint32_t rejects;                    /* beats not taken in a row */
    uint32_t diffs[SNN_PAT_IRREG_BEATS]; /* ring of |prev - prev_last| */
    uint32_t n_diffs;                    /* entries in the ring (<= IRREG_BEATS) */
    uint32_t head;                       /* next slot of the ring */
    uint32_t prev_last;                  /* the previous beat's prev, valid if has_prev */
    uint32_t has_prev;
} snn_patient_t;

/* Power-up / new-patient command: an empty template and irregularity ring. */
void snn_patient_init(snn_patient_t *state);

/* One beat: features[0..2] = tmpl_dist, tmpl_qrs, irreg, and the state updated. */
snn_status_t snn_patient_step(snn_patient_t *state, const int16_t *x, uint32_t prev,
                              uint32_t local, uint16_t *features);

#endif /* SNN_PATIENT_H */
