/* Integer QRS detector, bit-exact with model/contract/qrs.py (its docstring numbers the steps). */
#include "snn_qrs.h"

#include <stddef.h>

#include "snn_int.h"

#define B_MASK (SNN_QRS_B_RING - 1u)
#define OUT_MASK (SNN_QRS_OUT_RING - 1u)

/* The rings indexed by the sample counter must divide its 2^32 wrap (the others keep a slot). */
#if (SNN_QRS_HP_LEN & (SNN_QRS_HP_LEN - 1)) || (SNN_QRS_B_RING & (SNN_QRS_B_RING - 1)) \
    || (SNN_QRS_OUT_RING & (SNN_QRS_OUT_RING - 1)) || SNN_QRS_OUT_RING <= SNN_QRS_LEARN_PEAKS
#error "SNN_QRS_HP_LEN, B_RING and OUT_RING must be powers of two, OUT_RING > LEARN_PEAKS"
#endif
#define INPUT_MAX (((int32_t)1 << (SNN_QRS_INPUT_BITS - 1)) - 1)

static uint32_t miss_limit(const snn_qrs_t *det)
{
    uint32_t k, sum = 0;
    for (k = 0; k < SNN_QRS_RR_RING; k++)
        sum += det->rr[k];
    return (sum >> 3) * SNN_QRS_MISS_PERCENT / 100u; /* unsigned: floor */
}

/* Step 5: THR1 halved while the rhythm is irregular (Pan-Tompkins) and the signal quiet. */
static void thresholds(snn_qrs_t *det)
{
    int64_t t = det->npki + snn_floor_shr(det->spki - det->npki, 2);
    det->thr1 = det->irregular && det->spki >= (int64_t)SNN_QRS_QUIET_RATIO * det->npki
                    ? snn_floor_shr(t, 1)
                    : t;
    det->thr2 = snn_floor_shr(t, 1);
}

/* Eight measured RR intervals, not all within 92-116 % of their mean (qrs.py). */
static uint8_t irregular(const snn_qrs_t *det)
{
    uint32_t k, sum = 0;
    uint64_t avg;
    if (det->measured < SNN_QRS_RR_RING)
        return 0;
    for (k = 0; k < SNN_QRS_RR_RING; k++)
        sum += det->rr[k];
    avg = sum >> 3;
    for (k = 0; k < SNN_QRS_RR_RING; k++) {
        uint64_t r = 100u * (uint64_t)det->rr[k];
        if (r < SNN_QRS_RR_LOW_PERCENT * avg || r > SNN_QRS_RR_HIGH_PERCENT * avg)
            return 1;
    }
    return 0;
}

void snn_qrs_init_at(snn_qrs_t *det, uint32_t start)
{
    uint32_t k;
    /* every field zero, then the few that are not */
    unsigned char *bytes = (unsigned char *)det;
    for (k = 0; k < sizeof *det; k++)
        bytes[k] = 0;
    for (k = 0; k < SNN_QRS_RR_RING; k++)
        det->rr[k] = SNN_QRS_RR_INIT;
    det->miss = miss_limit(det);
    det->n = start;
    det->last = start; /* golden: last = 0 (no QRS yet), relative to the start */
}

void snn_qrs_init(snn_qrs_t *det)
{
    snn_qrs_init_at(det, 0);
}

/* c(v): what enters the running levels, clipped to twice the signal level (qrs.py). */
static int64_t clipped(const snn_qrs_t *det, int64_t v)
{
    if (det->spki > 0 && v > 2 * det->spki)
        return 2 * det->spki;
    return v;
}

static int32_t b_at(const snn_qrs_t *det, uint32_t k)
{
    return det->b[k & B_MASK];
}

static uint32_t abs32(int64_t v)
{
    return (uint32_t)(v < 0 ? -v : v);
}

/* Slope max |b[k] - b[k-1]| and fiducial (the first argmax of max(b[k], 0) if twice its maximum
 * reaches the largest |b[k]|, else the first argmax |b[k]|; minus the band-pass lag) over
 * k in [p - W, p], at the confirmation n = p + R; b before the start reads 0 (the ring starts
 * zeroed, and for p <= W the slots of k < 0 are not yet written at n < B_RING). A fiducial
 * before the start is the start (golden: max(0, f)), found from the saturating age. */
