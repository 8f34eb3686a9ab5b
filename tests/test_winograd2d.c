/*
 * The F(4x4, 2x2) Winograd form of the 2D k4 s2 p1 convolutions
 * (src/winograd2d.c), beyond test_conv.c's checks against the direct
 * definition: which geometries take it, its scratch, its chunks against the
 * whole batch and against the im2col form it falls back to, accumulation,
 * NULL gradients, and the same bits from the same inputs.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_internal.h"
#include "gantry/gantry.h"
#include "model_internal.h"
#include "testutil.h"
#include "winograd2d.h"

/* A layer's arrays, and its outputs under one scratch size. */
typedef struct lcase {
    gt_conv_geom g;
    int t, n; /* transposed, batch */
    size_t ni, no, nw;
    float *x, *w, *b, *dy;
} lcase;

typedef struct result {
    float *y, *dx, *dw, *db;
} result;

static void lcase_init(lcase *c, gt_conv_geom g, int t, int n, uint64_t seed)
{
    ck_assert_int_eq(gt_conv_geom_resolve(&g, t), 0);
    c->g = g;
    c->t = t;
    c->n = n;
    c->ni = (size_t)g.cin * n * g.hin * g.win;
    c->no = (size_t)g.cout * n * g.hout * g.wout;
    c->nw = (size_t)g.cin * g.cout * 16;
    c->x = gtt_falloc(c->ni);
    c->w = gtt_falloc(c->nw);
    c->b = gtt_falloc((size_t)g.cout);
    c->dy = gtt_falloc(c->no);
    gtt_fill(c->x, c->ni, seed, 1.0f);
    gtt_fill(c->w, c->nw, seed + 1, 0.5f);
    gtt_fill(c->b, (size_t)g.cout, seed + 2, 0.5f);
    gtt_fill(c->dy, c->no, seed + 3, 1.0f);
}

static void lcase_free(lcase *c)
{
    free(c->x); free(c->w); free(c->b); free(c->dy);
}

static void result_free(result *r)
{
    free(r->y); free(r->dx); free(r->dw); free(r->db);
}

/* Forward, then backward into zeroed parameter gradients, with col_cap
 * floats of scratch (exactly that much, so that ASan sees any overrun). */
static result run(const lcase *c, size_t cap, int with_dx, int with_dw)
{
    result r = {gtt_falloc(c->no), gtt_falloc(c->ni), gtt_falloc(c->nw),
                gtt_falloc((size_t)c->g.cout)};
    float *col = gtt_falloc(cap);
    gtt_fill_const(r.y, c->no, NAN);
    gtt_fill_const(r.dx, c->ni, NAN);
    memset(r.dw, 0, c->nw * sizeof *r.dw);
    memset(r.db, 0, (size_t)c->g.cout * sizeof *r.db);
    float *dx = with_dx ? r.dx : NULL, *dw = with_dw ? r.dw : NULL;
    if (c->t) {
        gt_convt_forward(r.y, c->x, c->w, c->b, col, cap, &c->g, c->n);
        gt_convt_backward(dx, dw, r.db, c->dy, c->x, c->w, col, cap, &c->g, c->n);
    } else {
        gt_conv_forward(r.y, c->x, c->w, c->b, col, cap, &c->g, c->n);
        gt_conv_backward(dx, dw, r.db, c->dy, c->x, c->w, col, cap, &c->g, c->n);
    }
    free(col);
    return r;
}

static void same(const lcase *c, const result *a, const result *b, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "%s %s %dx%d", what, c->t ? "convt" : "conv", c->g.hin,
             c->g.win);
    gtt_check_scaled(a->y, b->y, c->no, name, "forward");
    gtt_check_scaled(a->dx, b->dx, c->ni, name, "dinp");
    gtt_check_scaled(a->dw, b->dw, c->nw, name, "dweight");
    gtt_check_scaled(a->db, b->db, (size_t)c->g.cout, name, "dbias");
}

/* {cin, hin, win, cout, ...} of convolutions and transposed convolutions
 * that fit: one and several tiles a side, square and not. */
static const gt_conv_geom fitting[] = {
    {12, 16, 16, 8, 0, 0, 4, 4, 2, 2, 1, 1},
    {8, 8, 24, 16, 0, 0, 4, 4, 2, 2, 1, 1},
};

START_TEST(which_geometries_fit)
{
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizeof fitting / sizeof fitting[0]; i++) {
            gt_conv_geom g = fitting[i];
            ck_assert_int_eq(gt_conv_geom_resolve(&g, t), 0);
            ck_assert(gt__wino2_fits(&g, t));
            /* gt_conv_scratch holds this form, so the layers take it. */
            ck_assert_uint_ge(gt_conv_scratch(&g, 64), gt__wino2_scratch(&g, t, 64));
            ck_assert_uint_gt(gt__wino2_scratch(&g, t, 2), gt__wino2_scratch(&g, t, 1));
        }
    /* The DCGAN's first layer (3 channels), a small side of 6 x 6, stride 1,
     * and a 1D layer keep im2col. */
    const gt_conv_geom other[] = {
        {3, 32, 32, 64, 0, 0, 4, 4, 2, 2, 1, 1},
        {16, 12, 12, 16, 0, 0, 4, 4, 2, 2, 1, 1},
        {16, 16, 16, 16, 0, 0, 4, 4, 1, 1, 1, 1},
        {16, 1, 64, 16, 0, 0, 1, 4, 1, 2, 0, 1},
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        gt_conv_geom g = other[i];
        ck_assert_int_eq(gt_conv_geom_resolve(&g, 0), 0);
        ck_assert(!gt__wino2_fits(&g, 0));
        ck_assert_uint_eq(gt__wino2_scratch(&g, 0, 4), 0);
        ck_assert_uint_eq(gt_conv_scratch(&g, 4), gt__conv_im2col_scratch(&g, 4));
    }
    /* The transposed 64 -> 3 output layer of the DCGAN generators. */
    gt_conv_geom last = {64, 16, 16, 3, 0, 0, 4, 4, 2, 2, 1, 1};
    ck_assert_int_eq(gt_conv_geom_resolve(&last, 1), 0);
    ck_assert(!gt__wino2_fits(&last, 1));
}
END_TEST

