/*
 * Parity of the convolution kernels with PyTorch: conv and transposed conv,
 * 1D and 2D, forward and backward, against tests/fixtures/conv*.gtfx
 * (written by tests/reference/make_fixtures.py, computed in float64).
 *
 * Each case runs three times with different amounts of scratch (whole batch,
 * one sample, two samples plus a little) so the chunked path is covered too;
 * the input gradient buffer starts as garbage (backward must overwrite it)
 * and the parameter gradients start at 0 or 0.5 (backward must add).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/kernels.h"
#include "testutil.h"







typedef struct conv_case {
    const char *name;
    int dim;        /* 1 or 2 */
    int transposed; /* 0 conv, 1 transposed conv */
} conv_case;

static const conv_case conv_cases[] = {
    {"conv1d_k4s2p1", 1, 0},      {"conv1d_k3s1p0", 1, 0},     {"conv1d_k5s2p2", 1, 0},
    {"conv1d_k1s1p0", 1, 0},      {"conv1d_k4s1p0", 1, 0},     {"convt1d_k4s2p1", 1, 1},
    {"convt1d_k4s1p0", 1, 1},     {"convt1d_k3s1p1", 1, 1},    {"convt1d_k5s2p2", 1, 1},
    {"conv2d_k4s2p1", 2, 0},      {"conv2d_k3s1p1", 2, 0},     {"conv2d_k5s2p2", 2, 0},
    {"conv2d_k3x2s21p10", 2, 0},  {"convt2d_k4s2p1", 2, 1},    {"convt2d_k3s1p1", 2, 1},
    {"convt2d_k5s2p2", 2, 1},     {"convt2d_k3x2s21p10", 2, 1},
};
enum { NCONV = sizeof conv_cases / sizeof conv_cases[0] };

