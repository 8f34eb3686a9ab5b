/*
 * Layer kernels other than convolution: every forward against a naive
 * reference written here, every backward against central finite differences
 * of L = sum(dout .* out) for a fixed random dout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gantry/kernels.h"
#include "testutil.h"

static float *falloc(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

static float *frand(size_t n, uint64_t seed, float scale)
{
    float *p = falloc(n);
    gtt_fill(p, n, seed, scale);
    return p;
}

static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Values bounded away from 0, for kernels with a kink there. */
static void push_from_zero(float *x, size_t n, float gap)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] < 0.0f ? x[i] - gap : x[i] + gap;
}

/* ================================================================ dense */

typedef struct {
    float *out, *inp, *w, *b, *dout;
    int F, O, N;
} dense_ctx;

static double dense_loss(void *p)
{
    dense_ctx *c = p;
    gt_dense_forward(c->out, c->inp, c->w, c->b, c->F, c->O, c->N);
    return dot_d(c->dout, c->out, (size_t)c->O * c->N);
}

START_TEST(dense_forward_matches_naive)
{
    static const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 9, 13}, {64, 33, 5}, {2, 1, 40}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int F = shapes[s][0], O = shapes[s][1], N = shapes[s][2];
        float *inp = frand((size_t)F * N, 1 + s, 1.0f);
        float *w = frand((size_t)O * F, 100 + s, 0.5f);
        float *b = frand((size_t)O, 200 + s, 1.0f);
        float *out = falloc((size_t)O * N), *want = falloc((size_t)O * N);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            for (int o = 0; o < O; o++)
                for (int n = 0; n < N; n++) {
                    double acc = with_bias ? b[o] : 0.0;
                    for (int f = 0; f < F; f++)
                        acc += (double)w[o * F + f] * inp[f * N + n];
                    want[o * N + n] = (float)acc;
                }
            for (size_t i = 0; i < (size_t)O * N; i++)
                out[i] = NAN; /* must be overwritten */
            gt_dense_forward(out, inp, w, with_bias ? b : NULL, F, O, N);
            gtt_assert_close(out, want, (size_t)O * N, 1e-5, 1e-5, "dense forward");
        }
        free(inp), free(w), free(b), free(out), free(want);
    }
}
END_TEST

START_TEST(dense_backward_matches_fd)
{
    static const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 9, 13}, {40, 6, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int F = shapes[s][0], O = shapes[s][1], N = shapes[s][2];
        dense_ctx c = {falloc((size_t)O * N), frand((size_t)F * N, 11 + s, 1.0f),
                       frand((size_t)O * F, 21 + s, 0.5f), frand((size_t)O, 31 + s, 1.0f),
                       frand((size_t)O * N, 41 + s, 1.0f), F, O, N};
        float *dinp = falloc((size_t)F * N);
        float *dw = calloc((size_t)O * F, sizeof *dw), *db = calloc((size_t)O, sizeof *db);
        for (size_t i = 0; i < (size_t)F * N; i++)
            dinp[i] = 1e6f; /* overwritten, not added to */
        gt_dense_backward(dinp, dw, db, c.dout, c.inp, c.w, F, O, N);
        gtt_assert_fd(dense_loss, &c, c.inp, dinp, (size_t)F * N, 1e-2f, 1e-3, 1e-2, "dense dinp");
        gtt_assert_fd(dense_loss, &c, c.w, dw, (size_t)O * F, 1e-2f, 1e-3, 1e-2, "dense dweight");
        gtt_assert_fd(dense_loss, &c, c.b, db, (size_t)O, 1e-2f, 1e-3, 1e-2, "dense dbias");
        /* Parameter gradients accumulate; dinp may be NULL. */
        float *dw1 = falloc((size_t)O * F), *db1 = falloc((size_t)O);
        memcpy(dw1, dw, (size_t)O * F * sizeof *dw);
        memcpy(db1, db, (size_t)O * sizeof *db);
        gt_dense_backward(NULL, dw, db, c.dout, c.inp, c.w, F, O, N);
        for (size_t i = 0; i < (size_t)O * F; i++)
            ck_assert_float_eq_tol(dw[i], 2.0f * dw1[i], 1e-5f * (1.0f + fabsf(dw1[i])));
        for (int o = 0; o < O; o++)
            ck_assert_float_eq_tol(db[o], 2.0f * db1[o], 1e-5f * (1.0f + fabsf(db1[o])));
        free(c.out), free(c.inp), free(c.w), free(c.b), free(c.dout);
        free(dinp), free(dw), free(db), free(dw1), free(db1);
    }
}
END_TEST

/* ========================================================== batch norm */

/* Two-pass reference in double. */
static void bn_reference(float *out, double *mean, double *var, const float *x,
                         const float *gamma, const float *beta, int C, int M)
{
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * M;
        double s = 0.0;
        for (int i = 0; i < M; i++)
            s += xc[i];
        double mu = s / M, v = 0.0;
        for (int i = 0; i < M; i++)
            v += (xc[i] - mu) * (xc[i] - mu);
        v /= M;
        mean[c] = mu;
        var[c] = v;
        double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
        for (int i = 0; i < M; i++)
            out[(size_t)c * M + i] = (float)((xc[i] - mu) / sqrt(v + 1e-5) * g + b);
    }
}

