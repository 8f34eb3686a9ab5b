/* Whole GAN training steps against PyTorch: three Adam steps of a small 1D
 * GAN (tests/reference/make_fixtures.py, case gan_adam_steps), comparing
 * losses, generated samples, parameters and batch-norm statistics after
 * every step. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

static const char *G_SPEC = "input 8\ndense 32\nbn\nrelu\nreshape 2x16\nconvt 1 k4 s2 p1\ntanh";
static const char *D_SPEC = "input 1x32\nconv 8 k4 s2 p1\nlrelu 0.2\nconv 16 k4 s2 p1\nbn\n"
                            "lrelu 0.2\nflatten\ndense 1";

static gt_model *build(const char *spec, const gtt_fixture *fx, const char *params)
{
    gt_error err = {0};
    gt_model *m = NULL;
    ck_assert_msg(gt_model_parse(&m, spec, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_model_finalize(m, 4, &err) == GT_OK, "%s", err.msg);
    size_t n = 0;
    const float *p = gtt_fixture_get(fx, params, &n);
    ck_assert_uint_eq(n, gt_model_nparams(m));
    memcpy(gt_model_params(m), p, n * sizeof *p);
    return m;
}

/* Entries the fixture marks noisy (biases feeding a training-mode batch
 * norm: their true gradient is 0, and float rounding noise near Adam's eps
 * moves them by up to lr per step in either direction, in PyTorch as here)
 * are held to that bound; everything else to float precision. */
static void expect_params(const float *got, const gtt_fixture *fx, const char *name,
                          const char *noisy_name, size_t n, int step, double noisy_tol)
{
    size_t nw = 0, nn = 0;
    const float *want = gtt_fixture_get(fx, name, &nw);
    const float *noisy = gtt_fixture_get(fx, noisy_name, &nn);
    ck_assert_uint_eq(nw, n);
    ck_assert_uint_eq(nn, n);
    size_t nnoisy = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)got[i] - want[i]);
        double tol = noisy[i] != 0 ? noisy_tol * step : 2e-6 + 1e-4 * fabs(want[i]);
        nnoisy += noisy[i] != 0;
        ck_assert_msg(diff <= tol, "%s[%zu]: got %.7g want %.7g (%s entry)", name, i,
                      (double)got[i], (double)want[i], noisy[i] != 0 ? "noisy" : "exact");
    }
    ck_assert_msg(nnoisy <= n / 2, "%s: too many noisy entries (%zu of %zu)", name, nnoisy, n);
}

static void expect_scalar(const gtt_fixture *fx, const char *name, double got)
{
    const float *want = gtt_fixture_get(fx, name, NULL);
    float g = (float)got;
    gtt_assert_close(&g, want, 1, 1e-5, 1e-4, name);
}

