/* The time-series GAN library: backward through an inference forward (the
 * encoder's path through the frozen generator), save/load, what the scores
 * find, that they are local, and that bad data stops training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "testutil.h"

/* ---- backward after an inference forward ---------------------------- */

typedef struct fwd_ctx {
    gt_model *m;
    float *x, *y;
    int n;
} fwd_ctx;

/* sum of outputs x index-weights, in inference mode */
static double eval_loss(void *p)
{
    fwd_ctx *c = p;
    gt_model_forward(c->m, c->x, NULL, c->n, 0, c->y);
    double s = 0;
    for (int i = 0; i < c->n; i++)
        s += c->y[i] * (1.0 + 0.1 * i);
    return s;
}

START_TEST(backward_input_after_inference_forward)
{
    gt_error err = {0};
    gt_model *m = NULL;
    ck_assert_msg(gt_model_parse(&m,
                                 "input 2x16\nconv 4 k3 p1\nbn\nlrelu 0.2\ndropout 0.5\n"
                                 "conv 3 k4 s2 p1\nbn\ntanh\nflatten\ndense 1",
                                 &err) == GT_OK,
                  "%s", err.msg);
    ck_assert_int_eq(gt_model_finalize(m, 8, &err), GT_OK);
    gt_model_init(m, GT_INIT_HE, 5);
    const int n = 6;
    float *x = gtt_falloc((size_t)n * 32), *y = gtt_falloc(n), *dy = gtt_falloc(n);
    float *dx = gtt_falloc((size_t)n * 32);
    /* Running statistics away from their initial 0 and 1. */
    for (int k = 0; k < 5; k++) {
        gtt_fill(x, (size_t)n * 32, 10 + k, 2.0f);
        for (int i = 0; i < n * 32; i++)
            x[i] += 0.7f;
        gt_model_forward(m, x, NULL, n, 1, y);
    }
    gtt_fill(x, (size_t)n * 32, 99, 1.0f);
    for (int i = 0; i < n; i++)
        dy[i] = (float)(1.0 + 0.1 * i);
    gt_model_forward(m, x, NULL, n, 0, y);
    /* Parameter gradients are undefined after inference: refused. */
    ck_assert_int_eq(gt_model_backward(m, dy, dx), GT_EINVAL);
    ck_assert_int_eq(gt_model_backward_input(m, dy, dx), GT_OK);
    fwd_ctx c = {m, x, y, n};
    gtt_assert_fd(eval_loss, &c, x, dx, (size_t)n * 32, 2e-3f, 2e-3, 2e-2, "inference dx");
    free(x);
    free(y);
    free(dy);
    free(dx);
    gt_model_free(m);
}
END_TEST

/* ---- the model ----------------------------------------------------------- */

/* Normal windows: a sine of random phase plus noise; anomalous ones add
 * a burst of impulses. */
static void make_windows(float *x, int n, int L, int anomalous, gt_rng *r)
{
    for (int i = 0; i < n; i++) {
        float ph = 6.2831853f * gt_rng_uniform(r);
        for (int t = 0; t < L; t++) {
            float v = 0.5f * sinf(6.2831853f * 4.0f * t / L + ph) + 0.05f * gt_rng_normal(r);
            if (anomalous && t % 9 == 0)
                v += 0.6f;
            x[(size_t)i * L + t] = v;
        }
    }
}

/* A small model for windows of 32 of one channel. */
static gt_tsgan_cfg small_cfg(uint64_t seed)
{
    gt_tsgan_cfg c = gt_tsgan_cfg_default(32, 1);
    c.nz = 8;
    c.width = 8;
    c.max_width = 32;
    c.batch = 32;
    c.seed = seed;
    return c;
}

static gt_tsgan *make_model(const gt_tsgan_cfg *c, const char *classes)
{
    gt_tsgan *t = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_create(&t, c, &err) == GT_OK, "%s", err.msg);
    float center = 0, scale = 1;
    ck_assert_int_eq(gt_tsgan_set_meta(t, "x", "g", classes, 100.0, GT_NORM_MINMAX, &center,
                                       &scale, &err),
                     GT_OK);
    return t;
}

