/* Spectral moment matching (gantry/spec_match.h): zero on the data it was
 * fitted to, positive elsewhere, its gradient by finite differences, a
 * gradient step that lowers it, PyTorch's autograd, and what it refuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

enum { N = 6, C = 2, L = 32, K = 2 };

typedef struct fd_ctx {
    gt_spec_match *s;
    const float *x;
    const int *cls;
} fd_ctx;

static double fd_loss(void *ctx)
{
    fd_ctx *c = ctx;
    return gt_spec_match_loss(c->s, c->x, c->cls, N, 1.0f, NULL);
}

START_TEST(matches_its_own_data_and_differentiates)
{
    gt_spec_match *s = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_spec_match_create(&s, C, L, K, N, &err) == GT_OK, "%s", err.msg);
    float *x = gtt_falloc(N * C * L), *y = gtt_falloc(N * C * L), *g = gtt_falloc(N * C * L);
    int cls[N] = {0, 1, 0, 1, 1, 0};
    gtt_fill(x, N * C * L, 3, 1.0f);
    /* Before a fit: no target. */
    ck_assert(isnan(gt_spec_match_loss(s, x, cls, N, 1.0f, NULL)));
    ck_assert_int_eq(gt_spec_match_fit(s, x, cls, N, &err), GT_OK);
    double self = gt_spec_match_loss(s, x, cls, N, 1.0f, NULL);
    ck_assert_msg(self < 1e-9, "loss %g on the data it was fitted to", self);
    /* Other windows: a positive loss; the gradient adds (scale) into g. */
    gtt_fill_const(g, N * C * L, 0.0f);
    gtt_fill(y, N * C * L, 4, 0.5f);
    for (size_t i = 0; i < N * C * L; i += 3)
        y[i] *= 3.0f;
    double l = gt_spec_match_loss(s, y, cls, N, 1.0f, g);
    ck_assert_msg(l > 0.01, "loss %g on other windows", l);
    fd_ctx c = {s, y, cls};
    gtt_assert_fd(fd_loss, &c, y, g, N * C * L, 1e-2f, 1e-4, 2e-2, "spectral matching");
    float *g2 = gtt_falloc(N * C * L);
    for (size_t i = 0; i < N * C * L; i++)
        g2[i] = 1.0f;
    gt_spec_match_loss(s, y, cls, N, -2.0f, g2);
    for (size_t i = 0; i < N * C * L; i++)
        ck_assert_msg(fabsf(g2[i] - (1.0f - 2.0f * g[i])) <= 1e-5f * (1 + fabsf(g[i])),
                      "scale at %zu", i);
    /* A small step against the gradient lowers the loss. */
    for (size_t i = 0; i < N * C * L; i++)
        y[i] -= 0.05f * g[i] / (float)sqrt(gt_sumsq(g, N * C * L) / (N * C * L));
    double l2 = gt_spec_match_loss(s, y, cls, N, 1.0f, NULL);
    ck_assert_msg(l2 < l, "loss %g after a step down from %g", l2, l);
    /* Refused: a batch too large, a class out of range. */
    ck_assert(isnan(gt_spec_match_loss(s, y, cls, N + 1, 1.0f, NULL)));
    int bad[N] = {0, 1, 2, 0, 0, 0};
    ck_assert(isnan(gt_spec_match_loss(s, y, bad, N, 1.0f, NULL)));
    ck_assert_int_eq(gt_spec_match_fit(s, x, bad, N, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "window 2 has class 2"), "%s", err.msg);
    gt_spec_match *t = NULL;
    ck_assert_int_eq(gt_spec_match_create(&t, C, 31, K, N, &err), GT_EINVAL);
    ck_assert_ptr_null(t);
    free(x);
    free(y);
    free(g);
    free(g2);
    gt_spec_match_free(s);
}
END_TEST

START_TEST(matches_pytorch)
{
    /* tests/reference/make_fixtures.py, loss_spec_match: targets of two of
     * three classes from real windows; the loss and its gradient of windows
     * of all three (the third, without a target, left out), by autograd. */
    enum { FC = 2, FL = 32, FK = 3, FN = 5, FR = 9 };
    gtt_fixture *fx = gtt_fixture_load("loss_spec_match");
    const float *real = gtt_fixture_get(fx, "real", NULL);
    const float *rc = gtt_fixture_get(fx, "real_cls", NULL);
    const float *x = gtt_fixture_get(fx, "x", NULL), *xc = gtt_fixture_get(fx, "x_cls", NULL);
    int rcls[FR], xcls[FN];
    for (int i = 0; i < FR; i++)
        rcls[i] = (int)rc[i];
    for (int i = 0; i < FN; i++)
        xcls[i] = (int)xc[i];
    gt_spec_match *s = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_spec_match_create(&s, FC, FL, FK, FN, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_spec_match_fit(s, real, rcls, FR, &err), GT_OK);
    float *g = gtt_falloc(FN * FC * FL);
    gtt_fill_const(g, FN * FC * FL, 0.0f);
    float loss = (float)gt_spec_match_loss(s, x, xcls, FN, 1.0f, g);
    gtt_check_scaled(&loss, gtt_fixture_get(fx, "loss", NULL), 1, "loss_spec_match", "loss");
    gtt_check_scaled(g, gtt_fixture_get(fx, "dx", NULL), FN * FC * FL, "loss_spec_match", "dx");
    free(g);
    gt_spec_match_free(s);
    gtt_fixture_free(fx);
}
END_TEST

GTT_SUITE(gt_test_spec_match_suite)
{
    Suite *s = suite_create("spec_match");
    TCase *tc = tcase_create("spec_match");
    tcase_add_test(tc, matches_its_own_data_and_differentiates);
    tcase_add_test(tc, matches_pytorch);
    suite_add_tcase(s, tc);
    return s;
}
