/*
 * bench_kernels - throughput of the convolution kernels on the layer shapes of
 * the 1D sensor GAN (window 1024) and the 2D DCGAN (32x32), batch 64, next to
 * cblas_sgemm on the same GEMM shapes and on a large square GEMM.
 *
 *   make build/bench/bench_kernels
 *   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 build/bench/bench_kernels [batch [seconds]]
 *
 * BENCH_CHUNK=k runs the layers with scratch for k samples (k-sample GEMMs)
 * instead of the whole batch.
 *
 * Each time is the best of repeated runs (the minimum is the least disturbed
 * by other work on the machine), in CPU time when everything runs on one
 * thread, wall-clock time otherwise.  "share" is the part of a layer's time
 * that its im2col/col2im calls take, timed on their own; "gemm" is what
 * cblas_sgemm reaches on the layer's GEMM shapes with nothing around them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <omp.h>

#include "gantry/kernels.h"
#include "im2col.h"

/* With one thread, CPU time: it does not count time the process spends
 * descheduled, which on a shared machine is most of the noise. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Best time of one call of fn(ctx), over at least min_s seconds and 3 runs. */
static double best_time(void (*fn)(void *), void *ctx, double min_s)
{
    fn(ctx); /* warm up */
    double best = 1e30, start = now();
    int runs = 0;
    while (runs < 3 || now() - start < min_s) {
        double t0 = now();
        fn(ctx);
        double t = now() - t0;
        if (t < best)
            best = t;
        runs++;
    }
    return best;
}

static float *rand_buf(size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)((s >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
    return x;
}

typedef struct layer {
    gt_conv_geom g;
    int transposed, N;
    float *inp, *w, *b, *out, *dout, *dinp, *dw, *db, *col;
    size_t cap;
    /* same-shape plain GEMMs */
    int M, Ncols, K;
    float *A, *B, *C;
} layer;

static void run_fwd(void *p)
{
    layer *l = p;
    if (l->transposed)
        gt_convt_forward(l->out, l->inp, l->w, l->b, l->col, l->cap, &l->g, l->N);
    else
        gt_conv_forward(l->out, l->inp, l->w, l->b, l->col, l->cap, &l->g, l->N);
}

static void run_bwd(void *p)
{
    layer *l = p;
    if (l->transposed)
        gt_convt_backward(l->dinp, l->dw, l->db, l->dout, l->inp, l->w, l->col, l->cap, &l->g, l->N);
    else
        gt_conv_backward(l->dinp, l->dw, l->db, l->dout, l->inp, l->w, l->col, l->cap, &l->g, l->N);
}

/* The GEMM of the forward pass alone: (M, K) . (K, Ncols). */
static void run_gemm_fwd(void *p)
{
    layer *l = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l->M, l->Ncols, l->K, 1.0f, l->A,
                l->K, l->B, l->Ncols, 0.0f, l->C, l->Ncols);
}

/* The two GEMMs of the backward pass alone: (M, Ncols) . (K, Ncols)^T and
 * (M, K)^T . (M, Ncols). */
static void run_gemm_bwd(void *p)
{
    layer *l = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->M, l->K, l->Ncols, 1.0f, l->C,
                l->Ncols, l->B, l->Ncols, 1.0f, l->A, l->K);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->K, l->Ncols, l->M, 1.0f, l->A,
                l->K, l->C, l->Ncols, 0.0f, l->B, l->Ncols);
}

static gt__patch patch_of(const layer *l)
{
    const gt_conv_geom *g = &l->g;
    gt__patch p = {g->cin, g->hin, g->win, g->hout, g->wout, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw};
    if (l->transposed) {
        gt__patch t = {g->cout, g->hout, g->wout, g->hin, g->win, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw};
        p = t;
    }
    return p;
}