/* gt_tsgan_create refuses c with a message containing needle. */
static void create_fails(const gt_tsgan_cfg *c, const char *needle)
{
    gt_tsgan *t = NULL;
    gt_error err = {0};
    ck_assert_int_eq(gt_tsgan_create(&t, c, &err), GT_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

static gt_tsgan *small_model(uint64_t seed)
{
    gt_tsgan_cfg c = small_cfg(seed);
    return make_model(&c, "");
}

START_TEST(scores_separate_and_survive_save_load)
{
    const int N = 512, L = 32, steps = gtt_quick() ? 150 : 400;
    gt_rng r;
    gt_rng_seed(&r, 3);
    float *x = gtt_falloc((size_t)N * L);
    make_windows(x, N, L, 0, &r);
    gt_tsgan *t = small_model(1);
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_train_gan(t, x, NULL, N, steps, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_msg(gt_tsgan_train_encoder(t, x, NULL, N, steps, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_int_eq((int)t->hist.n, steps);
    ck_assert_int_eq((int)t->hist.enc_n, steps);
    /* The encoder learned something: its loss fell. */
    ck_assert_float_lt(t->hist.loss_e[steps - 1], 0.7f * t->hist.loss_e[0]);

    /* Reconstruction error of fresh normal vs anomalous windows. */
    const int M = 32;
    float *xn = gtt_falloc((size_t)M * L), *xa = gtt_falloc((size_t)M * L);
    float *cn = gtt_falloc(M), *ca = gtt_falloc(M);
    float *rn = gtt_falloc((size_t)M * L), *ra = gtt_falloc((size_t)M * L);
    make_windows(xn, M, L, 0, &r);
    make_windows(xa, M, L, 1, &r);
    ck_assert_int_eq(gt_tsgan_score_windows(t, xn, NULL, M, cn, rn, NULL), GT_OK);
    ck_assert_int_eq(gt_tsgan_score_windows(t, xa, NULL, M, ca, ra, NULL), GT_OK);
    float *sn = gtt_falloc(M), *sa = gtt_falloc(M);
    uint8_t lab[64];
    float all[64];
    for (int i = 0; i < M; i++) {
        double a = 0, b = 0;
        for (int j = 0; j < L; j++) {
            a += rn[(size_t)i * L + j];
            b += ra[(size_t)i * L + j];
        }
        all[i] = (float)a;
        all[M + i] = (float)b;
        lab[i] = 0;
        lab[M + i] = 1;
    }
    double auc = gt_auroc(all, lab, 2 * M);
    ck_assert_msg(auc > 0.95, "reconstruction AUROC %.3f", auc);

    /* Save and load: the same scores, bit for bit, and the history. */
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/m.h5", dir);
    float cal[4 * 64];
    for (int i = 0; i < 64; i++) {
        cal[i] = all[i];
        cal[64 + i] = all[i] * 0.5f;
    }
    ck_assert_int_eq(gt_tsgan_calibrate(t, cal, cal + 64, 64, &err), GT_OK);
    ck_assert_msg(gt_tsgan_save(t, path, &err) == GT_OK, "%s", err.msg);
    gt_tsgan *u = NULL;
    ck_assert_msg(gt_tsgan_load(&u, path, &err) == GT_OK, "%s", err.msg);
    float *cu = gtt_falloc(M), *ru = gtt_falloc((size_t)M * L);
    ck_assert_int_eq(gt_tsgan_score_windows(u, xa, NULL, M, cu, ru, NULL), GT_OK);
    ck_assert_int_eq(memcmp(cu, ca, M * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(ru, ra, (size_t)M * L * sizeof(float)), 0);
    ck_assert_int_eq((int)u->hist.n, steps);
    ck_assert_float_eq(u->hist.loss_d[steps - 1], t->hist.loss_d[steps - 1]);
    ck_assert_int_eq((int)u->nref, 64);
    ck_assert_float_eq(u->c_center, t->c_center);
    ck_assert_str_eq(u->units, "g");
    /* Another file kind is refused by name. */
    gt_model *m = NULL;
    ck_assert_int_eq(gt_model_parse(&m, "input 4\ndense 1", &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(m, 2, &err), GT_OK);
    ck_assert_int_eq(gt_model_save(m, path, 0, &err), GT_OK);
    gt_model_free(m);
    gt_tsgan *bad = NULL;
    ck_assert_int_ne(gt_tsgan_load(&bad, path, &err), GT_OK);
    ck_assert_ptr_null(bad);
    ck_assert_msg(strstr(err.msg, "not a time-series or image GAN"), "%s", err.msg);
    gtt_rmdir(dir);
    free(dir);
    gt_tsgan_free(u);
    gt_tsgan_free(t);
    free(x);
    free(xn);
    free(xa);
    free(cn);
    free(ca);
    free(rn);
    free(ra);
    free(sn);
    free(sa);
    free(cu);
    free(ru);
}
END_TEST

START_TEST(same_seed_same_model)
{
    const int N = 128, L = 32;
    gt_rng r;
    gt_rng_seed(&r, 4);
    float *x = gtt_falloc((size_t)N * L);
    make_windows(x, N, L, 0, &r);
    gt_error err = {0};
    gt_tsgan *a = small_model(7), *b = small_model(7), *c = small_model(8);
    for (int k = 0; k < 3; k++) {
        gt_tsgan *t = k == 0 ? a : k == 1 ? b : c;
        ck_assert_int_eq(gt_tsgan_train_gan(t, x, NULL, N, 20, NULL, NULL, &err), GT_OK);
    }
    size_t np = gt_model_nparams(a->g);
    ck_assert_int_eq(memcmp(gt_model_params(a->g), gt_model_params(b->g), np * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(gt_model_params(a->g), gt_model_params(c->g), np * sizeof(float)), 0);
    gt_tsgan_free(a);
    gt_tsgan_free(b);
    gt_tsgan_free(c);
    free(x);
}
END_TEST

START_TEST(signal_scores_are_local)
{
    /* A sample's score depends on the data within a window of it, not on
     * how much was scored around it. */
    const size_t n = 600, L = 32;
    gt_tsgan *t = small_model(2);
    t->smooth = 9;
    gt_error err = {0};
    float *sig = gtt_falloc(n);
    gtt_fill(sig, n, 5, 0.5f);
    float cal[2] = {0.5f, 1.5f}, calr[2] = {0.1f, 0.3f};
    ck_assert_int_eq(gt_tsgan_calibrate(t, cal, calr, 2, &err), GT_OK);
    float *whole = gtt_falloc(n), *part = gtt_falloc(n);
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, n, 0, 1, NULL, NULL, whole, &err), GT_OK);
    /* Score samples 200..399 alone. */
    ck_assert_int_eq(
        gt_tsgan_score_signal(t, sig + 200, NULL, 200, 0, 1, NULL, NULL, part, &err), GT_OK);
    /* Samples a window and a half from either end see the same data. */
    size_t margin = L + 5;
    for (size_t i = margin; i < 200 - margin; i++)
        ck_assert_msg(fabsf(whole[200 + i] - part[i]) <= 1e-5f * (1 + fabsf(part[i])),
                      "sample %zu: %g scored whole, %g scored alone", 200 + i, whole[200 + i],
                      part[i]);
    /* Bad samples: no window touching them is scored. */
    uint8_t *bad = calloc(n, 1);
    for (size_t i = 100; i < 200; i++)
        bad[i] = 1;
    float *cs = gtt_falloc(n);
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, bad, n, 0, 1, cs, NULL, NULL, &err), GT_OK);
    ck_assert(isnan(cs[150]));
    ck_assert(!isnan(cs[50]) && !isnan(cs[250]));
    /* Too short a signal is refused. */
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, L - 1, 0, 1, cs, NULL, NULL, &err),
                     GT_EINVAL);
    free(bad);
    free(cs);
    free(sig);
    free(whole);
    free(part);
    gt_tsgan_free(t);
}
END_TEST

START_TEST(components_smoothed_then_combined)
{
    /* The critic and reconstruction series are smoothed before they are
     * combined and calibrated: what is standardised is what is scored. */
    const size_t n = 300, k = 9;
    gt_tsgan *t = small_model(2);
    gt_error err = {0};
    float *sig = gtt_falloc(n), *c1 = gtt_falloc(n), *r1 = gtt_falloc(n);
    float *ck = gtt_falloc(n), *rk = gtt_falloc(n), *score = gtt_falloc(n);
    gtt_fill(sig, n, 8, 0.5f);
    t->smooth = 1;
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, n, 0, 3, c1, r1, NULL, &err), GT_OK);
    t->smooth = (int)k;
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, n, 0, 3, ck, rk, NULL, &err), GT_OK);
    int differ = 0;
    for (size_t i = k / 2; i + k / 2 < n; i++) {
        double mc = 0, mr = 0;
        for (size_t j = i - k / 2; j <= i + k / 2; j++) {
            mc += c1[j];
            mr += r1[j];
        }
        mc /= (double)k;
        mr /= (double)k;
        ck_assert_msg(fabs(ck[i] - mc) <= 1e-5 * (1 + fabs(mc)), "critic at %zu: %g, mean %g", i,
                      ck[i], mc);
        ck_assert_msg(fabs(rk[i] - mr) <= 1e-5 * (1 + fabs(mr)), "recon at %zu: %g, mean %g", i,
                      rk[i], mr);
        differ += ck[i] != c1[i];
    }
    ck_assert_msg(differ > 100, "smoothing changed only %d critic values", differ);
    /* Calibrated on these series, the score combines them sample by sample. */
    ck_assert_int_eq(gt_tsgan_calibrate(t, ck, rk, n, &err), GT_OK);
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, n, 0, 3, NULL, NULL, score, &err), GT_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_float_eq_tol(score[i], gt_tsgan_combine(t, ck[i], rk[i]),
                               1e-5f * (1 + fabsf(score[i])));
    free(sig);
    free(c1);
    free(r1);
    free(ck);
    free(rk);
    free(score);
    gt_tsgan_free(t);
}
END_TEST

