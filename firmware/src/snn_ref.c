/* The C reference of the integer SNN (docs/arithmetic.md, section 2; model/contract/golden.py).
 *
 * Per inference:
 *   V[n] = v_init for every neuron;
 *   C[n] = bias[o] + sum W[o,c,k] x[c, p*stride+k] (input layer) + sum Wrr[o,j] rr[j] (RR layer)
 * then for t = 0..T-1, layers in order, layer l seeing layer l-1's spikes of the same step:
 *   acc[n] = sum of W[n,m] over the presynaptic m that spiked      (int32: the artifact's range
 *                                                                  analysis bounds every
 *                                                                  subset sum by acc_bits <= 32)
 *   V[n]   = sat_membrane_bits(V[n] + acc[n] + C[n])               (in int64, one saturation)
 *   s[n]   = fires && V[n] >= threshold;  V[n] -= threshold * s[n]
 * Sum-then-fire (docs/arithmetic.md, "Sum-then-fire layers"): the ssf layers (a suffix) run once
 * after the IF prefix has run all T steps, on the spike counts c_in[m] in 0..T of the layer
 * before them:
 *   acc[n] = sum_m W[n,m] * c_in[m]             (int32: acc_bits cover T x the per-step range,
 *                                               and every partial sum lies within that range)
 *   V[n]   = sat(v_init + acc[n] + T * C[n])     (in int64, one saturation)
 *   c[n]   = clip(floor(V[n] / 2^k), 0, T)       (threshold = 2^k: an arithmetic shift)
 * An ssf output layer reports V. Each non-zero count reads its fan-out weights once (synops).
 * class = argmax V_out, the lowest index winning a tie.
 *
 * The spike input is event-driven (scatter): each spike adds its weight column to `acc`, so the
 * work per step follows the spike count, as on the chip, and `synops` counts weight reads
 * exactly as golden's structural fan-out does.
 */
#include "snn_ref.h"

#include <stddef.h>

#include "snn_int.h"
#include "snn_model.h"

static int32_t s_membrane[SNN_TOTAL_NEURONS];
static int32_t s_const[SNN_CONST_NEURONS];
static int32_t s_acc[SNN_MAX_NEURONS];
static uint8_t s_spikes[2][SNN_MAX_NEURONS];
/* spike counts over T (T <= 65535) of the last IF layer and the ssf layers */
static uint16_t s_counts[2][SNN_COUNT_NEURONS];

static int32_t tensor_at(const snn_tensor_t *t, uint32_t i)
{
    switch (t->bytes) {
    case 1: return ((const int8_t *)t->data)[i];
    case 2: return ((const int16_t *)t->data)[i];
    default: return ((const int32_t *)t->data)[i];
    }
}

/* Constant current of every neuron of an input and/or RR layer. 64-bit partial sums: the
 * range analysis bounds the total by const_bits, not every partial sum of mixed-sign terms. */
static void constant_current(const snn_layer_t *L, const int16_t *x, const uint16_t *rr)
{
    uint32_t o, p, c, k, j;
    for (o = 0; o < L->out_channels; o++) {
        for (p = 0; p < L->out_length; p++) {
            int64_t sum = 0;
            if (L->from_input) {
                for (c = 0; c < L->in_channels; c++) {
                    uint32_t row = (o * L->in_channels + c) * L->kernel;
                    const int16_t *xc = x + c * L->in_length + p * L->stride;
                    for (k = 0; k < L->kernel; k++)
                        sum += (int64_t)tensor_at(&L->weight, row + k) * xc[k];
                }
            }
            for (j = 0; j < L->rr_inputs; j++)
                sum += (int64_t)tensor_at(&L->rr_weight, o * L->rr_inputs + j) * rr[j];
            sum += tensor_at(&L->bias, o);
            /* the range analysis proves sum fits const_bits <= 32 */
            s_const[(uint32_t)L->c_offset + o * L->out_length + p] = (int32_t)sum;
        }
    }
}

/* acc += mult x the weights of this layer that input neuron m reaches; returns the number of
 * weight reads (the structural fan-out of m, as golden's structural_fanout). */