static void run_im2col(void *p)
{
    layer *l = p;
    gt__patch pt = patch_of(l);
    const float *img = l->transposed ? l->out : l->inp;
    size_t cs = (size_t)pt.h * pt.w * l->N;
    gt__im2col(l->col, img, cs, &pt, l->N, NULL);
}

static void run_col2im(void *p)
{
    layer *l = p;
    gt__patch pt = patch_of(l);
    float *img = l->transposed ? l->out : l->dinp;
    size_t cs = (size_t)pt.h * pt.w * l->N;
    gt__col2im(img, cs, l->col, NULL, &pt, l->N, NULL);
}

static void bench_layer(const char *name, gt_conv_geom g, int transposed, int N, double min_s)
{
    layer l = {0};
    l.g = g;
    l.transposed = transposed;
    l.N = N;
    if (gt_conv_geom_resolve(&l.g, transposed)) {
        fprintf(stderr, "%s: bad geometry\n", name);
        return;
    }
    size_t ni = (size_t)g.cin * N * l.g.hin * l.g.win;
    size_t no = (size_t)g.cout * N * l.g.hout * l.g.wout;
    size_t nw = (size_t)g.cin * g.cout * g.kh * g.kw;
    l.inp = rand_buf(ni);
    l.dinp = rand_buf(ni);
    l.out = rand_buf(no);
    l.dout = rand_buf(no);
    l.w = rand_buf(nw);
    l.dw = rand_buf(nw);
    l.b = rand_buf(g.cout);
    l.db = rand_buf(g.cout);
    l.cap = gt_conv_scratch(&l.g, N);
    l.col = rand_buf(l.cap);
    const char *chunk = getenv("BENCH_CHUNK");
    size_t cap_run = chunk ? gt_conv_scratch(&l.g, atoi(chunk)) : l.cap;
    /* The "image side" channels and grid size of the GEMM. */
    int cimg = transposed ? g.cout : g.cin;
    int cgrid = transposed ? g.cin : g.cout;
    size_t grid = transposed ? (size_t)l.g.hin * l.g.win : (size_t)l.g.hout * l.g.wout;
    l.M = cgrid;
    l.K = cimg * g.kh * g.kw;
    l.Ncols = (int)(grid * N);
    l.A = rand_buf((size_t)l.M * l.K);
    l.B = rand_buf((size_t)l.K * l.Ncols);
    l.C = rand_buf((size_t)l.M * l.Ncols);

    double flops = 2.0 * l.M * l.K * (double)l.Ncols;
    size_t cap_full = l.cap;
    l.cap = cap_run;
    double tf = best_time(run_fwd, &l, min_s);
    double tb = best_time(run_bwd, &l, min_s);
    l.cap = cap_full;
    double gf = best_time(run_gemm_fwd, &l, min_s);
    double gb = best_time(run_gemm_bwd, &l, min_s);
    double ti = l.cap ? best_time(run_im2col, &l, min_s) : 0;
    double tc = l.cap ? best_time(run_col2im, &l, min_s) : 0;
    /* Forward: conv unfolds, convt folds; backward: conv unfolds and folds,
     * convt unfolds only. */
    double ovf = transposed ? tc : ti;
    double ovb = transposed ? ti : ti + tc;
    printf("%-24s %8.2f %7.2f %7.2f %5.0f%% | %8.2f %7.2f %7.2f %5.0f%% | %6.3f %6.3f\n", name,
           tf * 1e3, flops / tf * 1e-9, flops / gf * 1e-9, 100 * ovf / tf, tb * 1e3,
           2 * flops / tb * 1e-9, 2 * flops / gb * 1e-9, 100 * ovb / tb, ti * 1e3, tc * 1e3);
    free(l.inp); free(l.dinp); free(l.out); free(l.dout); free(l.w); free(l.dw);
    free(l.b); free(l.db); free(l.col); free(l.A); free(l.B); free(l.C);
}

typedef struct sq {
    int n;
    float *a, *b, *c;
} sq;

