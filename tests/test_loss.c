/*
 * Losses: each against finite differences of itself and against a plain
 * double-precision formula written here, plus the edges a GAN meets (huge
 * logits, logits of exactly 0, kinks, NaN).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gantry/loss.h"
#include "testutil.h"

enum { N = 67 };

typedef enum kind { BCE, BCE_T, WGAN, HINGE, MSE, L1, KIND_COUNT } kind;
static const char *const kind_names[] = {"bce", "bce_targets", "wgan", "hinge", "mse", "l1"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == KIND_COUNT, "a name per kind");

typedef struct loss_ctx {
    kind k;
    const float *x; /* the input the gradient is taken with respect to */
    const float *y; /* targets for BCE_T, the reference for MSE and L1 */
    float t;        /* BCE target, WGAN sign, HINGE real (0 or 1) */
    size_t n;
} loss_ctx;

static double call(const loss_ctx *c, float *grad, float scale)
{
    switch (c->k) {
    case BCE:
        return gt_loss_bce_logits(grad, c->x, c->t, c->n, scale);
    case BCE_T:
        return gt_loss_bce_logits_targets(grad, c->x, c->y, c->n, scale);
    case WGAN:
        return gt_loss_wgan(grad, c->x, c->t, c->n, scale);
    case HINGE:
        return gt_loss_hinge_d(grad, c->x, (int)c->t, c->n, scale);
    case MSE:
        return gt_loss_mse(grad, c->x, c->y, c->n, scale);
    case L1:
        return gt_loss_l1(grad, c->x, c->y, c->n, scale);
    default:
        return NAN;
    }
}

static double fd_loss(void *ctx) { return call(ctx, NULL, 1.0f); }

/* The reference: per-value loss and derivative in double, straight from the
 * textbook definitions (log of the sigmoid for BCE). */
static double ref_one(const loss_ctx *c, size_t i, double *d)
{
    double x = c->x[i];
    switch (c->k) {
    case BCE:
    case BCE_T: {
        double t = c->k == BCE ? c->t : c->y[i];
        double sig = 1.0 / (1.0 + exp(-x));
        *d = sig - t;
        return -(t * log(sig) + (1.0 - t) * log(1.0 - sig));
    }
    case WGAN:
        *d = c->t;
        return c->t * x;
    case HINGE: {
        double a = c->t != 0 ? 1.0 - x : 1.0 + x;
        *d = a > 0 ? (c->t != 0 ? -1.0 : 1.0) : 0.0;
        return a > 0 ? a : 0.0;
    }
    case MSE:
        *d = 2.0 * (x - c->y[i]);
        return (x - c->y[i]) * (x - c->y[i]);
    case L1:
        *d = x > c->y[i] ? 1.0 : x < c->y[i] ? -1.0 : 0.0;
        return fabs(x - c->y[i]);
    default:
        *d = NAN;
        return NAN;
    }
}

static double ref_loss(const loss_ctx *c, float *grad, float scale)
{
    double s = 0;
    for (size_t i = 0; i < c->n; i++) {
        double d;
        s += ref_one(c, i, &d);
        grad[i] = (float)(d * scale / (double)c->n);
    }
    return s / (double)c->n;
}

/* Moves values away from a kink at `at` (relative to y[i] if y is given),
 * so that a central difference with step h does not straddle it. */
static void avoid_kink(float *x, const float *y, size_t n, float at, float h)
{
    for (size_t i = 0; i < n; i++) {
        float k = (y ? y[i] : 0.0f) + at;
        if (fabsf(x[i] - k) < 4 * h)
            x[i] = k + (x[i] < k ? -8 * h : 8 * h);
    }
}

/* Inputs for case `c`: logits in [-6, 6], scores in [-3, 3]. */
typedef struct inputs {
    float x[N], y[N];
    loss_ctx c;
} inputs;

static void make_inputs(inputs *in, kind k, float t, uint64_t seed)
{
    const float h = 1.0f / 64;
    gtt_fill(in->x, N, seed, k == BCE || k == BCE_T ? 6.0f : 3.0f);
    gtt_fill(in->y, N, seed + 1000, 2.0f);
    if (k == BCE_T)
        for (size_t i = 0; i < N; i++)
            in->y[i] = 0.25f * (in->y[i] + 2.0f); /* targets in [0, 1] */
    if (k == HINGE)
        avoid_kink(in->x, NULL, N, t != 0 ? 1.0f : -1.0f, h);
    if (k == L1)
        avoid_kink(in->x, in->y, N, 0.0f, h);
    in->c = (loss_ctx){.k = k, .x = in->x, .y = in->y, .t = t, .n = N};
}

/* Every loss, a few settings each: value and gradient against the reference,
 * gradient against finite differences. */
