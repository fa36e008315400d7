#include <sqlite3.h>

/// sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's memory statistics:
/// with them on (Debian's default) every sqlite3_malloc and sqlite3_free takes one
/// process-wide mutex, ~3% of the writer thread's CPU in a checkout profile. The engine reads
/// no memory statistic. Must run before SQLite initializes; afterwards it returns SQLITE_MISUSE
/// and changes nothing.
static inline int commerce_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
