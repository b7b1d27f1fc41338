// OpenBLAS's CBLAS interface and netlib LAPACKE (which calls the LAPACK inside OpenBLAS).
// Both headers are on Debian's default include path; see ../shared/STACK-NOTES.md.
#ifndef QUANTFORGE_CBLAS_SHIM_H
#define QUANTFORGE_CBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

// OpenBLAS's thread-count controls are declared in cblas.h (openblas_config); re-exported here
// so Swift sees one stable spelling even if a future OpenBLAS moves them.
static inline void qf_openblas_set_num_threads(int count) { openblas_set_num_threads(count); }
static inline int qf_openblas_get_num_threads(void) { return openblas_get_num_threads(); }
static inline const char *qf_openblas_get_config(void) { return openblas_get_config(); }
static inline const char *qf_openblas_get_corename(void) { return openblas_get_corename(); }

#endif