static void window_features(const snn_qrs_t *det, uint32_t p, snn_qrs_peak_t *out)
{
    uint32_t k, slope = 0, best = 0, at = p - SNN_QRS_MWI_LEN;
    int32_t best_pos = 0;
    uint32_t at_pos = p - SNN_QRS_MWI_LEN;
    int64_t since_start; /* samples from the start to the fiducial (negative: before it) */
    for (k = p - SNN_QRS_MWI_LEN; k != p + 1; k++) {
        int32_t v = b_at(det, k);
        uint32_t s = abs32((int64_t)v - b_at(det, k - 1));
        uint32_t m = abs32(v);
        if (s > slope)
            slope = s;
        if (m > best) {
            best = m;
            at = k;
        }
        if (v > best_pos) {
            best_pos = v;
            at_pos = k;
        }
    }
    if (2 * (uint64_t)best_pos >= best)
        at = at_pos;
    since_start = (int64_t)det->age - (uint32_t)(det->n - at) - SNN_QRS_B_DELAY
                  + SNN_QRS_FIDUCIAL_SHIFT;
    out->slope = slope;
    out->fiducial = since_start < 0 ? det->n - det->age
                                    : at - SNN_QRS_B_DELAY + SNN_QRS_FIDUCIAL_SHIFT;
}

/* A QRS: RR ring, last QRS, and the beat into the output queue. */
static void accept(snn_qrs_t *det, const snn_qrs_peak_t *pk, int searchback)
{
    snn_qrs_beat_t *beat = &det->out[(det->out_head + det->out_count) & OUT_MASK];
    if (det->has_last) {
        det->rr[det->rr_at] = pk->peak - det->last;
        det->rr_at = (det->rr_at + 1) % SNN_QRS_RR_RING;
        det->miss = miss_limit(det);
        if (det->measured < SNN_QRS_RR_RING)
            det->measured++;
        det->irregular = irregular(det);
    }
    det->last = pk->peak;
    det->last_slope = pk->slope;
    det->has_last = 1;
    det->sb.value = 0;
    beat->sample = pk->fiducial;
    beat->peak = pk->peak;
    beat->searchback = (uint8_t)searchback;
    det->out_count++; /* never full: only the learning back-search queues more than one */
}

/* Step 3 for a confirmed peak (slope and fiducial filled): QRS (returns 1), T wave or noise. */
static int classify(snn_qrs_t *det, const snn_qrs_peak_t *pk)
{
    int64_t v = pk->value;
    int t_wave, qrs = 0;
    t_wave = det->has_last && pk->peak - det->last < SNN_QRS_T_WAVE &&
             2 * (uint64_t)pk->slope < det->last_slope;
    if (v > det->thr1 && !t_wave) {
        det->spki += snn_floor_shr(clipped(det, v) - det->spki, 3);
        accept(det, pk, 0);
        qrs = 1;
    } else {
        det->npki += snn_floor_shr(clipped(det, v) - det->npki, 3);
        if (!t_wave && v > det->thr2 && pk->value > det->sb.value)
            det->sb = *pk;
    }
    thresholds(det);
    return qrs;
}

/* Step 3: the candidate R samples old, with its slope and fiducial; classified after learning,
 * kept for the learning back-search (step 3b) during it. */
static int confirm(snn_qrs_t *det)
{
    snn_qrs_peak_t pk;
    pk.value = det->cand_value;
    pk.peak = det->cand_peak;
    pk.held_at = det->n;
    window_features(det, pk.peak, &pk);
    if (det->age >= SNN_QRS_LEARN)
        return classify(det, &pk);
    det->learned[det->n_learned++] = pk; /* at most LEARN_PEAKS: candidates are > R apart */
    return 0;
}

/* The filters of one sample (module docstring of qrs.py): updates the rings, returns i[n]. */
static void filter(snn_qrs_t *det, int32_t sample, int valid)
{
    const uint32_t n = det->n; /* only the power-of-two rings follow it */
    int32_t u, a, l, d;
    int64_t hp;
    uint32_t q, slot;
    if (valid) {
        det->x = (int32_t)snn_clamp(sample, -INPUT_MAX - 1, INPUT_MAX);
        if (!det->started) {
            det->x0 = det->x;
            det->started = 1;
        }
    }
    u = det->started ? det->x - det->x0 : 0;
    slot = det->u_at; /* a[n] = a[n-1] + u[n] - u[n-10], then l alike over 8 */
    det->u_at = (uint8_t)(slot + 1 == SNN_QRS_LP1_LEN ? 0 : slot + 1);
    a = det->a_sum + u - det->u[slot];
    det->u[slot] = u;
    det->a_sum = a;
    slot = det->a_at;
    det->a_at = (uint8_t)(slot + 1 == SNN_QRS_LP2_LEN ? 0 : slot + 1);
    l = det->l_sum + a - det->a[slot];
    det->a[slot] = a;
    det->l_sum = l;
    slot = n % SNN_QRS_HP_LEN; /* holds l[n-64]; l[n-32] is half a ring away */
    det->hp_sum += (int64_t)l - det->l[slot];
    det->l[slot] = l;
    hp = ((int64_t)det->l[(n + SNN_QRS_HP_LEN - SNN_QRS_HP_TAP) % SNN_QRS_HP_LEN]
          * ((int64_t)1 << 6)) - det->hp_sum;
    det->b[n & B_MASK] = (int32_t)snn_floor_shr(hp, SNN_QRS_HP_SHIFT);
    d = (int32_t)snn_clamp(2 * (int64_t)b_at(det, n) + b_at(det, n - 1) - b_at(det, n - 3)
                               - 2 * (int64_t)b_at(det, n - 4),
                           -32768, 32767);
    q = (uint32_t)((int64_t)d * d) >> SNN_QRS_SQ_SHIFT;
    slot = det->mwi_at;
    det->mwi_at = (uint8_t)(slot + 1 == SNN_QRS_MWI_LEN ? 0 : slot + 1);
    det->i2 = det->i1;
    det->i1 = det->i_sum;
    det->i_sum = det->i_sum + q - det->q[slot];
    det->q[slot] = q;
}