START_TEST(batchnorm_train_forward_and_running_stats)
{
    static const int shapes[][2] = {{1, 2}, {3, 7}, {5, 64}, {4, 1000}, {2, 3}, {8, 8192}};
    const float momentum = 0.1f, eps = 1e-5f;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int C = shapes[s][0], M = shapes[s][1];
        size_t n = (size_t)C * M;
        float *x = frand(n, 50 + s, 2.0f);
        /* A channel far from zero mean tests the variance's precision. */
        for (int i = 0; i < M; i++)
            x[i] += 100.0f;
        float *g = frand((size_t)C, 60 + s, 1.0f), *b = frand((size_t)C, 70 + s, 1.0f);
        float *rm = frand((size_t)C, 80 + s, 1.0f), *rv = frand((size_t)C, 90 + s, 1.0f);
        for (int c = 0; c < C; c++)
            rv[c] = 1.0f + rv[c] * 0.5f;
        float *rm0 = falloc((size_t)C), *rv0 = falloc((size_t)C);
        memcpy(rm0, rm, (size_t)C * sizeof *rm);
        memcpy(rv0, rv, (size_t)C * sizeof *rv);
        float *out = falloc(n), *want = falloc(n), *mean = falloc((size_t)C), *rstd = falloc((size_t)C);
        float *wmean = falloc((size_t)C), *wrstd = falloc((size_t)C);
        float *wrm = falloc((size_t)C), *wrv = falloc((size_t)C);
        double *dm = malloc((size_t)C * sizeof *dm), *dv = malloc((size_t)C * sizeof *dv);
        for (int affine = 1; affine >= 0; affine--) {
            memcpy(rm, rm0, (size_t)C * sizeof *rm);
            memcpy(rv, rv0, (size_t)C * sizeof *rv);
            const float *gg = affine ? g : NULL, *bb = affine ? b : NULL;
            bn_reference(want, dm, dv, x, gg, bb, C, M);
            for (int c = 0; c < C; c++) {
                wmean[c] = (float)dm[c];
                wrstd[c] = (float)(1.0 / sqrt(dv[c] + eps));
                /* PyTorch: unbiased variance into the running estimate. */
                double unb = M > 1 ? dv[c] * M / (M - 1) : dv[c];
                wrm[c] = (float)((1 - momentum) * rm0[c] + momentum * dm[c]);
                wrv[c] = (float)((1 - momentum) * rv0[c] + momentum * unb);
            }
            gt_batchnorm_forward(out, mean, rstd, x, gg, bb, rm, rv, C, M, momentum, eps, 1);
            gtt_assert_close(out, want, n, 1e-5, 1e-4, "batchnorm train out");
            gtt_assert_close(mean, wmean, (size_t)C, 1e-6, 1e-6, "batchnorm mean");
            gtt_assert_close(rstd, wrstd, (size_t)C, 1e-6, 1e-4, "batchnorm rstd");
            gtt_assert_close(rm, wrm, (size_t)C, 1e-6, 1e-6, "batchnorm running_mean");
            gtt_assert_close(rv, wrv, (size_t)C, 1e-6, 1e-5, "batchnorm running_var");
        }
        free(x), free(g), free(b), free(rm), free(rv), free(rm0), free(rv0), free(out);
        free(want), free(mean), free(rstd), free(wmean), free(wrstd), free(wrm), free(wrv);
        free(dm), free(dv);
    }
}
END_TEST

START_TEST(batchnorm_eval_uses_running_stats)
{
    const int C = 3, M = 11;
    size_t n = (size_t)C * M;
    float *x = frand(n, 5, 3.0f), *g = frand(C, 6, 1.0f), *b = frand(C, 7, 1.0f);
    float rm[3] = {0.5f, -1.0f, 2.0f}, rv[3] = {0.25f, 2.0f, 4.0f};
    float *out = falloc(n), *want = falloc(n), mean[3], rstd[3];
    for (int c = 0; c < C; c++)
        for (int i = 0; i < M; i++) {
            size_t k = (size_t)c * M + i;
            want[k] = (float)((x[k] - rm[c]) / sqrt(rv[c] + 1e-5) * g[c] + b[c]);
        }
    gt_batchnorm_forward(out, mean, rstd, x, g, b, rm, rv, C, M, 0.1f, 1e-5f, 0);
    gtt_assert_close(out, want, n, 1e-5, 1e-5, "batchnorm eval out");
    for (int c = 0; c < C; c++) {
        ck_assert_float_eq(mean[c], rm[c]);
        ck_assert_float_eq_tol(rstd[c], 1.0 / sqrt(rv[c] + 1e-5), 1e-6);
    }
    /* Inference leaves the running statistics alone. */
    ck_assert_float_eq(rm[1], -1.0f);
    ck_assert_float_eq(rv[2], 4.0f);
    /* Without running statistics inference uses the batch's (PyTorch's
     * track_running_stats=False). */
    double dm[3], dv[3];
    bn_reference(want, dm, dv, x, g, b, C, M);
    gt_batchnorm_forward(out, mean, rstd, x, g, b, NULL, NULL, C, M, 0.1f, 1e-5f, 0);
    gtt_assert_close(out, want, n, 1e-5, 1e-4, "batchnorm eval, no running stats");
    free(x), free(g), free(b), free(out), free(want);
}
END_TEST

typedef struct {
    float *out, *x, *g, *b, *dout, *mean, *rstd;
    int C, M;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    gt_batchnorm_forward(c->out, c->mean, c->rstd, c->x, c->g, c->b, NULL, NULL, c->C, c->M,
                         0.1f, 1e-5f, 1);
    return dot_d(c->dout, c->out, (size_t)c->C * c->M);
}