START_TEST(spectral_matching_pulls_the_spectrum)
{
    /* The same GAN trained with and without --spectral-loss: with it, the
     * generated windows' mean spectrum ends closer to the real one; the
     * weight is saved with the model; images are refused. */
    const int N = 256, L = 32, steps = gtt_quick() ? 60 : 150;
    gt_rng r;
    gt_rng_seed(&r, 7);
    float *x = gtt_falloc((size_t)N * L), *gen = gtt_falloc((size_t)32 * L);
    make_windows(x, N, L, 0, &r);
    gt_error err = {0};
    gt_spec_match *ref = NULL;
    ck_assert_int_eq(gt_spec_match_create(&ref, 1, L, 0, 32, &err), GT_OK);
    ck_assert_int_eq(gt_spec_match_fit(ref, x, NULL, N, &err), GT_OK);
    double loss[2];
    for (int w = 0; w < 2; w++) {
        gt_tsgan *t = small_model(4);
        t->cfg.spectral = w ? 3.0f : 0.0f;
        ck_assert_msg(gt_tsgan_train_gan(t, x, NULL, N, steps, NULL, NULL, &err) == GT_OK, "%s",
                      err.msg);
        gt_rng g;
        gt_rng_seed(&g, 11);
        ck_assert_int_eq(gt_tsgan_generate(t, NULL, 0, 32, &g, gen), GT_OK);
        loss[w] = gt_spec_match_loss(ref, gen, NULL, 32, 1.0f, NULL);
        if (w) {
            char path[512];
            char *dir = gtt_tmpdir();
            snprintf(path, sizeof path, "%s/m.h5", dir);
            ck_assert_msg(gt_tsgan_save(t, path, &err) == GT_OK, "%s", err.msg);
            gt_tsgan *u = NULL;
            ck_assert_msg(gt_tsgan_load(&u, path, &err) == GT_OK, "%s", err.msg);
            ck_assert_float_eq(u->cfg.spectral, 3.0f);
            gt_tsgan_free(u);
            gtt_rmdir(dir);
            free(dir);
        }
        gt_tsgan_free(t);
    }
    printf("tsgan: spectral mismatch of generated windows %.4f without, %.4f with matching\n",
           loss[0], loss[1]);
    ck_assert_msg(loss[1] < 0.5 * loss[0], "mismatch %g with matching, %g without", loss[1],
                  loss[0]);
    gt_tsgan_cfg c = gt_tsgan_cfg_default(16, 1);
    c.dims = 2;
    c.spectral = 1.0f;
    create_fails(&c, "not images");
    gt_spec_match_free(ref);
    free(x);
    free(gen);
}
END_TEST