/* Steps 1-4 on the filter outputs of sample n (det->b, det->i_sum, det->i1, det->i2). */
static int decide(snn_qrs_t *det, snn_qrs_beat_t *beat)
{
    const uint32_t n = det->n, age = det->age;
    uint32_t k;
    int found = 0;
    /* 1. learning */
    if (age < SNN_QRS_LEARN) {
        if (det->i_sum > det->learn_max)
            det->learn_max = det->i_sum;
        det->learn_sum += det->i_sum;
        if (age == SNN_QRS_LEARN - 1) {
            det->spki = det->learn_max >> 1;
            det->npki = (int64_t)(det->learn_sum / SNN_QRS_LEARN) >> 1;
            thresholds(det);
        }
    }
    /* 2. a local maximum of i at n-1 that beats the candidate */
    if (age >= 2 && det->i1 > det->i2 && det->i1 >= det->i_sum && det->i1 > det->cand_value) {
        det->cand_value = det->i1;
        det->cand_peak = n - 1;
    }
    /* 3. confirm a candidate R samples old */
    if (det->cand_value > 0 && n - det->cand_peak >= SNN_QRS_REFRACTORY) {
        found = confirm(det);
        det->cand_value = 0;
    }
    /* 3b. learning back-search: the candidates of the first 2 s, with the learned thresholds */
    if (age == SNN_QRS_LEARN - 1)
        for (k = 0; k < det->n_learned; k++)
            found |= classify(det, &det->learned[k]);
    /* 4. search back when no QRS for the miss limit */
    if (!found && age >= SNN_QRS_LEARN && det->sb.value > 0 && n - det->last > det->miss) {
        snn_qrs_peak_t pk = det->sb;
        det->spki += snn_floor_shr(clipped(det, pk.value) - det->spki, 2);
        accept(det, &pk, 1);
        thresholds(det);
        found = 1;
    }
    /* 4b. learn again after RELEARN samples without a QRS (counted from after learning) */
    if (found) {
        det->quiet = 0;
        det->quiet_max = 0;
        det->quiet_sum = 0;
    } else if (age >= SNN_QRS_LEARN) {
        if (det->i_sum > det->quiet_max)
            det->quiet_max = det->i_sum;
        det->quiet_sum += det->i_sum;
        if (++det->quiet == SNN_QRS_RELEARN) {
            det->spki = det->quiet_max >> 1;
            det->npki = (int64_t)(det->quiet_sum / SNN_QRS_RELEARN) >> 1;
            thresholds(det);
            det->quiet = 0;
            det->quiet_max = 0;
            det->quiet_sum = 0;
        }
    }
    det->n = n + 1;
    if (age != UINT32_MAX)
        det->age = age + 1;
    if (det->out_count == 0)
        return 0;
    *beat = det->out[det->out_head];
    det->out_head = (uint8_t)((det->out_head + 1) & OUT_MASK);
    det->out_count--;
    return 1;
}

int snn_qrs_step(snn_qrs_t *det, int32_t sample, int valid, snn_qrs_beat_t *beat)
{
    filter(det, sample, valid);
    return decide(det, beat);
}

int snn_qrs_step_filtered(snn_qrs_t *det, int32_t b, uint32_t i, snn_qrs_beat_t *beat)
{
    det->b[det->n & B_MASK] = b;
    det->i2 = det->i1;
    det->i1 = det->i_sum;
    det->i_sum = i;
    return decide(det, beat);
}

int32_t snn_qrs_bandpass(const snn_qrs_t *det)
{
    return b_at(det, det->n - 1);
}

uint32_t snn_qrs_integrated(const snn_qrs_t *det)
{
    return det->i_sum;
}
