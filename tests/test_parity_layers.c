/*
 * Parity of the non-convolution layer kernels with PyTorch (fixtures from
 * tests/reference/make_fixtures.py, computed in float64): dense, batch norm
 * (training forward and backward, running statistics, eval forward),
 * activations, nearest upsampling, flatten, and spectral normalisation of a
 * Conv1d and a Linear (power iteration, normalised weight, gradient w.r.t.
 * the original weight).
 *
 * PyTorch's arrays are sample-major (N, C, ...); the engine is channel-major
 * (C, N, ...), so inputs are converted on the way in and results on the way
 * out.  Input-gradient buffers start as garbage (backward overwrites them);
 * parameter gradients start at 0.25 (backward adds).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/kernels.h"
#include "testutil.h"

#define GARBAGE 1e6f
#define BASE 0.25f /* parameter gradients start here: backward must add */

static float *fdup(const float *x, size_t n)
{
    float *p = gtt_falloc(n);
    memcpy(p, x, n * sizeof *p);
    return p;
}

/* Check got - BASE against want (a gradient accumulated onto BASE). */
static void check_acc(const float *got, const float *want, size_t n, const char *cname,
                      const char *what)
{
    float *w = gtt_falloc(n);
    for (size_t i = 0; i < n; i++)
        w[i] = want[i] + BASE;
    gtt_check_scaled(got, w, n, cname, what);
    free(w);
}

/* Product of an array's dimensions from index `from` on. */
static int dims_from(const gtt_array *a, int from)
{
    int p = 1;
    for (int i = from; i < a->ndim; i++)
        p *= a->dims[i];
    return p;
}

/* ---------------------------------------------------------------- dense */

static void run_dense_case(const char *name, int with_bias)
{
    gtt_fixture *fx = gtt_fixture_load(name);
    const gtt_array *ax = gtt_fixture_array(fx, "x"), *aw = gtt_fixture_array(fx, "weight");
    const int N = ax->dims[0], F = ax->dims[1], O = aw->dims[0];
    ck_assert_int_eq(aw->dims[1], F);
    ck_assert_int_eq(gtt_fixture_has(fx, "bias"), with_bias);
    const float *bias = with_bias ? gtt_fixture_get(fx, "bias", NULL) : NULL;
    float *inp = gtt_falloc((size_t)F * N), *out = gtt_falloc((size_t)O * N);
    float *dout = gtt_falloc((size_t)O * N), *dinp = gtt_falloc((size_t)F * N);
    float *tmp = gtt_falloc((size_t)(F > O ? F : O) * N);
    float *dw = gtt_falloc(aw->n), *db = gtt_falloc((size_t)O);
    gtt_to_cnhw(inp, ax->data, N, F, 1);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, O, 1);

    gtt_fill_const(out, (size_t)O * N, NAN);
    gt_dense_forward(out, inp, aw->data, bias, F, O, N);
    gtt_from_cnhw(tmp, out, N, O, 1);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "out", NULL), (size_t)O * N, name, "out");

    gtt_fill_const(dinp, (size_t)F * N, GARBAGE);
    gtt_fill_const(dw, aw->n, BASE);
    gtt_fill_const(db, (size_t)O, BASE);
    gt_dense_backward(dinp, dw, with_bias ? db : NULL, dout, inp, aw->data, F, O, N);
    gtt_from_cnhw(tmp, dinp, N, F, 1);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "dx", NULL), (size_t)F * N, name, "dx");
    check_acc(dw, gtt_fixture_get(fx, "dweight", NULL), aw->n, name, "dweight (+=)");
    if (with_bias)
        check_acc(db, gtt_fixture_get(fx, "dbias", NULL), (size_t)O, name, "dbias (+=)");

    /* dinp NULL: only parameter gradients. */
    gtt_fill_const(dw, aw->n, BASE);
    gt_dense_backward(NULL, dw, NULL, dout, inp, aw->data, F, O, N);
    check_acc(dw, gtt_fixture_get(fx, "dweight", NULL), aw->n, name, "dweight (dinp NULL)");

    free(inp);
    free(out);
    free(dout);
    free(dinp);
    free(tmp);
    free(dw);
    free(db);
    gtt_fixture_free(fx);
}

START_TEST(dense_bias)
{
    run_dense_case("linear_bias", 1);
}
END_TEST

