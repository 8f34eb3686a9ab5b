/*
 * Convolution kernels against direct nested-loop definitions written here in
 * double, against central finite differences of L = sum(dout .* out), and
 * against each other (chunked vs whole batch, conv vs its adjoint).
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/kernels.h"
#include "testutil.h"
#include "winograd2d.h"

/* {cin, hin, win, cout, hout, wout, kh, kw, sh, sw, ph, pw}; hout/wout are
 * filled by gt_conv_geom_resolve. */
static const gt_conv_geom geoms_2d[] = {
    {3, 8, 8, 4, 0, 0, 4, 4, 2, 2, 1, 1}, /* DCGAN's k4 s2 p1 */
    {2, 7, 9, 3, 0, 0, 3, 5, 1, 2, 1, 2}, /* rectangular kernel, mixed strides */
    {2, 6, 5, 3, 0, 0, 2, 3, 3, 1, 0, 2},
    {1, 5, 5, 2, 0, 0, 5, 5, 1, 1, 4, 4}, /* padding = kernel - 1 */
    {3, 9, 6, 2, 0, 0, 1, 3, 2, 3, 0, 1},
    {2, 4, 4, 3, 0, 0, 1, 1, 1, 1, 0, 0}, /* 1x1: no unfolding */
    {2, 5, 7, 3, 0, 0, 1, 1, 2, 2, 0, 0}, /* 1x1 strided: unfolding */
    {2, 6, 6, 2, 0, 0, 3, 3, 3, 3, 2, 0},
    {8, 8, 8, 8, 0, 0, 4, 4, 2, 2, 1, 1}, /* k4 s2 p1, 8 channels: Winograd */
};
enum { N_GEOMS_2D = sizeof geoms_2d / sizeof geoms_2d[0] };

/*
 * Every 1D kernel size 1..5, stride 1..3, padding 0..k-1, each at two
 * lengths: one that leaves a remainder and a multiple of the stride (which
 * for k - s <= 2p < k makes the input exactly s times the output, the k4 s2
 * p1 case).  *N is the batch to use.
 */
static int geom_1d(int idx, gt_conv_geom *g, int *N)
{
    int i = 0;
    for (int k = 1; k <= 5; k++)
        for (int s = 1; s <= 3; s++)
            for (int p = 0; p < k; p++)
                for (int exact = 0; exact < 2; exact++, i++)
                    if (i == idx) {
                        int win = exact ? s * (3 + k) : 6 + k + s + p;
                        gt_conv_geom t = {2, 1, win, 3, 0, 0, 1, k, 1, s, 0, p};
                        *g = t;
                        *N = exact ? 3 : 1 + i / 2 % 2;
                        return 1;
                    }
    return 0;
}

static void geom_name(char *buf, size_t cap, const gt_conv_geom *g, int transposed, int N)
{
    snprintf(buf, cap, "%s cin%d %dx%d cout%d %dx%d k%dx%d s%dx%d p%dx%d N%d",
             transposed ? "convt" : "conv", g->cin, g->hin, g->win, g->cout, g->hout,
             g->wout, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, N);
}

/* ------------------------------------------------------- direct definitions */

static size_t in_size(const gt_conv_geom *g, int N) { return (size_t)g->cin * N * g->hin * g->win; }
static size_t out_size(const gt_conv_geom *g, int N) { return (size_t)g->cout * N * g->hout * g->wout; }
static size_t w_size(const gt_conv_geom *g) { return (size_t)g->cin * g->cout * g->kh * g->kw; }

/*
 * Visits every (input position, output position, weight) triple that a
 * convolution multiplies together, straight from the definition
 *     out[co, n, oh, ow] += w[...] * inp[ci, n, oh*sh - ph + ki, ow*sw - pw + kj]
 * (for a transposed convolution inp and out swap roles:
 *     out[co, n, ih*sh - ph + ki, iw*sw - pw + kj] += w[ci, co, ki, kj] * inp[ci, n, ih, iw]).
 * mode 0: forward into y; mode 1: gradients from dy into dx, dw.
 */
