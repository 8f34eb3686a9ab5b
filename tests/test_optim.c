/*
 * Optimisers against a plain double-precision re-implementation of the
 * PyTorch update rules, plus properties that do not need one.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/common.h"
#include "gantry/optim.h"
#include "testutil.h"

enum { N = 203, STEPS = 12 };

/* Gradients spanning five decades, so that where eps enters matters. */
static void fill_grad(float *g, size_t n, uint64_t seed)
{
    gtt_fill(g, n, seed, 1.0f);
    for (size_t i = 0; i < n; i++)
        g[i] *= powf(10.0f, -(float)(i % 5));
}

/* torch.optim.Adam, in double, written from its documentation. */
static void ref_adam(double *p, const float *g, double *m, double *v, size_t n,
                     const gt_optim_cfg *c, long t)
{
    double b1 = c->beta1, b2 = c->beta2;
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + (double)c->weight_decay * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        double mhat = m[i] / (1 - pow(b1, (double)t));
        double vhat = v[i] / (1 - pow(b2, (double)t));
        p[i] -= (double)c->lr * mhat / (sqrt(vhat) + (double)c->eps);
    }
}

/* torch.optim.SGD (dampening 0, no Nesterov), in double. */
static void ref_sgd(double *p, const float *g, double *buf, size_t n,
                    const gt_optim_cfg *c, long t)
{
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + (double)c->weight_decay * p[i];
        if (c->beta1 != 0) {
            buf[i] = t == 1 ? gi : c->beta1 * buf[i] + gi;
            gi = buf[i];
        }
        p[i] -= (double)c->lr * gi;
    }
}

static void to_float(float *out, const double *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)in[i];
}

static const gt_optim_cfg adam_cfgs[] = {
    {GT_OPTIM_ADAM, 2e-4f, 0.5f, 0.999f, 1e-8f, 0.0f},
    {GT_OPTIM_ADAM, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f},
    {GT_OPTIM_ADAM, 1e-2f, 0.0f, 0.99f, 1e-3f, 0.0f}, /* eps comparable to sqrt(v) */
    {GT_OPTIM_ADAM, 5e-3f, 0.8f, 0.9f, 1e-6f, 0.5f},
};

START_TEST(adam_matches_reference)
{
    const gt_optim_cfg *c = &adam_cfgs[_i];
    float p[N], g[N], m[N] = {0}, v[N] = {0}, want[N];
    double rp[N], rm[N] = {0}, rv[N] = {0};
    gtt_fill(p, N, 1, 1.0f);
    for (size_t i = 0; i < N; i++)
        rp[i] = p[i];
    for (long t = 1; t <= STEPS; t++) {
        fill_grad(g, N, 100 + (uint64_t)t);
        gt_adam_step(p, g, m, v, N, c, t);
        ref_adam(rp, g, rm, rv, N, c, t);
    }
    to_float(want, rp, N);
    /* Float rounding of p is about 6e-8 a step; a step moves p by up to lr. */
    gtt_assert_close(p, want, N, 1e-6 + 1e-4 * c->lr, 1e-6, "adam param");
    to_float(want, rm, N);
    /* m cancels where gradients change sign: an absolute floor for that. */
    gtt_assert_close(m, want, N, 1e-7, 1e-5, "adam m");
    to_float(want, rv, N);
    gtt_assert_close(v, want, N, 1e-20, 1e-5, "adam v");
}
END_TEST

/* With m = v = 0 the first step is lr g / (|g| + eps): about lr sign(g). */
START_TEST(adam_first_step_is_lr_sign)
{
    gt_optim_cfg c = gt_optim_default();
    float p[N], p0[N], g[N], m[N] = {0}, v[N] = {0};
    gtt_fill(p, N, 2, 1.0f);
    gtt_fill(g, N, 3, 1.0f);
    for (size_t i = 0; i < N; i++) {
        g[i] = g[i] < 0 ? g[i] - 1e-3f : g[i] + 1e-3f; /* |g| >> eps */
        p0[i] = p[i];
    }
    gt_adam_step(p, g, m, v, N, &c, 1);
    for (size_t i = 0; i < N; i++) {
        double step = (double)p[i] - p0[i];
        double want = g[i] > 0 ? -(double)c.lr : (double)c.lr;
        double tol = 1e-4 * c.lr + FLT_EPSILON * fabs(p0[i]);
        ck_assert_msg(fabs(step - want) <= tol, "[%zu] step %.9g want %.9g", i, step, want);
    }
}
END_TEST

