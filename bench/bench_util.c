/* What the benchmark programs share (see bench_util.h). */
#include "bench_util.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "gantry/gantry.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

double bench_cpu_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bench_cpu_mark bench_cpu_mark_now(void)
{
    bench_cpu_mark m = {bench_now(), -1, -1, bench_cpu_now()};
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    if (f) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8) {
            double hz = (double)sysconf(_SC_CLK_TCK);
            /* user nice system idle iowait irq softirq steal */
            m.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
            m.steal = (double)v[7] / hz;
        }
        fclose(f);
    }
    return m;
}

double bench_others_cpus(bench_cpu_mark a, bench_cpu_mark b)
{
    if (a.busy < 0 || b.busy < 0 || b.wall <= a.wall)
        return -1;
    double o = ((b.busy - a.busy) - (b.self - a.self)) / (b.wall - a.wall);
    return o > 0 ? o : 0;
}

double bench_steal_cpus(bench_cpu_mark a, bench_cpu_mark b)
{
    return a.steal < 0 || b.steal < 0 || b.wall <= a.wall ? -1
                                                          : (b.steal - a.steal) / (b.wall - a.wall);
}

double bench_self_cpus(bench_cpu_mark a, bench_cpu_mark b)
{
    return b.wall > a.wall ? (b.self - a.self) / (b.wall - a.wall) : -1;
}

int bench_parse_threads(const char *s)
{
    char *end;
    long t = strtol(s, &end, 10);
    return end == s || *end || t < 1 || t > 1024 ? -1 : (int)t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void bench_put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

double bench_sgemm_peak(int threads, int n, int reps)
{
    size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return -1;
    }
    gt_rng rng;
    gt_rng_seed(&rng, 5);
    gt_rng_fill_uniform(&rng, a, nn, -1.0f, 1.0f);
    gt_rng_fill_uniform(&rng, b, nn, -1.0f, 1.0f);
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t = bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        t = bench_now() - t;
        if (r > 0 && t < best)
            best = t;
    }
    double gflops = 2.0 * n * (double)n * n / best / 1e9;
    printf("{\"kind\":\"sgemm_peak\",\"impl\":\"openblas\",\"threads\":%d,"
           "\"openblas_threads\":%d,\"n\":%d,\"reps\":%d,\"best_ms\":%.3f,\"gflops\":%.3f,"
           "\"load\":%.2f}\n",
           threads, openblas_get_num_threads(), n, reps, best * 1e3, gflops, bench_load1());
    fflush(stdout);
    fprintf(stderr, "openblas sgemm %d threads %d: %.1f GFLOP/s\n", n, threads, gflops);
    free(a);
    free(b);
    free(c);
    return gflops;
}