static void ref_apply(const gt_conv_geom *g, int transposed, int N, int mode,
                      const float *x, const float *w, double *y, const float *dy,
                      double *dx, double *dw)
{
    /* Loop over the "small grid" (conv: output, convt: input) and the kernel. */
    const int CA = transposed ? g->cin : g->cout;  /* channel on the small grid */
    const int CB = transposed ? g->cout : g->cin;  /* channel on the large grid */
    const int HA = transposed ? g->hin : g->hout, WA = transposed ? g->win : g->wout;
    const int HB = transposed ? g->hout : g->hin, WB = transposed ? g->wout : g->win;
    for (int a = 0; a < CA; a++)
        for (int n = 0; n < N; n++)
            for (int i = 0; i < HA; i++)
                for (int j = 0; j < WA; j++)
                    for (int b = 0; b < CB; b++)
                        for (int ki = 0; ki < g->kh; ki++)
                            for (int kj = 0; kj < g->kw; kj++) {
                                int bi = i * g->sh - g->ph + ki;
                                int bj = j * g->sw - g->pw + kj;
                                if (bi < 0 || bi >= HB || bj < 0 || bj >= WB)
                                    continue;
                                size_t ia = (((size_t)a * N + n) * HA + i) * WA + j;
                                size_t ib = (((size_t)b * N + n) * HB + bi) * WB + bj;
                                /* PyTorch: conv w[cout][cin], convt w[cin][cout] */
                                size_t iw = (((size_t)a * CB + b) * g->kh + ki) * g->kw + kj;
                                /* conv: x on b, y on a; convt: x on a, y on b */
                                size_t ix = transposed ? ia : ib, iy = transposed ? ib : ia;
                                if (mode == 0) {
                                    y[iy] += (double)w[iw] * x[ix];
                                } else {
                                    if (dx)
                                        dx[ix] += (double)w[iw] * dy[iy];
                                    dw[iw] += (double)x[ix] * dy[iy];
                                }
                            }
}