START_TEST(dense_nobias)
{
    run_dense_case("linear_nobias", 0);
}
END_TEST

/* ----------------------------------------------------------- batch norm */

static const char *const bn_cases[] = {"bn1d", "bn2d", "bn1d_nc"};

START_TEST(batchnorm_matches_pytorch)
{
    const char *name = bn_cases[_i];
    gtt_fixture *fx = gtt_fixture_load(name);
    const gtt_array *ax = gtt_fixture_array(fx, "x");
    const int N = ax->dims[0], C = ax->dims[1], HW = dims_from(ax, 2), M = N * HW;
    const size_t n = ax->n;
    const float *gamma = gtt_fixture_get(fx, "gamma", NULL);
    const float *beta = gtt_fixture_get(fx, "beta", NULL);
    float *rm = fdup(gtt_fixture_get(fx, "running_mean0", NULL), (size_t)C);
    float *rv = fdup(gtt_fixture_get(fx, "running_var0", NULL), (size_t)C);
    float *inp = gtt_falloc(n), *out = gtt_falloc(n), *dout = gtt_falloc(n), *dinp = gtt_falloc(n);
    float *tmp = gtt_falloc(n), *mean = gtt_falloc((size_t)C), *rstd = gtt_falloc((size_t)C);
    float *dgamma = gtt_falloc((size_t)C), *dbeta = gtt_falloc((size_t)C);
    gtt_to_cnhw(inp, ax->data, N, C, HW);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, C, HW);

    gtt_fill_const(out, n, NAN);
    gt_batchnorm_forward(out, mean, rstd, inp, gamma, beta, rm, rv, C, M, 0.1f, 1e-5f, 1);
    gtt_from_cnhw(tmp, out, N, C, HW);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "out", NULL), n, name, "out (train)");
    gtt_check_scaled(mean, gtt_fixture_get(fx, "batch_mean", NULL), (size_t)C, name, "saved mean");
    gtt_check_scaled(rstd, gtt_fixture_get(fx, "batch_rstd", NULL), (size_t)C, name, "saved rstd");
    gtt_check_scaled(rm, gtt_fixture_get(fx, "running_mean1", NULL), (size_t)C, name, "running_mean");
    gtt_check_scaled(rv, gtt_fixture_get(fx, "running_var1", NULL), (size_t)C, name,
          "running_var (unbiased)");

    gtt_fill_const(dinp, n, GARBAGE);
    gtt_fill_const(dgamma, (size_t)C, BASE);
    gtt_fill_const(dbeta, (size_t)C, BASE);
    gt_batchnorm_backward(dinp, dgamma, dbeta, dout, inp, mean, rstd, gamma, C, M);
    gtt_from_cnhw(tmp, dinp, N, C, HW);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "dx", NULL), n, name, "dx");
    check_acc(dgamma, gtt_fixture_get(fx, "dgamma", NULL), (size_t)C, name, "dgamma (+=)");
    check_acc(dbeta, gtt_fixture_get(fx, "dbeta", NULL), (size_t)C, name, "dbeta (+=)");

    /* Eval: running statistics, which must stay as they are. */
    gtt_fill_const(out, n, NAN);
    gt_batchnorm_forward(out, mean, rstd, inp, gamma, beta, rm, rv, C, M, 0.1f, 1e-5f, 0);
    gtt_from_cnhw(tmp, out, N, C, HW);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "eval_out", NULL), n, name, "eval out");
    gtt_check_scaled(rm, gtt_fixture_get(fx, "running_mean1", NULL), (size_t)C, name,
          "running_mean after eval (unchanged)");
    gtt_check_scaled(rv, gtt_fixture_get(fx, "running_var1", NULL), (size_t)C, name,
          "running_var after eval (unchanged)");

    free(rm);
    free(rv);
    free(inp);
    free(out);
    free(dout);
    free(dinp);
    free(tmp);
    free(mean);
    free(rstd);
    free(dgamma);
    free(dbeta);
    gtt_fixture_free(fx);
}
END_TEST

/* ---------------------------------------------------------- activations */

enum { ACT_RELU, ACT_LRELU, ACT_TANH, ACT_SIGMOID, ACT_SCALE, NACT };
static const char *const act_cases[NACT] = {"act_relu", "act_lrelu", "act_tanh", "act_sigmoid",
                                            "act_scale"};

