// QuantForge's own float32 products (see include/qf_gemm.h). Each family's functions carry their
// instruction set as a target attribute, so one binary built anywhere runs either family, and the
// caller picks by `qf_gemm_best_family` (CPUID), never by the build machine.
//
// Why no packing: the operands these products see (a layer of at most a few hundred units, a
// batch of a few hundred to a few thousand rows) fit in L2, so a tile reads B's rows in place and
// broadcasts A's elements where they lie; what a packed copy would save in cache misses it would
// spend copying at these sizes.

#include "qf_gemm.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define QF_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define QF_AVX2 __attribute__((target("avx2,fma")))
#define QF_INLINE static inline __attribute__((always_inline))

// How a depth chunk of an A·B meets C (see qf_sgemm_nn): it starts from the partial sums C holds,
// and/or leaves raw partial sums for the next chunk instead of the scaled result.
#define QF_CONTINUES 1
#define QF_UNFINISHED 2
#define QF_DEPTH_CHUNK 256

int qf_gemm_best_family(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return QF_GEMM_NONE;
    const int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!fma || !osxsave || !avx) return QF_GEMM_NONE;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const uint64_t xcr0 = ((uint64_t)hi << 32) | lo;
    if ((xcr0 & 0x6) != 0x6) return QF_GEMM_NONE; // the OS saves XMM and YMM state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return QF_GEMM_NONE;
    const int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1, avx512vl = (ebx >> 31) & 1;
    if (!avx2) return QF_GEMM_NONE;
    // AVX-512 also needs the OS to save the opmask and upper ZMM state (XCR0 bits 5-7).
    if (avx512f && avx512vl && (xcr0 & 0xE6) == 0xE6) return QF_GEMM_AVX512;
    return QF_GEMM_AVX2;
}

// MARK: - A·B, AVX-512: tiles of up to 8 rows by 32 columns (two registers), column edges masked

QF_INLINE QF_AVX512 void store_avx512(float *c, __m512 sum, __mmask16 mask, float alpha, float beta) {
    __m512 t = _mm512_mul_ps(_mm512_set1_ps(alpha), sum);
    if (beta != 0) t = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c), t);
    _mm512_mask_storeu_ps(c, mask, t);
}

// `wide` is 0 for a tile of at most 16 columns (an 11-input layer's weight gradient, a last
// column block of 16 or fewer): its second register would hold no column, and computing it anyway
// halved such products' speed (128×11×64: 38 GFLOP/s against OpenBLAS's 78). Each element's FMA
// chain is the same either way, so the bits are too.
QF_INLINE QF_AVX512 void tile_avx512(const int rows, const int ta, const int wide, int chunk, long k, const float *a, long lda,
                                     const float *b, long ldb, float *c, long ldc,
                                     __mmask16 m0, __mmask16 m1, float alpha, float beta) {
    __m512 x0[8], x1[8];
    for (int r = 0; r < rows; r++) {
        x0[r] = chunk & QF_CONTINUES ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
        if (wide) x1[r] = chunk & QF_CONTINUES ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16) : _mm512_setzero_ps();
    }
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, bp);
        const __m512 b1 = wide ? _mm512_maskz_loadu_ps(m1, bp + 16) : _mm512_setzero_ps();
        for (int r = 0; r < rows; r++) {
            const __m512 s = _mm512_set1_ps(ta ? a[p * lda + r] : a[r * lda + p]);
            x0[r] = _mm512_fmadd_ps(s, b0, x0[r]);
            if (wide) x1[r] = _mm512_fmadd_ps(s, b1, x1[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        if (chunk & QF_UNFINISHED) {
            _mm512_mask_storeu_ps(c + r * ldc, m0, x0[r]);
            if (wide) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, x1[r]);
        } else {
            store_avx512(c + r * ldc, x0[r], m0, alpha, beta);
            if (wide) store_avx512(c + r * ldc + 16, x1[r], m1, alpha, beta);
        }
    }
}