static uint32_t add_column(const snn_layer_t *L, uint32_t m, int32_t mult)
{
    uint32_t n_in = (uint32_t)L->in_channels * L->in_length;
    uint32_t o, synops = 0;
    if (L->kind == SNN_DENSE) {
        for (o = 0; o < L->out_channels; o++)
            s_acc[o] += mult * tensor_at(&L->weight, o * n_in + m);
        synops += L->out_channels;
    } else {
        /* input neuron (c, q) feeds positions p with p*stride <= q < p*stride + kernel */
        uint32_t c = m / L->in_length, q = m % L->in_length, p;
        uint32_t p_lo = q >= L->kernel ? (q - L->kernel) / L->stride + 1 : 0;
        uint32_t p_hi = q / L->stride;
        if (p_hi >= L->out_length)
            p_hi = (uint32_t)L->out_length - 1;
        for (p = p_lo; p <= p_hi; p++) {
            uint32_t k = q - p * L->stride;
            for (o = 0; o < L->out_channels; o++)
                s_acc[o * L->out_length + p] +=
                    mult * tensor_at(&L->weight, (o * L->in_channels + c) * L->kernel + k);
            synops += L->out_channels;
        }
    }
    return synops;
}

static void clear_acc(const snn_layer_t *L)
{
    uint32_t n_out = (uint32_t)L->out_channels * L->out_length, o;
    for (o = 0; o < n_out; o++)
        s_acc[o] = 0;
}

/* IF: acc = the weights of this layer reached by the previous layer's spikes of this step;
 * returns the number of weight reads (synaptic operations). */
static uint32_t scatter_spikes(const snn_layer_t *L, const uint8_t *spiked)
{
    uint32_t n_in = (uint32_t)L->in_channels * L->in_length;
    uint32_t m, synops = 0;
    clear_acc(L);
    for (m = 0; m < n_in; m++)
        if (spiked[m])
            synops += add_column(L, m, 1);
    return synops;
}

/* ssf: acc = sum_m W[n,m] * count[m]; one weight read per non-zero count and synapse. */
static uint32_t scatter_counts(const snn_layer_t *L, const uint16_t *count)
{
    uint32_t n_in = (uint32_t)L->in_channels * L->in_length;
    uint32_t m, synops = 0;
    clear_acc(L);
    for (m = 0; m < n_in; m++)
        if (count[m])
            synops += add_column(L, m, (int32_t)count[m]);
    return synops;
}

static int64_t const_at(const snn_layer_t *L, uint32_t n)
{
    return L->c_offset >= 0 ? s_const[(uint32_t)L->c_offset + n]
                            : tensor_at(&L->bias, n / L->out_length);
}

/* Sum-then-fire of one layer: V = sat(v_init + acc + T*C), c = clip(V >> k, 0, T) with
 * threshold = 2^k (floor, via snn_floor_shr); the output layer only keeps V. Returns the
 * number of spikes (sum of the counts). */
static uint32_t ssf_fire(const snn_layer_t *L, int with_acc, uint16_t *counts_out)
{
    uint32_t n_out = (uint32_t)L->out_channels * L->out_length;
    unsigned k = snn_log2_floor((uint32_t)L->threshold);
    int32_t *v = s_membrane + L->v_offset;
    uint32_t n, fired = 0;
    for (n = 0; n < n_out; n++) {
        int64_t acc = with_acc ? s_acc[n] : 0;
        int32_t vn = snn_sat_signed(L->v_init + acc + (int64_t)SNN_T * const_at(L, n),
                                    L->membrane_bits);
        uint16_t c = 0;
        if (L->fires)
            c = (uint16_t)snn_clamp(snn_floor_shr(vn, k), 0, SNN_T);
        v[n] = vn;
        counts_out[n] = c;
        fired += c;
    }
    return fired;
}

/* One timestep of one layer: integrate, saturate once, fire, reset by subtraction. */
static uint32_t integrate(const snn_layer_t *L, int with_acc, uint8_t *spikes_out)
{
    uint32_t n_out = (uint32_t)L->out_channels * L->out_length;
    int32_t *v = s_membrane + L->v_offset;
    uint32_t n, fired = 0;
    for (n = 0; n < n_out; n++) {
        int64_t c = const_at(L, n);
        int32_t vn = snn_sat_signed((int64_t)v[n] + (with_acc ? s_acc[n] : 0) + c,
                                    L->membrane_bits);
        uint8_t s = (uint8_t)(L->fires && vn >= L->threshold);
        if (s)
            vn -= L->threshold;
        v[n] = vn;
        spikes_out[n] = s;
        fired += s;
    }
    return fired;
}