/* Elementwise, so no layout conversion is needed. */
START_TEST(activation_matches_pytorch)
{
    const char *name = act_cases[_i];
    gtt_fixture *fx = gtt_fixture_load(name);
    size_t n = 0;
    const float *x = gtt_fixture_get(fx, "x", &n);
    const float *dout = gtt_fixture_get(fx, "dout", NULL);
    float *out = gtt_falloc(n), *dinp = gtt_falloc(n);
    gtt_fill_const(out, n, NAN);
    gtt_fill_const(dinp, n, GARBAGE);
    switch (_i) {
    case ACT_RELU:
        gt_relu_forward(out, x, n);
        gt_relu_backward(dinp, dout, out, n);
        break;
    case ACT_LRELU:
        gt_lrelu_forward(out, x, n, 0.2f);
        gt_lrelu_backward(dinp, dout, x, n, 0.2f);
        break;
    case ACT_TANH:
        gt_tanh_forward(out, x, n);
        gt_tanh_backward(dinp, dout, out, n);
        break;
    case ACT_SIGMOID:
        gt_sigmoid_forward(out, x, n);
        gt_sigmoid_backward(dinp, dout, out, n);
        break;
    default:
        gt_scale_forward(out, x, n, 4.5f);
        gt_scale_forward(dinp, dout, n, 4.5f);
        break;
    }
    gtt_check_scaled(out, gtt_fixture_get(fx, "out", NULL), n, name, "out");
    gtt_check_scaled(dinp, gtt_fixture_get(fx, "dx", NULL), n, name, "dx");
    free(out);
    free(dinp);
    gtt_fixture_free(fx);
}
END_TEST

/* ------------------------------------------------------------- upsample */

static void run_upsample_case(const char *name, int dim)
{
    gtt_fixture *fx = gtt_fixture_load(name);
    const gtt_array *ax = gtt_fixture_array(fx, "x"), *aout = gtt_fixture_array(fx, "out");
    const int N = ax->dims[0], C = ax->dims[1];
    const int H = dim == 2 ? ax->dims[2] : 1, W = ax->dims[dim + 1];
    const int fh = dim == 2 ? 2 : 1, fw = 2;
    ck_assert_int_eq((size_t)aout->n, ax->n * (size_t)(fh * fw));
    float *inp = gtt_falloc(ax->n), *out = gtt_falloc(aout->n), *dout = gtt_falloc(aout->n);
    float *dinp = gtt_falloc(ax->n), *tmp = gtt_falloc(aout->n);
    gtt_to_cnhw(inp, ax->data, N, C, H * W);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, C, H * W * fh * fw);

    gtt_fill_const(out, aout->n, NAN);
    gt_upsample_forward(out, inp, C, N, H, W, fh, fw);
    gtt_from_cnhw(tmp, out, N, C, H * W * fh * fw);
    gtt_check_scaled(tmp, aout->data, aout->n, name, "out");

    gtt_fill_const(dinp, ax->n, GARBAGE);
    gt_upsample_backward(dinp, dout, C, N, H, W, fh, fw);
    gtt_from_cnhw(tmp, dinp, N, C, H * W);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "dx", NULL), ax->n, name, "dx");

    free(inp);
    free(out);
    free(dout);
    free(dinp);
    free(tmp);
    gtt_fixture_free(fx);
}

START_TEST(upsample_1d)
{
    run_upsample_case("upsample1d", 1);
}
END_TEST

START_TEST(upsample_2d)
{
    run_upsample_case("upsample2d", 2);
}
END_TEST

/* -------------------------------------------------------------- flatten */