static QF_AVX512 void sgemm_nn_avx512(int ta, int chunk, long m, long n, long k, float alpha, const float *a, long lda,
                                      const float *b, long ldb, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i += 8) {
        const int rows = m - i < 8 ? (int)(m - i) : 8;
        const float *ai = ta ? a + i : a + i * lda;
        for (long j = 0; j < n; j += 32) {
            const long cols = n - j < 32 ? n - j : 32;
            const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
            const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
            float *cij = c + i * ldc + j;
            const float *bj = b + j;
#define QF_TILE512(R) \
    case R: \
        if (cols > 16) { \
            if (ta) tile_avx512(R, 1, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, m0, m1, alpha, beta); \
            else tile_avx512(R, 0, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, m0, m1, alpha, beta); \
        } else { \
            if (ta) tile_avx512(R, 1, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, m0, m1, alpha, beta); \
            else tile_avx512(R, 0, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, m0, m1, alpha, beta); \
        } \
        break;
            switch (rows) {
                QF_TILE512(1) QF_TILE512(2) QF_TILE512(3) QF_TILE512(4)
                QF_TILE512(5) QF_TILE512(6) QF_TILE512(7) QF_TILE512(8)
            }
#undef QF_TILE512
        }
    }
}

// MARK: - A·B, AVX2: tiles of up to 6 rows by 16 columns (two registers); a column edge masks
// only the register it ends in, and edges of at most 8 columns run on one register

QF_INLINE QF_AVX2 __m256i lane_mask_avx2(long count) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
}

QF_INLINE QF_AVX2 void store_avx2(float *c, __m256 sum, const int partial, __m256i mask, float alpha, float beta) {
    __m256 t = _mm256_mul_ps(_mm256_set1_ps(alpha), sum);
    if (beta != 0) {
        const __m256 old = partial ? _mm256_maskload_ps(c, mask) : _mm256_loadu_ps(c);
        t = _mm256_fmadd_ps(_mm256_set1_ps(beta), old, t);
    }
    if (partial) _mm256_maskstore_ps(c, mask, t);
    else _mm256_storeu_ps(c, t);
}

QF_INLINE QF_AVX2 __m256 load_avx2(const float *c, const int partial, __m256i mask) {
    return partial ? _mm256_maskload_ps(c, mask) : _mm256_loadu_ps(c);
}

