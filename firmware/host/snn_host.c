/* Batch entry points for Python (ctypes) over the C reference, the front end and the driver
 * on the host accelerator model: one call per batch, so pytest checks thousands of beats in
 * milliseconds. Arrays are row-major, one row per beat. Host-only: not part of the firmware. */
#include <stddef.h>
#include <stdint.h>

#include "fake_accel.h"
#include "snn_driver.h"
#include "snn_frontend.h"
#include "snn_hal_spi.h"
#include "snn_image.h"
#include "snn_patient.h"
#include "snn_qrs.h"
#include "snn_ref.h"

/* Configuration as compiled, for the Python side to check it loaded the right library. */
void snn_host_info(int64_t *out)
{
    out[0] = SNN_HARDWARE_ID;
    out[1] = SNN_N_SAMPLES;
    out[2] = SNN_N_RR;
    out[3] = SNN_N_CLASSES;
    out[4] = SNN_N_LAYERS;
    out[5] = SNN_RESULT_WORDS;
    out[6] = SNN_PRE_WINDOW;
    out[7] = SNN_IMAGE_WORDS;
}

const char *snn_host_strerror(int status)
{
    return snn_strerror((snn_status_t)status);
}

/* The reference on n beats; stops at the first failing beat and returns its status. */
int snn_host_ref_batch(uint32_t n, const int16_t *x, const uint16_t *rr, int32_t *cls,
                       int32_t *values, uint32_t *spikes, uint32_t *synops)
{
    uint32_t b, k;
    for (b = 0; b < n; b++) {
        snn_result_t r;
        snn_stats_t st;
        snn_status_t status = snn_ref_classify(x + (size_t)b * SNN_N_SAMPLES,
                                               rr + (size_t)b * SNN_N_RR, &r, &st);
        if (status != SNN_OK)
            return (int)status;
        cls[b] = r.cls;
        for (k = 0; k < SNN_N_CLASSES; k++)
            values[(size_t)b * SNN_N_CLASSES + k] = r.values[k];
        for (k = 0; k < SNN_N_LAYERS; k++)
            spikes[(size_t)b * SNN_N_LAYERS + k] = st.spikes[k];
        synops[b] = st.synops;
    }
    return SNN_OK;
}

/* The front end on n windows (n x SNN_PRE_WINDOW) and RR triples (n x 3: prev, next, local). */
int snn_host_frontend_batch(uint32_t n, const int32_t *windows, const uint32_t *rr3, int16_t *x,
                            uint16_t *rr)
{
    uint32_t b;
    for (b = 0; b < n; b++) {
        const uint32_t *t = rr3 + (size_t)b * 3;
        snn_status_t st = snn_frontend_samples(windows + (size_t)b * SNN_PRE_WINDOW,
                                               x + (size_t)b * SNN_N_SAMPLES);
        if (st == SNN_OK)
            st = snn_frontend_rr(t[0], t[1], t[2], rr + (size_t)b * SNN_N_RR);
        if (st != SNN_OK)
            return (int)st;
    }
    return SNN_OK;
}

/* The stateful front end on n beats in time order: new_patient[b] != 0 resets the patient state
 * before beat b (a new record); then samples, patient features, RR features and the rhythm
 * gate's measure as the firmware computes them per beat. */
int snn_host_stream_batch(uint32_t n, const int32_t *windows, const uint32_t *rr3,
                          const uint8_t *new_patient, int16_t *x, uint16_t *rr, uint16_t *rhythm)
{
    static snn_patient_t patient; /* static: the template is too large for some host stacks */
    uint32_t b;
    snn_patient_init(&patient);
    for (b = 0; b < n; b++) {
        const uint32_t *t = rr3 + (size_t)b * 3;
        int16_t *xb = x + (size_t)b * SNN_N_SAMPLES;
        uint16_t features[3];
        snn_status_t st;
        if (new_patient[b])
            snn_patient_init(&patient);
        st = snn_frontend_samples(windows + (size_t)b * SNN_PRE_WINDOW, xb);
        if (st == SNN_OK)
            st = snn_patient_step(&patient, xb, t[0], t[2], features, rhythm + b);
        if (st == SNN_OK)
            st = snn_frontend_rr_patient(t[0], t[1], t[2], features, rr + (size_t)b * SNN_N_RR);
        if (st != SNN_OK)
            return (int)st;
    }
    return SNN_OK;
}