START_TEST(batchnorm_backward_matches_fd)
{
    static const int shapes[][2] = {{1, 2}, {3, 7}, {2, 33}, {4, 100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int C = shapes[s][0], M = shapes[s][1];
        size_t n = (size_t)C * M;
        bn_ctx c = {falloc(n), frand(n, 300 + s, 1.0f), frand(C, 310 + s, 1.0f),
                    frand(C, 320 + s, 1.0f), frand(n, 330 + s, 1.0f), falloc(C), falloc(C),
                    C, M};
        for (int k = 0; k < C; k++)
            c.g[k] += c.g[k] < 0 ? -0.5f : 0.5f;
        bn_loss(&c);
        float *dx = falloc(n), *dg = calloc(C, sizeof *dg), *db = calloc(C, sizeof *db);
        gt_batchnorm_backward(dx, dg, db, c.dout, c.x, c.mean, c.rstd, c.g, C, M);
        gtt_assert_fd(bn_loss, &c, c.x, dx, n, 1e-3f, 2e-3, 1e-2, "batchnorm dinp");
        gtt_assert_fd(bn_loss, &c, c.g, dg, C, 1e-3f, 2e-3, 1e-2, "batchnorm dgamma");
        gtt_assert_fd(bn_loss, &c, c.b, db, C, 1e-3f, 2e-3, 1e-2, "batchnorm dbeta");
        /* Without affine parameters the input gradient is that of gamma = 1. */
        free(c.g), free(c.b);
        c.g = NULL;
        c.b = NULL;
        bn_loss(&c);
        gt_batchnorm_backward(dx, NULL, NULL, c.dout, c.x, c.mean, c.rstd, NULL, C, M);
        gtt_assert_fd(bn_loss, &c, c.x, dx, n, 1e-3f, 2e-3, 1e-2, "batchnorm dinp, no affine");
        free(c.out), free(c.x), free(c.dout), free(c.mean), free(c.rstd);
        free(dx), free(dg), free(db);
    }
}
END_TEST

/*
 * A channel whose mean is large against its spread, where rounding the mean
 * to float would cost digits, against the gradient formulas in double:
 *   dbeta = sum dy,  dgamma = sum dy xhat,
 *   dx = gamma rstd (dy - mean(dy) - xhat mean(dy xhat)).
 */
START_TEST(batchnorm_backward_large_mean_matches_double)
{
    const int C = 2, M = 257;
    size_t n = (size_t)C * M;
    float *x = frand(n, 340, 1.0f), *dy = frand(n, 341, 1.0f), g[2] = {1.5f, -0.7f};
    for (int i = 0; i < M; i++) {
        x[i] = 100.0f + 0.01f * x[i];
        x[M + i] -= 3.0f;
    }
    float *y = falloc(n), *dx = falloc(n), *want = falloc(n), mean[2], rstd[2];
    float dg[2] = {0}, db[2] = {0}, wdg[2], wdb[2];
    gt_batchnorm_forward(y, mean, rstd, x, g, NULL, NULL, NULL, C, M, 0.1f, 1e-5f, 1);
    gt_batchnorm_backward(dx, dg, db, dy, x, mean, rstd, g, C, M);
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * M, *dyc = dy + (size_t)c * M;
        double mu = 0, var = 0, sdy = 0, sdyx = 0;
        for (int i = 0; i < M; i++)
            mu += xc[i];
        mu /= M;
        for (int i = 0; i < M; i++)
            var += (xc[i] - mu) * (xc[i] - mu);
        double rs = 1.0 / sqrt(var / M + 1e-5);
        for (int i = 0; i < M; i++) {
            sdy += dyc[i];
            sdyx += dyc[i] * (xc[i] - mu) * rs;
        }
        wdb[c] = (float)sdy;
        wdg[c] = (float)sdyx;
        for (int i = 0; i < M; i++)
            want[(size_t)c * M + i] =
                (float)(g[c] * rs * (dyc[i] - sdy / M - (xc[i] - mu) * rs * sdyx / M));
    }
    gtt_assert_close(dx, want, (size_t)M, 1e-4, 1e-5, "batchnorm dinp, mean 100");
    gtt_assert_close(dx + M, want + M, (size_t)M, 1e-6, 1e-5, "batchnorm dinp, mean -3");
    gtt_assert_close(dg, wdg, 2, 1e-5, 1e-5, "batchnorm dgamma");
    gtt_assert_close(db, wdb, 2, 1e-5, 1e-5, "batchnorm dbeta");
    free(x), free(dy), free(y), free(dx), free(want);
}
END_TEST

START_TEST(batchnorm_same_result_any_thread_count)
{
    const int C = 6, M = gtt_quick() ? 6000 : 20000;
    size_t n = (size_t)C * M;
    float *x = frand(n, 9, 1.0f), *dy = frand(n, 10, 1.0f), *g = frand(C, 11, 1.0f);
    float *b = frand(C, 12, 1.0f);
    float *o1 = falloc(n), *o2 = falloc(n), *d1 = falloc(n), *d2 = falloc(n);
    float m1[6], m2[6], r1[6], r2[6], dg1[6] = {0}, dg2[6] = {0}, db1[6] = {0}, db2[6] = {0};
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    gt_batchnorm_forward(o1, m1, r1, x, g, b, NULL, NULL, C, M, 0.1f, 1e-5f, 1);
    gt_batchnorm_backward(d1, dg1, db1, dy, x, m1, r1, g, C, M);
    omp_set_num_threads(3);
    gt_batchnorm_forward(o2, m2, r2, x, g, b, NULL, NULL, C, M, 0.1f, 1e-5f, 1);
    gt_batchnorm_backward(d2, dg2, db2, dy, x, m2, r2, g, C, M);
    omp_set_num_threads(saved);
    ck_assert(memcmp(o1, o2, n * sizeof *o1) == 0);
    ck_assert(memcmp(d1, d2, n * sizeof *d1) == 0);
    ck_assert(memcmp(dg1, dg2, sizeof dg1) == 0 && memcmp(db1, db2, sizeof db1) == 0);
    free(x), free(dy), free(g), free(b), free(o1), free(o2), free(d1), free(d2);
}
END_TEST

