/* Integer helpers with the semantics of docs/arithmetic.md, independent of the C compiler.
 *
 * C99 leaves `>>` of a negative number implementation-defined and makes `/` truncate towards
 * zero; the spec wants floor for both (Python's `>>` and `//`). These helpers only use
 * operations whose result C99 defines for every input in range.
 */
#ifndef SNN_INT_H
#define SNN_INT_H

#include <stdint.h>

/* floor(a / b) for b > 0. */
static inline int64_t snn_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* floor(a / 2^k) (an arithmetic shift right) for 0 <= k <= 62: through division, since the
 * shift of a negative value is implementation-defined; compilers reduce it to shift and fixup. */
static inline int64_t snn_floor_shr(int64_t a, unsigned k)
{
    return snn_floor_div(a, (int64_t)1 << k);
}

/* floor(log2(v)) for v >= 1: the shift k of a power-of-two threshold 2^k. */
static inline unsigned snn_log2_floor(uint32_t v)
{
    unsigned k = 0;
    while (v >>= 1)
        k++;
    return k;
}

/* Clamp to [lo, hi]: the one saturation rule of the flow. */
static inline int64_t snn_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Clamp to the signed `bits`-bit range [-2^(bits-1), 2^(bits-1)-1], 1 <= bits <= 32. */
static inline int32_t snn_sat_signed(int64_t v, unsigned bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
    return (int32_t)snn_clamp(v, -hi - 1, hi);
}

#endif /* SNN_INT_H */
