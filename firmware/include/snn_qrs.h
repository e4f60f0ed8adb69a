/* Integer QRS detector (docs/arithmetic.md section 5; model/contract/qrs.py): finds each beat in
 * the raw ADC stream, one sample at a time, bit-exact with the golden detector. The constants
 * SNN_QRS_* come from model/contract/qrs.py through the generated snn_config.h.
 */
#ifndef SNN_QRS_H
#define SNN_QRS_H

#include <stdint.h>

#include "snn_config.h"

/* A detected beat: the fiducial R position (sample index, where the beat window is centred),
 * the integration peak it was found at, and whether a search-back found it. */
typedef struct {
    uint32_t sample;
    uint32_t peak;
    uint8_t searchback;
} snn_qrs_beat_t;

/* A held peak of the integrated signal with its slope and fiducial (decision state). */
typedef struct {
    uint32_t value, peak, slope, fiducial, held_at;
} snn_qrs_peak_t;

typedef struct {
    uint32_t n;                       /* the sample counter: wraps at 2^32 (138 days at 360 Hz);
                                         decisions read differences of it only (qrs.py) */
    uint32_t age;                     /* samples seen, saturating: learning and the start edge */
    int32_t x, x0;                    /* the held input, the first valid sample */
    uint8_t started;                  /* a valid sample has been seen */
    int32_t u[SNN_QRS_LP1_LEN];       /* low pass: x - x0, then two moving sums */
    int32_t a[SNN_QRS_LP2_LEN];
    int32_t a_sum, l_sum;
    uint8_t u_at, a_at;               /* ring slots of the non-power-of-two rings: they do not */
    uint8_t mwi_at;                   /* follow n, whose wrap is not a multiple of their length */
    int32_t l[SNN_QRS_HP_LEN];        /* high pass: the low-pass output and its moving sum */
    int64_t hp_sum;
    int32_t b[SNN_QRS_B_RING];        /* band-pass history, read by the derivative and decisions */
    uint32_t q[SNN_QRS_MWI_LEN];      /* squared derivative and its moving sum, the integrator */
    uint32_t i_sum, i1, i2;           /* i[n], i[n-1], i[n-2] */
    uint32_t learn_max;               /* learning: max and sum of i over the first 2 s */
    uint64_t learn_sum;
    int64_t spki, npki, thr1, thr2;   /* signal and noise levels, thresholds */
    uint32_t cand_value, cand_peak;   /* the running candidate (value 0: none) */
    uint32_t last, last_slope;        /* the last QRS (integration peak) and its slope */
    uint8_t has_last;
    uint32_t rr[SNN_QRS_RR_RING];     /* the last RR intervals, their ring slot, the miss limit */
    uint32_t rr_at, miss;
    uint8_t measured, irregular;      /* RR intervals measured (up to 8); the rhythm (step 5) */
    snn_qrs_peak_t sb;                /* the search-back candidate (value 0: none) */
    snn_qrs_peak_t learned[SNN_QRS_LEARN_PEAKS]; /* candidates confirmed while learning */
    uint8_t n_learned;
    uint32_t quiet, quiet_max;        /* re-learning: samples without a QRS, max and sum of i */
    uint64_t quiet_sum;
    snn_qrs_beat_t out[SNN_QRS_OUT_RING]; /* accepted beats, one leaves per sample */
    uint8_t out_head, out_count;
} snn_qrs_t;

void snn_qrs_init(snn_qrs_t *det);

/* As snn_qrs_init, with the sample counter starting at `start` (positions are reported modulo
 * 2^32 from it; the detector decides the same at any start: tests/firmware/test_qrs.py). */
void snn_qrs_init_at(snn_qrs_t *det, uint32_t start);

/* Feed one ADC sample (`valid` 0 for a lead-off or otherwise invalid sample: the previous one is
 * held). Returns 1 and fills *beat when a QRS is decided at this sample, else 0. A beat is decided
 * SNN_QRS_REFRACTORY samples after its integration peak (or later, by search-back; the beats of
 * the 2 s learning period leave one per sample from its end on). */
int snn_qrs_step(snn_qrs_t *det, int32_t sample, int valid, snn_qrs_beat_t *beat);

/* The decision alone (steps 1-4) on given filter outputs b[n] and i[n] instead of a sample: what
 * model/contract/qrs.py `decide` runs, so the rule tests can feed both hand-built signals. */
int snn_qrs_step_filtered(snn_qrs_t *det, int32_t b, uint32_t i, snn_qrs_beat_t *beat);

/* The band-pass b[n] and integrator i[n] of the sample just fed (for tests and plots). */
int32_t snn_qrs_bandpass(const snn_qrs_t *det);
uint32_t snn_qrs_integrated(const snn_qrs_t *det);

#endif /* SNN_QRS_H */