/* A hinge model with two classes and D's input gain k (or none). */
static gt_tsgan *hinge_model(float gain)
{
    gt_tsgan_cfg c = small_cfg(1);
    c.batch = 8;
    c.nclasses = 2;
    c.loss = GT_GAN_HINGE;
    c.d_gain = gain;
    return make_model(&c, "a,b");
}

START_TEST(hinge_critic_input_gain)
{
    /* gt_tsgan_d_gain: 1 / RMS for hinge, 1 otherwise.  D gets a scale layer
     * ahead of its class channels (E none), scoring goes through it (the
     * gained critic of x is the plain critic of k x with the same weights),
     * and save/load keeps it. */
    const int N = 8, L = 32;
    gt_rng r;
    gt_rng_seed(&r, 5);
    float *x = gtt_falloc((size_t)N * L), *kx = gtt_falloc((size_t)N * L);
    make_windows(x, N, L, 0, &r);
    double ss = 0;
    for (int i = 0; i < N * L; i++)
        ss += (double)x[i] * x[i];
    const float want = (float)(1.0 / sqrt(ss / (N * L)));
    gt_tsgan_cfg c = gt_tsgan_cfg_default(L, 1);
    ck_assert_float_eq(gt_tsgan_d_gain(&c, x, N), 1.0f);
    c.loss = GT_GAN_HINGE;
    ck_assert_float_eq_tol(gt_tsgan_d_gain(&c, x, N), want, 1e-5f * want);
    ck_assert_float_eq(gt_tsgan_d_gain(&c, x, 0), 1.0f);

    const float k = 3.5f;
    gt_tsgan *t = hinge_model(k), *plain = hinge_model(1.0f);
    const gt_layer_desc *d0 = gt_model_layer(t->d, 0);
    ck_assert_int_eq(d0->kind, GT_LAYER_SCALE);
    ck_assert_float_eq(d0->alpha, k);
    ck_assert_int_eq(gt_model_layer(t->d, 1)->kind, GT_LAYER_LABEL);
    ck_assert_int_ne(gt_model_layer(t->e, 0)->kind, GT_LAYER_SCALE);
    ck_assert_int_ne(gt_model_layer(plain->d, 0)->kind, GT_LAYER_SCALE);
    ck_assert_uint_eq(gt_model_nparams(t->d), gt_model_nparams(plain->d));
    memcpy(gt_model_params(plain->d), gt_model_params(t->d),
           gt_model_nparams(t->d) * sizeof(float));
    memcpy(gt_model_buffers(plain->d), gt_model_buffers(t->d),
           gt_model_nbuffers(t->d) * sizeof(float));
    for (int i = 0; i < N * L; i++)
        kx[i] = k * x[i];
    int cls[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    float c1[8], c2[8], c3[8];
    ck_assert_int_eq(gt_tsgan_score_windows(t, x, cls, N, c1, NULL, NULL), GT_OK);
    ck_assert_int_eq(gt_tsgan_score_windows(plain, kx, cls, N, c2, NULL, NULL), GT_OK);
    gtt_assert_close(c1, c2, N, 1e-5, 1e-5, "gained critic");
    double spread = 0;
    for (int i = 0; i < N; i++)
        spread += fabs(c1[i] - c1[0]);
    ck_assert_msg(spread > 0, "the critic does not look at its input");

    char path[512];
    char *dir = gtt_tmpdir();
    snprintf(path, sizeof path, "%s/h.h5", dir);
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_save(t, path, &err) == GT_OK, "%s", err.msg);
    gt_tsgan *u = NULL;
    ck_assert_msg(gt_tsgan_load(&u, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_float_eq(u->cfg.d_gain, k);
    ck_assert_int_eq(gt_model_layer(u->d, 0)->kind, GT_LAYER_SCALE);
    ck_assert_int_eq(gt_tsgan_score_windows(u, x, cls, N, c3, NULL, NULL), GT_OK);
    gtt_assert_close(c3, c1, N, 1e-6, 1e-5, "critic after save/load");
    gt_tsgan_free(u);
    gtt_rmdir(dir);
    free(dir);

    c = gt_tsgan_cfg_default(L, 1);
    c.d_gain = 0;
    create_fails(&c, "gain");
    gt_tsgan_free(t);
    gt_tsgan_free(plain);
    free(x);
    free(kx);
}
END_TEST

START_TEST(non_finite_data_stops_training)
{
    const int N = 64, L = 32;
    float *x = gtt_falloc((size_t)N * L);
    gtt_fill(x, (size_t)N * L, 1, 0.5f);
    for (int i = 0; i < N * L; i += 7)
        x[i] = NAN;
    gt_tsgan *t = small_model(3);
    gt_error err = {0};
    ck_assert_int_eq(gt_tsgan_train_gan(t, x, NULL, N, 5, NULL, NULL, &err), GT_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "diverged at step 1"), "%s", err.msg);
    int cls[4] = {0, 1, 2, 5};
    t->cfg.nclasses = 0;
    ck_assert_int_eq(gt_tsgan_train_gan(t, x, cls, 0, 5, NULL, NULL, &err), GT_EINVAL);
    gt_tsgan_free(t);
    free(x);
}
END_TEST

GTT_SUITE(gt_test_tsgan_suite)
{
    Suite *s = suite_create("tsgan");
    TCase *tc = tcase_create("tsgan");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, backward_input_after_inference_forward);
    tcase_add_test(tc, scores_separate_and_survive_save_load);
    tcase_add_test(tc, same_seed_same_model);
    tcase_add_test(tc, signal_scores_are_local);
    tcase_add_test(tc, components_smoothed_then_combined);
    tcase_add_test(tc, spectral_matching_pulls_the_spectrum);
    tcase_add_test(tc, hinge_critic_input_gain);
    tcase_add_test(tc, non_finite_data_stops_training);
    suite_add_tcase(s, tc);
    return s;
}
