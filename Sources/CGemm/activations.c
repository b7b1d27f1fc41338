// tanh over rows on the AVX-512 family's registers. The AVX2 family keeps Compute's Swift loop
// (compiled for AVX2 + FMA), whose sixteen registers cannot hold the eleven coefficients beside
// the work: it reloads them every eight lanes and ran at 0.38–0.54 ns an element on Zen 4, where
// this loop runs at 0.27 (harnesses over the same 64×128 rows). Every lane does exactly what
// `Kernels.fastTanh` does, in the same order, so the bits are the same (ComputeTests checks it).
#include "qf_gemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define QF_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

// Kernels.fastTanh on sixteen lanes: clamp, the odd numerator and even denominator by Horner's
// rule as fused multiply-adds, their quotient, and ±1 past the clamp (a NaN stays NaN: the clamp
// keeps it, as Swift's max and min do, and both comparisons fail on it).
static QF_AVX512 inline __m512 tanh16(__m512 x) {
    const __m512 limit = _mm512_set1_ps(7.90531110763549805f);
    __m512 c = _mm512_max_ps(_mm512_set1_ps(-7.90531110763549805f), x);
    c = _mm512_min_ps(limit, c);
    const __m512 y = _mm512_mul_ps(c, c);
    __m512 p = _mm512_set1_ps(-2.76076847742355e-16f);
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(2.00018790482477e-13f));
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(-8.60467152213735e-11f));
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(5.12229709037114e-08f));
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(1.48572235717979e-05f));
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(6.37261928875436e-04f));
    p = _mm512_fmadd_ps(p, y, _mm512_set1_ps(4.89352455891786e-03f));
    p = _mm512_mul_ps(p, c);
    __m512 q = _mm512_set1_ps(1.19825839466702e-06f);
    q = _mm512_fmadd_ps(q, y, _mm512_set1_ps(1.18534705686654e-04f));
    q = _mm512_fmadd_ps(q, y, _mm512_set1_ps(2.26843463243900e-03f));
    q = _mm512_fmadd_ps(q, y, _mm512_set1_ps(4.89352518554385e-03f));
    const __m512 quotient = _mm512_div_ps(p, q);
    const __mmask16 saturated = _mm512_cmp_ps_mask(_mm512_abs_ps(x), limit, _CMP_GE_OQ);
    const __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    const __m512 sign = _mm512_mask_blend_ps(positive, _mm512_set1_ps(-1.0f), _mm512_set1_ps(1.0f));
    return _mm512_mask_blend_ps(saturated, quotient, sign);
}

static QF_AVX512 void tanh_rows_avx512(const float *src, float *dst, const float *bias, long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        const float *in = src + r * cols;
        float *out = dst + r * cols;
        long c = 0;
        for (; c + 16 <= cols; c += 16) {
            __m512 x = _mm512_loadu_ps(in + c);
            if (bias) x = _mm512_add_ps(x, _mm512_loadu_ps(bias + c));
            _mm512_storeu_ps(out + c, tanh16(x));
        }
        if (c < cols) {
            const __mmask16 lanes = (__mmask16)((1u << (cols - c)) - 1);
            __m512 x = _mm512_maskz_loadu_ps(lanes, in + c);
            if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(lanes, bias + c));
            _mm512_mask_storeu_ps(out + c, lanes, tanh16(x));
        }
    }
}

int qf_tanh_rows(int family, const float *src, float *dst, const float *bias, long rows, long cols) {
    if (family != QF_GEMM_AVX512) return 0;
    tanh_rows_avx512(src, dst, bias, rows, cols);
    return 1;
}

#else

int qf_tanh_rows(int family, const float *src, float *dst, const float *bias, long rows, long cols) {
    (void)family; (void)src; (void)dst; (void)bias; (void)rows; (void)cols;
    return 0;
}

#endif
