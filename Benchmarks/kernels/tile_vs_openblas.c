// Times QuantForge's in-place A·B / Aᵀ·B tile (qf_sgemm_nn, one family) against cblas_sgemm on
// the shapes given on the command line, interleaved round by round so a busy machine slows both
// alike, and prints the best GFLOP/s of each. Each shape has four operand sets used in turn, so
// the operands come from L3 as they do inside a training step, not warm from L2.
// This is how GemmKernels.avx2DeepGradient and avx2TallProduct were chosen (docs/kernels.md).
//   usage: tile_vs_openblas FAMILY ROUNDS  ta m n k  [ta m n k ...]   (FAMILY 2 = AVX2, 3 = AVX-512)
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "qf_gemm.h"

enum { SETS = 4, MAX_SHAPES = 64 };

typedef struct {
    int ta;
    long m, n, k;
    float *a[SETS], *b[SETS], *c[SETS];
    double best_tile, best_blas;
} Shape;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(long count, unsigned *seed) {
    float *x = aligned_alloc(64, (size_t)((count * 4 + 63) / 64) * 64);
    for (long i = 0; i < count; i++) x[i] = (float)(rand_r(seed) % 2001) / 1000.0f - 1.0f;
    return x;
}

// Runs one product for about 5 ms and returns its GFLOP/s.
static double time_product(const Shape *s, int family, int tile) {
    const long lda = s->ta ? s->m : s->k;
    long runs = 0;
    const double start = now();
    double elapsed;
    do {
        const int set = (int)(runs % SETS);
        if (tile)
            qf_sgemm_nn(family, s->ta, s->m, s->n, s->k, 1, s->a[set], lda, s->b[set], s->n, 0, s->c[set], s->n);
        else
            cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, CblasNoTrans, (int)s->m, (int)s->n, (int)s->k,
                        1, s->a[set], (int)lda, s->b[set], (int)s->n, 0, s->c[set], (int)s->n);
        runs++;
        elapsed = now() - start;
    } while (elapsed < 0.005);
    return 2.0 * s->m * s->n * s->k * runs / elapsed / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 7 || (argc - 3) % 4 != 0) {
        fprintf(stderr, "usage: %s FAMILY ROUNDS ta m n k [ta m n k ...]\n", argv[0]);
        return 2;
    }
    const int family = atoi(argv[1]), rounds = atoi(argv[2]);
    const int count = (argc - 3) / 4;
    if (count > MAX_SHAPES) return 2;
    static Shape shapes[MAX_SHAPES];
    unsigned seed = 1;
    for (int i = 0; i < count; i++) {
        Shape *s = &shapes[i];
        s->ta = atoi(argv[3 + 4 * i]);
        s->m = atol(argv[4 + 4 * i]);
        s->n = atol(argv[5 + 4 * i]);
        s->k = atol(argv[6 + 4 * i]);
        for (int set = 0; set < SETS; set++) {
            s->a[set] = random_floats(s->m * s->k, &seed);
            s->b[set] = random_floats(s->k * s->n, &seed);
            s->c[set] = random_floats(s->m * s->n, &seed);
        }
    }
    for (int round = 0; round < rounds; round++)
        for (int i = 0; i < count; i++) {
            const double tile = time_product(&shapes[i], family, 1), blas = time_product(&shapes[i], family, 0);
            if (tile > shapes[i].best_tile) shapes[i].best_tile = tile;
            if (blas > shapes[i].best_blas) shapes[i].best_blas = blas;
        }
    printf("| product | m×n×k | tile GFLOP/s | OpenBLAS GFLOP/s | OpenBLAS / tile |\n|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < count; i++) {
        const Shape *s = &shapes[i];
        printf("| %s | %ld×%ld×%ld | %.1f | %.1f | %.2f |\n", s->ta ? "Aᵀ·B" : "A·B", s->m, s->n, s->k, s->best_tile, s->best_blas,
               s->best_blas / s->best_tile);
    }
    return 0;
}
