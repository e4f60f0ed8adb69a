/* Driver of the ECG SNN accelerator (see snn_driver.h; ports in model/contract/ports.py, image format
 * in model/contract/image.py). */
#include "snn_driver.h"

#include <stddef.h>

/* An image in RAM/flash as native words, or as the little-endian bytes of snn_weights.bin: one
 * reader for both, so validation and streaming are written once. */
typedef struct {
    const uint32_t *words;
    const uint8_t *bytes;
    uint32_t n_words;
} image_t;

static uint32_t word_at(const image_t *img, uint32_t i)
{
    const uint8_t *b;
    if (img->words != NULL)
        return img->words[i];
    b = img->bytes + 4u * i;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static snn_status_t check(const image_t *img)
{
    uint32_t i, sum = 0;
    if (img->n_words < SNN_IMAGE_HEADER_WORDS + 1 || word_at(img, 0) != SNN_IMAGE_MAGIC)
        return SNN_ERR_MAGIC;
    if (word_at(img, 1) != SNN_HARDWARE_ID)
        return SNN_ERR_HARDWARE_ID;
    if (word_at(img, 2) != SNN_PAYLOAD_WORDS || img->n_words != SNN_IMAGE_WORDS)
        return SNN_ERR_LENGTH;
    for (i = 0; i < SNN_PAYLOAD_WORDS; i++)
        sum += word_at(img, SNN_IMAGE_HEADER_WORDS + i); /* unsigned: wraps mod 2^32 */
    if (sum != word_at(img, SNN_IMAGE_WORDS - 1))
        return SNN_ERR_CHECKSUM;
    return SNN_OK;
}

void snn_init(snn_dev_t *dev, const snn_hal_t *hal, uint32_t poll_budget)
{
    dev->hal = hal;
    dev->poll_budget = poll_budget;
}

/* The two ways an image arrives (uint32 words, or the little-endian .bin bytes) as one view. */
static snn_status_t from_words(image_t *img, const uint32_t *words, uint32_t n_words)
{
    if (words == NULL)
        return SNN_ERR_ARG;
    img->words = words;
    img->bytes = NULL;
    img->n_words = n_words;
    return SNN_OK;
}

static snn_status_t from_bytes(image_t *img, const uint8_t *bytes, uint32_t n_bytes)
{
    if (bytes == NULL || n_bytes % 4 != 0)
        return SNN_ERR_ARG;
    img->words = NULL;
    img->bytes = bytes;
    img->n_words = n_bytes / 4;
    return SNN_OK;
}

snn_status_t snn_check_image(const uint32_t *words, uint32_t n_words)
{
    image_t img;
    snn_status_t st = from_words(&img, words, n_words);
    return st != SNN_OK ? st : check(&img);
}

snn_status_t snn_check_image_le(const uint8_t *bytes, uint32_t n_bytes)
{
    image_t img;
    snn_status_t st = from_bytes(&img, bytes, n_bytes);
    return st != SNN_OK ? st : check(&img);
}

static snn_status_t give_up(snn_dev_t *dev, snn_status_t why);

/* Offer a word until the port takes it, at most poll_budget + 1 times. */
static snn_status_t put(snn_dev_t *dev, snn_port_t port, uint32_t word)
{
    uint32_t tries = 0;
    while (!dev->hal->put(dev->hal->ctx, port, word))
        if (tries++ >= dev->poll_budget)
            return SNN_ERR_TIMEOUT;
    return SNN_OK;
}

static int usable(const snn_dev_t *dev)
{
    return dev != NULL && dev->hal != NULL && dev->hal->put != NULL &&
           dev->hal->get_result != NULL && dev->hal->status != NULL;
}

static snn_status_t load(snn_dev_t *dev, const image_t *img)
{
    uint32_t i, polls;
    snn_status_t st;
    if (!usable(dev))
        return SNN_ERR_ARG;
    st = check(img); /* never send the chip an image it would reject anyway */
    if (st != SNN_OK)
        return st;
    if (dev->hal->status(dev->hal->ctx) & SNN_STATUS_BUSY)
        return SNN_ERR_BUSY; /* the load port only listens while idle */
    /* (a link error flagged before now is cleared by the reset below) */
    /* An image cut off on the wire leaves the loader mid-image, and this image's first words
     * would complete that one. A reset restarts the loader; it keeps the loaded model and,
     * the chip being idle, drops nothing. */
    snn_reset(dev);
    for (i = 0; i < img->n_words; i++) {
        st = put(dev, SNN_PORT_LOAD, word_at(img, i));
        if (st != SNN_OK)
            return st;
    }
    /* The accelerator drops `loaded` with an image's first word and raises `loaded` or
     * `load_error` once it has checked the last one (model/contract/ports.py). */
    for (polls = 0; polls <= dev->poll_budget; polls++) {
        uint32_t s = dev->hal->status(dev->hal->ctx);
        if (s & SNN_HAL_LINK_ERROR)
            return give_up(dev, SNN_ERR_LINK); /* a word of the image may be lost or doubled */
        if (s & SNN_STATUS_LOAD_ERROR)
            return SNN_ERR_LOAD_REJECTED;
        if (s & SNN_STATUS_LOADED)
            return SNN_OK;
    }
    return SNN_ERR_TIMEOUT;
}

snn_status_t snn_load(snn_dev_t *dev, const uint32_t *words, uint32_t n_words)
{
    image_t img;
    snn_status_t st = from_words(&img, words, n_words);
    return st != SNN_OK ? st : load(dev, &img);
}

snn_status_t snn_load_le(snn_dev_t *dev, const uint8_t *bytes, uint32_t n_bytes)
{
    image_t img;
    snn_status_t st = from_bytes(&img, bytes, n_bytes);
    return st != SNN_OK ? st : load(dev, &img);
}

/* A beat abandoned half-sent would keep the chip busy forever: drop it with a reset (which
 * keeps the loaded model) before reporting why. */
static snn_status_t give_up(snn_dev_t *dev, snn_status_t why)
{
    snn_reset(dev);
    return why;
}

snn_status_t snn_submit(snn_dev_t *dev, const int16_t *x, const uint16_t *rr)
{
    const uint32_t n_rr = SNN_N_RR;
    const uint32_t sample_mask = (uint32_t)(((uint64_t)1 << SNN_INPUT_BITS) - 1);
    uint32_t s, i;
    snn_status_t st;
    if (!usable(dev) || x == NULL || (n_rr > 0 && rr == NULL))
        return SNN_ERR_ARG;
    s = dev->hal->status(dev->hal->ctx);
    if (s & SNN_HAL_LINK_ERROR)
        return give_up(dev, SNN_ERR_LINK); /* flagged since the last call: start clean */
    if (!(s & SNN_STATUS_LOADED))
        return SNN_ERR_NOT_LOADED;
    if (s & SNN_STATUS_BUSY)
        return SNN_ERR_BUSY;
    /* check everything before sending anything: a half-sent beat would wedge the chip */
    for (i = 0; i < SNN_N_SAMPLES; i++) {
        int32_t xi = x[i];
        if (xi < SNN_INPUT_MIN || xi > SNN_INPUT_MAX)
            return SNN_ERR_RANGE;
    }
    for (i = 0; i < n_rr; i++) {
        uint32_t ri = rr[i];
        if (ri > SNN_RR_MAX)
            return SNN_ERR_RANGE;
    }
    for (i = 0; i < SNN_N_SAMPLES; i++) {
        /* two's complement bit pattern of the port width (model/contract/ports.py to_unsigned) */
        st = put(dev, SNN_PORT_SAMPLE, (uint32_t)(int32_t)x[i] & sample_mask);
        if (st != SNN_OK)
            return give_up(dev, st);
    }
    for (i = 0; i < n_rr; i++) {
        st = put(dev, SNN_PORT_RR, rr[i]);
        if (st != SNN_OK)
            return give_up(dev, st);
    }
    /* a transfer the link flagged (cut, overrun) means the chip did not get this beat as sent */
    if (dev->hal->status(dev->hal->ctx) & SNN_HAL_LINK_ERROR)
        return give_up(dev, SNN_ERR_LINK);
    return SNN_OK;
}

/* `width` (1..32) bits of a multi-word little-endian bit string, starting at bit `offset`. */
static uint32_t bits_at(const uint32_t *words, uint32_t offset, uint32_t width)
{
    uint32_t w = offset / 32, shift = offset % 32;
    uint64_t chunk = words[w] >> shift;
    if (shift + width > 32)
        chunk |= (uint64_t)words[w + 1] << (32 - shift);
    return (uint32_t)(chunk & (((uint64_t)1 << width) - 1));
}

void snn_decode_result(const uint32_t *words, snn_result_t *result)
{
    uint32_t k;
    result->cls = (uint8_t)bits_at(words, 0, SNN_RESULT_CLS_BITS);
    for (k = 0; k < SNN_N_CLASSES; k++) {
        uint32_t raw = bits_at(words, SNN_RESULT_CLS_BITS + k * SNN_RESULT_VALUE_BITS,
                               SNN_RESULT_VALUE_BITS);
        int64_t v = raw;
        if (raw >> (SNN_RESULT_VALUE_BITS - 1)) /* sign-extend the two's complement field */
            v -= (int64_t)1 << SNN_RESULT_VALUE_BITS;
        result->values[k] = (int32_t)v;
    }
}

snn_status_t snn_wait_result(snn_dev_t *dev, snn_result_t *result)
{
    uint32_t words[SNN_RESULT_WORDS];
    uint32_t polls;
    if (!usable(dev) || result == NULL)
        return SNN_ERR_ARG;
    for (polls = 0; polls <= dev->poll_budget; polls++) {
        if (dev->hal->get_result(dev->hal->ctx, words)) {
            /* The result is trusted only if the link flagged nothing and the chip is idle now:
             * busy after its result means it holds words beyond the beat (a word the link
             * delivered twice), so this result was computed on shifted input. */
            uint32_t s = dev->hal->status(dev->hal->ctx);
            if (s & (SNN_HAL_LINK_ERROR | SNN_STATUS_BUSY))
                return give_up(dev, SNN_ERR_LINK);
            snn_decode_result(words, result);
            return SNN_OK;
        }
    }
    return SNN_ERR_TIMEOUT;
}

snn_status_t snn_classify(snn_dev_t *dev, const int16_t *x, const uint16_t *rr,
                          snn_result_t *result)
{
    snn_status_t st = snn_submit(dev, x, rr);
    return st != SNN_OK ? st : snn_wait_result(dev, result);
}

void snn_reset(snn_dev_t *dev)
{
    if (dev != NULL && dev->hal != NULL && dev->hal->reset != NULL)
        dev->hal->reset(dev->hal->ctx);
}
