// epoll for the load clients (BenchHTTP): Swift's Glibc module does not export it.
#ifndef C_BENCH_POLL_H
#define C_BENCH_POLL_H

#ifdef __linux__
#include <sys/epoll.h>
#endif

#endif
