// The machine's arithmetic ceilings, measured rather than looked up: what the floor of a training
// step is computed from (`qf bench agents`). Each probe runs independent dependency chains, more
// than the core's pipelines times their latency, so only issue throughput bounds it.

#include "qf_gemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define QF_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define QF_AVX2 __attribute__((target("avx2,fma")))

// Twelve chains: two FMA pipes × a latency of four to five cycles is at most ten in flight, so
// twelve keep every pipe busy on any AVX2 or AVX-512 core we know.
// The chains are named variables, not an array: an array indexed in a loop that the compiler
// does not unroll lives in memory, and the probe would time loads and stores instead.
#if QF_FMA_PROBE_CHAINS != 12
#error "QF_TWELVE below writes twelve chains"
#endif
#define QF_TWELVE(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define QF_DECLARE(c) x##c = splat((float)(c)),
#define QF_STEP(c) x##c = fmadd(x##c, a, b);
#define QF_PIN(c) , "+v"(x##c)
#define QF_SUM(c) + x##c

// One probe per register width: `splat` and `fmadd` are defined around each use (QF_DECLARE and
// QF_STEP name them, and are expanded after this macro's arguments are substituted); `reduce`
// folds the summed chains to one float.
#define QF_FMA_PROBE(name, attributes, vec, reduce) \
    static attributes float name(long iterations) { \
        const vec a = splat(0.999999f), b = splat(1e-7f); \
        vec QF_TWELVE(QF_DECLARE) unused = a; \
        (void)unused; \
        for (long i = 0; i < iterations; i++) { \
            QF_TWELVE(QF_STEP) \
            /* Keeps the compiler from folding rounds together; costs no instruction. */ \
            __asm__ volatile("" : "+v"(x0) QF_PIN(1) QF_PIN(2) QF_PIN(3) QF_PIN(4) QF_PIN(5) QF_PIN(6) \
                                  QF_PIN(7) QF_PIN(8) QF_PIN(9) QF_PIN(10) QF_PIN(11)); \
        } \
        return reduce(x0 QF_SUM(1) QF_SUM(2) QF_SUM(3) QF_SUM(4) QF_SUM(5) QF_SUM(6) QF_SUM(7) QF_SUM(8) \
                      QF_SUM(9) QF_SUM(10) QF_SUM(11)); \
    }

#define splat _mm256_set1_ps
#define fmadd _mm256_fmadd_ps
QF_FMA_PROBE(fma_ceiling_avx2, QF_AVX2, __m256, _mm256_cvtss_f32)
#undef splat
#undef fmadd
#define splat _mm512_set1_ps
#define fmadd _mm512_fmadd_ps
QF_FMA_PROBE(fma_ceiling_avx512, QF_AVX512, __m512, _mm512_reduce_add_ps)
#undef splat
#undef fmadd

float qf_fma_probe(int family, long iterations) {
    if (family == QF_GEMM_AVX512) return fma_ceiling_avx512(iterations);
    if (family == QF_GEMM_AVX2) return fma_ceiling_avx2(iterations);
    return 0;
}

// Adam's bound: per eight parameters one square root and one division (√v, then m / (…)), which
// share the core's divider. Eight independent streams, so the divider, not a latency, bounds it.
#define QF_EIGHT(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define QF_ROOTS(c) v##c = _mm256_set1_ps(1.0f + (float)(c)), r##c = _mm256_setzero_ps(),
#define QF_RECIPROCAL_ROOT(c) v##c = _mm256_add_ps(v##c, step); \
    r##c = _mm256_add_ps(r##c, _mm256_div_ps(one, _mm256_sqrt_ps(v##c)));
#define QF_PIN_ROOT(c) , "+v"(r##c)

static QF_AVX2 float divider_ceiling_avx2(long iterations) {
    const __m256 step = _mm256_set1_ps(1e-3f), one = _mm256_set1_ps(1.0f);
    __m256 QF_EIGHT(QF_ROOTS) unused = one;
    (void)unused;
    for (long i = 0; i < iterations; i++) {
        QF_EIGHT(QF_RECIPROCAL_ROOT)
        __asm__ volatile("" : "+v"(r0) QF_PIN_ROOT(1) QF_PIN_ROOT(2) QF_PIN_ROOT(3) QF_PIN_ROOT(4)
                              QF_PIN_ROOT(5) QF_PIN_ROOT(6) QF_PIN_ROOT(7));
    }
    const __m256 s = r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7;
    return _mm256_cvtss_f32(s);
}

float qf_divider_probe(int family, long iterations) {
    // AVX-512's 16-lane division and root cost Zen 4 twice the 8-lane ones (256-bit units) and
    // Intel's cores at least as much per lane, so the 8-lane probe is each family's bound.
    if (family == QF_GEMM_AVX2 || family == QF_GEMM_AVX512) return divider_ceiling_avx2(iterations);
    return 0;
}

#else

float qf_fma_probe(int family, long iterations) { (void)family; (void)iterations; return 0; }
float qf_divider_probe(int family, long iterations) { (void)family; (void)iterations; return 0; }

#endif
