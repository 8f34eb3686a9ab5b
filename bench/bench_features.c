/*
 * bench_features - windows per second of Hann-windowed log1p-magnitude
 * spectra (GT_FEAT_SPECTRUM) over a long signal, next to bare FFTW and to
 * the same loop with libm's log1pf.
 *
 *   make BUILD=build build/bench/bench_features
 *   build/bench/bench_features [DIR [samples [win [hop]]]]
 *
 * Defaults: 10,000,000 samples, window 1024, hop 512 (about 19,500 windows).
 * The signal is deterministic (noise from a 64-bit LCG plus three tones);
 * with DIR it is written to DIR/signal.f32 and gantry's features of the
 * first 64 windows to DIR/features.f32 (both raw little-endian float32), for
 * bench/features_ref.py to time numpy/scipy on the same data and check that
 * they agree.
 *
 * Variants (one JSON line each; the time is the best of 5 runs, wall clock):
 *   fftw_estimate  taper + r2c only, FFTW_ESTIMATE plan (gantry's plan)
 *   fftw_measure   taper + r2c only, FFTW_MEASURE plan (what measuring buys)
 *   libm_log1pf    taper + r2c + log1pf(sqrtf(re^2 + im^2)) from libm
 *   gantry         gt_featurize at 1 and 2 threads
 */
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gantry/features.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct ctx {
    const float *x;
    size_t nwin, hop;
    int win;
    float *taper, *in, *out;
    fftwf_complex *spec;
    fftwf_plan plan;
    gt_featurizer *f;
    double sink;
} ctx;

static void run_bare(ctx *c)
{
    const int nb = c->win / 2 + 1;
    double sink = 0;
    for (size_t w = 0; w < c->nwin; w++) {
        const float *xw = c->x + w * c->hop;
        for (int i = 0; i < c->win; i++)
            c->in[i] = xw[i] * c->taper[i];
        fftwf_execute_dft_r2c(c->plan, c->in, c->spec);
        sink += c->spec[w % nb][0];
    }
    c->sink += sink;
}

static void run_libm(ctx *c)
{
    const int nb = c->win / 2 + 1;
    for (size_t w = 0; w < c->nwin; w++) {
        const float *xw = c->x + w * c->hop;
        for (int i = 0; i < c->win; i++)
            c->in[i] = xw[i] * c->taper[i];
        fftwf_execute_dft_r2c(c->plan, c->in, c->spec);
        float *o = c->out + w * (size_t)nb;
        for (int k = 0; k < nb; k++)
            o[k] = log1pf(sqrtf(c->spec[k][0] * c->spec[k][0] + c->spec[k][1] * c->spec[k][1]));
    }
}

static void run_gantry(ctx *c)
{
    gt_featurize(c->f, c->x, NULL, c->hop, c->nwin, c->out);
}

static double best_of(void (*fn)(ctx *), ctx *c, int runs)
{
    fn(c); /* warm up */
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        fn(c);
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

static void report(const char *impl, int threads, const ctx *c, double s)
{
    printf("{\"impl\": \"%s\", \"threads\": %d, \"windows\": %zu, \"win\": %d, \"hop\": %zu, "
           "\"seconds\": %.6f, \"windows_per_s\": %.1f}\n",
           impl, threads, c->nwin, c->win, c->hop, s, c->nwin / s);
    fflush(stdout);
}

static int write_file(const char *dir, const char *name, const float *v, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(v, sizeof *v, n, fp) != n) {
        fprintf(stderr, "bench_features: cannot write %s\n", path);
        if (fp)
            fclose(fp);
        return -1;
    }
    return fclose(fp) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    const size_t n = argc > 2 ? (size_t)atoll(argv[2]) : 10000000;
    const int win = argc > 3 ? atoi(argv[3]) : 1024;
    const size_t hop = argc > 4 ? (size_t)atoll(argv[4]) : 512;
    const int runs = 5;
    if (win < 4 || hop == 0 || n < (size_t)win) {
        fprintf(stderr, "bench_features: bad sizes\n");
        return 2;
    }
    float *x = malloc(n * sizeof *x);
    if (!x)
        return 1;
    /* noise: sum of two uniforms from a 64-bit LCG, plus tones */
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        double u = 0;
        for (int j = 0; j < 2; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            u += (double)(s >> 11) * (1.0 / 9007199254740992.0) - 0.5;
        }
        double t = (double)i;
        x[i] = (float)(u + sin(0.0123 * t) + 0.5 * sin(0.377 * t + 1.0) +
                       0.25 * sin(1.91 * t + 2.0));
    }
    ctx c = {.x = x, .win = win, .hop = hop, .nwin = gt_window_count(n, (size_t)win, hop)};
    const int nb = win / 2 + 1;
    c.taper = malloc(sizeof(float) * (size_t)win);
    c.out = malloc(sizeof(float) * c.nwin * (size_t)nb);
    c.in = fftwf_malloc(sizeof(float) * (size_t)win);
    c.spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)nb);
    if (!c.taper || !c.out || !c.in || !c.spec)
        return 1;
    for (int i = 0; i < win; i++)
        c.taper[i] = (float)(0.5 - 0.5 * cos(2 * 3.14159265358979323846 * i / win));

    gt_threads_set(1);
    c.plan = fftwf_plan_dft_r2c_1d(win, c.in, c.spec, FFTW_ESTIMATE);
    report("fftw_estimate", 1, &c, best_of(run_bare, &c, runs));
    report("libm_log1pf", 1, &c, best_of(run_libm, &c, runs));
    fftwf_destroy_plan(c.plan);
    double t0 = now();
    c.plan = fftwf_plan_dft_r2c_1d(win, c.in, c.spec, FFTW_MEASURE);
    double plan_s = now() - t0;
    double tm = best_of(run_bare, &c, runs);
    report("fftw_measure", 1, &c, tm);
    printf("{\"impl\": \"fftw_measure_planning\", \"seconds\": %.6f}\n", plan_s);
    fftwf_destroy_plan(c.plan);

    gt_error err = {0};
    gt_feat_cfg cfg = gt_feat_cfg_default(GT_FEAT_SPECTRUM, win, 1.0);
    for (int threads = 1; threads <= 2; threads++) {
        gt_threads_set(threads);
        if (gt_featurizer_create(&c.f, &cfg, &err) != GT_OK) {
            fprintf(stderr, "bench_features: %s\n", err.msg);
            return 1;
        }
        report("gantry", threads, &c, best_of(run_gantry, &c, runs));
        gt_featurizer_free(c.f);
    }
    if (dir) {
        size_t nw = c.nwin < 64 ? c.nwin : 64;
        if (write_file(dir, "signal.f32", x, n) || write_file(dir, "features.f32", c.out, nw * nb))
            return 1;
    }
    fprintf(stderr, "(sink %g)\n", c.sink);
    fftwf_free(c.in);
    fftwf_free(c.spec);
    free(c.out);
    free(c.taper);
    free(x);
    return 0;
}