/* ========================================================= activations */

enum { ACT_RELU, ACT_LRELU, ACT_TANH, ACT_SIGMOID, ACT_COUNT };
static const char *const act_names[ACT_COUNT] = {"relu", "lrelu", "tanh", "sigmoid"};
static const float lrelu_slope = 0.2f;

static void act_forward(int kind, float *out, const float *x, size_t n)
{
    switch (kind) {
    case ACT_RELU: gt_relu_forward(out, x, n); break;
    case ACT_LRELU: gt_lrelu_forward(out, x, n, lrelu_slope); break;
    case ACT_TANH: gt_tanh_forward(out, x, n); break;
    default: gt_sigmoid_forward(out, x, n); break;
    }
}

static void act_backward(int kind, float *dx, const float *dy, const float *x,
                         const float *y, size_t n)
{
    switch (kind) {
    case ACT_RELU: gt_relu_backward(dx, dy, y, n); break;
    case ACT_LRELU: gt_lrelu_backward(dx, dy, x, n, lrelu_slope); break;
    case ACT_TANH: gt_tanh_backward(dx, dy, y, n); break;
    default: gt_sigmoid_backward(dx, dy, y, n); break;
    }
}

static double act_reference(int kind, double x)
{
    switch (kind) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_LRELU: return x > 0 ? x : x * lrelu_slope;
    case ACT_TANH: return tanh(x);
    default: return 1.0 / (1.0 + exp(-x));
    }
}

START_TEST(activation_forward_matches_reference)
{
    static const size_t sizes[] = {1, 3, 5, 17, 1001, 70001};
    for (int kind = 0; kind < ACT_COUNT; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            float *x = frand(n, 400 + s, 6.0f), *y = falloc(n), *want = falloc(n);
            for (size_t i = 0; i < n; i++)
                want[i] = (float)act_reference(kind, x[i]);
            act_forward(kind, y, x, n);
            if (kind == ACT_RELU || kind == ACT_LRELU)
                ck_assert(memcmp(y, want, n * sizeof *y) == 0); /* exact */
            else
                gtt_assert_close(y, want, n, 1e-30, 4e-7, act_names[kind]); /* ~3 ulp */
            /* Vector body, tail and threads agree with one-at-a-time calls. */
            for (size_t i = 0; i < n; i += 1 + n / 50) {
                float one;
                act_forward(kind, &one, x + i, 1);
                ck_assert_msg(memcmp(&one, y + i, sizeof one) == 0, "%s: element %zu",
                              act_names[kind], i);
            }
            free(x), free(y), free(want);
        }
}
END_TEST

START_TEST(activation_special_values)
{
    const float x[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 30.0f, -30.0f, 1e-30f, -90.0f};
    enum { NX = sizeof x / sizeof x[0] };
    float y[NX];
    for (int kind = 0; kind < ACT_COUNT; kind++) {
        act_forward(kind, y, x, NX);
        /* A NaN must survive every activation: the trainer's checks rely on it. */
        ck_assert_msg(isnan(y[0]), "%s(NaN) = %g", act_names[kind], y[0]);
        for (int i = 1; i < NX; i++) {
            double want = act_reference(kind, x[i]);
            ck_assert_msg(isinf(want) ? y[i] == want : fabs(y[i] - want) <= 4e-7 * fabs(want) + 1e-44,
                          "%s(%g) = %g, want %g", act_names[kind], x[i], y[i], want);
        }
    }
    gt_tanh_forward(y, x, NX);
    ck_assert(signbit(y[4]) && !signbit(y[3])); /* tanh(-0) = -0 */
}
END_TEST

/* Distance in units in the last place of the correctly rounded value. */
static double ulp_error(float got, double want)
{
    float w = (float)want;
    float ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / ulp;
}

/*
 * Accuracy sweep against libm in double: tanh within 2 ulp (glibc's tanhf
 * reaches 2.2), sigmoid within 3 ulp and, where the result is subnormal,
 * within one subnormal step.
 */
START_TEST(tanh_and_sigmoid_ulp_error)
{
    size_t n = gtt_quick() ? 20000 : 200000;
    float *x = falloc(n), *y = falloc(n);
    for (int kind = ACT_TANH; kind <= ACT_SIGMOID; kind++) {
        float range = kind == ACT_TANH ? 10.0f : 110.0f;
        for (size_t i = 0; i < n; i++) {
            /* Even steps across [-range, range], and a log scale of tiny values. */
            x[i] = i % 2 ? -range + 2 * range * (float)i / (float)n
                         : ldexpf(1.0f + (float)(i % 97) / 97.0f, -(int)(i % 40));
        }
        act_forward(kind, y, x, n);
        double worst = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            double want = act_reference(kind, x[i]);
            double e = fabs(want) < 0x1p-126 ? fabs(y[i] - want) / 0x1p-149
                                              : ulp_error(y[i], want);
            if (e > worst)
                worst = e, at = i;
        }
        ck_assert_msg(worst <= (kind == ACT_TANH ? 2.0 : 3.0), "%s(%.9g) = %.9g: %.2f ulp",
                      act_names[kind], x[at], y[at], worst);
    }
    free(x), free(y);
}
END_TEST

