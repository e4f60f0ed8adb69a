/* Integer beat front end, bit-exact with model/contract/frontend.py and data/beats.py rr_features. */
#include "snn_frontend.h"

#include <stddef.h>

#include "snn_int.h"

static const uint8_t s_features[SNN_N_RR_ALLOC] = SNN_PRE_RR_FEATURES;

/* Sum of the raw samples that make chip sample i; int64: 32-bit ADC values times downsample. */
static int64_t downsampled(const int32_t *window, uint32_t i)
{
    int64_t d = 0;
    uint32_t j;
    for (j = 0; j < SNN_PRE_DOWNSAMPLE; j++)
        d += window[i * SNN_PRE_DOWNSAMPLE + j];
    return d;
}

snn_status_t snn_frontend_samples(const int32_t *window, int16_t *x)
{
    int64_t total = 0, base;
    uint32_t i;
    if (window == NULL || x == NULL)
        return SNN_ERR_ARG;
    /* two passes rather than a buffer of d[]: the sums are cheap, RAM is not */
    for (i = 0; i < SNN_N_SAMPLES; i++)
        total += downsampled(window, i);
    base = snn_floor_div(total, SNN_N_SAMPLES);
    for (i = 0; i < SNN_N_SAMPLES; i++) {
        int64_t centred = snn_floor_shr(downsampled(window, i) - base, SNN_PRE_INPUT_SHIFT);
        x[i] = (int16_t)snn_sat_signed(centred, SNN_INPUT_BITS);
    }
    return SNN_OK;
}

snn_status_t snn_frontend_rr(uint32_t prev, uint32_t next, uint32_t local, uint16_t *rr)
{
    return snn_frontend_rr_patient(prev, next, local, NULL, rr);
}

snn_status_t snn_frontend_rr_patient(uint32_t prev, uint32_t next, uint32_t local,
                                     const uint16_t *patient, uint16_t *rr)
{
    const uint32_t n_rr = SNN_N_RR;
    int64_t denominator = local > 0 ? (int64_t)local : 1;
    uint32_t j;
    if (rr == NULL)
        return SNN_ERR_ARG;
    for (j = 0; j < n_rr; j++) {
        int64_t v;
        switch (s_features[j]) {
        case SNN_RR_PREV_RATIO:
            v = snn_floor_div((int64_t)prev << SNN_PRE_RATIO_SHIFT, denominator);
            break;
        case SNN_RR_NEXT_RATIO:
            v = snn_floor_div((int64_t)next << SNN_PRE_RATIO_SHIFT, denominator);
            break;
        case SNN_RR_PREV: v = (int64_t)(prev >> SNN_PRE_RR_SHIFT); break;
        case SNN_RR_NEXT: v = (int64_t)(next >> SNN_PRE_RR_SHIFT); break;
        case SNN_RR_LOCAL: v = (int64_t)(local >> SNN_PRE_RR_SHIFT); break;
        default: /* a patient feature (snn_patient.h): codes follow the RR ones in order */
            if (patient == NULL)
                return SNN_ERR_ARG;
            v = patient[s_features[j] - SNN_RR_TMPL_DIST];
            break;
        }
        rr[j] = (uint16_t)snn_clamp(v, 0, SNN_RR_MAX);
    }
    return SNN_OK;
}

void snn_rr_init(snn_rr_tracker_t *tracker)
{
    uint32_t i;
    for (i = 0; i < SNN_RR_HISTORY; i++)
        tracker->r[i] = 0;
    tracker->count = 0;
}

void snn_rr_push(snn_rr_tracker_t *tracker, uint32_t r_sample)
{
    /* peak number `count` lives in slot count % SNN_RR_HISTORY. Long before the counter would
     * wrap, step it back by a whole history: same slots, and it stays >= local_rr_beats. */
    const uint32_t cap = (UINT32_MAX / SNN_RR_HISTORY - 1) * SNN_RR_HISTORY;
    tracker->r[tracker->count % SNN_RR_HISTORY] = r_sample;
    tracker->count++;
    if (tracker->count >= cap)
        tracker->count -= SNN_RR_HISTORY;
}

/* R position of the peak `back` peaks before the newest (back = 0: the newest). */
static uint32_t peak(const snn_rr_tracker_t *tracker, uint32_t back)
{
    return tracker->r[(tracker->count - 1 - back) % SNN_RR_HISTORY];
}

snn_status_t snn_rr_intervals(const snn_rr_tracker_t *tracker, uint32_t *prev, uint32_t *next,
                              uint32_t *local)
{
    uint32_t i, k;
    if (tracker == NULL || prev == NULL || next == NULL || local == NULL)
        return SNN_ERR_ARG;
    if (tracker->count < 3)
        return SNN_ERR_NO_RR;
    i = tracker->count - 2; /* index of the beat being completed (>= 1); count >= 3 */
    k = i < SNN_PRE_LOCAL_RR_BEATS ? i : SNN_PRE_LOCAL_RR_BEATS;
    *next = peak(tracker, 0) - peak(tracker, 1);
    *prev = peak(tracker, 1) - peak(tracker, 2);
    *local = (peak(tracker, 1) - peak(tracker, 1 + k)) / k; /* unsigned: floor */
    return SNN_OK;
}