static void run_conv_case(const conv_case *cc)
{
    gtt_fixture *fx = gtt_fixture_load(cc->name);
    const gtt_array *ax = gtt_fixture_array(fx, "x"), *aw = gtt_fixture_array(fx, "weight"),
                    *aout = gtt_fixture_array(fx, "out"), *ageom = gtt_fixture_array(fx, "geom");
    const int d = cc->dim;
    ck_assert_int_eq(ax->ndim, d + 2);
    ck_assert_int_eq(aw->ndim, d + 2);
    ck_assert_int_eq(ageom->n, 6);
    const float *geom = ageom->data;
    const int N = ax->dims[0];

    gt_conv_geom g;
    memset(&g, 0, sizeof g);
    g.cin = ax->dims[1];
    g.hin = d == 2 ? ax->dims[2] : 1;
    g.win = ax->dims[d + 1];
    g.cout = cc->transposed ? aw->dims[1] : aw->dims[0];
    ck_assert_int_eq(cc->transposed ? aw->dims[0] : aw->dims[1], g.cin);
    g.kh = (int)geom[0];
    g.kw = (int)geom[1];
    g.sh = (int)geom[2];
    g.sw = (int)geom[3];
    g.ph = (int)geom[4];
    g.pw = (int)geom[5];
    ck_assert_int_eq(gt_conv_geom_resolve(&g, cc->transposed), 0);
    ck_assert_int_eq(g.hout, d == 2 ? aout->dims[2] : 1);
    ck_assert_int_eq(g.wout, aout->dims[d + 1]);
    ck_assert_int_eq(aout->dims[1], g.cout);

    const int hwi = g.hin * g.win, hwo = g.hout * g.wout;
    const size_t nin = (size_t)g.cin * N * hwi, nout = (size_t)g.cout * N * hwo;
    const size_t nw = aw->n, nb = (size_t)g.cout;
    float *inp = gtt_falloc(nin), *dout = gtt_falloc(nout), *out = gtt_falloc(nout);
    float *tmp_in = gtt_falloc(nin), *tmp_out = gtt_falloc(nout), *dinp = gtt_falloc(nin);
    float *dw = gtt_falloc(nw), *db = gtt_falloc(nb), *want_dw = gtt_falloc(nw), *want_db = gtt_falloc(nb);
    gtt_to_cnhw(inp, ax->data, N, g.cin, hwi);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, g.cout, hwo);
    const float *weight = aw->data, *bias = gtt_fixture_get(fx, "bias", NULL);
    const float *ref_dx = gtt_fixture_get(fx, "dx", NULL);
    const float *ref_dw = gtt_fixture_get(fx, "dweight", NULL);
    const float *ref_db = gtt_fixture_get(fx, "dbias", NULL);

    const size_t caps[3] = {gt_conv_scratch(&g, N), gt_conv_scratch(&g, 1),
                            gt_conv_scratch(&g, N > 1 ? 2 : 1) + 3};
    const char *vname[3] = {"whole-batch scratch", "one-sample scratch", "two-sample scratch"};
    ck_assert(caps[0] >= caps[1]);
    for (int variant = 0; variant < 3; variant++) {
        size_t cap = caps[variant];
        float *col = gtt_falloc(cap);
        char what[96];

        gtt_fill_const(out, nout, NAN);
        if (cc->transposed)
            gt_convt_forward(out, inp, weight, bias, col, cap, &g, N);
        else
            gt_conv_forward(out, inp, weight, bias, col, cap, &g, N);
        gtt_from_cnhw(tmp_out, out, N, g.cout, hwo);
        snprintf(what, sizeof what, "out (%s)", vname[variant]);
        gtt_check_scaled(tmp_out, aout->data, nout, cc->name, what);

        /* Garbage in dinp (overwritten); parameter gradients accumulate. */
        float base = variant == 0 ? 0.0f : 0.5f;
        gtt_fill_const(dinp, nin, 1e6f);
        gtt_fill_const(dw, nw, base);
        gtt_fill_const(db, nb, base);
        for (size_t i = 0; i < nw; i++)
            want_dw[i] = ref_dw[i] + base;
        for (size_t i = 0; i < nb; i++)
            want_db[i] = ref_db[i] + base;
        if (cc->transposed)
            gt_convt_backward(dinp, dw, db, dout, inp, weight, col, cap, &g, N);
        else
            gt_conv_backward(dinp, dw, db, dout, inp, weight, col, cap, &g, N);
        gtt_from_cnhw(tmp_in, dinp, N, g.cin, hwi);
        snprintf(what, sizeof what, "dx (%s)", vname[variant]);
        gtt_check_scaled(tmp_in, ref_dx, nin, cc->name, what);
        snprintf(what, sizeof what, "dweight (%s, += onto %g)", vname[variant], base);
        gtt_check_scaled(dw, want_dw, nw, cc->name, what);
        snprintf(what, sizeof what, "dbias (%s, += onto %g)", vname[variant], base);
        gtt_check_scaled(db, want_db, nb, cc->name, what);

        if (variant == 1) { /* dinp == NULL: parameter gradients only */
            gtt_fill_const(dw, nw, 0.0f);
            gtt_fill_const(db, nb, 0.0f);
            if (cc->transposed)
                gt_convt_backward(NULL, dw, db, dout, inp, weight, col, cap, &g, N);
            else
                gt_conv_backward(NULL, dw, db, dout, inp, weight, col, cap, &g, N);
            gtt_check_scaled(dw, ref_dw, nw, cc->name, "dweight (dinp NULL)");
            gtt_check_scaled(db, ref_db, nb, cc->name, "dbias (dinp NULL)");
        }
        free(col);
    }
    free(inp);
    free(dout);
    free(out);
    free(tmp_in);
    free(tmp_out);
    free(dinp);
    free(dw);
    free(db);
    free(want_dw);
    free(want_db);
    gtt_fixture_free(fx);
}

START_TEST(conv_matches_pytorch)
{
    run_conv_case(&conv_cases[_i]);
}
END_TEST

/* The fixtures' shapes pin down the geometry formulas; also reject nonsense. */
START_TEST(geom_resolve_rejects_impossible)
{
    gt_conv_geom g = {.cin = 1, .hin = 1, .win = 3, .cout = 1, .kh = 1, .kw = 5,
                      .sh = 1, .sw = 1, .ph = 0, .pw = 0};
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), -1); /* kernel longer than input */
    g.kw = 3;
    g.pw = 3;
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), -1); /* padding >= kernel */
    g.pw = 1;
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
    ck_assert_int_eq(g.wout, 3);
    ck_assert_int_eq(g.hout, 1);
}
END_TEST

GTT_SUITE(gt_test_parity_conv_suite)
{
    Suite *s = suite_create("parity_conv");
    TCase *tc = tcase_create("pytorch");
    tcase_add_loop_test(tc, conv_matches_pytorch, 0, NCONV);
    tcase_add_test(tc, geom_resolve_rejects_impossible);
    suite_add_tcase(s, tc);
    return s;
}