typedef struct {
    int kind;
    float *x, *y, *dout;
    size_t n;
} act_ctx;

static double act_loss(void *p)
{
    act_ctx *c = p;
    act_forward(c->kind, c->y, c->x, c->n);
    return dot_d(c->dout, c->y, c->n);
}

START_TEST(activation_backward_matches_fd)
{
    static const size_t sizes[] = {1, 7, 64, 1003};
    for (int kind = 0; kind < ACT_COUNT; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            act_ctx c = {kind, frand(n, 500 + s, 2.0f), falloc(n), frand(n, 510 + s, 1.0f), n};
            push_from_zero(c.x, n, 0.05f);
            act_loss(&c);
            float *dx = falloc(n);
            act_backward(kind, dx, c.dout, c.x, c.y, n);
            gtt_assert_fd(act_loss, &c, c.x, dx, n, 1e-2f, 1e-3, 1e-2, act_names[kind]);
            free(c.x), free(c.y), free(c.dout), free(dx);
        }
}
END_TEST

/* ============================================================= dropout */

START_TEST(dropout_mask_statistics)
{
    size_t n = gtt_quick() ? 40000 : 200000;
    const float p = 0.3f, keep = 1.0f / (1.0f - p);
    float *x = frand(n, 600, 1.0f), *y = falloc(n), *mask = falloc(n);
    gt_rng rng;
    gt_rng_seed(&rng, 1);
    gt_dropout_forward(y, mask, x, n, p, &rng, 1);
    size_t zeros = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        ck_assert(mask[i] == 0.0f || mask[i] == keep);
        ck_assert(y[i] == x[i] * mask[i]);
        zeros += mask[i] == 0.0f;
        sum += mask[i];
    }
    /* Share of zeros within 5 standard deviations of p; the inverted scaling
     * keeps the mask's mean at 1. */
    double share = (double)zeros / n, sd = sqrt(p * (1.0 - p) / n);
    ck_assert_msg(fabs(share - p) < 5 * sd, "zero share %g, p %g", share, (double)p);
    ck_assert_msg(fabs(sum / n - 1.0) < 5 * sd * keep, "mask mean %g", sum / n);
    free(x), free(y), free(mask);
}
END_TEST

START_TEST(dropout_seed_backward_and_eval)
{
    const size_t n = 1001;
    float *x = frand(n, 610, 1.0f), *y1 = falloc(n), *y2 = falloc(n), *y3 = falloc(n);
    float *m1 = falloc(n), *m2 = falloc(n), *m3 = falloc(n);
    float *dy = frand(n, 620, 1.0f), *dx = falloc(n);
    gt_rng a, b, c;
    gt_rng_seed(&a, 77);
    gt_rng_seed(&b, 77);
    gt_rng_seed(&c, 78);
    gt_dropout_forward(y1, m1, x, n, 0.5f, &a, 1);
    gt_dropout_forward(y2, m2, x, n, 0.5f, &b, 1);
    gt_dropout_forward(y3, m3, x, n, 0.5f, &c, 1);
    ck_assert(memcmp(m1, m2, n * sizeof *m1) == 0);
    ck_assert(memcmp(y1, y2, n * sizeof *y1) == 0);
    ck_assert(memcmp(m1, m3, n * sizeof *m1) != 0);
    /* The generator advanced: the next mask differs from the first. */
    gt_dropout_forward(y2, m2, x, n, 0.5f, &b, 1);
    ck_assert(memcmp(m1, m2, n * sizeof *m1) != 0);

    gt_dropout_backward(dx, dy, m1, n);
    for (size_t i = 0; i < n; i++)
        ck_assert(dx[i] == dy[i] * m1[i]);

    /* Inference: identity, mask and generator untouched. */
    for (size_t i = 0; i < n; i++)
        m3[i] = -7.0f;
    gt_rng before = a;
    gt_dropout_forward(y3, m3, x, n, 0.5f, &a, 0);
    ck_assert(memcmp(y3, x, n * sizeof *x) == 0);
    ck_assert(m3[0] == -7.0f && m3[n - 1] == -7.0f);
    ck_assert(a.s[0] == before.s[0] && a.s[1] == before.s[1]);

    /* p = 0 keeps everything, p = 1 drops everything. */
    gt_dropout_forward(y3, m3, x, n, 0.0f, &a, 1);
    ck_assert(memcmp(y3, x, n * sizeof *x) == 0);
    gt_dropout_forward(y3, m3, x, n, 1.0f, &a, 1);
    for (size_t i = 0; i < n; i++)
        ck_assert(y3[i] == 0.0f && m3[i] == 0.0f);
    free(x), free(y1), free(y2), free(y3), free(m1), free(m2), free(m3), free(dy), free(dx);
}
END_TEST

/* ===================================================== flatten, upsample */

