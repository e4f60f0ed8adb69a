/* Host model of the accelerator (see fake_accel.h). */
#include "fake_accel.h"

#include <stddef.h>

#include "snn_model.h" /* layer shapes only: the RTL is built from the hardware configuration */
#include "snn_ref.h"

static struct {
    int loaded, load_error, busy, result_pending, corrupt_next, stalled;
    uint32_t load_count, load_sum, bad;
    uint32_t image[SNN_IMAGE_WORDS];
    int32_t values[SNN_PAYLOAD_WORDS];
    snn_layer_t layers[SNN_N_LAYERS];
    uint32_t n_samples, n_rr;
    int16_t x[SNN_N_SAMPLES];
    uint16_t rr[SNN_N_RR_ALLOC];
    uint32_t result[SNN_RESULT_WORDS];
} s;

/* Point the layer descriptors at the received values, in model/contract/image.py section order:
 * threshold, v_init, bias, rr_weight (if any), weight. */
static void install_model(void)
{
    uint32_t l, at = 0;
    for (l = 0; l < SNN_N_LAYERS; l++) {
        snn_layer_t *L = &s.layers[l];
        uint32_t n_w;
        *L = snn_layers[l];
        n_w = (uint32_t)L->out_channels * L->in_channels * L->kernel;
        L->threshold = s.values[at++];
        L->v_init = s.values[at++];
        L->bias.data = &s.values[at];
        L->bias.bytes = 4;
        at += L->out_channels;
        if (L->rr_inputs) {
            L->rr_weight.data = &s.values[at];
            L->rr_weight.bytes = 4;
            at += (uint32_t)L->out_channels * L->rr_inputs;
        }
        L->weight.data = &s.values[at];
        L->weight.bytes = 4;
        at += n_w;
    }
}

static void finish_load(void)
{
    uint32_t i;
    int ok = !s.bad && s.load_sum == s.image[SNN_IMAGE_WORDS - 1];
    if (ok) {
        for (i = 0; i < SNN_PAYLOAD_WORDS; i++) /* sign-extended 32-bit words */
            s.values[i] = (int32_t)s.image[SNN_IMAGE_HEADER_WORDS + i];
        install_model();
    }
    s.loaded = ok;
    s.load_error = !ok;
    s.load_count = 0;
}

static void load_word(uint32_t word)
{
    uint32_t i = s.load_count;
    if (i == 0) {
        s.loaded = 0; /* the old model is being overwritten */
        s.load_error = 0;
        s.load_sum = 0;
        s.bad = 0;
    }
    if (i >= SNN_IMAGE_HEADER_WORDS && i < SNN_IMAGE_WORDS - 1 && s.corrupt_next) {
        word ^= 1u << 7;
        s.corrupt_next = 0;
    }
    s.image[i] = word;
    if ((i == 0 && word != SNN_IMAGE_MAGIC) || (i == 1 && word != SNN_HARDWARE_ID) ||
        (i == 2 && word != SNN_PAYLOAD_WORDS))
        s.bad = 1;
    if (i >= SNN_IMAGE_HEADER_WORDS && i < SNN_IMAGE_WORDS - 1)
        s.load_sum += word;
    s.load_count++;
    if (s.load_count == SNN_IMAGE_WORDS)
        finish_load();
}

/* Field `value` of `width` bits at bit `offset` of a little-endian multi-word bit string. */
static void set_bits(uint32_t *words, uint32_t offset, uint32_t width, uint32_t value)
{
    uint32_t w = offset / 32, shift = offset % 32;
    uint64_t field = (uint64_t)value & (((uint64_t)1 << width) - 1);
    words[w] |= (uint32_t)(field << shift);
    if (shift + width > 32)
        words[w + 1] |= (uint32_t)(field >> (32 - shift));
}

static void infer(void)
{
    snn_model_t model;
    snn_result_t r;
    uint32_t k;
    model.layers = s.layers;
    snn_ref_run(&model, s.x, s.rr, &r, NULL);
    for (k = 0; k < SNN_RESULT_WORDS; k++)
        s.result[k] = 0;
    set_bits(s.result, 0, SNN_RESULT_CLS_BITS, r.cls);
    for (k = 0; k < SNN_N_CLASSES; k++)
        set_bits(s.result, SNN_RESULT_CLS_BITS + k * SNN_RESULT_VALUE_BITS,
                 SNN_RESULT_VALUE_BITS, (uint32_t)r.values[k]);
    s.result_pending = 1;
    s.n_samples = s.n_rr = 0;
}

static int put(void *ctx, snn_port_t port, uint32_t word)
{
    (void)ctx;
    if (s.stalled)
        return 0;
    if (port == SNN_PORT_LOAD) {
        if (s.busy)
            return 0;
        load_word(word);
        return 1;
    }
    if (!s.loaded || s.result_pending)
        return 0;
    if (port == SNN_PORT_SAMPLE) {
        uint32_t sign = 1u << (SNN_INPUT_BITS - 1);
        if (s.n_samples == SNN_N_SAMPLES)
            return 0;
        s.x[s.n_samples++] = (int16_t)((int32_t)(word ^ sign) - (int32_t)sign);
    } else {
        const uint32_t n_rr = SNN_N_RR; /* a variable: no -Wtype-limits when it is 0 */
        if (s.n_rr >= n_rr)
            return 0;
        /* the modulo only tells gcc the index is in bounds when there are no RR features */
        s.rr[s.n_rr++ % SNN_N_RR_ALLOC] = (uint16_t)word;
    }
    s.busy = 1;
    if (s.n_samples == SNN_N_SAMPLES && s.n_rr == SNN_N_RR)
        infer();
    return 1;
}

static int get_result(void *ctx, uint32_t *words)
{
    uint32_t k;
    (void)ctx;
    if (s.stalled || !s.result_pending)
        return 0;
    for (k = 0; k < SNN_RESULT_WORDS; k++)
        words[k] = s.result[k];
    s.result_pending = 0;
    s.busy = 0;
    return 1;
}

static uint32_t status(void *ctx)
{
    (void)ctx;
    return (s.busy ? SNN_STATUS_BUSY : 0u) | (s.loaded ? SNN_STATUS_LOADED : 0u) |
           (s.load_error ? SNN_STATUS_LOAD_ERROR : 0u);
}

static void reset(void *ctx)
{
    (void)ctx;
    s.busy = s.result_pending = 0;
    s.n_samples = s.n_rr = 0;
    s.load_count = 0;
}

const snn_hal_t fake_accel_hal = { NULL, put, get_result, status, reset };

void fake_accel_power_on(void)
{
    reset(NULL);
    s.loaded = s.load_error = s.corrupt_next = s.stalled = 0;
}

void fake_accel_corrupt_next_load(void)
{
    s.corrupt_next = 1;
}

void fake_accel_stall(int stalled)
{
    s.stalled = stalled;
}

const uint32_t *fake_accel_last_result(void)
{
    return s.result;
}
