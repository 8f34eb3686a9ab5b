/* gt_model_infer: the same outputs as gt_model_forward(train = 0) for every
 * kind of layer, 1D and 2D, conditional and spectrally normalised models,
 * any batch size and thread count; deterministic; no backward after it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

#define MAX_BATCH 9

static gt_model *build(const char *spec)
{
    gt_error err = {0};
    gt_model *m = NULL;
    ck_assert_msg(gt_model_parse(&m, spec, &err) == GT_OK, "parse failed: %s\n%s", err.msg, spec);
    ck_assert_msg(gt_model_finalize(m, MAX_BATCH, &err) == GT_OK, "finalize: %s", err.msg);
    return m;
}

static size_t sample_size(gt_shape s)
{
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/*
 * Parameters off their initial values (biases, batch-norm shifts and scales
 * away from 0 and 1) and running statistics and spectral-norm vectors moved
 * by a few training passes, so that every term of the inference map counts.
 */
static void perturb(gt_model *m, int nclasses, uint64_t seed)
{
    gt_model_init(m, GT_INIT_HE, seed);
    size_t np = gt_model_nparams(m);
    float *noise = gtt_falloc(np);
    gtt_fill(noise, np, seed + 1, 0.2f);
    float *p = gt_model_params(m);
    for (size_t i = 0; i < np; i++)
        p[i] += noise[i];
    free(noise);
    size_t nx = sample_size(gt_model_input_shape(m)) * MAX_BATCH;
    float *x = gtt_falloc(nx);
    int labels[MAX_BATCH];
    for (int i = 0; i < MAX_BATCH; i++)
        labels[i] = i % (nclasses ? nclasses : 1);
    for (int pass = 0; pass < 3; pass++) {
        gtt_fill(x, nx, seed + 10 + (uint64_t)pass, 1.5f);
        for (size_t i = 0; i < nx; i++)
            x[i] += 0.3f; /* running means away from 0 */
        ck_assert_int_eq(gt_model_forward(m, x, nclasses ? labels : NULL, MAX_BATCH, 1, NULL),
                         GT_OK);
    }
    free(x);
}

/*
 * infer against forward(train = 0) for batch sizes 1, odd, and full, at one
 * and two threads: within 1e-5 of the output's largest magnitude; twice
 * the same thread count gives the same bits.
 */
static void check_spec(const char *spec, int nclasses, uint64_t seed)
{
    gt_model *m = build(spec);
    perturb(m, nclasses, seed);
    const size_t si = sample_size(gt_model_input_shape(m)),
                 so = sample_size(gt_model_output_shape(m));
    float *x = gtt_falloc(si * MAX_BATCH), *ref = gtt_falloc(so * MAX_BATCH),
          *y = gtt_falloc(so * MAX_BATCH), *y2 = gtt_falloc(so * MAX_BATCH);
    int labels[MAX_BATCH];
    for (int i = 0; i < MAX_BATCH; i++)
        labels[i] = (i * 2 + 1) % (nclasses ? nclasses : 1);
    const int *lab = nclasses ? labels : NULL;
    const int sizes[] = {1, 2, 5, MAX_BATCH};
    const int threads = gt_threads_get();
    for (int t = 1; t <= 2; t++) {
        gt_threads_set(t);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            const int n = sizes[k];
            gtt_fill(x, si * (size_t)n, seed + 100 + k, 1.0f);
            ck_assert_int_eq(gt_model_forward(m, x, lab, n, 0, ref), GT_OK);
            ck_assert_int_eq(gt_model_infer(m, x, lab, n, y), GT_OK);
            float big = 1.0f;
            for (size_t i = 0; i < so * (size_t)n; i++)
                big = fmaxf(big, fabsf(ref[i]));
            char what[160];
            snprintf(what, sizeof what, "infer vs forward, %d thread(s), batch %d", t, n);
            /* 1e-5: the Winograd layers round differently (src/winograd.h). */
            gtt_assert_close(y, ref, so * (size_t)n, 1e-5 * big, 1e-5, what);
            ck_assert_int_eq(gt_model_infer(m, x, lab, n, y2), GT_OK);
            ck_assert_msg(memcmp(y, y2, so * (size_t)n * sizeof *y) == 0,
                          "%d thread(s), batch %d: two inferences differ", t, n);
        }
    }
    gt_threads_set(threads);
    free(x);
    free(ref);
    free(y);
    free(y2);
    gt_model_free(m);
}

