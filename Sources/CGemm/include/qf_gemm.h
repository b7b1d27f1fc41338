// QuantForge's own single-threaded float32 products for the small and mid shapes of trading
// agents' networks, in an AVX2+FMA and an AVX-512 family chosen at run time (see Compute's
// `GemmKernels`). Row-major throughout.
#ifndef QUANTFORGE_GEMM_H
#define QUANTFORGE_GEMM_H

/// Kernel families; values are stable (Swift maps them).
enum {
    QF_GEMM_NONE = 0,
    QF_GEMM_AVX2 = 2,
    QF_GEMM_AVX512 = 3,
};

/// The best family this CPU and operating system can run (CPUID and XGETBV: the OS must save the
/// wider registers), QF_GEMM_NONE when neither.
int qf_gemm_best_family(void);

/// C[m×n] = alpha · op(A) · B + beta · C with B stored k×n (leading dimension ldb). op(A) is A
/// (m×k, lda) or, with transpose_a, Aᵀ where A is stored k×m. Each element of C is one chain of
/// fused multiply-adds over p = 0..k-1 in order, so both families give bit-identical results.
/// beta == 0 does not read C.
void qf_sgemm_nn(int family, int transpose_a, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/// C[m×n] = alpha · A · Bᵀ + beta · C with A m×k and B n×k (row dot products; for few rows, where
/// copying Bᵀ out would cost as much as the product). Both families sum each dot product in the
/// same 16-lane order, so they give bit-identical results.
void qf_sgemm_nt(int family, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/// Independent FMA chains a round of `qf_fma_probe` runs (one FMA each on the widest registers).
#define QF_FMA_PROBE_CHAINS 12

/// Runs `iterations` rounds of QF_FMA_PROBE_CHAINS independent chains of fused multiply-adds on the family's
/// widest registers (8 float32 lanes for AVX2, 16 for AVX-512): chains · lanes · 2 floating-point
/// operations a round. Timed by the caller, it measures the core's float32 FMA ceiling. Returns a
/// value that depends on every chain, so nothing is optimised away; 0 for QF_GEMM_NONE.
float qf_fma_probe(int family, long iterations);

/// Runs `iterations` rounds of eight independent 8-lane 1/√v (a square root, then a division):
/// timed by the caller, the rate of the divider that Adam's update needs once per parameter.
float qf_divider_probe(int family, long iterations);

/// dst = tanh(src + bias) over `rows` rows of `cols` floats (bias, of `cols`, may be NULL; dst may
/// be src), lane for lane Compute's `Kernels.fastTanh`, on the AVX-512 family's registers. Returns
/// 0 without touching dst for any other family (the caller runs its own loop), 1 when done.
int qf_tanh_rows(int family, const float *src, float *dst, const float *bias, long rows, long cols);

#endif
