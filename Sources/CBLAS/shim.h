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

// OpenBLAS (pthreads build) starts one server thread per extra core when it is loaded, and each
// spins on sched_yield for about 2^28 cycles before it sleeps: on a 2-core machine that takes a
// whole core from the first ~0.1 s of every process. OpenBLAS's own fork handler stops them with
// this exported function; a later multi-threaded call starts them again (exec_blas checks
// blas_server_avail).
void blas_thread_shutdown_(void);
static inline void qf_openblas_stop_thread_pool(void) { blas_thread_shutdown_(); }

#endif