START_TEST(three_adam_steps_match_pytorch)
{
    gtt_fixture *fx = gtt_fixture_load("gan_adam_steps");
    gt_model *g = build(G_SPEC, fx, "g_params0");
    gt_model *d = build(D_SPEC, fx, "d_params0");
    gt_gan_cfg cfg = gt_gan_cfg_default();
    gt_gan gan;
    gt_error err = {0};
    ck_assert_int_eq(gt_gan_init(&gan, g, d, &cfg, 0, &err), GT_OK);
    char name[64];
    for (int s = 1; s <= 3; s++) {
        snprintf(name, sizeof name, "z%d", s);
        const float *z = gtt_fixture_get(fx, name, NULL);
        snprintf(name, sizeof name, "real%d", s);
        const float *real = gtt_fixture_get(fx, name, NULL);
        gt_gan_stats st;
        ck_assert_int_eq(gt_gan_step(&gan, real, NULL, z, 4, &st), GT_OK);

        snprintf(name, sizeof name, "fake%d", s);
        gtt_assert_close(gan.fake, gtt_fixture_get(fx, name, NULL), 4 * 32, 1e-5, 1e-4, name);
        snprintf(name, sizeof name, "loss_d_real%d", s);
        expect_scalar(fx, name, st.loss_d_real);
        snprintf(name, sizeof name, "loss_d_fake%d", s);
        expect_scalar(fx, name, st.loss_d_fake);
        snprintf(name, sizeof name, "loss_g%d", s);
        expect_scalar(fx, name, st.loss_g);
        const double lr = 2e-4;
        snprintf(name, sizeof name, "g_params%d", s);
        expect_params(gt_model_params(g), fx, name, "g_params_noisy", gt_model_nparams(g), s,
                      3 * lr);
        snprintf(name, sizeof name, "d_params%d", s);
        expect_params(gt_model_params(d), fx, name, "d_params_noisy", gt_model_nparams(d), s,
                      3 * lr);
        snprintf(name, sizeof name, "g_buffers%d", s);
        expect_params(gt_model_buffers(g), fx, name, "g_buffers_noisy", gt_model_nbuffers(g), s,
                      2e-4);
        snprintf(name, sizeof name, "d_buffers%d", s);
        expect_params(gt_model_buffers(d), fx, name, "d_buffers_noisy", gt_model_nbuffers(d), s,
                      2e-4);
    }
    gt_gan_free(&gan);
    gt_model_free(g);
    gt_model_free(d);
    gtt_fixture_free(fx);
}
END_TEST

/* cfg.shift: D sees each sample translated, and G's gradient is D's,
 * translated back (checked with a linear critic, whose input gradient is
 * its weight); a negative shift is refused. */
START_TEST(translated_critic_inputs)
{
    gt_error err = {0};
    gt_model *g = NULL, *d = NULL;
    ck_assert_int_eq(gt_model_parse(&g, "input 4\ndense 8\nreshape 1x8", &err), GT_OK);
    ck_assert_int_eq(gt_model_parse(&d, "input 1x8\nflatten\ndense 1 nobias", &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(g, 6, &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(d, 6, &err), GT_OK);
    gt_model_init(g, GT_INIT_HE, 1);
    gt_model_init(d, GT_INIT_HE, 2);
    gt_gan_cfg cfg = gt_gan_cfg_default();
    gt_gan gan;
    cfg.shift = -1;
    ck_assert_int_eq(gt_gan_init(&gan, g, d, &cfg, 3, &err), GT_EINVAL);
    cfg.shift = 3;
    ck_assert_msg(gt_gan_init(&gan, g, d, &cfg, 3, &err) == GT_OK, "%s", err.msg);
    float real[6 * 8];
    gtt_fill(real, 6 * 8, 4, 1.0f);
    ck_assert_int_eq(gt_gan_step(&gan, real, NULL, NULL, 6, NULL), GT_OK);
    /* After the G step: dfake[i, k] = dlogits[i] w[k + shift_i], zero where
     * k + shift_i leaves the window; D's weight w did not change since. */
    const float *w = gt_model_params(d);
    int moved = 0;
    for (int i = 0; i < 6; i++) {
        const int sh = gan.shifts[i];
        ck_assert(sh >= -3 && sh <= 3);
        moved += sh != 0;
        for (int k = 0; k < 8; k++) {
            const float want = k + sh >= 0 && k + sh < 8 ? gan.dlogits[i] * w[k + sh] : 0.0f;
            ck_assert_msg(fabsf(gan.dfake[i * 8 + k] - want) <= 1e-6f * (1.0f + fabsf(want)),
                          "sample %d (shift %d) position %d: %g, want %g", i, sh, k,
                          (double)gan.dfake[i * 8 + k], (double)want);
        }
    }
    ck_assert_msg(moved > 0, "no sample was translated");
    gt_gan_free(&gan);
    gt_model_free(g);
    gt_model_free(d);
}
END_TEST

GTT_SUITE(gt_test_gan_suite)
{
    Suite *s = suite_create("gan");
    TCase *tc = tcase_create("parity");
    tcase_add_test(tc, three_adam_steps_match_pytorch);
    tcase_add_test(tc, translated_critic_inputs);
    suite_add_tcase(s, tc);
    return s;
}