/* Whole batch, one or two samples per chunk, and scratch too small for this
 * form (the im2col fallback) agree. */
START_TEST(chunks_and_fallback_agree)
{
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizeof fitting / sizeof fitting[0]; i++) {
            lcase c;
            lcase_init(&c, fitting[i], t, 5, 900 + 10 * i + t);
            const size_t one = gt__wino2_scratch(&c.g, t, 1),
                         low = gt__conv_im2col_scratch(&c.g, 1);
            ck_assert_uint_lt(low, one); /* so the last run is im2col's */
            result whole = run(&c, gt_conv_scratch(&c.g, c.n), 1, 1);
            const size_t caps[] = {one, gt__wino2_scratch(&c.g, t, 2) + 3, low};
            const char *names[] = {"one per chunk", "two per chunk", "im2col"};
            for (int k = 0; k < 3; k++) {
                result r = run(&c, caps[k], 1, 1);
                same(&c, &r, &whole, names[k]);
                result_free(&r);
            }
            result_free(&whole);
            lcase_free(&c);
        }
}
END_TEST

/* dinp and dweight each NULL alone; a second backward adds to dweight. */
START_TEST(null_gradients_and_accumulation)
{
    for (int t = 0; t < 2; t++) {
        lcase c;
        lcase_init(&c, fitting[0], t, 3, 950 + t);
        const size_t cap = gt_conv_scratch(&c.g, c.n);
        result both = run(&c, cap, 1, 1), nodx = run(&c, cap, 0, 1), nodw = run(&c, cap, 1, 0);
        ck_assert_mem_eq(nodx.dw, both.dw, c.nw * sizeof(float)); /* without dinp */
        ck_assert_mem_eq(nodw.dx, both.dx, c.ni * sizeof(float)); /* without dweight */
        for (size_t j = 0; j < c.nw; j++)
            ck_assert_float_eq(nodw.dw[j], 0.0f);
        float *col = gtt_falloc(cap), *twice = gtt_falloc(c.nw), *dx = gtt_falloc(c.ni);
        memcpy(twice, both.dw, c.nw * sizeof *twice);
        if (t)
            gt_convt_backward(dx, twice, NULL, c.dy, c.x, c.w, col, cap, &c.g, c.n);
        else
            gt_conv_backward(dx, twice, NULL, c.dy, c.x, c.w, col, cap, &c.g, c.n);
        for (size_t j = 0; j < c.nw; j++)
            both.dw[j] *= 2.0f;
        gtt_check_scaled(twice, both.dw, c.nw, t ? "convt" : "conv", "dweight added twice");
        free(col); free(twice); free(dx);
        result_free(&both); result_free(&nodx); result_free(&nodw);
        lcase_free(&c);
    }
}
END_TEST

/* Two threads, twice: the same bits. */
START_TEST(same_inputs_same_bits)
{
    int before = omp_get_max_threads();
    omp_set_num_threads(2);
    for (int t = 0; t < 2; t++) {
        lcase c;
        lcase_init(&c, fitting[1], t, 4, 970 + t);
        const size_t cap = gt_conv_scratch(&c.g, c.n);
        result a = run(&c, cap, 1, 1), b = run(&c, cap, 1, 1);
        ck_assert_mem_eq(a.y, b.y, c.no * sizeof(float));
        ck_assert_mem_eq(a.dx, b.dx, c.ni * sizeof(float));
        ck_assert_mem_eq(a.dw, b.dw, c.nw * sizeof(float));
        result_free(&a); result_free(&b);
        lcase_free(&c);
    }
    omp_set_num_threads(before);
}
END_TEST

/* A model's scratch holds the form for its whole batch, so its layers take
 * it in training. */
START_TEST(models_size_their_scratch_for_it)
{
    const char *spec = "input 3x32x32\nconv 64 k4x4 s2x2 p1x1 nobias\nlrelu 0.2\n"
                       "conv 128 k4x4 s2x2 p1x1 nobias\nbn\nlrelu 0.2\n"
                       "conv 256 k4x4 s2x2 p1x1 nobias\n";
    gt_error err = {0};
    gt_model *m = NULL;
    ck_assert_int_eq(gt_model_parse(&m, spec, &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(m, 16, &err), GT_OK);
    int fit = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gt__layer *L = &m->layers[i];
        if (L->d.kind != GT_LAYER_CONV || !gt__wino2_fits(&L->geom, 0))
            continue;
        fit++;
        ck_assert_uint_ge(m->col_cap, gt__wino2_scratch(&L->geom, 0, 16));
    }
    ck_assert_int_eq(fit, 2); /* all but the 3-channel first layer */
    gt_model_free(m);
}
END_TEST

GTT_SUITE(gt_test_winograd2d_suite)
{
    Suite *s = suite_create("winograd2d");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, which_geometries_fit);
    tcase_add_test(tc, chunks_and_fallback_agree);
    tcase_add_test(tc, null_gradients_and_accumulation);
    tcase_add_test(tc, same_inputs_same_bits);
    tcase_add_test(tc, models_size_their_scratch_for_it);
    suite_add_tcase(s, tc);
    return s;
}
