# Sourced by the benchmark scripts: FAMILY=avx2 or FAMILY=avx512 makes QuantForge and its peers
# run that kernel family on this machine (an AVX-512 machine can run both); unset, each picks the
# best its CPU runs.
#   QuantForge: QF_GEMM (its own kernels) and OPENBLAS_CORETYPE (OpenBLAS's, for the products
#   QuantForge leaves to it). PyTorch: ATEN_CPU_CAPABILITY (ATen's kernels), MKL_ENABLE_INSTRUCTIONS
#   and DNNL_MAX_CPU_ISA (its BLAS and oneDNN). vectorbt and Backtesting.py (numba): NUMBA_CPU_NAME.
case "${FAMILY:-}" in
  avx2) export QF_GEMM=avx2 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2 NUMBA_CPU_NAME=haswell ;;
  avx512) export QF_GEMM=avx512 ATEN_CPU_CAPABILITY=avx512 ;;
  "") ;;
  *) echo "FAMILY must be avx2 or avx512, got '$FAMILY'" >&2; exit 2 ;;
esac
family_tag=${FAMILY:-native}