START_TEST(flatten_unflatten_layout_and_adjoint)
{
    static const int shapes[][3] = {{1, 1, 1}, {3, 2, 5}, {4, 7, 1}, {2, 3, 12}, {16, 9, 20}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int C = shapes[s][0], N = shapes[s][1], HW = shapes[s][2];
        size_t n = (size_t)C * N * HW;
        float *x = frand(n, 700 + s, 1.0f), *f = falloc(n), *back = falloc(n);
        gt_flatten_forward(f, x, C, N, HW);
        /* As x.view(N, -1): sample n's feature c * HW + k is x[c, n, k]. */
        for (int c = 0; c < C; c++)
            for (int m = 0; m < N; m++)
                for (int k = 0; k < HW; k++)
                    ck_assert(f[((size_t)c * HW + k) * N + m] == x[((size_t)c * N + m) * HW + k]);
        gt_unflatten_forward(back, f, C, N, HW);
        ck_assert(memcmp(back, x, n * sizeof *x) == 0);
        /* Each is the other's backward: <flatten x, g> = <x, unflatten g>. */
        float *g = frand(n, 710 + s, 1.0f), *ug = falloc(n);
        gt_unflatten_forward(ug, g, C, N, HW);
        ck_assert_double_eq_tol(dot_d(f, g, n), dot_d(x, ug, n), 1e-9);
        free(x), free(f), free(back), free(g), free(ug);
    }
}
END_TEST

typedef struct {
    float *x, *y, *dout;
    int C, N, H, W, fh, fw;
} up_ctx;

static double up_loss(void *p)
{
    up_ctx *c = p;
    gt_upsample_forward(c->y, c->x, c->C, c->N, c->H, c->W, c->fh, c->fw);
    return dot_d(c->dout, c->y, (size_t)c->C * c->N * c->H * c->fh * c->W * c->fw);
}

START_TEST(upsample_forward_and_backward)
{
    static const int shapes[][6] = {
        {1, 1, 1, 1, 1, 1}, {2, 3, 1, 5, 1, 2}, {3, 2, 4, 3, 2, 2}, {1, 2, 3, 5, 3, 1}, {2, 1, 2, 7, 2, 3},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int *d = shapes[s];
        int C = d[0], N = d[1], H = d[2], W = d[3], fh = d[4], fw = d[5];
        int Ho = H * fh, Wo = W * fw;
        size_t nin = (size_t)C * N * H * W, nout = (size_t)C * N * Ho * Wo;
        up_ctx c = {frand(nin, 800 + s, 1.0f), falloc(nout), frand(nout, 810 + s, 1.0f),
                    C, N, H, W, fh, fw};
        up_loss(&c);
        for (int pl = 0; pl < C * N; pl++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++)
                    ck_assert(c.y[((size_t)pl * Ho + h) * Wo + w] ==
                              c.x[((size_t)pl * H + h / fh) * W + w / fw]);
        float *dx = falloc(nin);
        gt_upsample_backward(dx, c.dout, C, N, H, W, fh, fw);
        gtt_assert_fd(up_loss, &c, c.x, dx, nin, 1e-2f, 1e-4, 1e-3, "upsample dinp");
        free(c.x), free(c.y), free(c.dout), free(dx);
    }
}
END_TEST

/* Translation (DiffAugment): each sample's rows move by its own shift,
 * zero-filled; backward is the adjoint, and matches finite differences. */
typedef struct {
    float *x, *y, *dout;
    const int *shift;
    int n, R, L;
} move_ctx;

static double move_loss(void *p)
{
    move_ctx *c = p;
    gt_translate_forward(c->y, c->x, c->n, c->R, c->L, c->shift);
    return dot_d(c->dout, c->y, (size_t)c->n * c->R * c->L);
}

START_TEST(translate_forward_and_backward)
{
    /* every shift kind: none, either way, as far as the row, beyond it */
    static const int shift[] = {0, 1, -1, 3, -5, 7, -7, 9, -12};
    const int n = (int)(sizeof shift / sizeof shift[0]), R = 2, L = 7;
    const size_t sz = (size_t)n * R * L;
    move_ctx c = {frand(sz, 900, 1.0f), falloc(sz), frand(sz, 901, 1.0f), shift, n, R, L};
    move_loss(&c);
    for (int i = 0; i < n; i++)
        for (int r = 0; r < R; r++)
            for (int j = 0; j < L; j++) {
                const size_t at = ((size_t)i * R + r) * L;
                const int k = j - shift[i];
                ck_assert(c.y[at + j] == (k >= 0 && k < L ? c.x[at + k] : 0.0f));
            }
    float *dx = falloc(sz);
    gt_translate_backward(dx, c.dout, n, R, L, shift);
    gtt_assert_fd(move_loss, &c, c.x, dx, sz, 1e-2f, 1e-4, 1e-3, "translate dx");
    /* the adjoint: <T x, g> = <x, T' g> */
    ck_assert_double_eq_tol(dot_d(c.y, c.dout, sz), dot_d(c.x, dx, sz), 1e-9);
    free(c.x), free(c.y), free(c.dout), free(dx);
}
END_TEST

/* ======================================================== label concat */

typedef struct {
    float *x, *y, *table, *dout;
    const int *labels;
    int C, E, N, HW;
} label_ctx;

static double label_loss(void *p)
{
    label_ctx *c = p;
    gt_label_concat_forward(c->y, c->x, c->labels, c->table, c->C, c->E, c->N, c->HW);
    return dot_d(c->dout, c->y, (size_t)(c->C + c->E) * c->N * c->HW);
}