static void to_float(float *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

/* --------------------------------------------------------------- harness */

typedef struct case_t {
    gt_conv_geom g;
    int transposed, N;
    float *inp, *w, *b, *dout;   /* inputs */
    float *out, *dinp, *dw, *db; /* outputs */
    float *col;
    size_t cap;
} case_t;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

static float *nan_filled(size_t n)
{
    float *x = xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
    return x;
}

static void case_init(case_t *c, const gt_conv_geom *g, int transposed, int N, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->g = *g;
    ck_assert_int_eq(gt_conv_geom_resolve(&c->g, transposed), 0);
    c->transposed = transposed;
    c->N = N;
    size_t ni = in_size(&c->g, N), no = out_size(&c->g, N), nw = w_size(&c->g);
    c->inp = xmalloc(ni * sizeof(float));
    c->w = xmalloc(nw * sizeof(float));
    c->b = xmalloc(c->g.cout * sizeof(float));
    c->dout = xmalloc(no * sizeof(float));
    gtt_fill(c->inp, ni, seed, 1.0f);
    gtt_fill(c->w, nw, seed + 1, 0.5f);
    gtt_fill(c->b, c->g.cout, seed + 2, 0.5f);
    gtt_fill(c->dout, no, seed + 3, 1.0f);
    c->out = nan_filled(no);
    c->dinp = nan_filled(ni);
    c->dw = xmalloc(nw * sizeof(float));
    c->db = xmalloc(c->g.cout * sizeof(float));
    /* Exactly the advertised size, so that ASan catches any overrun. */
    c->cap = gt_conv_scratch(&c->g, N);
    c->col = xmalloc(c->cap * sizeof(float));
}

static void case_free(case_t *c)
{
    free(c->inp); free(c->w); free(c->b); free(c->dout);
    free(c->out); free(c->dinp); free(c->dw); free(c->db); free(c->col);
}

static void forward(case_t *c, float *out, size_t cap)
{
    if (c->transposed)
        gt_convt_forward(out, c->inp, c->w, c->b, c->col, cap, &c->g, c->N);
    else
        gt_conv_forward(out, c->inp, c->w, c->b, c->col, cap, &c->g, c->N);
}

static void backward(case_t *c, float *dinp, float *dw, float *db, size_t cap)
{
    if (c->transposed)
        gt_convt_backward(dinp, dw, db, c->dout, c->inp, c->w, c->col, cap, &c->g, c->N);
    else
        gt_conv_backward(dinp, dw, db, c->dout, c->inp, c->w, c->col, cap, &c->g, c->N);
}

static void zero_param_grads(case_t *c)
{
    memset(c->dw, 0, w_size(&c->g) * sizeof(float));
    memset(c->db, 0, c->g.cout * sizeof(float));
}

/* L = sum(dout .* out), out from the kernel under test. */
static double loss_fn(void *ctx)
{
    case_t *c = ctx;
    forward(c, c->out, c->cap);
    size_t n = out_size(&c->g, c->N);
    double l = 0;
    for (size_t i = 0; i < n; i++)
        l += (double)c->dout[i] * c->out[i];
    return l;
}

/* Absolute tolerance: 1e-5, or with the Winograd form 1e-5 of the largest
 * |want| (its errors measure about 2e-6 of it). */
static double wino_tol(int wino, const float *want, size_t n)
{
    double big = 0;
    for (size_t i = 0; wino && i < n; i++)
        big = fabs(want[i]) > big ? fabs(want[i]) : big;
    return 1e-5 * big > 1e-5 ? 1e-5 * big : 1e-5;
}

/* Forward and all three gradients against the direct definition, then against
 * finite differences. */
static void check_case(const gt_conv_geom *g0, int transposed, int N, uint64_t seed, int fd)
{
    case_t c;
    case_init(&c, g0, transposed, N, seed);
    const gt_conv_geom *g = &c.g;
    char name[160], what[200];
    geom_name(name, sizeof name, g, transposed, N);
    size_t ni = in_size(g, N), no = out_size(g, N), nw = w_size(g);

    double *y = calloc(no, sizeof *y), *dx = calloc(ni, sizeof *dx), *dw = calloc(nw, sizeof *dw);
    size_t nmax = no > ni ? no : ni;
    float *want = xmalloc((nmax > nw ? nmax : nw) * sizeof(float));
    ck_assert(y && dx && dw);
    ref_apply(g, transposed, N, 0, c.inp, c.w, y, NULL, NULL, NULL);
    for (int co = 0; co < g->cout; co++)
        for (size_t i = 0; i < no / g->cout; i++)
            y[co * (no / g->cout) + i] += c.b[co];
    ref_apply(g, transposed, N, 1, c.inp, c.w, NULL, c.dout, dx, dw);

    /* The Winograd form's rounding grows with the largest value, not with
     * each output's own (winograd2d.h): its tolerance is a share of that. */
    const int wino = gt__wino2_fits(g, transposed);
    forward(&c, c.out, c.cap);
    to_float(want, y, no);
    snprintf(what, sizeof what, "%s: forward", name);
    gtt_assert_close(c.out, want, no, wino_tol(wino, want, no), 1e-4, what);

    zero_param_grads(&c);
    backward(&c, c.dinp, c.dw, c.db, c.cap);
    to_float(want, dx, ni);
    snprintf(what, sizeof what, "%s: dinp", name);
    gtt_assert_close(c.dinp, want, ni, wino_tol(wino, want, ni), 1e-4, what);
    to_float(want, dw, nw);
    snprintf(what, sizeof what, "%s: dweight", name);
    gtt_assert_close(c.dw, want, nw, wino_tol(wino, want, nw), 1e-4, what);
    for (int co = 0; co < g->cout; co++) {
        double s = 0;
        for (size_t i = 0; i < no / g->cout; i++)
            s += c.dout[co * (no / g->cout) + i];
        want[co] = (float)s;
    }
    snprintf(what, sizeof what, "%s: dbias", name);
    gtt_assert_close(c.db, want, g->cout, 1e-5, 1e-4, what);

    /* Finite differences (convolution is linear: exact up to rounding). */
    if (fd) {
        snprintf(what, sizeof what, "%s: fd dinp", name);
        gtt_assert_fd(loss_fn, &c, c.inp, c.dinp, ni, 1e-2f, 1e-3, 1e-2, what);
        snprintf(what, sizeof what, "%s: fd dweight", name);
        gtt_assert_fd(loss_fn, &c, c.w, c.dw, nw, 1e-2f, 1e-3, 1e-2, what);
        snprintf(what, sizeof what, "%s: fd dbias", name);
        gtt_assert_fd(loss_fn, &c, c.b, c.db, (size_t)g->cout, 1e-2f, 1e-3, 1e-2, what);
    }

    free(y); free(dx); free(dw); free(want);
    case_free(&c);
}

/* ------------------------------------------------------------------ tests */

START_TEST(conv1d_against_definition)
{
    gt_conv_geom g;
    int N;
    for (int i = 0; geom_1d(i, &g, &N); i++)
        check_case(&g, 0, N, 100 + i, 1);
}
END_TEST

START_TEST(convt1d_against_definition)
{
    gt_conv_geom g;
    int N;
    for (int i = 0; geom_1d(i, &g, &N); i++) {
        g.win = 4 + i % 3 + g.pw; /* short inputs: the transposed conv grows them */
        check_case(&g, 1, N, 200 + i, 1);
    }
}
END_TEST

START_TEST(conv2d_against_definition)
{
    for (int i = 0; i < N_GEOMS_2D; i++)
        check_case(&geoms_2d[i], 0, i % 2 ? 1 : 2, 300 + i, 1);
}
END_TEST

START_TEST(convt2d_against_definition)
{
    for (int i = 0; i < N_GEOMS_2D; i++) {
        gt_conv_geom g = geoms_2d[i];
        g.hin = 3 + i % 2 + 2 * g.ph; /* large enough for any padding */
        g.win = 4 - i % 2 + 2 * g.pw;
        check_case(&g, 1, i % 2 ? 2 : 1, 400 + i, 1);
    }
}
END_TEST

/* Layers big enough to take the parallel paths, against the definition (the
 * small geometries above already cover finite differences). */
START_TEST(larger_layers_against_definition)
{
    const gt_conv_geom g1 = {16, 1, 256, 8, 0, 0, 1, 4, 1, 2, 0, 1};
    const gt_conv_geom g2 = {6, 16, 16, 8, 0, 0, 4, 4, 2, 2, 1, 1};
    int n = gtt_quick() ? 2 : 6;
    omp_set_num_threads(2);
    check_case(&g1, 0, n, 501, 0);
    check_case(&g1, 1, n, 502, 0);
    check_case(&g2, 0, n, 503, 0);
    check_case(&g2, 1, n, 504, 0);
    /* The Winograd form (src/winograd2d.c): square and rectangular, one
     * and several tiles a side, conv and convt. */
    const gt_conv_geom w1 = {8, 16, 16, 12, 0, 0, 4, 4, 2, 2, 1, 1};
    const gt_conv_geom w2 = {9, 8, 24, 8, 0, 0, 4, 4, 2, 2, 1, 1};
    check_case(&w1, 0, n, 507, 0);
    check_case(&w2, 0, n, 508, 0);
    check_case(&w1, 1, n, 509, 0);
    check_case(&w2, 1, 3, 510, 0);
    /* One channel: the work is split over blocks of samples. */
    const gt_conv_geom g3 = {1, 1, 512, 4, 0, 0, 1, 4, 1, 2, 0, 1};
    check_case(&g3, 0, 32, 505, 0);
    const gt_conv_geom g4 = {4, 1, 256, 1, 0, 0, 1, 4, 1, 2, 0, 1};
    check_case(&g4, 1, 32, 506, 0);
}
END_TEST

/* backward overwrites dinp, adds into dweight and dbias, and takes dinp =
 * NULL; forward takes bias = NULL. */
static void check_accumulate(const gt_conv_geom *g0, int transposed)
{
    case_t c;
    case_init(&c, g0, transposed, 3, 600);
    char name[160], what[200];
    geom_name(name, sizeof name, &c.g, transposed, 3);
    size_t ni = in_size(&c.g, 3), nw = w_size(&c.g);
    float *dinp1 = xmalloc(ni * sizeof(float)), *dw1 = xmalloc(nw * sizeof(float));
    float *db1 = xmalloc(c.g.cout * sizeof(float));

    zero_param_grads(&c);
    backward(&c, c.dinp, c.dw, c.db, c.cap);
    memcpy(dinp1, c.dinp, ni * sizeof(float));
    memcpy(dw1, c.dw, nw * sizeof(float));
    memcpy(db1, c.db, c.g.cout * sizeof(float));
    for (size_t i = 0; i < nw; i++)
        dw1[i] *= 2;
    for (int i = 0; i < c.g.cout; i++)
        db1[i] *= 2;

    for (size_t i = 0; i < ni; i++)
        c.dinp[i] = 1e30f;
    backward(&c, c.dinp, c.dw, c.db, c.cap);
    snprintf(what, sizeof what, "%s: dinp overwritten", name);
    gtt_assert_close(c.dinp, dinp1, ni, FLT_MIN, 0, what);
    snprintf(what, sizeof what, "%s: dweight accumulates", name);
    gtt_assert_close(c.dw, dw1, nw, 1e-6, 1e-6, what);
    snprintf(what, sizeof what, "%s: dbias accumulates", name);
    gtt_assert_close(c.db, db1, c.g.cout, 1e-6, 1e-6, what);

    /* dinp = NULL: same parameter gradients. */
    for (size_t i = 0; i < nw; i++)
        dw1[i] /= 2;
    for (int i = 0; i < c.g.cout; i++)
        db1[i] /= 2;
    zero_param_grads(&c);
    backward(&c, NULL, c.dw, c.db, c.cap);
    snprintf(what, sizeof what, "%s: dweight with dinp NULL", name);
    gtt_assert_close(c.dw, dw1, nw, FLT_MIN, 0, what);
    snprintf(what, sizeof what, "%s: dbias with dinp NULL", name);
    gtt_assert_close(c.db, db1, c.g.cout, FLT_MIN, 0, what);

    /* bias = NULL: the output without the bias. */
    size_t no = out_size(&c.g, 3), per = no / c.g.cout;
    float *out_nb = nan_filled(no);
    forward(&c, c.out, c.cap);
    if (transposed)
        gt_convt_forward(out_nb, c.inp, c.w, NULL, c.col, c.cap, &c.g, 3);
    else
        gt_conv_forward(out_nb, c.inp, c.w, NULL, c.col, c.cap, &c.g, 3);
    for (size_t i = 0; i < no; i++)
        out_nb[i] += c.b[i / per];
    snprintf(what, sizeof what, "%s: forward with bias NULL", name);
    gtt_assert_close(out_nb, c.out, no, 1e-6, 1e-6, what);

    free(out_nb); free(dinp1); free(dw1); free(db1);
    case_free(&c);
}

START_TEST(backward_accumulates_and_takes_null_dinp)
{
    const gt_conv_geom g1 = {2, 1, 11, 3, 0, 0, 1, 4, 1, 2, 0, 1};
    const gt_conv_geom g2 = {2, 3, 4, 3, 0, 0, 1, 1, 1, 1, 0, 0};
    const gt_conv_geom g3 = {2, 1, 12, 3, 0, 0, 1, 4, 1, 2, 0, 1};
    check_accumulate(&g1, 0);
    check_accumulate(&g1, 1);
    check_accumulate(&g3, 0);
    check_accumulate(&g3, 1);
    check_accumulate(&geoms_2d[1], 0);
    check_accumulate(&geoms_2d[1], 1);
    check_accumulate(&g2, 0);
    check_accumulate(&g2, 1);
}
END_TEST

/* Scratch for one, two, and all samples per chunk gives the same results. */
static void check_chunking(const gt_conv_geom *g0, int transposed, int N)
{
    case_t c;
    case_init(&c, g0, transposed, N, 700);
    char name[160], what[200];
    geom_name(name, sizeof name, &c.g, transposed, N);
    size_t ni = in_size(&c.g, N), no = out_size(&c.g, N), nw = w_size(&c.g);
    float *out = nan_filled(no), *dinp = nan_filled(ni), *dw = xmalloc(nw * sizeof(float));
    float *db = xmalloc(c.g.cout * sizeof(float));

    forward(&c, c.out, c.cap);
    zero_param_grads(&c);
    backward(&c, c.dinp, c.dw, c.db, c.cap);
    size_t one = gt_conv_scratch(&c.g, 1);
    ck_assert_uint_eq(c.cap, one * N);
    const size_t caps[] = {one, 2 * one + one / 2, 3 * one};
    for (int k = 0; k < 3; k++) {
        memset(dw, 0, nw * sizeof(float));
        memset(db, 0, c.g.cout * sizeof(float));
        forward(&c, out, caps[k]);
        backward(&c, dinp, dw, db, caps[k]);
        snprintf(what, sizeof what, "%s: chunk cap %zu: forward", name, caps[k]);
        gtt_assert_close(out, c.out, no, 1e-6, 1e-6, what);
        snprintf(what, sizeof what, "%s: chunk cap %zu: dinp", name, caps[k]);
        gtt_assert_close(dinp, c.dinp, ni, 1e-6, 1e-6, what);
        snprintf(what, sizeof what, "%s: chunk cap %zu: dweight", name, caps[k]);
        /* dweight sums over the batch, so chunking reorders its sums. */
        gtt_assert_close(dw, c.dw, nw, 1e-5, 1e-5, what);
        snprintf(what, sizeof what, "%s: chunk cap %zu: dbias", name, caps[k]);
        gtt_assert_close(db, c.db, c.g.cout, 1e-5, 1e-5, what);
    }
    free(out); free(dinp); free(dw); free(db);
    case_free(&c);
}

START_TEST(chunked_matches_whole_batch)
{
    const gt_conv_geom g1 = {3, 1, 40, 4, 0, 0, 1, 4, 1, 2, 0, 1};
    check_chunking(&g1, 0, 7);
    check_chunking(&g1, 1, 7);
    check_chunking(&geoms_2d[0], 0, 5);
    check_chunking(&geoms_2d[0], 1, 5);
    check_chunking(&geoms_2d[2], 0, 4);
    check_chunking(&geoms_2d[2], 1, 4);
}
END_TEST

/*
 * A transposed convolution is the adjoint of the convolution with the same
 * weight array: <conv(x), y> = <x, convt(y)>, with the convt's cin/cout and
 * sizes mirrored.  Ties the two implementations (and PyTorch's weight layouts)
 * to each other.
 */
START_TEST(convt_is_adjoint_of_conv)
{
    const gt_conv_geom gs[] = {
        {3, 1, 32, 5, 0, 0, 1, 4, 1, 2, 0, 1},
        {3, 8, 8, 4, 0, 0, 4, 4, 2, 2, 1, 1},
        {2, 7, 9, 3, 0, 0, 3, 5, 1, 2, 1, 2},
    };
    const int N = 3;
    for (size_t t = 0; t < sizeof gs / sizeof gs[0]; t++) {
        gt_conv_geom g = gs[t];
        ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
        gt_conv_geom gt = {g.cout, g.hout, g.wout, g.cin, 0, 0, g.kh, g.kw,
                           g.sh,   g.sw,   g.ph,   g.pw};
        ck_assert_int_eq(gt_conv_geom_resolve(&gt, 1), 0);
        ck_assert_int_eq(gt.hout, g.hin);
        ck_assert_int_eq(gt.wout, g.win);
        size_t ni = in_size(&g, N), no = out_size(&g, N), nw = w_size(&g);
        float *x = xmalloc(ni * sizeof(float)), *y = xmalloc(no * sizeof(float)), *w = xmalloc(nw * sizeof(float));
        float *cx = xmalloc(no * sizeof(float)), *ty = xmalloc(ni * sizeof(float));
        size_t cap = gt_conv_scratch(&g, N), capt = gt_conv_scratch(&gt, N);
        float *col = xmalloc((cap > capt ? cap : capt) * sizeof(float));
        gtt_fill(x, ni, 800 + t, 1.0f);
        gtt_fill(y, no, 810 + t, 1.0f);
        gtt_fill(w, nw, 820 + t, 1.0f);
        gt_conv_forward(cx, x, w, NULL, col, cap, &g, N);
        gt_convt_forward(ty, y, w, NULL, col, capt, &gt, N);
        double a = 0, b = 0, scale = 0;
        for (size_t i = 0; i < no; i++) {
            a += (double)cx[i] * y[i];
            scale += fabs((double)cx[i] * y[i]);
        }
        for (size_t i = 0; i < ni; i++)
            b += (double)x[i] * ty[i];
        ck_assert_msg(fabs(a - b) <= 1e-5 * scale, "geometry %zu: <conv x, y> %.9g, <x, convt y> %.9g",
                      t, a, b);
        free(x); free(y); free(w); free(cx); free(ty); free(col);
    }
}
END_TEST

START_TEST(same_inputs_same_bits)
{
    const gt_conv_geom g = {16, 1, 256, 8, 0, 0, 1, 4, 1, 2, 0, 1};
    omp_set_num_threads(2);
    for (int transposed = 0; transposed < 2; transposed++) {
        case_t c;
        case_init(&c, &g, transposed, 8, 900);
        size_t ni = in_size(&c.g, 8), no = out_size(&c.g, 8), nw = w_size(&c.g);
        float *out = xmalloc(no * sizeof(float)), *dinp = xmalloc(ni * sizeof(float)), *dw = xmalloc(nw * sizeof(float));
        float *db = xmalloc(c.g.cout * sizeof(float));
        forward(&c, out, c.cap);
        zero_param_grads(&c);
        backward(&c, dinp, c.dw, c.db, c.cap);
        memcpy(dw, c.dw, nw * sizeof(float));
        memcpy(db, c.db, c.g.cout * sizeof(float));
        for (int rep = 0; rep < 3; rep++) {
            forward(&c, c.out, c.cap);
            zero_param_grads(&c);
            backward(&c, c.dinp, c.dw, c.db, c.cap);
            ck_assert(memcmp(out, c.out, no * sizeof(float)) == 0);
            ck_assert(memcmp(dinp, c.dinp, ni * sizeof(float)) == 0);
            ck_assert(memcmp(dw, c.dw, nw * sizeof(float)) == 0);
            ck_assert(memcmp(db, c.db, c.g.cout * sizeof(float)) == 0);
        }
        free(out); free(dinp); free(dw); free(db);
        case_free(&c);
    }
}
END_TEST

enum { F_CIN, F_HIN, F_WIN, F_COUT, F_KH, F_KW, F_SH, F_SW, F_PH, F_PW };

static void set_field(gt_conv_geom *g, int field, int value)
{
    switch (field) {
    case F_CIN: g->cin = value; break;
    case F_HIN: g->hin = value; break;
    case F_WIN: g->win = value; break;
    case F_COUT: g->cout = value; break;
    case F_KH: g->kh = value; break;
    case F_KW: g->kw = value; break;
    case F_SH: g->sh = value; break;
    case F_SW: g->sw = value; break;
    case F_PH: g->ph = value; break;
    case F_PW: g->pw = value; break;
    }
}

START_TEST(geometry_resolution)
{
    /* Sizes of the presets, computed by hand from PyTorch's formulas. */
    gt_conv_geom g = {1, 1, 1024, 16, 0, 0, 1, 4, 1, 2, 0, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
    ck_assert_int_eq(g.hout, 1);
    ck_assert_int_eq(g.wout, 512);
    gt_conv_geom t = {16, 1, 512, 1, 0, 0, 1, 4, 1, 2, 0, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&t, 1), 0);
    ck_assert_int_eq(t.hout, 1);
    ck_assert_int_eq(t.wout, 1024);
    gt_conv_geom d = {3, 32, 32, 64, 0, 0, 4, 4, 2, 2, 1, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&d, 0), 0);
    ck_assert_int_eq(d.hout, 16);
    ck_assert_int_eq(d.wout, 16);
    gt_conv_geom r = {1, 7, 10, 1, 0, 0, 3, 2, 3, 1, 2, 0};
    ck_assert_int_eq(gt_conv_geom_resolve(&r, 0), 0);
    ck_assert_int_eq(r.hout, (7 + 4 - 3) / 3 + 1);
    ck_assert_int_eq(r.wout, 9);
    ck_assert_int_eq(gt_conv_geom_resolve(&r, 1), 0);
    ck_assert_int_eq(r.hout, 6 * 3 - 4 + 3);
    ck_assert_int_eq(r.wout, 9 - 0 + 2);

    /* Impossible geometries; each differs from a valid one in one field. */
    const gt_conv_geom ok = {2, 5, 5, 3, 0, 0, 3, 3, 1, 1, 1, 1};
    gt_conv_geom x = ok;
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 0), 0);
    x = ok;
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 1), 0);
    static const struct { int field, value, transposed; } bad[] = {
        {F_CIN, 0, 0}, {F_CIN, -1, 1}, {F_HIN, 0, 0}, {F_WIN, 0, 1},
        {F_COUT, 0, 0}, {F_KH, 0, 0}, {F_KW, -2, 1}, {F_SH, 0, 0},
        {F_SW, -1, 1}, {F_PH, 3, 0}, {F_PW, 4, 1}, {F_PH, -1, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x = ok;
        set_field(&x, bad[i].field, bad[i].value);
        x.hout = x.wout = 77;
        ck_assert_msg(gt_conv_geom_resolve(&x, bad[i].transposed) == -1, "case %zu accepted", i);
        ck_assert_int_eq(x.hout, 77);
        ck_assert_int_eq(x.wout, 77);
    }
    x = ok;
    x.win = 2;
    x.pw = 0; /* 2 + 0 - 3 < 0: no complete window */
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 0), -1);
    x = ok;
    x.hin = 1;
    x.kh = 4;
    x.ph = 1; /* 1 + 2 - 4 < 0 */
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 0), -1);
    x = ok;
    x.hin = 1;
    x.ph = 2; /* transposed: 0 * 1 - 4 + 3 < 1 */
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 1), -1);
    x = ok;
    x.cin = 1 << 20;
    x.kh = x.kw = 64;
    x.ph = x.pw = 0;
    x.hin = x.win = 64;
    ck_assert_int_eq(gt_conv_geom_resolve(&x, 0), -1); /* cin*kh*kw overflows int */
}
END_TEST

