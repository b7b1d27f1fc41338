#!/usr/bin/env bash
# QuantForge's in-place product tile against OpenBLAS, shape by shape, interleaved (see
# Benchmarks/kernels/tile_vs_openblas.c): the measurement behind the AVX2 family's hand-offs to
# OpenBLAS (docs/kernels.md, "What the AVX2 family leaves to OpenBLAS").
#   [FAMILY=avx2|avx512] [ROUNDS=25] Benchmarks/tile-vs-openblas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
case "${FAMILY:-avx2}" in
  avx2) family=2 ;;
  avx512) family=3 ;;
  *) echo "FAMILY must be avx2 or avx512, got '$FAMILY'" >&2; exit 2 ;;
esac
out=.qf/bench/tile-vs-openblas
mkdir -p "$out"
# clang, as SwiftPM builds Sources/CGemm (GCC 12 keeps the tile's accumulators in memory: 2.5x slower).
"${CC:-clang}" -O2 -std=c11 -D_DEFAULT_SOURCE -ISources/CGemm/include -I/usr/include/x86_64-linux-gnu/openblas-pthread \
  Benchmarks/kernels/tile_vs_openblas.c Sources/CGemm/gemm.c -lopenblas -lm -o "$out/tile_vs_openblas"
# ta m n k: weight gradients (Aᵀ·B, ta = 1) around avx2DeepGradient, then A·B around avx2TallProduct.
OPENBLAS_NUM_THREADS=1 "$out/tile_vs_openblas" "$family" "${ROUNDS:-25}" \
  1 256 256 1024  1 128 128 256  1 128 128 512  1 64 256 1024  1 128 64 1024  1 128 128 64  1 128 32 256  1 3 256 1024 \
  0 1024 256 256  0 512 256 256  0 1024 128 128  0 64 128 128
