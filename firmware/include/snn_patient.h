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
 *   rhythm    = the same over the last RHYTHM_BEATS differences (not a chip input: the gate's)
 *   take      = (prev << 3) >= 7 * local && (accepted < WARMUP || tmpl_dist <= ACCEPT_MAX)
 *               acc += ((x << s) - acc) >> min(bit_length(accepted), s), accepted saturates
 *               at 2^s; MAX_REJECTS beats in a row not taken empty the template.
 * After the chip: snn_rhythm_gate turns class S into N when rhythm >= SNN_RHYTHM_GATE (the
 * artifact's rhythm_gate; 0 = off): an S call means nothing in atrial fibrillation.
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
    uint32_t diffs[SNN_PAT_RHYTHM_BEATS]; /* ring of |prev - prev_last| */
    uint32_t n_diffs;                     /* entries in the ring (<= RHYTHM_BEATS) */
    uint32_t head;                       /* next slot of the ring */
    uint32_t prev_last;                  /* the previous beat's prev, valid if has_prev */
    uint32_t has_prev;
} snn_patient_t;

/* Power-up / new-patient command: an empty template and irregularity ring. */
void snn_patient_init(snn_patient_t *state);

/* One beat: features[0..2] = tmpl_dist, tmpl_qrs, irreg, *rhythm (if not NULL), and the state
 * updated. */
snn_status_t snn_patient_step(snn_patient_t *state, const int16_t *x, uint32_t prev,
                              uint32_t local, uint16_t *features, uint16_t *rhythm);

/* The rhythm gate on the chip's class of a beat whose snn_patient_step gave `rhythm`. */
int32_t snn_rhythm_gate(int32_t cls, uint16_t rhythm);

#endif /* SNN_PATIENT_H */
