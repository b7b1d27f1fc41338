// The crash journal: which tasks a process was running when a fatal signal ended it.
//
// Everything the signal handler touches is preallocated and written before it is published, and
// the handler calls only async-signal-safe functions (write, sigaction, raise): it runs on a
// thread that may have just trapped inside malloc or the Swift runtime.
#include "crash_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 256
#define LINE 256

enum { FREE = 0, WRITING = 1, PUBLISHED = 2 };

static int journal_fd = -1;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int slot_state[SLOTS];
static char slot_line[SLOTS][LINE];
static size_t slot_length[SLOTS];

static const int fatal_signals[] = { SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT };
#define FATAL_COUNT (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous[FATAL_COUNT];

static void write_all(int fd, const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t written = write(fd, bytes, count);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        count -= (size_t)written;
    }
}

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGILL: return "SIGILL ";
    case SIGTRAP: return "SIGTRAP ";
    case SIGSEGV: return "SIGSEGV ";
    case SIGBUS: return "SIGBUS ";
    case SIGFPE: return "SIGFPE ";
    default: return "SIGABRT ";
    }
}

static void on_fatal_signal(int sig) {
    int saved = errno;
    if (journal_fd >= 0) {
        const char *name = signal_name(sig);
        size_t name_length = 0;
        while (name[name_length]) name_length++;
        for (int i = 0; i < SLOTS; i++) {
            if (atomic_load_explicit(&slot_state[i], memory_order_acquire) != PUBLISHED) continue;
            write_all(journal_fd, name, name_length);
            write_all(journal_fd, slot_line[i], slot_length[i]);
        }
    }
    // Hand the signal on: restore what was installed before and deliver it again. For a trap
    // (SIGILL, SIGSEGV) returning re-executes the faulting instruction; for a raised signal the
    // pending raise does it once this handler returns.
    for (size_t k = 0; k < FATAL_COUNT; k++) {
        if (fatal_signals[k] == sig) sigaction(sig, &previous[k], NULL);
    }
    raise(sig);
    errno = saved;
}

int qf_crash_journal_open(const char *path) {
    // Once per process: the first journal stays (one worker per process in production; tests
    // that start many in one process share it). Reopening would close a descriptor another
    // thread may already have reused.
    pthread_mutex_lock(&open_lock);
    if (journal_fd >= 0) {
        pthread_mutex_unlock(&open_lock);
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        pthread_mutex_unlock(&open_lock);
        return -1;
    }
    journal_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    for (size_t k = 0; k < FATAL_COUNT; k++) {
        struct sigaction current;
        if (sigaction(fatal_signals[k], NULL, &current) == 0 && current.sa_handler == on_fatal_signal) continue;
        if (sigaction(fatal_signals[k], &action, &previous[k]) != 0) {
            pthread_mutex_unlock(&open_lock);
            return -1;
        }
    }
    pthread_mutex_unlock(&open_lock);
    return 0;
}

int qf_crash_journal_enter(const char *entry, size_t length) {
    if (length > LINE - 2) length = LINE - 2;
    for (int i = 0; i < SLOTS; i++) {
        int expected = FREE;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expected, WRITING)) continue;
        memcpy(slot_line[i], entry, length);
        slot_line[i][length] = '\n';
        slot_length[i] = length + 1;
        atomic_store_explicit(&slot_state[i], PUBLISHED, memory_order_release);
        return i;
    }
    return -1;
}

void qf_crash_journal_leave(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store_explicit(&slot_state[slot], FREE, memory_order_release);
}