START_TEST(flatten_matches_view)
{
    const char *name = "flatten";
    gtt_fixture *fx = gtt_fixture_load(name);
    const gtt_array *ax = gtt_fixture_array(fx, "x");
    const int N = ax->dims[0], C = ax->dims[1], HW = dims_from(ax, 2), Fdim = C * HW;
    const size_t n = ax->n;
    float *inp = gtt_falloc(n), *out = gtt_falloc(n), *dout = gtt_falloc(n), *dinp = gtt_falloc(n);
    float *tmp = gtt_falloc(n);
    gtt_to_cnhw(inp, ax->data, N, C, HW);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, Fdim, 1); /* (N,F) -> (F,N) */

    gtt_fill_const(out, n, NAN);
    gt_flatten_forward(out, inp, C, N, HW);
    gtt_from_cnhw(tmp, out, N, Fdim, 1);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "out", NULL), n, name, "out = x.view(N, -1)");

    gtt_fill_const(dinp, n, GARBAGE);
    gt_unflatten_forward(dinp, dout, C, N, HW); /* flatten's backward */
    gtt_from_cnhw(tmp, dinp, N, C, HW);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "dx", NULL), n, name, "dx (unflatten of dout)");

    gtt_fill_const(dinp, n, GARBAGE);
    gt_unflatten_forward(dinp, out, C, N, HW); /* unflatten(flatten(x)) == x */
    gtt_check_scaled(dinp, inp, n, name, "unflatten(flatten(x))");

    free(inp);
    free(out);
    free(dout);
    free(dinp);
    free(tmp);
    gtt_fixture_free(fx);
}
END_TEST

/* ------------------------------------------------ spectral normalisation */

/*
 * One training forward of spectral_norm(layer) with u0, v0 set: u, v, sigma,
 * the normalised weight, the layer's output; backward through the layer
 * (dwn, dx, dbias) and through the normalisation (dweight of weight_orig).
 * conv = 1 for the Conv1d case, 0 for the Linear case.
 */
