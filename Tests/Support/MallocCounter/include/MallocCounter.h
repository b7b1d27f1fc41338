// Counts heap allocations made by the calling thread, for tests that prove a hot path allocates
// nothing. Linked into the test binary only: it interposes malloc and friends for the whole test
// process and forwards to glibc's __libc_* entry points.
#ifndef QUANTFORGE_MALLOC_COUNTER_H
#define QUANTFORGE_MALLOC_COUNTER_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc, aligned forms) made by this thread so far.
uint64_t qf_thread_allocation_count(void);

#endif