/* The update ignores the scale of the gradient (while eps is negligible). */
START_TEST(adam_scale_invariant)
{
    gt_optim_cfg c = gt_optim_default();
    float pa[N], pb[N], ga[N], gb[N], ma[N] = {0}, va[N] = {0}, mb[N] = {0}, vb[N] = {0};
    gtt_fill(pa, N, 4, 1.0f);
    memcpy(pb, pa, sizeof pa);
    for (long t = 1; t <= 5; t++) {
        gtt_fill(ga, N, 50 + (uint64_t)t, 1.0f);
        for (size_t i = 0; i < N; i++) {
            ga[i] += ga[i] < 0 ? -1e-3f : 1e-3f; /* |g| >> eps */
            gb[i] = 1024.0f * ga[i];
        }
        gt_adam_step(pa, ga, ma, va, N, &c, t);
        gt_adam_step(pb, gb, mb, vb, N, &c, t);
    }
    /* eps shifts the update by under 1e-5 lr; the rest is rounding of p. */
    gtt_assert_close(pb, pa, N, 1e-6, 0, "adam with gradient x1024");
}
END_TEST

/* No gradient and no decay: nothing moves.  With decay: towards zero. */
START_TEST(weight_decay_pulls_to_zero)
{
    float p[N], p0[N], g[N] = {0}, m[N] = {0}, v[N] = {0}, buf[N];
    gtt_fill(p0, N, 5, 1.0f);
    for (size_t i = 0; i < N; i++)
        p0[i] += p0[i] < 0 ? -0.1f : 0.1f; /* |p| > lr */

    gt_optim_cfg c = gt_optim_default();
    memcpy(p, p0, sizeof p);
    gt_adam_step(p, g, m, v, N, &c, 1);
    ck_assert(memcmp(p, p0, sizeof p) == 0);

    c.weight_decay = 0.1f;
    gt_adam_step(p, g, m, v, N, &c, 2);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(fabsf(p[i]) < fabsf(p0[i]) && (p[i] > 0) == (p0[i] > 0),
                      "adam [%zu]: %g -> %g", i, (double)p0[i], (double)p[i]);

    c = (gt_optim_cfg){GT_OPTIM_SGD, 0.1f, 0.9f, 0, 0, 0.5f};
    memcpy(p, p0, sizeof p);
    gt_sgd_step(p, g, buf, N, &c, 1);
    for (size_t i = 0; i < N; i++) /* p (1 - lr wd) */
        ck_assert_msg(fabs((double)p[i] - 0.95 * p0[i]) <= 3 * FLT_EPSILON * fabsf(p0[i]),
                      "sgd [%zu]: %g -> %g", i, (double)p0[i], (double)p[i]);
}
END_TEST

static const gt_optim_cfg sgd_cfgs[] = {
    {GT_OPTIM_SGD, 1e-2f, 0.9f, 0, 0, 0.0f},
    {GT_OPTIM_SGD, 5e-2f, 0.5f, 0, 0, 1e-2f},
    {GT_OPTIM_SGD, 1e-1f, 0.0f, 0, 0, 1e-3f},
};

START_TEST(sgd_matches_reference)
{
    const gt_optim_cfg *c = &sgd_cfgs[_i];
    float p[N], g[N], buf[N], want[N];
    double rp[N], rbuf[N];
    gtt_fill(p, N, 6, 1.0f);
    for (size_t i = 0; i < N; i++) {
        rp[i] = p[i];
        buf[i] = 1e3f; /* stale: the first step must not read it */
    }
    for (long t = 1; t <= STEPS; t++) {
        fill_grad(g, N, 200 + (uint64_t)t);
        /* momentum 0 needs no buffer */
        gt_sgd_step(p, g, c->beta1 != 0 ? buf : NULL, N, c, t);
        ref_sgd(rp, g, rbuf, N, c, t);
        if (t == 1 && c->beta1 != 0) {
            to_float(want, rbuf, N);
            gtt_assert_close(buf, want, N, 1e-8, 1e-6, "sgd first buffer");
        }
    }
    to_float(want, rp, N);
    gtt_assert_close(p, want, N, 2e-6, 1e-6, "sgd param");
    if (c->beta1 != 0) {
        to_float(want, rbuf, N);
        gtt_assert_close(buf, want, N, 1e-6, 1e-5, "sgd buffer");
    }
}
END_TEST

START_TEST(clip_bounds)
{
    enum { M = 1000 };
    float x[M], x0[M];
    gtt_fill(x0, M, 7, 3.0f);
    x0[0] = INFINITY;
    x0[1] = -INFINITY;
    x0[2] = NAN;
    x0[3] = 0.5f;
    x0[4] = -0.5f;
    memcpy(x, x0, sizeof x);
    gt_clip(x, M, 0.5f);
    ck_assert(isnan(x[2])); /* a NaN stays visible */
    int clipped = 0;
    for (size_t i = 0; i < M; i++) {
        if (i == 2)
            continue;
        if (x0[i] > 0.5f)
            ck_assert(x[i] == 0.5f);
        else if (x0[i] < -0.5f)
            ck_assert(x[i] == -0.5f);
        else
            ck_assert(x[i] == x0[i]);
        clipped += x[i] != x0[i];
    }
    ck_assert_int_gt(clipped, M / 2);
}
END_TEST