typedef struct setting {
    kind k;
    float t;
} setting;

static const setting settings[] = {
    {BCE, 1.0f}, {BCE, 0.0f}, {BCE, 0.9f}, {BCE_T, 0.0f}, {WGAN, -1.0f}, {WGAN, 1.0f},
    {HINGE, 1.0f}, {HINGE, 0.0f}, {MSE, 0.0f}, {L1, 0.0f},
};
enum { SETTING_COUNT = sizeof settings / sizeof settings[0] };

START_TEST(matches_reference)
{
    const setting *st = &settings[_i];
    inputs in;
    make_inputs(&in, st->k, st->t, 11 + (uint64_t)_i);
    const float scale = 0.75f;
    float grad[N], want[N];
    double loss = call(&in.c, grad, scale);
    double ref = ref_loss(&in.c, want, scale);
    ck_assert_msg(fabs(loss - ref) <= 1e-12 + 1e-10 * fabs(ref), "%s t=%g: loss %.17g, reference %.17g",
                  kind_names[st->k], st->t, loss, ref);
    char what[64];
    snprintf(what, sizeof what, "%s t=%g gradient", kind_names[st->k], st->t);
    gtt_assert_close(grad, want, N, 1e-12, 1e-6, what);
}
END_TEST

START_TEST(finite_differences)
{
    const setting *st = &settings[_i];
    inputs in;
    make_inputs(&in, st->k, st->t, 101 + (uint64_t)_i);
    float grad[N];
    call(&in.c, grad, 1.0f);
    char what[64];
    snprintf(what, sizeof what, "%s t=%g", kind_names[st->k], st->t);
    /* h a power of two, so x +- h is exact for these magnitudes. */
    gtt_assert_fd(fd_loss, &in.c, in.x, grad, N, 1.0f / 64, 1e-7, 1e-3, what);
}
END_TEST

/* The gradient is written, not added, and multiplied by scale; the loss
 * does not depend on scale or on whether a gradient was asked for. */
START_TEST(grad_written_and_scaled)
{
    const setting *st = &settings[_i];
    inputs in;
    make_inputs(&in, st->k, st->t, 201 + (uint64_t)_i);
    float g1[N], g3[N], want3[N];
    for (size_t i = 0; i < N; i++) {
        g1[i] = NAN;
        g3[i] = 1e30f;
    }
    double l1 = call(&in.c, g1, 1.0f);
    double l3 = call(&in.c, g3, -3.0f);
    double l0 = call(&in.c, NULL, 1.0f);
    ck_assert(l1 == l3 && l1 == l0);
    for (size_t i = 0; i < N; i++)
        want3[i] = -3.0f * g1[i];
    gtt_assert_close(g3, want3, N, 1e-12, 1e-6, kind_names[st->k]);
}
END_TEST

START_TEST(nan_propagates)
{
    const setting *st = &settings[_i];
    inputs in;
    make_inputs(&in, st->k, st->t, 301 + (uint64_t)_i);
    in.x[N / 2] = NAN;
    float grad[N];
    ck_assert_msg(isnan(call(&in.c, grad, 1.0f)), "%s t=%g hides a NaN", kind_names[st->k],
                  st->t);
}
END_TEST

START_TEST(empty_batch)
{
    const setting *st = &settings[_i];
    inputs in;
    make_inputs(&in, st->k, st->t, 1);
    in.c.n = 0;
    float grad[1] = {42.0f};
    ck_assert(call(&in.c, grad, 1.0f) == 0.0);
    ck_assert(grad[0] == 42.0f);
}
END_TEST

/* A logit of exactly 0: loss log 2, gradient (1/2 - t) / n, both exact. */
START_TEST(bce_at_zero)
{
    float x[4] = {0, 0, 0, 0}, grad[4];
    for (int t = 0; t <= 1; t++) {
        double loss = gt_loss_bce_logits(grad, x, (float)t, 4, 1.0f);
        ck_assert_msg(fabs(loss - log(2.0)) <= 1e-16, "t=%d: loss %.17g", t, loss);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(grad[i] == (t ? -0.125f : 0.125f), "t=%d: grad %.9g", t,
                          (double)grad[i]);
    }
}
END_TEST

/*
 * Huge logits: finite loss, gradient of the right sign and size.  The
 * expected loss is -t log sigmoid(x) - (1 - t) log sigmoid(-x), with
 * -log sigmoid(z) = softplus(-z) written without overflow or cancellation.
 */
