/* Patient-relative front end, bit-exact with model/contract/patient.py (see snn_patient.h). */
#include "snn_patient.h"

#include <stddef.h>

#include "snn_int.h"

void snn_patient_init(snn_patient_t *state)
{
    uint32_t i;
    for (i = 0; i < SNN_N_SAMPLES; i++)
        state->acc[i] = 0;
    for (i = 0; i < SNN_PAT_RHYTHM_BEATS; i++)
        state->diffs[i] = 0;
    state->accepted = state->rejects = state->n_diffs = state->head = 0;
    state->prev_last = state->has_prev = 0;
}

/* sat((sum_{i in [lo, hi)} |x[i] - t[i]| << DISTANCE_SHIFT) // max(sum |t[i]|, 1)) */
static uint16_t distance(const snn_patient_t *state, const int16_t *x, uint32_t lo, uint32_t hi)
{
    int64_t dist = 0, norm = 0;
    uint32_t i;
    for (i = lo; i < hi; i++) {
        int64_t t = snn_floor_shr(state->acc[i], SNN_PAT_TEMPLATE_SHIFT);
        int64_t d = (int64_t)x[i] - t;
        dist += d < 0 ? -d : d;
        norm += t < 0 ? -t : t;
    }
    if (norm < 1)
        norm = 1;
    return (uint16_t)snn_clamp((dist << SNN_PAT_DISTANCE_SHIFT) / norm, 0, SNN_RR_MAX);
}

static uint32_t bit_length(uint32_t v)
{
    uint32_t k = 0;
    while (v) {
        v >>= 1;
        k++;
    }
    return k;
}

static void take(snn_patient_t *state, const int16_t *x)
{
    uint32_t k = bit_length(state->accepted), i;
    if (k > SNN_PAT_TEMPLATE_SHIFT)
        k = SNN_PAT_TEMPLATE_SHIFT;
    for (i = 0; i < SNN_N_SAMPLES; i++) {
        int64_t target = (int64_t)x[i] * ((int64_t)1 << SNN_PAT_TEMPLATE_SHIFT);
        state->acc[i] += (int32_t)snn_floor_shr(target - state->acc[i], k);
    }
    if (state->accepted < (1u << SNN_PAT_TEMPLATE_SHIFT))
        state->accepted++;
    state->rejects = 0;
}

/* sat(((sum of the newest `beats` ring entries) // count << IRREG_SHIFT) // max(local, 1)) */
static uint16_t ring_mean(const snn_patient_t *state, uint32_t beats, uint32_t local)
{
    uint64_t sum = 0, denominator = local > 0 ? local : 1;
    uint32_t count = state->n_diffs < beats ? state->n_diffs : beats, i;
    if (!count)
        return 0;
    for (i = 1; i <= count; i++) /* backwards from the newest entry */
        sum += state->diffs[(state->head + SNN_PAT_RHYTHM_BEATS - i) % SNN_PAT_RHYTHM_BEATS];
    return (uint16_t)snn_clamp((int64_t)(((sum / count) << SNN_PAT_IRREG_SHIFT) / denominator), 0,
                               SNN_RR_MAX);
}

snn_status_t snn_patient_step(snn_patient_t *state, const int16_t *x, uint32_t prev,
                              uint32_t local, uint16_t *features, uint16_t *rhythm)
{
    uint32_t i;
    if (state == NULL || x == NULL || features == NULL)
        return SNN_ERR_ARG;
    if (prev > SNN_PAT_GAP)
        snn_patient_init(state);
    features[0] = features[1] = features[2] = 0;
    if (state->accepted) {
        features[0] = distance(state, x, 0, SNN_N_SAMPLES);
        features[1] = distance(state, x, SNN_PAT_QRS_LO, SNN_PAT_QRS_HI);
    }
    if (state->has_prev) {
        state->diffs[state->head] = prev > state->prev_last ? prev - state->prev_last
                                                            : state->prev_last - prev;
        state->head = (state->head + 1) % SNN_PAT_RHYTHM_BEATS;
        if (state->n_diffs < SNN_PAT_RHYTHM_BEATS)
            state->n_diffs++;
    }
    state->prev_last = prev;
    state->has_prev = 1;
    features[2] = ring_mean(state, SNN_PAT_IRREG_BEATS, local);
    if (rhythm != NULL)
        *rhythm = ring_mean(state, SNN_PAT_RHYTHM_BEATS, local);
    /* not premature: prev >= 7/8 local; and normal-looking once warm */
    if (((uint64_t)prev << 3) >= 7 * (uint64_t)local &&
        (state->accepted < SNN_PAT_WARMUP || features[0] <= SNN_PAT_ACCEPT_MAX)) {
        take(state, x);
    } else if (++state->rejects >= SNN_PAT_MAX_REJECTS) {
        for (i = 0; i < SNN_N_SAMPLES; i++)
            state->acc[i] = 0;
        state->accepted = state->rejects = 0;
    }
    return SNN_OK;
}

int32_t snn_rhythm_gate(int32_t cls, uint16_t rhythm)
{
#if SNN_RHYTHM_GATE > 0
    if (cls == SNN_CLASS_S && rhythm >= SNN_RHYTHM_GATE)
        return SNN_CLASS_N;
#else
    (void)rhythm;
#endif
    return cls;
}