static void check_preset(int dims, int size, int channels, int nclasses, int spectral)
{
    char gs[4096], ds[4096];
    gt_error err = {0};
    gt_preset_cfg pc = gt_preset_default(dims, size, channels);
    pc.nz = 6;
    pc.width = 4;
    pc.max_width = 16;
    pc.nclasses = nclasses;
    pc.spectral = spectral;
    ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
    check_spec(gs, nclasses, 1);
    check_spec(ds, nclasses, 2);
}

/* The GAN presets: conv / bn / lrelu discriminators ending in a whole-window
 * conv, convt / bn / relu generators ending in tanh. */
START_TEST(dcgan_1d)
{
    check_preset(1, 64, 1, 0, 0);
    check_preset(1, 32, 3, 0, 0);
}
END_TEST

START_TEST(dcgan_2d)
{
    check_preset(2, 16, 3, 0, 0);
    check_preset(2, 16, 1, 0, 0);
}
END_TEST

START_TEST(conditional)
{
    check_preset(1, 32, 2, 3, 0);
    check_preset(2, 16, 1, 4, 0);
    check_spec("input 2x32 classes 3\nlabel onehot\nconv 8 k4 s2 p1\nbn\nrelu\n"
               "label embed 4\nconv 4 k4 s2 p1\nlrelu 0.1\nflatten\ndense 1",
               3, 3);
}
END_TEST

START_TEST(spectral)
{
    check_preset(1, 32, 2, 0, 1);
    check_preset(2, 16, 3, 2, 1);
    check_spec("input 12\ndense 16 sn\nlrelu\ndense 3 sn", 0, 4);
    /* A hinge critic's input gain (gantry/tsgan.h, d_gain) ahead of its
     * class channels. */
    check_spec("input 2x16 classes 2\nscale 6\nlabel onehot\nconv 4 k4 s2 p1 nobias sn\n"
               "lrelu 0.2\nconv 1 k8 s1 p0 nobias sn", 2, 9);
}
END_TEST

/* Dense, flatten, reshape, upsample, dropout, sigmoid; batch norm after
 * dense and on its own (before a conv, after relu); an unfolding-free 1x1
 * convolution after a map; a conv whose input is the raw input. */
START_TEST(other_layers)
{
    check_spec("input 20\ndense 64\nbn\nrelu\nreshape 4x16\nupsample 2\nconv 8 k3 s1 p1\n"
               "bn\nlrelu 0.3\ndropout 0.3\nconv 4 k1\ntanh\nflatten\ndense 5\nsigmoid",
               0, 5);
    check_spec("input 3x24\nconv 6 k5 s1 p2\nrelu\nbn\nconv 5 k3 s3 p0\nbn noaffine\n"
               "lrelu\ndropout 0.5\nconvt 4 k3 s1 p1\nbn\nrelu\nconvt 2 k5 s3 p1",
               0, 6);
    check_spec("input 2x6x6\nbn\nrelu\nconv 4 k3x3 s1x1 p1x1\nbn\nconv 3 k2x2 s2x2\nrelu\n"
               "upsample 2\nbn momentum 0.5 eps 1e-3\nlrelu 0\nconvt 2 k4x4 s2x2 p1x1\n"
               "flatten\ndense 2",
               0, 7);
    check_spec("input 1x16\ndropout 0.2\nrelu\nconv 1 k3 s1 p1\nbn\nconvt 1 k1\nlrelu", 0, 8);
}
END_TEST

/* The Winograd layers' transformed weights follow the parameters, whether
 * an optimiser step or the caller (gt_model_params) changed them. */
START_TEST(follows_parameter_changes)
{
    gt_model *m = build("input 1x64\nconv 8 k4 s2 p1\nlrelu 0.2\nconv 16 k4 s2 p1\nbn\n"
                        "lrelu 0.2\nconvt 8 k4 s2 p1\nbn\nrelu\nconvt 4 k4 s2 p1\nflatten\n"
                        "dense 1");
    perturb(m, 0, 11);
    const size_t si = sample_size(gt_model_input_shape(m)), n = 4;
    float *x = gtt_falloc(si * n), y[4], ref[4];
    gtt_fill(x, si * n, 12, 1.0f);
    gt_optim_cfg oc = gt_optim_default();
    oc.lr = 0.05f;
    for (int change = 0; change < 3; change++) {
        if (change == 1) {
            /* A large step of made-up gradients. */
            gtt_fill(gt_model_grads(m), gt_model_nparams(m), 13, 1.0f);
            gt_model_step(m, &oc);
        } else if (change == 2) {
            float *p = gt_model_params(m);
            for (size_t i = 0; i < gt_model_nparams(m); i++)
                p[i] *= -1.5f;
        }
        ck_assert_int_eq(gt_model_forward(m, x, NULL, (int)n, 0, ref), GT_OK);
        ck_assert_int_eq(gt_model_infer(m, x, NULL, (int)n, y), GT_OK);
        float big = 1.0f;
        for (size_t i = 0; i < n; i++)
            big = fmaxf(big, fabsf(ref[i]));
        char what[64];
        snprintf(what, sizeof what, "after change %d", change);
        gtt_assert_close(y, ref, n, 1e-5 * big, 1e-5, what);
    }
    free(x);
    gt_model_free(m);
}
END_TEST

