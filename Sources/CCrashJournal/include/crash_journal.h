#ifndef QF_CRASH_JOURNAL_H
#define QF_CRASH_JOURNAL_H

#include <stddef.h>

/// Once per process (later calls return 0 and keep the first journal): opens (appending) the
/// journal file at `path` and installs the fatal-signal handlers (SIGILL,
/// SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT). On such a signal the handler appends one line
/// "SIGNAME <entry>" per entered slot with write(2) alone, then hands the signal to the handler
/// that was there before (Swift's backtracer, or the default action). Returns 0, or -1 with errno.
int qf_crash_journal_open(const char *path);

/// Publishes `entry` (at most 240 bytes; a newline is added) as running; returns its slot, or -1
/// when every slot is taken (the entry is then not journaled).
int qf_crash_journal_enter(const char *entry, size_t length);

/// Withdraws the entry of `slot` (from qf_crash_journal_enter; -1 is ignored).
void qf_crash_journal_leave(int slot);

#endif
