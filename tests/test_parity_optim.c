/*
 * Parity of the losses and optimisers with PyTorch (fixtures from
 * tests/reference/make_fixtures.py, computed in float64):
 *   losses: BCE-with-logits against targets 1, 0, 0.9 and per-value targets
 *   (with logits of +-50 and +-20), hinge, Wasserstein, MSE, L1 - value and
 *   gradient, the gradient's scale argument, and grad == NULL;
 *   optimisers: Adam (the GAN setting, and with weight decay), SGD with and
 *   without momentum - five steps on a given gradient sequence, parameters
 *   compared after every step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/loss.h"
#include "gantry/optim.h"
#include "testutil.h"



/* A loss value (double) against PyTorch's (stored as float32). */
static void check_loss(double got, const gtt_fixture *fx, const char *key, const char *cname)
{
    double want = gtt_fixture_get(fx, key, NULL)[0];
    double tol = 1e-6 + 1e-5 * fabs(want);
    ck_assert_msg(fabs(got - want) <= tol, "%s: %s: got %.9g want %.9g (diff %.3g)", cname,
                  key, got, want, fabs(got - want));
}

/*
 * Which loss a row exercises.  arg: the BCE target, the WGAN sign, hinge's
 * `real`.
 */
typedef enum { L_BCE, L_BCE_TARGETS, L_HINGE, L_WGAN, L_MSE, L_L1 } loss_kind;

typedef struct loss_case {
    const char *fixture;
    loss_kind kind;
    float arg;
    const char *loss_key, *grad_key;
} loss_case;

static const loss_case loss_cases[] = {
    {"loss_bce", L_BCE, 1.0f, "loss_t1", "dx_t1"},
    {"loss_bce", L_BCE, 0.0f, "loss_t0", "dx_t0"},
    {"loss_bce", L_BCE, 0.9f, "loss_t09", "dx_t09"},
    {"loss_bce", L_BCE_TARGETS, 0.0f, "loss_tv", "dx_tv"},
    {"loss_hinge", L_HINGE, 1.0f, "loss_real", "dx_real"},
    {"loss_hinge", L_HINGE, 0.0f, "loss_fake", "dx_fake"},
    {"loss_wgan", L_WGAN, -1.0f, "loss_real", "dx_real"},
    {"loss_wgan", L_WGAN, 1.0f, "loss_fake", "dx_fake"},
    {"loss_mse", L_MSE, 0.0f, "loss", "dx"},
    {"loss_l1", L_L1, 0.0f, "loss", "dx"},
};
enum { NLOSS = sizeof loss_cases / sizeof loss_cases[0] };

static double eval_loss(const loss_case *lc, const gtt_fixture *fx, float *grad, size_t n,
                        float scale)
{
    const float *x = gtt_fixture_get(fx, "x", NULL);
    switch (lc->kind) {
    case L_BCE:
        return gt_loss_bce_logits(grad, x, lc->arg, n, scale);
    case L_BCE_TARGETS:
        return gt_loss_bce_logits_targets(grad, x, gtt_fixture_get(fx, "targets", NULL), n,
                                          scale);
    case L_HINGE:
        return gt_loss_hinge_d(grad, x, (int)lc->arg, n, scale);
    case L_WGAN:
        return gt_loss_wgan(grad, x, lc->arg, n, scale);
    case L_MSE:
        return gt_loss_mse(grad, x, gtt_fixture_get(fx, "y", NULL), n, scale);
    default:
        return gt_loss_l1(grad, x, gtt_fixture_get(fx, "y", NULL), n, scale);
    }
}