static void run_square(void *p)
{
    sq *s = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, s->n, s->n, 1.0f, s->a, s->n,
                s->b, s->n, 0.0f, s->c, s->n);
}

int main(int argc, char **argv)
{
    int N = argc > 1 ? atoi(argv[1]) : 64;
    double min_s = argc > 2 ? atof(argv[2]) : 0.3;
    if (N <= 0)
        N = 64;
    int threads = omp_get_max_threads();
    if (threads == 1 && openblas_get_num_threads() == 1)
        bench_clock = CLOCK_PROCESS_CPUTIME_ID;
    printf("threads %d, %s time\n", threads,
           bench_clock == CLOCK_MONOTONIC ? "wall-clock" : "CPU");

    sq s = {2048, rand_buf(2048 * 2048), rand_buf(2048 * 2048), rand_buf(2048 * 2048)};
    double ts = best_time(run_square, &s, min_s);
    printf("cblas_sgemm 2048^3: %.2f GFLOP/s\n\n", 2.0 * 2048 * 2048 * 2048 / ts * 1e-9);
    free(s.a); free(s.b); free(s.c);

    printf("batch %d; forward: ms, GFLOP/s, same-shape GEMM GFLOP/s, share outside GEMM;"
           " backward likewise\n", N);
    printf("%-24s %8s %7s %7s %6s | %8s %7s %7s %6s | %6s %6s\n", "layer", "fwd ms", "GF/s",
           "gemm", "share", "bwd ms", "GF/s", "gemm", "share", "im2col", "col2im");
    /* 1D sensor GAN, window 1024: conv1d k4 s2 p1, (cin, cout, Lout). */
    static const int d1[][3] = {{1, 16, 512},   {16, 32, 256},  {32, 64, 128},  {64, 128, 64},
                                {128, 256, 32}, {256, 256, 16}, {256, 256, 8}, {256, 256, 4}};
    for (size_t i = 0; i < sizeof d1 / sizeof d1[0]; i++) {
        char name[64];
        gt_conv_geom g = {d1[i][0], 1, 2 * d1[i][2], d1[i][1], 0, 0, 1, 4, 1, 2, 0, 1};
        snprintf(name, sizeof name, "conv1d %d->%d L%d", d1[i][0], d1[i][1], d1[i][2]);
        bench_layer(name, g, 0, N, min_s);
    }
    for (size_t i = sizeof d1 / sizeof d1[0]; i-- > 0;) {
        char name[64];
        gt_conv_geom g = {d1[i][1], 1, d1[i][2], d1[i][0], 0, 0, 1, 4, 1, 2, 0, 1};
        snprintf(name, sizeof name, "convt1d %d->%d L%d", d1[i][1], d1[i][0], 2 * d1[i][2]);
        bench_layer(name, g, 1, N, min_s);
    }
    /* 2D DCGAN 32x32: conv k4 s2 p1 3->64->128->256 and the mirror. */
    static const int d2[][3] = {{3, 64, 16}, {64, 128, 8}, {128, 256, 4}};
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        int hi = 2 * d2[i][2];
        gt_conv_geom g = {d2[i][0], hi, hi, d2[i][1], 0, 0, 4, 4, 2, 2, 1, 1};
        snprintf(name, sizeof name, "conv2d %d->%d %dx%d", d2[i][0], d2[i][1], d2[i][2], d2[i][2]);
        bench_layer(name, g, 0, N, min_s);
    }
    for (size_t i = 3; i-- > 0;) {
        char name[64];
        int lo = d2[i][2];
        gt_conv_geom g = {d2[i][1], lo, lo, d2[i][0], 0, 0, 4, 4, 2, 2, 1, 1};
        snprintf(name, sizeof name, "convt2d %d->%d %dx%d", d2[i][1], d2[i][0], 2 * lo, 2 * lo);
        bench_layer(name, g, 1, N, min_s);
    }
    return 0;
}