START_TEST(sumsq_matches_naive)
{
    static const size_t ns[] = {0, 1, 5, 8, 9, 1001};
    float x[1001];
    gtt_fill(x, 1001, 8, 2.0f);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        double want = 0;
        for (size_t i = 0; i < ns[k]; i++)
            want += (double)x[i] * x[i];
        double got = gt_sumsq(x, ns[k]);
        ck_assert_msg(fabs(got - want) <= 1e-13 * want, "n=%zu: %.17g want %.17g", ns[k], got,
                      want);
    }
    /* Squares of floats near FLT_MAX overflow float but not double. */
    float big[3] = {3e38f, -3e38f, 1.0f};
    ck_assert(fabs(gt_sumsq(big, 3) - 1.8e77) <= 1e-6 * 1.8e77);
}
END_TEST

START_TEST(optim_default)
{
    gt_optim_cfg c = gt_optim_default();
    ck_assert_int_eq(c.kind, GT_OPTIM_ADAM);
    ck_assert(c.lr == 2e-4f && c.beta1 == 0.5f && c.beta2 == 0.999f);
    ck_assert(c.eps == 1e-8f && c.weight_decay == 0.0f);
}
END_TEST

/*
 * Arrays large enough for the parallel path: bit-identical with one thread,
 * with two, and when the same update is applied block by block through the
 * serial path.
 */
typedef struct big_state {
    float *p, *g, *m, *v;
} big_state;

static void big_init(big_state *s, size_t n)
{
    s->p = malloc(n * sizeof(float));
    s->g = malloc(n * sizeof(float));
    s->m = calloc(n, sizeof(float));
    s->v = calloc(n, sizeof(float));
    ck_assert(s->p && s->g && s->m && s->v);
    gtt_fill(s->p, n, 9, 1.0f);
    fill_grad(s->g, n, 10);
}

static void big_free(big_state *s)
{
    free(s->p);
    free(s->g);
    free(s->m);
    free(s->v);
}

/* Three Adam steps, an SGD step with momentum and a clip; block 0 means the
 * whole array in one call. */
static void big_run(big_state *s, size_t n, size_t block)
{
    gt_optim_cfg adam = gt_optim_default();
    adam.weight_decay = 1e-3f;
    gt_optim_cfg sgd = {GT_OPTIM_SGD, 1e-2f, 0.9f, 0, 0, 1e-4f};
    if (!block)
        block = n;
    for (long t = 1; t <= 3; t++)
        for (size_t i = 0; i < n; i += block) {
            size_t k = n - i < block ? n - i : block;
            gt_adam_step(s->p + i, s->g + i, s->m + i, s->v + i, k, &adam, t);
        }
    for (size_t i = 0; i < n; i += block) {
        size_t k = n - i < block ? n - i : block;
        gt_sgd_step(s->p + i, s->g + i, s->m + i, k, &sgd, 2);
        gt_clip(s->p + i, k, 0.5f);
    }
}

START_TEST(parallel_is_deterministic)
{
    const size_t n = gtt_quick() ? (size_t)1 << 16 : (size_t)1 << 19;
    int threads = gt_threads_get();
    big_state a, b, c;
    big_init(&a, n);
    big_init(&b, n);
    big_init(&c, n);
    gt_threads_set(1);
    big_run(&a, n, 0);
    gt_threads_set(2);
    big_run(&b, n, 0);
    big_run(&c, n, 1000); /* blocks below the parallel threshold */
    gt_threads_set(threads);
    ck_assert(memcmp(a.p, b.p, n * sizeof(float)) == 0);
    ck_assert(memcmp(a.m, b.m, n * sizeof(float)) == 0);
    ck_assert(memcmp(a.v, b.v, n * sizeof(float)) == 0);
    ck_assert(memcmp(a.p, c.p, n * sizeof(float)) == 0);
    ck_assert(memcmp(a.m, c.m, n * sizeof(float)) == 0);
    ck_assert(memcmp(a.v, c.v, n * sizeof(float)) == 0);
    ck_assert(gt_sumsq(a.p, n) == gt_sumsq(b.p, n));
    big_free(&a);
    big_free(&b);
    big_free(&c);
}
END_TEST

GTT_SUITE(gt_test_optim_suite)
{
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, adam_matches_reference, 0,
                        (int)(sizeof adam_cfgs / sizeof adam_cfgs[0]));
    tcase_add_test(tc, adam_first_step_is_lr_sign);
    tcase_add_test(tc, adam_scale_invariant);
    tcase_add_test(tc, weight_decay_pulls_to_zero);
    tcase_add_loop_test(tc, sgd_matches_reference, 0, (int)(sizeof sgd_cfgs / sizeof sgd_cfgs[0]));
    tcase_add_test(tc, clip_bounds);
    tcase_add_test(tc, sumsq_matches_naive);
    tcase_add_test(tc, optim_default);
    tcase_add_test(tc, parallel_is_deterministic);
    suite_add_tcase(s, tc);
    return s;
}