START_TEST(bce_large_logits)
{
    static const float xs[] = {1e4f, -1e4f, 1e3f, -1e3f, 100.0f, -100.0f, 30.0f, -30.0f};
    static const float ts[] = {0.0f, 1.0f, 0.9f};
    for (size_t a = 0; a < sizeof xs / sizeof xs[0]; a++)
        for (size_t b = 0; b < sizeof ts / sizeof ts[0]; b++) {
            double x = xs[a], t = ts[b];
            float g = NAN;
            double loss = gt_loss_bce_logits(&g, &xs[a], ts[b], 1, 1.0f);
            /* t softplus(-x) + (1 - t) softplus(x), each softplus in its
             * own stable form */
            double sp_pos = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
            double sp_neg = x < 0 ? -x + log1p(exp(x)) : log1p(exp(-x));
            double want = t * sp_neg + (1.0 - t) * sp_pos;
            /* sigmoid(x) - t, with 1 - sigmoid(x) = 1 / (1 + exp(x)) */
            double dwant = x > 0 ? (1.0 - t) - 1.0 / (1.0 + exp(x)) : 1.0 / (1.0 + exp(-x)) - t;
            ck_assert_msg(isfinite(loss) && isfinite(g), "x=%g t=%g: loss %g grad %g", x, t, loss,
                          (double)g);
            ck_assert_msg(fabs(loss - want) <= 1e-300 + 1e-12 * fabs(want),
                          "x=%g t=%g: loss %.17g want %.17g", x, t, loss, want);
            ck_assert_msg(fabs(g - dwant) <= 1e-37 + 1e-6 * fabs(dwant),
                          "x=%g t=%g: grad %.9g want %.9g", x, t, (double)g, dwant);
            /* Right sign: pushes the logit towards the target. */
            if (t == 1.0)
                ck_assert(g <= 0);
            if (t == 0.0)
                ck_assert(g >= 0);
        }
    /* Saturated but not lost: 1 - sigmoid(30) is about 9.4e-14. */
    float x = 30.0f, g;
    gt_loss_bce_logits(&g, &x, 1.0f, 1, 1.0f);
    ck_assert_msg(g < -9e-14f && g > -1e-13f, "grad at 30 %g", (double)g);
}
END_TEST

START_TEST(bce_constant_target_is_targets)
{
    float x[N], t[N], g1[N], g2[N];
    gtt_fill(x, N, 5, 8.0f);
    for (size_t i = 0; i < N; i++)
        t[i] = 0.9f;
    double l1 = gt_loss_bce_logits(g1, x, 0.9f, N, 2.0f);
    double l2 = gt_loss_bce_logits_targets(g2, x, t, N, 2.0f);
    ck_assert(l1 == l2);
    ck_assert(memcmp(g1, g2, sizeof g1) == 0);
}
END_TEST

/* Exactly at a kink the gradient is 0, as PyTorch's relu and sign give. */
START_TEST(kinks)
{
    float g[2];
    float real[2] = {1.0f, 0.5f}, fake[2] = {-1.0f, -0.5f};
    gt_loss_hinge_d(g, real, 1, 2, 1.0f);
    ck_assert(g[0] == 0.0f && g[1] == -0.5f);
    gt_loss_hinge_d(g, fake, 0, 2, 1.0f);
    ck_assert(g[0] == 0.0f && g[1] == 0.5f);
    /* Beyond the margin: no loss, no gradient. */
    float far_real[2] = {1.5f, 7.0f}, far_fake[2] = {-1.5f, -7.0f};
    ck_assert(gt_loss_hinge_d(g, far_real, 1, 2, 1.0f) == 0.0 && g[0] == 0 && g[1] == 0);
    ck_assert(gt_loss_hinge_d(g, far_fake, 0, 2, 1.0f) == 0.0 && g[0] == 0 && g[1] == 0);

    float x[3] = {0.25f, 2.0f, -1.0f}, y[3] = {0.25f, 1.0f, 1.0f};
    float g3[3];
    double l = gt_loss_l1(g3, x, y, 3, 3.0f);
    ck_assert(fabs(l - 3.0 / 3) <= 1e-15);
    ck_assert(g3[0] == 0.0f && g3[1] == 1.0f && g3[2] == -1.0f);
}
END_TEST

GTT_SUITE(gt_test_loss_suite)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, matches_reference, 0, SETTING_COUNT);
    tcase_add_loop_test(tc, finite_differences, 0, SETTING_COUNT);
    tcase_add_loop_test(tc, grad_written_and_scaled, 0, SETTING_COUNT);
    tcase_add_loop_test(tc, nan_propagates, 0, SETTING_COUNT);
    tcase_add_loop_test(tc, empty_batch, 0, SETTING_COUNT);
    tcase_add_test(tc, bce_at_zero);
    tcase_add_test(tc, bce_large_logits);
    tcase_add_test(tc, bce_constant_target_is_targets);
    tcase_add_test(tc, kinks);
    suite_add_tcase(s, tc);
    return s;
}