START_TEST(loss_matches_pytorch)
{
    const loss_case *lc = &loss_cases[_i];
    gtt_fixture *fx = gtt_fixture_load(lc->fixture);
    char cname[96];
    snprintf(cname, sizeof cname, "%s (%s)", lc->fixture, lc->loss_key);
    size_t n = 0;
    gtt_fixture_get(fx, "x", &n);
    const float *want = gtt_fixture_get(fx, lc->grad_key, NULL);
    float *grad = gtt_falloc(n), *want2 = gtt_falloc(n);

    for (size_t i = 0; i < n; i++)
        grad[i] = NAN; /* written, not accumulated */
    double loss = eval_loss(lc, fx, grad, n, 1.0f);
    ck_assert_msg(isfinite(loss), "%s: loss not finite", cname);
    check_loss(loss, fx, lc->loss_key, cname);
    gtt_check_scaled(grad, want, n, cname, lc->grad_key);

    /* scale multiplies the gradient only. */
    for (size_t i = 0; i < n; i++)
        want2[i] = -2.5f * want[i];
    loss = eval_loss(lc, fx, grad, n, -2.5f);
    check_loss(loss, fx, lc->loss_key, cname);
    gtt_check_scaled(grad, want2, n, cname, "gradient with scale -2.5");

    /* grad == NULL: the value alone. */
    check_loss(eval_loss(lc, fx, NULL, n, 1.0f), fx, lc->loss_key, cname);

    free(grad);
    free(want2);
    gtt_fixture_free(fx);
}
END_TEST

/* ------------------------------------------------------------ optimisers */

typedef struct optim_case {
    const char *fixture;
    gt_optim_kind kind;
} optim_case;

static const optim_case optim_cases[] = {
    {"optim_adam_gan", GT_OPTIM_ADAM},
    {"optim_adam_wd", GT_OPTIM_ADAM},
    {"optim_sgd_momentum", GT_OPTIM_SGD},
    {"optim_sgd", GT_OPTIM_SGD},
};
enum { NOPTIM = sizeof optim_cases / sizeof optim_cases[0] };

START_TEST(optimiser_matches_pytorch)
{
    const optim_case *oc = &optim_cases[_i];
    gtt_fixture *fx = gtt_fixture_load(oc->fixture);
    size_t nc = 0, n = 0;
    const float *c = gtt_fixture_get(fx, "cfg", &nc);
    ck_assert_uint_eq(nc, 5);
    gt_optim_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kind = oc->kind;
    cfg.lr = c[0];
    cfg.beta1 = c[1];
    cfg.beta2 = c[2];
    cfg.eps = c[3];
    cfg.weight_decay = c[4];
    const float *p0 = gtt_fixture_get(fx, "p0", &n);
    float *p = gtt_falloc(n), *m = gtt_falloc(n), *v = gtt_falloc(n);
    memcpy(p, p0, n * sizeof *p);
    memset(m, 0, n * sizeof *m);
    memset(v, 0, n * sizeof *v);
    /* Plain SGD may pass no momentum buffer. */
    float *buf = oc->kind == GT_OPTIM_SGD && cfg.beta1 == 0.0f ? NULL : m;
    for (long t = 1; t <= 5; t++) {
        char key[32], what[96];
        snprintf(key, sizeof key, "grad%ld", t);
        const float *g = gtt_fixture_get(fx, key, NULL);
        if (oc->kind == GT_OPTIM_ADAM)
            gt_adam_step(p, g, m, v, n, &cfg, t);
        else
            gt_sgd_step(p, g, buf, n, &cfg, t);
        snprintf(key, sizeof key, "p%ld", t);
        snprintf(what, sizeof what, "%s: params after step %ld", oc->fixture, t);
        /* Tight: an Adam step here is ~lr = 2e-4, so 1e-6 is well inside it. */
        gtt_assert_close(p, gtt_fixture_get(fx, key, NULL), n, 1e-6, 2e-6, what);
    }
    free(p);
    free(m);
    free(v);
    gtt_fixture_free(fx);
}
END_TEST

GTT_SUITE(gt_test_parity_optim_suite)
{
    Suite *s = suite_create("parity_optim");
    TCase *tc = tcase_create("pytorch");
    tcase_add_loop_test(tc, loss_matches_pytorch, 0, NLOSS);
    tcase_add_loop_test(tc, optimiser_matches_pytorch, 0, NOPTIM);
    suite_add_tcase(s, tc);
    return s;
}