/* x and y the same array: still right (the in-place path). */
START_TEST(in_place)
{
    gt_model *m = build("input 1x16\nconv 3 k3 s1 p1\nbn\nlrelu\nconv 1 k3 s1 p1\ntanh");
    perturb(m, 0, 9);
    float x[5 * 16], ref[5 * 16];
    gtt_fill(x, 5 * 16, 10, 1.0f);
    ck_assert_int_eq(gt_model_forward(m, x, NULL, 5, 0, ref), GT_OK);
    ck_assert_int_eq(gt_model_infer(m, x, NULL, 5, x), GT_OK);
    gtt_assert_close(x, ref, 5 * 16, 1e-6, 1e-6, "infer in place");
    gt_model_free(m);
}
END_TEST

/* No backward after infer (the layers hold no pass); forward restores it. */
START_TEST(backward_refused)
{
    gt_model *m = build("input 2x8\nconv 4 k4 s2 p1\nbn\nrelu\nflatten\ndense 2");
    perturb(m, 0, 11);
    float x[3 * 16], y[3 * 2], dy[3 * 2], dx[3 * 16];
    gtt_fill(x, 3 * 16, 12, 1.0f);
    gtt_fill(dy, 3 * 2, 13, 1.0f);
    ck_assert_int_eq(gt_model_forward(m, x, NULL, 3, 1, y), GT_OK);
    ck_assert_ptr_nonnull(gt_model_output(m));
    ck_assert_int_eq(gt_model_infer(m, x, NULL, 3, y), GT_OK);
    ck_assert_int_eq(gt_model_backward(m, dy, dx), GT_EINVAL);
    ck_assert_int_eq(gt_model_backward_input(m, dy, dx), GT_EINVAL);
    ck_assert_ptr_null(gt_model_output(m));
    /* The encoder's pattern: an inference forward, then input-only backward. */
    ck_assert_int_eq(gt_model_forward(m, x, NULL, 3, 0, y), GT_OK);
    ck_assert_int_eq(gt_model_backward_input(m, dy, dx), GT_OK);
    ck_assert_int_eq(gt_model_forward(m, x, NULL, 3, 1, y), GT_OK);
    ck_assert_int_eq(gt_model_backward(m, dy, dx), GT_OK);
    gt_model_free(m);
}
END_TEST

START_TEST(bad_arguments)
{
    gt_model *m = build("input 2 classes 3\nlabel onehot\ndense 1");
    float x[MAX_BATCH * 2] = {0}, y[MAX_BATCH + 1];
    int bad[2] = {0, 3}, good[MAX_BATCH + 1] = {2, 0};
    ck_assert_int_eq(gt_model_infer(m, x, bad, 2, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_infer(m, x, NULL, 2, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_infer(m, x, good, 2, NULL), GT_EINVAL);
    ck_assert_int_eq(gt_model_infer(m, x, good, 0, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_infer(m, x, good, MAX_BATCH + 1, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_infer(m, x, good, 2, y), GT_OK);
    gt_model_free(m);
    gt_model *u = NULL;
    gt_error err = {0};
    ck_assert_int_eq(gt_model_parse(&u, "input 2\ndense 1", &err), GT_OK);
    ck_assert_int_eq(gt_model_infer(u, x, NULL, 1, y), GT_EINVAL); /* not finalized */
    gt_model_free(u);
}
END_TEST

GTT_SUITE(gt_test_infer_suite)
{
    Suite *s = suite_create("infer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dcgan_1d);
    tcase_add_test(tc, dcgan_2d);
    tcase_add_test(tc, conditional);
    tcase_add_test(tc, spectral);
    tcase_add_test(tc, other_layers);
    tcase_add_test(tc, follows_parameter_changes);
    tcase_add_test(tc, in_place);
    tcase_add_test(tc, backward_refused);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}
