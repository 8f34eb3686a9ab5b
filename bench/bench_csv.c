/*
 * bench_csv FILE [REPEATS]: time gt_csv_read on FILE at 1 and 2 threads (best
 * of REPEATS, default 3) and print JSON: rows (data lines), table shape and
 * seconds and M rows/s per thread count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gantry/csv.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_csv FILE [REPEATS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1)
        reps = 1;
    gt_csv_opts o = gt_csv_opts_default();
    size_t lines = 0, nrows = 0;
    int ncols = 0;
    double best[2] = {1e30, 1e30};
    for (int ti = 0; ti < 2; ti++) {
        gt_threads_set(ti + 1);
        for (int r = 0; r < reps; r++) {
            gt_table *t = NULL;
            gt_error err = {0};
            double t0 = now();
            int rc = gt_csv_read(argv[1], &o, &t, &err);
            double dt = now() - t0;
            if (rc != GT_OK) {
                fprintf(stderr, "bench_csv: %s\n", err.msg);
                return 1;
            }
            lines = t->lines;
            nrows = t->nrows;
            ncols = t->ncols;
            gt_table_free(t);
            if (dt < best[ti])
                best[ti] = dt;
        }
    }
    printf("{\"file\": \"%s\", \"rows\": %zu, \"table_rows\": %zu, \"table_cols\": %d, "
           "\"runs\": [",
           argv[1], lines, nrows, ncols);
    for (int ti = 0; ti < 2; ti++)
        printf("%s{\"threads\": %d, \"seconds\": %.4f, \"mrows_per_s\": %.2f}", ti ? ", " : "",
               ti + 1, best[ti], (double)lines / best[ti] / 1e6);
    printf("]}\n");
    return 0;
}
