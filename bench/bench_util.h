/*
 * bench_util - what the benchmark programs share: clocks, the machine's
 * load while timing, medians, JSON strings, and OpenBLAS's sgemm peak.
 * Linked into every bench/ program (see the Makefile's bench rule).
 */
#ifndef GANTRY_BENCH_UTIL_H
#define GANTRY_BENCH_UTIL_H

#include <stdio.h>

/* Monotonic wall clock, seconds. */
double bench_now(void);
/* This process's CPU time (all threads), seconds: with one thread, the time
 * the work took without the time it was descheduled (other processes). */
double bench_cpu_now(void);

/* The 1-minute load average (-1 where /proc/loadavg is missing): other
 * work on the machine skews the timings, so results record it. */
double bench_load1(void);

/*
 * What else ran while we timed: the machine's busy CPU time (/proc/stat, all
 * CPUs) minus this process's own, per second of wall time, i.e. how many
 * CPUs other processes kept busy on average; and the hypervisor's steal
 * time likewise.  -1 where /proc/stat cannot be read.
 */
typedef struct bench_cpu_mark {
    double wall, busy, steal, self;
} bench_cpu_mark;

bench_cpu_mark bench_cpu_mark_now(void);
double bench_others_cpus(bench_cpu_mark a, bench_cpu_mark b);
double bench_steal_cpus(bench_cpu_mark a, bench_cpu_mark b);
/* This process's CPUs (CPU time per second of wall time) between a and b. */
double bench_self_cpus(bench_cpu_mark a, bench_cpu_mark b);

/* A --threads value: 1 to 1024, else -1. */
int bench_parse_threads(const char *s);

/* Median of v[0..n) (sorts v). */
double bench_median(double *v, int n);

/* A JSON string literal of s. */
void bench_put_json_str(FILE *f, const char *s);

/*
 * Best GFLOP/s of an n x n x n cblas_sgemm over `reps` runs (after one
 * untimed), at OpenBLAS's current thread count; prints one JSON line
 * {"kind":"sgemm_peak",...} on stdout (`threads` is what the caller asked
 * for) and a summary on stderr.  Returns the GFLOP/s, or -1 when out of
 * memory.
 */
double bench_sgemm_peak(int threads, int n, int reps);

#endif
