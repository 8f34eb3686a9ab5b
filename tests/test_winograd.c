/* The F(4, 2) Winograd convolution of inference (src/winograd.h) against
 * the im2col kernel, with and without the maps fused in and bias, one tile
 * per sample and many, all the samples in one chunk and one at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"
#include "winograd.h"

#define N 3

typedef struct wcase {
    int cin, cout, len; /* len: the input's length */
} wcase;

static float lrelu(float v) { return v > 0 ? v : 0.2f * v; }

/* The reference: mapped input (pre: (v - mean) * scale + shift, then
 * lrelu), gt_conv_forward with bias, then relu (post). */
static void reference(float *ref, const float *x, const float *w, const float *bias,
                      const gt_conv_geom *g, const float *mean,
                      const float *scale, const float *shift, int pre, int post)
{
    const size_t li = (size_t)g->win, lo = (size_t)g->wout;
    float *xm = gtt_falloc((size_t)g->cin * N * li);
    for (int c = 0; c < g->cin; c++)
        for (size_t j = 0; j < N * li; j++) {
            float v = x[(size_t)c * N * li + j];
            xm[(size_t)c * N * li + j] = pre ? lrelu((v - mean[c]) * scale[c] + shift[c]) : v;
        }
    size_t cap = gt_conv_scratch(g, N);
    float *col = gtt_falloc(cap);
    gt_conv_forward(ref, xm, w, bias, col, cap, g, N);
    if (post)
        for (size_t j = 0; j < (size_t)g->cout * N * lo; j++)
            ref[j] = ref[j] > 0 ? ref[j] : 0;
    free(xm);
    free(col);
}

static void check_case(wcase k, int variant)
{
    gt_conv_geom g = {.cin = k.cin, .hin = 1, .win = k.len, .cout = k.cout,
                      .kh = 1, .kw = 4, .sh = 1, .sw = 2, .ph = 0, .pw = 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
    ck_assert_msg(gt__wino_fits(&g), "cin %d cout %d len %d should take the Winograd path",
                  k.cin, k.cout, k.len);
    const int with_bias = variant & 1, pre = variant & 2, post = variant & 4;
    const size_t nx = (size_t)g.cin * N * g.win, ny = (size_t)g.cout * N * g.wout,
                 nw = (size_t)g.cin * g.cout * 4;
    float *x = gtt_falloc(nx), *w = gtt_falloc(nw), *bias = gtt_falloc((size_t)g.cout),
          *ref = gtt_falloc(ny), *y = gtt_falloc(ny), *y1 = gtt_falloc(ny),
          *u = gtt_falloc(gt__wino_weights_size(&g));
    float *mean = gtt_falloc((size_t)g.cin), *scale = gtt_falloc((size_t)g.cin),
          *shift = gtt_falloc((size_t)g.cin);
    const uint64_t seed = (uint64_t)(k.cin * 1000 + k.cout * 10 + k.len + variant);
    gtt_fill(x, nx, seed, 1.5f);
    gtt_fill(w, nw, seed + 1, 0.5f);
    gtt_fill(bias, (size_t)g.cout, seed + 2, 0.3f);
    gtt_fill(mean, (size_t)g.cin, seed + 3, 0.5f);
    gtt_fill(scale, (size_t)g.cin, seed + 4, 0.5f);
    gtt_fill(shift, (size_t)g.cin, seed + 5, 0.5f);
    for (int c = 0; c < g.cin; c++)
        scale[c] += 1.0f;
    reference(ref, x, w, with_bias ? bias : NULL, &g, mean, scale, shift, pre, post);

    gt__wino_weights(u, w, &g);
    gt__pointwise mpre = {mean, scale, shift, GT__ACT_LRELU, 0.2f};
    gt__pointwise mpost = {NULL, NULL, NULL, GT__ACT_RELU, 0.0f};
    const size_t per = gt__wino_scratch(&g);
    /* All samples in one chunk, then one sample at a time. */
    for (int one = 0; one < 2; one++) {
        size_t cap = per * (one ? 1 : N);
        float *col = gtt_falloc(cap);
        float *dst = one ? y1 : y;
        gtt_fill_const(dst, ny, NAN);
        gt__wino_conv_forward(dst, x, u, with_bias ? bias : NULL, col, cap, &g, N,
                              pre ? &mpre : NULL, post ? &mpost : NULL);
        free(col);
    }
    double big = 1.0;
    for (size_t j = 0; j < ny; j++)
        big = fabs(ref[j]) > big ? fabs(ref[j]) : big;
    char what[96];
    snprintf(what, sizeof what, "cin %d cout %d len %d variant %d", k.cin, k.cout, k.len,
             variant);
    /* F(4, 2)'s rounding: about 1e-6 of the largest output. */
    gtt_assert_close(y, ref, ny, 1e-5 * big, 0.0, what);
    gtt_assert_close(y1, ref, ny, 1e-5 * big, 0.0, what);
    free(x), free(w), free(bias), free(ref), free(y), free(y1), free(u);
    free(mean), free(scale), free(shift);
}

/* Input lengths: one tile per sample, two (every tile at a sample's edge),
 * and several. */
static const wcase cases[] = {
    {4, 4, 8}, {6, 5, 16}, {8, 16, 64}, {5, 7, 24}, {32, 64, 40},
};

START_TEST(matches_im2col)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int v = 0; v < 8; v++)
            check_case(cases[i], v);
}
END_TEST

/* Whether a convolution geometry fits, once resolved. */
static int fits(gt_conv_geom g)
{
    return gt_conv_geom_resolve(&g, 0) == 0 && gt__wino_fits(&g);
}

START_TEST(other_geometries_keep_im2col)
{
    const gt_conv_geom base = {.cin = 8, .hin = 1, .win = 32, .cout = 8,
                               .kh = 1, .kw = 4, .sh = 1, .sw = 2, .ph = 0, .pw = 1};
    gt_conv_geom g = base;
    ck_assert(fits(g));
    g.cin = 1; /* a sample's one channel in, or out */
    ck_assert(!fits(g));
    g = base;
    g.cout = 1;
    ck_assert(!fits(g));
    g = base;
    g.pw = 0;
    ck_assert(!fits(g));
    g = base;
    g.sw = 1;
    ck_assert(!fits(g));
    g = base;
    g.kw = 5;
    ck_assert(!fits(g));
    g = base;
    g.win = 36; /* tiles would cut across samples */
    ck_assert(!fits(g));
    g = base;
    g.kh = g.sh = 2; /* 2D */
    g.ph = 1;
    g.hin = 32;
    ck_assert(!fits(g));
}
END_TEST

GTT_SUITE(gt_test_winograd_suite)
{
    Suite *s = suite_create("winograd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matches_im2col);
    tcase_add_test(tc, other_geometries_keep_im2col);
    suite_add_tcase(s, tc);
    return s;
}