static int inputs_in_range(const int16_t *x, const uint16_t *rr)
{
    /* through int32_t/uint32_t locals: with 16-bit inputs or no RR features the bounds are
     * the type's own limits, and comparing the narrow type directly trips -Wtype-limits */
    const uint32_t n_rr = SNN_N_RR;
    uint32_t i;
    for (i = 0; i < SNN_N_SAMPLES; i++) {
        int32_t xi = x[i];
        if (xi < SNN_INPUT_MIN || xi > SNN_INPUT_MAX)
            return 0;
    }
    for (i = 0; i < n_rr; i++) {
        uint32_t ri = rr[i];
        if (ri > SNN_RR_MAX)
            return 0;
    }
    return 1;
}

snn_status_t snn_ref_run(const snn_model_t *model, const int16_t *x, const uint16_t *rr,
                         snn_result_t *result, snn_stats_t *stats)
{
    uint32_t l, n, t, n_if, synops = 0;
    uint32_t spikes[SNN_N_LAYERS];
    if (model == NULL || x == NULL || result == NULL || (SNN_N_RR > 0 && rr == NULL))
        return SNN_ERR_ARG;
    if (!inputs_in_range(x, rr))
        return SNN_ERR_RANGE;
    for (l = 0; l < SNN_N_LAYERS; l++) {
        const snn_layer_t *L = &model->layers[l];
        uint32_t n_out = (uint32_t)L->out_channels * L->out_length;
        for (n = 0; n < n_out; n++)
            s_membrane[L->v_offset + n] = L->v_init;
        if (L->c_offset >= 0)
            constant_current(L, x, rr);
        spikes[l] = 0;
    }
    n_if = 0; /* the IF prefix; the rest are ssf layers (validated by the spec) */
    while (n_if < SNN_N_LAYERS && model->layers[n_if].neuron == SNN_NEURON_IF)
        n_if++;
    for (t = 0; n_if > 0 && t < SNN_T; t++) {
        for (l = 0; l < n_if; l++) {
            const snn_layer_t *L = &model->layers[l];
            /* layer l reads buffer (l+1)&1, which layer l-1 wrote this step */
            if (l > 0)
                synops += scatter_spikes(L, s_spikes[(l + 1) & 1]);
            spikes[l] += integrate(L, l > 0, s_spikes[l & 1]);
        }
        if (n_if < SNN_N_LAYERS) { /* counts of the last IF layer feed the first ssf layer */
            const snn_layer_t *L = &model->layers[n_if - 1];
            uint32_t n_out = (uint32_t)L->out_channels * L->out_length;
            for (n = 0; n < n_out; n++)
                s_counts[n_if & 1][n] = (uint16_t)((t ? s_counts[n_if & 1][n] : 0) +
                                                   s_spikes[(n_if - 1) & 1][n]);
        }
    }
    for (l = n_if; l < SNN_N_LAYERS; l++) {
        const snn_layer_t *L = &model->layers[l];
        /* layer l reads counts buffer l&1 (written by layer l-1 or the IF prefix) */
        if (l > 0)
            synops += scatter_counts(L, s_counts[l & 1]);
        spikes[l] = ssf_fire(L, l > 0, s_counts[(l + 1) & 1]);
    }
    {
        const snn_layer_t *out = &model->layers[SNN_N_LAYERS - 1];
        const int32_t *v = s_membrane + out->v_offset;
        uint8_t best = 0;
        for (n = 0; n < SNN_N_CLASSES; n++) {
            result->values[n] = v[n];
            if (v[n] > v[best]) /* strict: the lowest index wins a tie */
                best = (uint8_t)n;
        }
        result->cls = best;
    }
    if (stats != NULL) {
        for (l = 0; l < SNN_N_LAYERS; l++)
            stats->spikes[l] = spikes[l];
        stats->synops = synops;
    }
    return SNN_OK;
}

snn_status_t snn_ref_classify(const int16_t *x, const uint16_t *rr, snn_result_t *result,
                              snn_stats_t *stats)
{
    return snn_ref_run(&snn_model, x, rr, result, stats);
}