/* The rhythm gate on n classes and rhythm values. */
void snn_host_gate_batch(uint32_t n, const int32_t *cls, const uint16_t *rhythm, int32_t *out)
{
    uint32_t b;
    for (b = 0; b < n; b++)
        out[b] = snn_rhythm_gate(cls[b], rhythm[b]);
}

/* Push n R positions into a tracker; after each push, row i of out (n x 3) holds the
 * intervals of the beat before that peak, or -1s while the tracker answers SNN_ERR_NO_RR. */
void snn_host_rr_track(uint32_t n, const uint32_t *r, int64_t *out)
{
    snn_rr_tracker_t tracker;
    uint32_t i;
    snn_rr_init(&tracker);
    for (i = 0; i < n; i++) {
        uint32_t prev, next, local;
        snn_rr_push(&tracker, r[i]);
        if (snn_rr_intervals(&tracker, &prev, &next, &local) == SNN_OK) {
            out[3 * (size_t)i] = prev;
            out[3 * (size_t)i + 1] = next;
            out[3 * (size_t)i + 2] = local;
        } else {
            out[3 * (size_t)i] = out[3 * (size_t)i + 1] = out[3 * (size_t)i + 2] = -1;
        }
    }
}

/* The QRS detector on n samples (valid: 0 for an invalid sample), its sample counter starting at
 * `start`. Writes up to max_beats beats (fiducial, integration peak, index of the sample decided
 * at, search-back flag) and, when the trace pointers are not NULL, b[n] and i[n] per sample.
 * Returns the number of beats found (all of them, even past max_beats). */
uint32_t snn_host_qrs(uint32_t n, const int32_t *samples, const uint8_t *valid, uint32_t max_beats,
                      uint32_t *fiducial, uint32_t *peak, uint32_t *decided, uint8_t *searchback,
                      int32_t *b_trace, uint32_t *i_trace, uint32_t start)
{
    snn_qrs_t det;
    uint32_t k, found = 0;
    snn_qrs_init_at(&det, start);
    for (k = 0; k < n; k++) {
        snn_qrs_beat_t beat;
        if (snn_qrs_step(&det, samples[k], valid[k], &beat)) {
            if (found < max_beats) {
                fiducial[found] = beat.sample;
                peak[found] = beat.peak;
                decided[found] = k;
                searchback[found] = beat.searchback;
            }
            found++;
        }
        if (b_trace != NULL)
            b_trace[k] = snn_qrs_bandpass(&det);
        if (i_trace != NULL)
            i_trace[k] = snn_qrs_integrated(&det);
    }
    return found;
}

/* The QRS decision alone on given filter outputs b[n], i[n] (snn_qrs_step_filtered): the rule
 * tests' hand-built signals. Outputs and return value as snn_host_qrs. */
uint32_t snn_host_qrs_decide(uint32_t n, const int32_t *b, const uint32_t *i, uint32_t max_beats,
                             uint32_t *fiducial, uint32_t *peak, uint32_t *decided,
                             uint8_t *searchback)
{
    snn_qrs_t det;
    uint32_t k, found = 0;
    snn_qrs_init(&det);
    for (k = 0; k < n; k++) {
        snn_qrs_beat_t beat;
        if (snn_qrs_step_filtered(&det, b[k], i[k], &beat)) {
            if (found < max_beats) {
                fiducial[found] = beat.sample;
                peak[found] = beat.peak;
                decided[found] = k;
                searchback[found] = beat.searchback;
            }
            found++;
        }
    }
    return found;
}

/* Bytes of detector state, for the cost report. */
uint32_t snn_host_qrs_state_bytes(void)
{
    return (uint32_t)sizeof(snn_qrs_t);
}

static snn_dev_t s_dev;

/* A HAL whose functions are given by the caller (Python ctypes callbacks): the driver against
 * an accelerator written in Python, or against the RTL through cocotb's thread bridge. */
static int (*s_cb_put)(int port, uint32_t word);
static int (*s_cb_get_result)(uint32_t *words);
static uint32_t (*s_cb_status)(void);
static void (*s_cb_reset)(void);

static int cb_put(void *ctx, snn_port_t port, uint32_t word)
{
    (void)ctx;
    return s_cb_put((int)port, word);
}

static int cb_get_result(void *ctx, uint32_t *words)
{
    (void)ctx;
    return s_cb_get_result(words);
}

static uint32_t cb_status(void *ctx)
{
    (void)ctx;
    return s_cb_status();
}