/// 9 to 16 columns: the first register is always whole, so only the second is masked.
QF_INLINE QF_AVX2 void tile_avx2(const int rows, const int ta, const int partial, int chunk, long k, const float *a, long lda,
                                 const float *b, long ldb, float *c, long ldc, long cols, float alpha, float beta) {
    const __m256i m1 = lane_mask_avx2(cols - 8);
    __m256 x0[6], x1[6];
    for (int r = 0; r < rows; r++) {
        x0[r] = chunk & QF_CONTINUES ? _mm256_loadu_ps(c + r * ldc) : _mm256_setzero_ps();
        x1[r] = chunk & QF_CONTINUES ? load_avx2(c + r * ldc + 8, partial, m1) : _mm256_setzero_ps();
    }
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        const __m256 b0 = _mm256_loadu_ps(bp);
        const __m256 b1 = load_avx2(bp + 8, partial, m1);
        for (int r = 0; r < rows; r++) {
            const __m256 s = _mm256_broadcast_ss(ta ? &a[p * lda + r] : &a[r * lda + p]);
            x0[r] = _mm256_fmadd_ps(s, b0, x0[r]);
            x1[r] = _mm256_fmadd_ps(s, b1, x1[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        if (chunk & QF_UNFINISHED) {
            store_avx2(c + r * ldc, x0[r], 0, m1, 1, 0);
            store_avx2(c + r * ldc + 8, x1[r], partial, m1, 1, 0);
        } else {
            store_avx2(c + r * ldc, x0[r], 0, m1, alpha, beta);
            store_avx2(c + r * ldc + 8, x1[r], partial, m1, alpha, beta);
        }
    }
}

/// A column edge of at most 8: one register a row. The two-register tile would run a second
/// chain of FMAs on lanes its mask discards, doubling an edge's work (an 82-input layer's weight
/// gradient ends in a 2-column edge). Each element's chain is the wide tile's, so results are equal.
QF_INLINE QF_AVX2 void narrow_tile_avx2(const int rows, const int ta, const int partial, int chunk, long k, const float *a, long lda,
                                        const float *b, long ldb, float *c, long ldc, long cols, float alpha, float beta) {
    const __m256i m0 = lane_mask_avx2(cols);
    __m256 x0[6];
    for (int r = 0; r < rows; r++)
        x0[r] = chunk & QF_CONTINUES ? load_avx2(c + r * ldc, partial, m0) : _mm256_setzero_ps();
    for (long p = 0; p < k; p++) {
        const __m256 b0 = load_avx2(b + p * ldb, partial, m0);
        for (int r = 0; r < rows; r++)
            x0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(ta ? &a[p * lda + r] : &a[r * lda + p]), b0, x0[r]);
    }
    for (int r = 0; r < rows; r++) {
        if (chunk & QF_UNFINISHED) store_avx2(c + r * ldc, x0[r], partial, m0, 1, 0);
        else store_avx2(c + r * ldc, x0[r], partial, m0, alpha, beta);
    }
}

static QF_AVX2 void sgemm_nn_avx2(int ta, int chunk, long m, long n, long k, float alpha, const float *a, long lda,
                                  const float *b, long ldb, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i += 6) {
        const int rows = m - i < 6 ? (int)(m - i) : 6;
        const float *ai = ta ? a + i : a + i * lda;
        for (long j = 0; j < n; j += 16) {
            const long cols = n - j < 16 ? n - j : 16;
            float *cij = c + i * ldc + j;
            const float *bj = b + j;
#define QF_TILE256(R) \
    case R: \
        if (cols == 16) { \
            if (ta) tile_avx2(R, 1, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
            else tile_avx2(R, 0, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
        } else if (cols > 8) { \
            if (ta) tile_avx2(R, 1, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
            else tile_avx2(R, 0, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
        } else if (cols == 8) { \
            if (ta) narrow_tile_avx2(R, 1, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
            else narrow_tile_avx2(R, 0, 0, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
        } else { \
            if (ta) narrow_tile_avx2(R, 1, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
            else narrow_tile_avx2(R, 0, 1, chunk, k, ai, lda, bj, ldb, cij, ldc, cols, alpha, beta); \
        } \
        break;
            switch (rows) {
                QF_TILE256(1) QF_TILE256(2) QF_TILE256(3) QF_TILE256(4) QF_TILE256(5) QF_TILE256(6)
            }
#undef QF_TILE256
        }
    }
}

void qf_sgemm_nn(int family, int transpose_a, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    const int ta = transpose_a != 0;
    // Deep products (a weight gradient over a large batch) run in chunks of QF_DEPTH_CHUNK along
    // k, so a tile's A and B rows stay in L1; C holds the raw partial sums between chunks and the
    // next chunk continues the same FMA chain from them, so the result is bit for bit the
    // unchunked one. With beta != 0, C's old values are needed at the end: one chunk then.
    const long depth = beta == 0 && k > QF_DEPTH_CHUNK ? QF_DEPTH_CHUNK : k;
    for (long p = 0; p < k; p += depth) {
        const long kc = k - p < depth ? k - p : depth;
        const int chunk = (p > 0 ? QF_CONTINUES : 0) | (p + kc < k ? QF_UNFINISHED : 0);
        const float *ap = ta ? a + p * lda : a + p;
        if (family == QF_GEMM_AVX512) sgemm_nn_avx512(ta, chunk, m, n, kc, alpha, ap, lda, b + p * ldb, ldb, beta, c, ldc);
        else sgemm_nn_avx2(ta, chunk, m, n, kc, alpha, ap, lda, b + p * ldb, ldb, beta, c, ldc);
    }
}

// MARK: - A·Bᵀ as row dot products. Lane l of 16 sums p ≡ l (mod 16) in order; the 16 lanes are
// then added as a fixed tree (8+8, 4+4, 2+2, 1+1), the same in both families.

QF_INLINE QF_AVX2 float sum8_avx2(__m256 v) {
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

QF_INLINE QF_AVX512 float sum16_avx512(__m512 v) {
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return sum8_avx2(_mm256_add_ps(lo, hi)); // the AVX2 tree: both families add alike
}

QF_INLINE float scaled(float dot, float alpha, float beta, const float *c) {
    const float t = alpha * dot;
    return beta != 0 ? fmaf(beta, *c, t) : t;
}

/// Dot products of `rows` (1 or 2) rows of A with 4 rows of B.
QF_INLINE QF_AVX512 void dots_avx512(const int rows, long k, const float *a, long lda, const float *b, long ldb,
                                     float *c, long ldc, float alpha, float beta) {
    __m512 s[2][4];
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < 4; q++) s[r][q] = _mm512_setzero_ps();
    for (long p = 0; p < k; p += 16) {
        const __mmask16 mask = k - p >= 16 ? 0xFFFF : (__mmask16)((1u << (k - p)) - 1);
        __m512 bq[4];
        for (int q = 0; q < 4; q++) bq[q] = _mm512_maskz_loadu_ps(mask, b + q * ldb + p);
        for (int r = 0; r < rows; r++) {
            const __m512 ar = _mm512_maskz_loadu_ps(mask, a + r * lda + p);
            for (int q = 0; q < 4; q++) s[r][q] = _mm512_fmadd_ps(ar, bq[q], s[r][q]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < 4; q++) c[r * ldc + q] = scaled(sum16_avx512(s[r][q]), alpha, beta, c + r * ldc + q);
}

QF_INLINE QF_AVX512 float dot_avx512(long k, const float *a, const float *b) {
    __m512 s = _mm512_setzero_ps();
    for (long p = 0; p < k; p += 16) {
        const __mmask16 mask = k - p >= 16 ? 0xFFFF : (__mmask16)((1u << (k - p)) - 1);
        s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + p), _mm512_maskz_loadu_ps(mask, b + p), s);
    }
    return sum16_avx512(s);
}

static QF_AVX512 void sgemm_nt_avx512(long m, long n, long k, float alpha, const float *a, long lda,
                                      const float *b, long ldb, float beta, float *c, long ldc) {
    long i = 0;
    for (; i + 2 <= m; i += 2) {
        long j = 0;
        for (; j + 4 <= n; j += 4) dots_avx512(2, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta);
        for (; j < n; j++)
            for (long r = i; r < i + 2; r++) c[r * ldc + j] = scaled(dot_avx512(k, a + r * lda, b + j * ldb), alpha, beta, c + r * ldc + j);
    }
    for (; i < m; i++) {
        long j = 0;
        for (; j + 4 <= n; j += 4) dots_avx512(1, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta);
        for (; j < n; j++) c[i * ldc + j] = scaled(dot_avx512(k, a + i * lda, b + j * ldb), alpha, beta, c + i * ldc + j);
    }
}

/// One row of A with `cols` (1 or 4) rows of B; 16 lanes as two 8-lane halves.
QF_INLINE QF_AVX2 void dots_avx2(const int cols, long k, const float *a, const float *b, long ldb, float *c, float alpha, float beta) {
    __m256 lo[4], hi[4];
    for (int q = 0; q < cols; q++) { lo[q] = _mm256_setzero_ps(); hi[q] = _mm256_setzero_ps(); }
    long p = 0;
    for (; p + 16 <= k; p += 16) {
        const __m256 a0 = _mm256_loadu_ps(a + p), a1 = _mm256_loadu_ps(a + p + 8);
        for (int q = 0; q < cols; q++) {
            lo[q] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + q * ldb + p), lo[q]);
            hi[q] = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + q * ldb + p + 8), hi[q]);
        }
    }
    if (p < k) {
        const __m256i m0 = lane_mask_avx2(k - p), m1 = lane_mask_avx2(k - p - 8);
        const __m256 a0 = _mm256_maskload_ps(a + p, m0), a1 = _mm256_maskload_ps(a + p + 8, m1);
        for (int q = 0; q < cols; q++) {
            lo[q] = _mm256_fmadd_ps(a0, _mm256_maskload_ps(b + q * ldb + p, m0), lo[q]);
            hi[q] = _mm256_fmadd_ps(a1, _mm256_maskload_ps(b + q * ldb + p + 8, m1), hi[q]);
        }
    }
    for (int q = 0; q < cols; q++) c[q] = scaled(sum8_avx2(_mm256_add_ps(lo[q], hi[q])), alpha, beta, c + q);
}

static QF_AVX2 void sgemm_nt_avx2(long m, long n, long k, float alpha, const float *a, long lda,
                                  const float *b, long ldb, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        long j = 0;
        for (; j + 4 <= n; j += 4) dots_avx2(4, k, a + i * lda, b + j * ldb, ldb, c + i * ldc + j, alpha, beta);
        for (; j < n; j++) dots_avx2(1, k, a + i * lda, b + j * ldb, ldb, c + i * ldc + j, alpha, beta);
    }
}

void qf_sgemm_nt(int family, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (family == QF_GEMM_AVX512) sgemm_nt_avx512(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else sgemm_nt_avx2(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

// Not x86-64: neither family exists, `qf_gemm_best_family` says so and every product goes to the
// BLAS library; the entry points are never called.
int qf_gemm_best_family(void) { return QF_GEMM_NONE; }
void qf_sgemm_nn(int family, int transpose_a, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    (void)family; (void)transpose_a; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
}
void qf_sgemm_nt(int family, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    (void)family; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
}

#endif
