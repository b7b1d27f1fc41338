// Vector comparisons as bit masks, vector square roots, magnitudes and selects, which Swift's SIMD
// types cannot give in one instruction: header-only, nothing to link.
#ifndef QUANTFORGE_VECTOR_BITS_H
#define QUANTFORGE_VECTOR_BITS_H

// Four doubles (Swift sees SIMD4<Double>) and four booleans packed into bits.
typedef double qf_double4 __attribute__((ext_vector_type(4)));
typedef _Bool qf_bool4 __attribute__((ext_vector_type(4)));

// Bit k set where a[k] > b[k]; a comparison with NaN is false. With AVX this is one compare and
// one `vmovmskpd`; Swift's `.>` then a reduction takes five instructions more.
static inline unsigned qf_greater_bits4(qf_double4 a, qf_double4 b) {
    qf_bool4 mask = __builtin_convertvector(a > b, qf_bool4);
    unsigned char bits;
    __builtin_memcpy(&bits, &mask, 1);
    return bits & 15u;
}

// Bit k set where a[k] >= b[k] (false with NaN).
static inline unsigned qf_greater_equal_bits4(qf_double4 a, qf_double4 b) {
    qf_bool4 mask = __builtin_convertvector(a >= b, qf_bool4);
    unsigned char bits;
    __builtin_memcpy(&bits, &mask, 1);
    return bits & 15u;
}

// Bit k set where a[k] == b[k] (false with NaN).
static inline unsigned qf_equal_bits4(qf_double4 a, qf_double4 b) {
    qf_bool4 mask = __builtin_convertvector(a == b, qf_bool4);
    unsigned char bits;
    __builtin_memcpy(&bits, &mask, 1);
    return bits & 15u;
}

// Square roots of four doubles, correctly rounded as the scalar one: one `vsqrtpd`. Swift's
// `SIMD4<Double>.squareRoot()` becomes four scalar square roots, each behind a test for a
// negative argument and a call to libm's `sqrt` for errno.
static inline qf_double4 qf_square_roots4(qf_double4 x) {
    return __builtin_elementwise_sqrt(x);
}

// Magnitudes of four doubles: one `vandpd`. Swift's `.replacing(with: -x, where: x .< 0)`
// compiles to compares, a mask move and a branch per lane.
static inline qf_double4 qf_magnitudes4(qf_double4 x) {
    return __builtin_elementwise_abs(x);
}

typedef long qf_long4 __attribute__((ext_vector_type(4)));

// `Swift.max(x, 0)` for four doubles, bit for bit: +0 where 0 >= x, else x (so a NaN stays). A
// compare and an and-not, where Swift's `replacing(with:where:)` can become a branch per lane.
static inline qf_double4 qf_max_zero4(qf_double4 x) {
    qf_long4 keep = ~((qf_double4)0 >= x);
    return (qf_double4)((qf_long4)x & keep);
}

#endif