static void cb_reset(void *ctx)
{
    (void)ctx;
    s_cb_reset();
}

static const snn_hal_t s_callback_hal = { NULL, cb_put, cb_get_result, cb_status, cb_reset };

void snn_host_use_callbacks(int (*put)(int, uint32_t), int (*get_result)(uint32_t *),
                            uint32_t (*status)(void), void (*reset)(void), uint32_t poll_budget)
{
    s_cb_put = put;
    s_cb_get_result = get_result;
    s_cb_status = status;
    s_cb_reset = reset;
    snn_init(&s_dev, &s_callback_hal, poll_budget);
}

/* The SPI HAL (snn_hal_spi.c) over a transfer function given by the caller: the driver
 * against the SPI shell's RTL, each transaction bit-banged by a cocotb coroutine. */
static int (*s_cb_transfer)(const uint8_t *tx, uint8_t *rx, uint32_t n);

static int cb_transfer(void *ctx, const uint8_t *tx, uint8_t *rx, uint32_t n)
{
    (void)ctx;
    return s_cb_transfer(tx, rx, n);
}

static const snn_spi_bus_t s_spi_bus = { NULL, cb_transfer };
static snn_hal_t s_spi_hal;

void snn_host_use_spi(int (*transfer)(const uint8_t *, uint8_t *, uint32_t), uint32_t poll_budget)
{
    s_cb_transfer = transfer;
    snn_hal_spi_init(&s_spi_hal, &s_spi_bus);
    snn_init(&s_dev, &s_spi_hal, poll_budget);
}

uint32_t snn_host_spi_errors(void)
{
    return snn_hal_spi_errors(&s_spi_bus);
}

uint32_t snn_host_spi_hardware_id(void)
{
    return snn_hal_spi_hardware_id(&s_spi_bus);
}

void snn_host_fake_power_on(uint32_t poll_budget)
{
    fake_accel_power_on();
    snn_init(&s_dev, &fake_accel_hal, poll_budget);
}

void snn_host_fake_corrupt_next_load(void)
{
    fake_accel_corrupt_next_load();
}

void snn_host_fake_stall(int stalled)
{
    fake_accel_stall(stalled);
}

int snn_host_check_image(const uint32_t *words, uint32_t n_words)
{
    return (int)snn_check_image(words, n_words);
}

int snn_host_driver_load(const uint32_t *words, uint32_t n_words)
{
    return (int)snn_load(&s_dev, words, n_words);
}

/* The image compiled in from the generated snn_image.h, as firmware keeping it in flash would. */
int snn_host_driver_load_builtin(void)
{
    return (int)snn_load(&s_dev, snn_image, SNN_IMAGE_WORDS);
}

int snn_host_driver_load_le(const uint8_t *bytes, uint32_t n_bytes)
{
    return (int)snn_load_le(&s_dev, bytes, n_bytes);
}

int snn_host_driver_submit(const int16_t *x, const uint16_t *rr)
{
    return (int)snn_submit(&s_dev, x, rr);
}

int snn_host_driver_wait(int32_t *cls)
{
    snn_result_t r;
    snn_status_t st = snn_wait_result(&s_dev, &r);
    *cls = r.cls;
    return (int)st;
}

void snn_host_driver_reset(void)
{
    snn_reset(&s_dev);
}

/* snn_classify on n beats through the host accelerator model; result_words (n x
 * SNN_RESULT_WORDS) receives each raw o_result payload, to check against model/contract/ports.py. */
int snn_host_driver_batch(uint32_t n, const int16_t *x, const uint16_t *rr, int32_t *cls,
                          int32_t *values, uint32_t *result_words)
{
    uint32_t b, k;
    for (b = 0; b < n; b++) {
        snn_result_t r;
        snn_status_t st = snn_classify(&s_dev, x + (size_t)b * SNN_N_SAMPLES,
                                       rr + (size_t)b * SNN_N_RR, &r);
        if (st != SNN_OK)
            return (int)st;
        cls[b] = r.cls;
        for (k = 0; k < SNN_N_CLASSES; k++)
            values[(size_t)b * SNN_N_CLASSES + k] = r.values[k];
        for (k = 0; k < SNN_RESULT_WORDS; k++)
            result_words[(size_t)b * SNN_RESULT_WORDS + k] = fake_accel_last_result()[k];
    }
    return SNN_OK;
}