START_TEST(label_concat_one_hot_and_embedding)
{
    static const int shapes[][4] = {{2, 3, 4, 5}, {0, 4, 3, 1}, {1, 5, 6, 7}, {3, 1, 2, 1}};
    static const int labels[] = {1, 0, 2, 1, 2, 1};
    const int K = 3; /* classes in the embedding table */
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int C = shapes[s][0], E = shapes[s][1], N = shapes[s][2], HW = shapes[s][3];
        size_t nin = (size_t)C * N * HW, nout = (size_t)(C + E) * N * HW;
        label_ctx c = {frand(nin, 900 + s, 1.0f), falloc(nout), NULL,
                       frand(nout, 910 + s, 1.0f), labels, C, E, N, HW};
        float *table = frand((size_t)K * E, 920 + s, 1.0f);
        for (int emb = 0; emb < 2; emb++) {
            c.table = emb ? table : NULL;
            label_loss(&c);
            for (int ch = 0; ch < C + E; ch++)
                for (int n = 0; n < N; n++)
                    for (int k = 0; k < HW; k++) {
                        float want;
                        if (ch < C)
                            want = c.x[((size_t)ch * N + n) * HW + k];
                        else if (emb)
                            want = table[labels[n] * E + (ch - C)];
                        else
                            want = labels[n] == ch - C ? 1.0f : 0.0f;
                        ck_assert(c.y[((size_t)(ch * N + n)) * HW + k] == want);
                    }
        }
        /* Backward: input gradient is the first C channels; the table's is
         * the label channels' gradient summed over positions and samples. */
        float *dx = falloc(nin ? nin : 1), *dt = calloc((size_t)K * E, sizeof *dt);
        gt_label_concat_backward(dx, dt, c.dout, labels, C, E, N, HW);
        ck_assert(nin == 0 || memcmp(dx, c.dout, nin * sizeof *dx) == 0);
        gtt_assert_fd(label_loss, &c, table, dt, (size_t)K * E, 1e-2f, 1e-4, 1e-3,
                      "label embedding dtable");
        if (nin)
            gtt_assert_fd(label_loss, &c, c.x, dx, nin, 1e-2f, 1e-4, 1e-3, "label dinp");
        free(c.x), free(c.y), free(c.dout), free(table), free(dx), free(dt);
    }
}
END_TEST

/* ============================================== spectral normalisation */

/* A (rows, cols) matrix P diag(sv) Q^T with orthonormal P, Q from
 * Gram-Schmidt on random vectors, so its singular values are sv. */
static void make_matrix_with_singular_values(float *w, const double *sv, int rows, int cols,
                                             uint64_t seed)
{
    int r = rows < cols ? rows : cols;
    double *P = malloc((size_t)rows * r * sizeof *P), *Q = malloc((size_t)cols * r * sizeof *Q);
    gt_rng rng;
    gt_rng_seed(&rng, seed);
    for (int pass = 0; pass < 2; pass++) {
        double *A = pass ? Q : P;
        int len = pass ? cols : rows;
        for (int k = 0; k < r; k++) {
            double *a = A + (size_t)k * len; /* column k, stored contiguously */
            for (int i = 0; i < len; i++)
                a[i] = gt_rng_normal(&rng);
            for (int rep = 0; rep < 2; rep++)
                for (int j = 0; j < k; j++) {
                    double *b = A + (size_t)j * len, d = 0;
                    for (int i = 0; i < len; i++)
                        d += a[i] * b[i];
                    for (int i = 0; i < len; i++)
                        a[i] -= d * b[i];
                }
            double nn = 0;
            for (int i = 0; i < len; i++)
                nn += a[i] * a[i];
            for (int i = 0; i < len; i++)
                a[i] /= sqrt(nn);
        }
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int k = 0; k < r; k++)
                s += P[(size_t)k * rows + i] * sv[k] * Q[(size_t)k * cols + j];
            w[(size_t)i * cols + j] = (float)s;
        }
    free(P), free(Q);
}

static void normalized_random(float *x, int n, uint64_t seed)
{
    gt_rng rng;
    gt_rng_seed(&rng, seed);
    gt_rng_fill_normal(&rng, x, (size_t)n, 0.0f, 1.0f);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    for (int i = 0; i < n; i++)
        x[i] = (float)(x[i] / sqrt(s));
}