static void run_sn_case(const char *name, int conv)
{
    gtt_fixture *fx = gtt_fixture_load(name);
    const gtt_array *ax = gtt_fixture_array(fx, "x"), *aw = gtt_fixture_array(fx, "weight");
    const gtt_array *aout = gtt_fixture_array(fx, "out");
    const int rows = aw->dims[0], cols = (int)(aw->n / (size_t)rows);
    const int N = ax->dims[0];
    const float *w = aw->data, *bias = gtt_fixture_get(fx, "bias", NULL);
    float *u = fdup(gtt_fixture_get(fx, "u0", NULL), (size_t)rows);
    float *v = fdup(gtt_fixture_get(fx, "v0", NULL), (size_t)cols);
    float *wn = gtt_falloc(aw->n), *dwn = gtt_falloc(aw->n), *dw = gtt_falloc(aw->n);
    float *inp = gtt_falloc(ax->n), *out = gtt_falloc(aout->n), *dout = gtt_falloc(aout->n);
    float *dinp = gtt_falloc(ax->n), *db = gtt_falloc((size_t)rows);
    float *tmp = gtt_falloc(ax->n > aout->n ? ax->n : aout->n);

    gtt_fill_const(wn, aw->n, NAN);
    float sigma = gt_spectral_norm_forward(wn, u, v, w, rows, cols, 1, 1);
    gtt_check_scaled(u, gtt_fixture_get(fx, "u", NULL), (size_t)rows, name, "u after one iteration");
    gtt_check_scaled(v, gtt_fixture_get(fx, "v", NULL), (size_t)cols, name, "v after one iteration");
    gtt_check_scaled(&sigma, gtt_fixture_get(fx, "sigma", NULL), 1, name, "sigma");
    gtt_check_scaled(wn, gtt_fixture_get(fx, "wn", NULL), aw->n, name, "normalised weight");

    /* The layer with the normalised weight. */
    gt_conv_geom g;
    memset(&g, 0, sizeof g);
    float *col = NULL;
    size_t cap = 0;
    int cin, hwi, hwo;
    if (conv) { /* Conv1d(3, 4, 4, stride 2, padding 1) */
        g.cin = ax->dims[1];
        g.hin = 1;
        g.win = ax->dims[2];
        g.cout = rows;
        g.kh = 1;
        g.kw = aw->dims[2];
        g.sh = 1;
        g.sw = 2;
        g.ph = 0;
        g.pw = 1;
        ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
        ck_assert_int_eq(g.wout, aout->dims[2]);
        cin = g.cin;
        hwi = g.win;
        hwo = g.wout;
        cap = gt_conv_scratch(&g, N);
        col = gtt_falloc(cap);
    } else {
        cin = cols;
        hwi = hwo = 1;
    }
    gtt_to_cnhw(inp, ax->data, N, cin, hwi);
    gtt_to_cnhw(dout, gtt_fixture_get(fx, "dout", NULL), N, rows, hwo);
    gtt_fill_const(out, aout->n, NAN);
    if (conv)
        gt_conv_forward(out, inp, wn, bias, col, cap, &g, N);
    else
        gt_dense_forward(out, inp, wn, bias, cols, rows, N);
    gtt_from_cnhw(tmp, out, N, rows, hwo);
    gtt_check_scaled(tmp, aout->data, aout->n, name, "out");

    gtt_fill_const(dinp, ax->n, GARBAGE);
    gtt_fill_const(dwn, aw->n, 0.0f);
    gtt_fill_const(db, (size_t)rows, 0.0f);
    if (conv)
        gt_conv_backward(dinp, dwn, db, dout, inp, wn, col, cap, &g, N);
    else
        gt_dense_backward(dinp, dwn, db, dout, inp, wn, cols, rows, N);
    gtt_from_cnhw(tmp, dinp, N, cin, hwi);
    gtt_check_scaled(tmp, gtt_fixture_get(fx, "dx", NULL), ax->n, name, "dx");
    gtt_check_scaled(dwn, gtt_fixture_get(fx, "dwn", NULL), aw->n, name, "d normalised weight");
    gtt_check_scaled(db, gtt_fixture_get(fx, "dbias", NULL), (size_t)rows, name, "dbias");

    /* Through the normalisation, chained on our own dwn, adding onto BASE. */
    gtt_fill_const(dw, aw->n, BASE);
    gt_spectral_norm_backward(dw, dwn, wn, u, v, sigma, rows, cols);
    check_acc(dw, gtt_fixture_get(fx, "dweight", NULL), aw->n, name,
              "dweight_orig (chained, +=)");

    /* In isolation, on PyTorch's own dwn, wn, u, v, sigma. */
    gtt_fill_const(dw, aw->n, 0.0f);
    gt_spectral_norm_backward(dw, gtt_fixture_get(fx, "dwn", NULL),
                              gtt_fixture_get(fx, "wn", NULL), gtt_fixture_get(fx, "u", NULL),
                              gtt_fixture_get(fx, "v", NULL),
                              gtt_fixture_get(fx, "sigma", NULL)[0], rows, cols);
    gtt_check_scaled(dw, gtt_fixture_get(fx, "dweight", NULL), aw->n, name,
          "dweight_orig (from PyTorch's dwn)");

    /* Eval mode: no iteration; u, v kept; the same sigma and weight. */
    float *u1 = fdup(u, (size_t)rows), *v1 = fdup(v, (size_t)cols);
    gtt_fill_const(wn, aw->n, NAN);
    float sigma_eval = gt_spectral_norm_forward(wn, u, v, w, rows, cols, 1, 0);
    gtt_check_scaled(u, u1, (size_t)rows, name, "u unchanged in eval");
    gtt_check_scaled(v, v1, (size_t)cols, name, "v unchanged in eval");
    gtt_check_scaled(&sigma_eval, gtt_fixture_get(fx, "sigma", NULL), 1, name, "sigma (eval)");
    gtt_check_scaled(wn, gtt_fixture_get(fx, "wn", NULL), aw->n, name, "normalised weight (eval)");

    free(u1);
    free(v1);
    free(u);
    free(v);
    free(wn);
    free(dwn);
    free(dw);
    free(inp);
    free(out);
    free(dout);
    free(dinp);
    free(db);
    free(tmp);
    free(col);
    gtt_fixture_free(fx);
}

START_TEST(spectral_norm_conv1d)
{
    run_sn_case("sn_conv1d", 1);
}
END_TEST

START_TEST(spectral_norm_linear)
{
    run_sn_case("sn_linear", 0);
}
END_TEST

GTT_SUITE(gt_test_parity_layers_suite)
{
    Suite *s = suite_create("parity_layers");
    TCase *tc = tcase_create("pytorch");
    tcase_add_test(tc, dense_bias);
    tcase_add_test(tc, dense_nobias);
    tcase_add_loop_test(tc, batchnorm_matches_pytorch, 0,
                        (int)(sizeof bn_cases / sizeof bn_cases[0]));
    tcase_add_loop_test(tc, activation_matches_pytorch, 0, NACT);
    tcase_add_test(tc, upsample_1d);
    tcase_add_test(tc, upsample_2d);
    tcase_add_test(tc, flatten_matches_view);
    tcase_add_test(tc, spectral_norm_conv1d);
    tcase_add_test(tc, spectral_norm_linear);
    suite_add_tcase(s, tc);
    return s;
}
