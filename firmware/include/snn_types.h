/* Types shared by the C reference, the front end and the driver of the ECG SNN.
 *
 * Array sizes come from the generated snn_config.h (firmware/generate.py), so every buffer is
 * static and sized for exactly one hardware configuration; no code here allocates memory.
 */
#ifndef SNN_TYPES_H
#define SNN_TYPES_H

#include <stdint.h>

#include "snn_config.h"

/* Every function that can fail returns one of these; snn_strerror() says what it means. */
typedef enum {
    SNN_OK = 0,
    SNN_ERR_ARG,           /* a NULL pointer or a length that cannot be right */
    SNN_ERR_RANGE,         /* an input sample or RR feature outside its width */
    SNN_ERR_MAGIC,         /* not a weight image, or an image format this driver cannot read */
    SNN_ERR_HARDWARE_ID,   /* an image made for a different hardware configuration */
    SNN_ERR_LENGTH,        /* image length does not match this hardware configuration */
    SNN_ERR_CHECKSUM,      /* image payload corrupted */
    SNN_ERR_LOAD_REJECTED, /* the accelerator raised load_error after the image */
    SNN_ERR_NOT_LOADED,    /* no valid model in the accelerator */
    SNN_ERR_BUSY,          /* the accelerator is mid-inference or holds an unread result */
    SNN_ERR_TIMEOUT,       /* the accelerator did not answer within the poll budget */
    SNN_ERR_NO_RR,         /* not enough R peaks yet to compute the RR features */
    SNN_ERR_LINK           /* the link to the accelerator reported an error (SPI: a cut
                            * transaction, overrun or unknown command), or the chip held more
                            * words than were sent: the beat was dropped (reset), no result */
} snn_status_t;

const char *snn_strerror(snn_status_t status);

/* A read-only integer tensor stored with 1, 2 or 4 bytes per value (int8/16/32_t), so
 * 8-bit weights cost one byte of flash while one loop serves every width. */
typedef struct {
    const void *data;
    uint8_t bytes;
} snn_tensor_t;

enum { SNN_DENSE = 0, SNN_CONV1D = 1 };

/* Neuron mode (model/contract/spec.py NEURONS): integrate-and-fire every step, or sum-then-fire once. */
enum { SNN_NEURON_IF = 0, SNN_NEURON_SSF = 1 };

/* One layer, as model/contract/spec.py LayerSpec. Neurons are channel-major: n = c * out_length + p.
 * neuron: SNN_NEURON_IF or SNN_NEURON_SSF (ssf layers form a suffix; threshold = 2^k);
 * v_offset: first membrane of this layer in the reference's membrane buffer;
 * c_offset: first constant current in its constant buffer, -1 if the layer's constant current
 * is just the bias (no input samples, no RR inputs). */
typedef struct {
    const char *name;
    uint8_t kind;
    uint8_t from_input;
    uint8_t fires;
    uint8_t membrane_bits;
    uint8_t neuron;
    uint16_t in_channels, in_length, out_channels, out_length, kernel, stride, rr_inputs;
    int32_t threshold, v_init;
    uint32_t v_offset;
    int32_t c_offset;
    snn_tensor_t weight, bias, rr_weight;
} snn_layer_t;

/* The layers (SNN_N_LAYERS of them). The generated snn_model.h defines one in flash; the host
 * accelerator model builds one over the values it received through the load port. */
typedef struct {
    const snn_layer_t *layers;
} snn_model_t;

/* What the accelerator returns: the class and every output membrane. */
typedef struct {
    uint8_t cls;
    int32_t values[SNN_N_CLASSES];
} snn_result_t;

/* What only the reference can tell: spikes per layer (0 for the output layer) and synaptic
 * operations (weight reads driven by spikes), as model/contract/golden.py GoldenResult. */
typedef struct {
    uint32_t spikes[SNN_N_LAYERS];
    uint32_t synops;
} snn_stats_t;

#endif /* SNN_TYPES_H */