START_TEST(scratch_sizes)
{
    /* Conv: unfolded input over the output grid; convt: unfolded output over
     * the input grid. */
    gt_conv_geom g = {16, 1, 512, 32, 0, 0, 1, 4, 1, 2, 0, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
    ck_assert_uint_eq(gt_conv_scratch(&g, 1), 16 * 4 * 256);
    ck_assert_uint_eq(gt_conv_scratch(&g, 64), 64 * gt_conv_scratch(&g, 1));
    gt_conv_geom t = {32, 1, 256, 16, 0, 0, 1, 4, 1, 2, 0, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&t, 1), 0);
    ck_assert_uint_eq(gt_conv_scratch(&t, 1), 16 * 4 * 256);
    gt_conv_geom one = {5, 3, 3, 7, 0, 0, 1, 1, 1, 1, 0, 0};
    ck_assert_int_eq(gt_conv_geom_resolve(&one, 0), 0);
    ck_assert_uint_eq(gt_conv_scratch(&one, 8), 0);
}
END_TEST

GTT_SUITE(gt_test_conv_suite)
{
    Suite *s = suite_create("conv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, geometry_resolution);
    tcase_add_test(tc, scratch_sizes);
    tcase_add_test(tc, conv1d_against_definition);
    tcase_add_test(tc, convt1d_against_definition);
    tcase_add_test(tc, conv2d_against_definition);
    tcase_add_test(tc, convt2d_against_definition);
    tcase_add_test(tc, larger_layers_against_definition);
    tcase_add_test(tc, backward_accumulates_and_takes_null_dinp);
    tcase_add_test(tc, chunked_matches_whole_batch);
    tcase_add_test(tc, convt_is_adjoint_of_conv);
    tcase_add_test(tc, same_inputs_same_bits);
    suite_add_tcase(s, tc);
    return s;
}
