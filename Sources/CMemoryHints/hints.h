// Cache hints Swift has no spelling for: header-only, nothing to link.
#ifndef QUANTFORGE_MEMORY_HINTS_H
#define QUANTFORGE_MEMORY_HINTS_H

// Starts loading the cache line holding `address` (a hint: it never faults).
static inline void qf_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// Starts fetching the cache line holding `address` for a write (a hint: it never faults).
static inline void qf_prefetch_for_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