START_TEST(spectral_norm_converges_to_largest_singular_value)
{
    static const int shapes[][2] = {{6, 10}, {8, 3}, {5, 5}};
    const double sv[] = {5.0, 2.0, 1.5, 1.0, 0.5, 0.1, 0.05, 0.01};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        size_t n = (size_t)rows * cols;
        float *w = falloc(n), *wn = falloc(n), *u = falloc(rows), *v = falloc(cols);
        make_matrix_with_singular_values(w, sv, rows, cols, 1000 + s);
        normalized_random(u, rows, 1010 + s);
        normalized_random(v, cols, 1020 + s);
        /* One step: v = normalize(W^T u0), u = normalize(W v), then
         * sigma = u . W v with the new u, v; reference in double. */
        double rv[16], ru[16], nv = 0, nu = 0;
        for (int j = 0; j < cols; j++) {
            rv[j] = 0;
            for (int i = 0; i < rows; i++)
                rv[j] += (double)w[i * cols + j] * u[i];
            nv += rv[j] * rv[j];
        }
        for (int j = 0; j < cols; j++)
            rv[j] /= sqrt(nv);
        for (int i = 0; i < rows; i++) {
            ru[i] = 0;
            for (int j = 0; j < cols; j++)
                ru[i] += (double)w[i * cols + j] * rv[j];
            nu += ru[i] * ru[i];
        }
        double rsigma = 0;
        for (int i = 0; i < rows; i++) {
            ru[i] /= sqrt(nu);
            double wv = 0;
            for (int j = 0; j < cols; j++)
                wv += (double)w[i * cols + j] * rv[j];
            rsigma += ru[i] * wv;
        }
        float sigma = gt_spectral_norm_forward(wn, u, v, w, rows, cols, 1, 1);
        for (int i = 0; i < rows; i++)
            ck_assert_double_eq_tol(u[i], ru[i], 1e-6);
        for (int j = 0; j < cols; j++)
            ck_assert_double_eq_tol(v[j], rv[j], 1e-6);
        ck_assert_double_eq_tol(sigma, rsigma, 1e-5 * rsigma);
        for (size_t k = 0; k < n; k++)
            ck_assert_double_eq_tol(wn[k], w[k] / rsigma, 1e-6);

        /* Iterated (one step per call, as in training), sigma -> sv[0]. */
        for (int it = 0; it < 60; it++)
            sigma = gt_spectral_norm_forward(wn, u, v, w, rows, cols, 1, 1);
        ck_assert_msg(fabs(sigma - sv[0]) < 1e-4 * sv[0], "sigma %g, want %g", sigma, sv[0]);
        /* Inference keeps u, v but still takes sigma from the current W. */
        float u0 = u[0], v0 = v[cols - 1];
        for (size_t k = 0; k < n; k++)
            w[k] *= 2.0f;
        sigma = gt_spectral_norm_forward(wn, u, v, w, rows, cols, 5, 0);
        ck_assert(u[0] == u0 && v[cols - 1] == v0);
        ck_assert_msg(fabs(sigma - 2 * sv[0]) < 2e-4 * sv[0], "eval sigma %g", sigma);
        /* Several iterations in one call = as many calls of one. */
        float *u2 = falloc(rows), *v2 = falloc(cols);
        normalized_random(u, rows, 7);
        memcpy(u2, u, rows * sizeof *u);
        for (int it = 0; it < 3; it++)
            gt_spectral_norm_forward(wn, u2, v2, w, rows, cols, 1, 1);
        gt_spectral_norm_forward(wn, u, v, w, rows, cols, 3, 1);
        ck_assert(memcmp(u, u2, rows * sizeof *u) == 0 && memcmp(v, v2, cols * sizeof *v) == 0);
        free(w), free(wn), free(u), free(v), free(u2), free(v2);
    }
}
END_TEST

typedef struct {
    float *w, *wn, *u, *v, *dwn;
    int rows, cols;
} sn_ctx;

static double sn_loss(void *p)
{
    sn_ctx *c = p;
    /* train = 0: u, v frozen, sigma recomputed from the perturbed W. */
    gt_spectral_norm_forward(c->wn, c->u, c->v, c->w, c->rows, c->cols, 1, 0);
    return dot_d(c->dwn, c->wn, (size_t)c->rows * c->cols);
}

START_TEST(spectral_norm_backward_matches_fd)
{
    /* A dense weight and a conv weight (cout 4, cin 3, 3 x 3) as (4, 27). */
    static const int shapes[][2] = {{7, 5}, {4, 27}, {1, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        size_t n = (size_t)rows * cols;
        sn_ctx c = {frand(n, 1100 + s, 1.0f), falloc(n), falloc(rows), falloc(cols),
                    frand(n, 1110 + s, 1.0f), rows, cols};
        normalized_random(c.u, rows, 1120 + s);
        float sigma = gt_spectral_norm_forward(c.wn, c.u, c.v, c.w, rows, cols, 30, 1);
        float *dw = falloc(n);
        for (size_t k = 0; k < n; k++)
            dw[k] = 0.25f; /* backward adds into dw */
        gt_spectral_norm_backward(dw, c.dwn, c.wn, c.u, c.v, sigma, rows, cols);
        for (size_t k = 0; k < n; k++)
            dw[k] -= 0.25f;
        gtt_assert_fd(sn_loss, &c, c.w, dw, n, 1e-3f, 1e-3, 1e-2, "spectral norm dW");
        free(c.w), free(c.wn), free(c.u), free(c.v), free(c.dwn), free(dw);
    }
}
END_TEST

GTT_SUITE(gt_test_kernels_suite)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("dense");
    tcase_add_test(tc, dense_forward_matches_naive);
    tcase_add_test(tc, dense_backward_matches_fd);
    suite_add_tcase(s, tc);

    tc = tcase_create("batchnorm");
    tcase_add_test(tc, batchnorm_train_forward_and_running_stats);
    tcase_add_test(tc, batchnorm_eval_uses_running_stats);
    tcase_add_test(tc, batchnorm_backward_matches_fd);
    tcase_add_test(tc, batchnorm_backward_large_mean_matches_double);
    tcase_add_test(tc, batchnorm_same_result_any_thread_count);
    suite_add_tcase(s, tc);

    tc = tcase_create("activation");
    tcase_add_test(tc, activation_forward_matches_reference);
    tcase_add_test(tc, activation_special_values);
    tcase_add_test(tc, tanh_and_sigmoid_ulp_error);
    tcase_add_test(tc, activation_backward_matches_fd);
    suite_add_tcase(s, tc);

    tc = tcase_create("dropout");
    tcase_add_test(tc, dropout_mask_statistics);
    tcase_add_test(tc, dropout_seed_backward_and_eval);
    suite_add_tcase(s, tc);

    tc = tcase_create("shape");
    tcase_add_test(tc, flatten_unflatten_layout_and_adjoint);
    tcase_add_test(tc, upsample_forward_and_backward);
    tcase_add_test(tc, translate_forward_and_backward);
    tcase_add_test(tc, label_concat_one_hot_and_embedding);
    suite_add_tcase(s, tc);

    tc = tcase_create("spectral_norm");
    tcase_add_test(tc, spectral_norm_converges_to_largest_singular_value);
    tcase_add_test(tc, spectral_norm_backward_matches_fd);
    suite_add_tcase(s, tc);
    return s;
}
