/* The model container: the spec language, shapes, whole-model gradients,
 * input-only backward, determinism, presets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

static gt_model *parse_ok(const char *spec, int batch)
{
    gt_error err = {0};
    gt_model *m = NULL;
    int rc = gt_model_parse(&m, spec, &err);
    ck_assert_msg(rc == GT_OK, "parse failed: %s", err.msg);
    rc = gt_model_finalize(m, batch, &err);
    ck_assert_msg(rc == GT_OK, "finalize failed: %s", err.msg);
    return m;
}

static void parse_fails(const char *spec, const char *needle)
{
    gt_error err = {0};
    gt_model *m = NULL;
    int rc = gt_model_parse(&m, spec, &err);
    ck_assert_msg(rc < 0, "spec should fail: %s", spec);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(spec_shapes_and_round_trip)
{
    const char *spec = "input 3x32x32 classes 4  # an image D\n"
                       "label embed 5\n"
                       "conv 16 k4 s2 p1 sn\nlrelu 0.2\n"
                       "conv 32 k3x5 s1x2 p1x2 nobias\nbn momentum 0.2 eps 0.001\nrelu\n"
                       "upsample 2\nscale 0.3\ndropout 0.25\nflatten\ndense 10\nsigmoid";
    gt_model *m = parse_ok(spec, 4);
    ck_assert_int_eq(gt_model_nlayers(m), 12);
    gt_shape s = gt_model_layer_output(m, 0);
    ck_assert_int_eq(s.c, 8);
    s = gt_model_layer_output(m, 1);
    ck_assert(s.c == 16 && s.h == 16 && s.w == 16);
    s = gt_model_layer_output(m, 3); /* (16 + 2 - 3)/1 + 1 = 16, (16 + 4 - 5)/2 + 1 = 8 */
    ck_assert(s.c == 32 && s.h == 16 && s.w == 8);
    s = gt_model_layer_output(m, 6);
    ck_assert(s.h == 32 && s.w == 16);
    s = gt_model_output_shape(m);
    ck_assert(s.c == 10 && s.h == 1 && s.w == 1);
    /* parameters: embed 4*5, conv 16*8*16 + 16, conv 32*16*15, bn 64, dense 10*(32*32*16) + 10 */
    size_t want = 20 + 16 * 8 * 16 + 16 + 32 * 16 * 15 + 64 + 10 * 32 * 32 * 16 + 10;
    ck_assert_uint_eq(gt_model_nparams(m), want);

    /* The canonical text parses back to the same text and the same layout. */
    char a[4096], b[4096];
    size_t la = gt_model_spec(m, a, sizeof a);
    ck_assert_uint_lt(la, sizeof a);
    gt_model *m2 = parse_ok(a, 1);
    gt_model_spec(m2, b, sizeof b);
    ck_assert_str_eq(a, b);
    ck_assert_msg(strstr(a, "\nscale 0.3\n") != NULL, "the scale layer's factor: %s", a);
    ck_assert_uint_eq(gt_model_nparams(m2), want);
    ck_assert_uint_eq(gt_model_nbuffers(m2), gt_model_nbuffers(m));
    gt_model_free(m);
    gt_model_free(m2);
}
END_TEST

START_TEST(spec_errors_name_the_line)
{
    parse_fails("conv 4 k3", "start with 'input");
    parse_fails("input 1x16\nconv 4 k3\nfrobnicate", "line 3: unknown layer 'frobnicate'");
    parse_fails("input 1x16\nconv 4", "line 2");
    parse_fails("input 1x16\nconv 4 k3 q7", "unknown option 'q7'");
    parse_fails("input 1x16\ndense 4", "flatten");
    parse_fails("input 1x4\nconv 4 k9", "does not fit");
    parse_fails("input 1x16\nlabel onehot", "no classes");
    parse_fails("input 1x16\nreshape 3x5", "cannot reshape");
    parse_fails("input 1x16\ndropout 1.5", "dropout");
    parse_fails("input 1x16\nscale", "scale needs a factor");
    parse_fails("input 1x16\nscale 0", "not 0");
    parse_fails("input 0x16\nrelu", "positive");
    parse_fails("input 1x16", "no layers");
    parse_fails("input 2x8; flatten; dense 3; input 4", "twice");
    parse_fails("input 1x16\nconv 99999999999 k3", "positive size");
}
END_TEST

/* Mutated specs (bytes replaced, inserted, cut) must parse or fail with a
 * message, never crash or leak; the sanitizer run checks the memory side. */
START_TEST(spec_parser_survives_mutations)
{
    static const char *seeds[] = {
        "input 3x32x32 classes 4\nlabel embed 5\nconv 16 k4 s2 p1 sn\nlrelu 0.2\nflatten\ndense 1",
        "input 100\nconvt 64 k4x4 s1 p0 nobias\nbn momentum 0.2\nrelu\nupsample 2x2\ntanh",
        "input 8; dense 32; bn noaffine; dropout 0.3; reshape 2x16; convt 1 k4 s2 p1; sigmoid",
    };
    static const char alphabet[] = "0123456789xkspinputconvdenselabel;\n #.-";
    gt_rng r;
    gt_rng_seed(&r, 99);
    int ok = 0, failed = 0;
    for (int it = 0; it < 3000; it++) {
        char buf[256];
        const char *seed = seeds[it % 3];
        size_t len = strlen(seed);
        memcpy(buf, seed, len + 1);
        int edits = 1 + (int)gt_rng_below(&r, 4);
        for (int e = 0; e < edits && len > 1; e++) {
            size_t at = gt_rng_below(&r, (uint32_t)len);
            char c = alphabet[gt_rng_below(&r, sizeof alphabet - 1)];
            switch (gt_rng_below(&r, 3)) {
            case 0: buf[at] = c; break;
            case 1:
                if (len + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at + 1);
                    buf[at] = c;
                    len++;
                }
                break;
            default:
                memmove(buf + at, buf + at + 1, len - at);
                len--;
            }
        }
        gt_error err = {0};
        gt_model *m = NULL;
        if (gt_model_parse(&m, buf, &err) == GT_OK) {
            ck_assert_ptr_nonnull(m);
            /* Whatever parsed must finalize or say why, and print back to
             * a spec that parses again. */
            if (gt_model_finalize(m, 1, &err) == GT_OK) {
                char text[4096];
                ck_assert_uint_lt(gt_model_spec(m, text, sizeof text), sizeof text);
                gt_model *m2 = NULL;
                ck_assert_msg(gt_model_parse(&m2, text, &err) == GT_OK, "%s -> %s: %s", buf,
                              text, err.msg);
                gt_model_free(m2);
            }
            gt_model_free(m);
            ok++;
        } else {
            ck_assert_ptr_null(m);
            ck_assert_msg(err.msg[0] != 0, "no message for: %s", buf);
            failed++;
        }
    }
    ck_assert_int_gt(ok, 10);
    ck_assert_int_gt(failed, 10);
}
END_TEST

/* Whole-model gradient check: L = sum(dout .* model(x)).  Smooth activations
 * only: a finite difference across a ReLU kink is meaningless, and the
 * kinked activations are checked on their own in the kernel suite. */
typedef struct fd_ctx {
    gt_model *m;
    const float *x;
    const int *labels;
    const float *dout;
    float *y;
    int n;
    size_t ny;
} fd_ctx;

static double model_loss(void *p)
{
    fd_ctx *c = p;
    int rc = gt_model_forward(c->m, c->x, c->labels, c->n, 1, c->y);
    ck_assert_int_eq(rc, GT_OK);
    double l = 0;
    for (size_t i = 0; i < c->ny; i++)
        l += (double)c->dout[i] * c->y[i];
    return l;
}

static void check_model_gradients(const char *spec, int n, int with_labels)
{
    gt_model *m = parse_ok(spec, n);
    gt_model_init(m, GT_INIT_HE, 11);
    gt_shape is = gt_model_input_shape(m), os = gt_model_output_shape(m);
    size_t nx = (size_t)n * is.c * is.h * is.w, ny = (size_t)n * os.c * os.h * os.w;
    float *x = malloc(nx * sizeof *x), *dx = malloc(nx * sizeof *dx);
    float *y = malloc(ny * sizeof *y), *dout = malloc(ny * sizeof *dout);
    int labels[16];
    for (int i = 0; i < n; i++)
        labels[i] = i % 3;
    gtt_fill(x, nx, 5, 1.0f);
    gtt_fill(dout, ny, 6, 1.0f);
    fd_ctx c = {m, x, with_labels ? labels : NULL, dout, y, n, ny};
    model_loss(&c);
    gt_model_zero_grad(m);
    ck_assert_int_eq(gt_model_backward(m, dout, dx), GT_OK);
    float *g = malloc(gt_model_nparams(m) * sizeof *g);
    memcpy(g, gt_model_grads(m), gt_model_nparams(m) * sizeof *g);
    gtt_assert_fd(model_loss, &c, x, dx, nx, 1e-2f, 2e-3, 1e-2, "model input gradient");
    gtt_assert_fd(model_loss, &c, gt_model_params(m), g, gt_model_nparams(m), 1e-2f, 2e-3, 1e-2,
                  "model parameter gradient");

    /* Input-only backward gives the same dx and leaves gradients alone. */
    float *dx2 = malloc(nx * sizeof *dx2);
    model_loss(&c);
    memset(gt_model_grads(m), 0, gt_model_nparams(m) * sizeof(float));
    ck_assert_int_eq(gt_model_backward_input(m, dout, dx2), GT_OK);
    gtt_assert_close(dx2, dx, nx, 1e-6, 1e-5, "input-only backward");
    for (size_t i = 0; i < gt_model_nparams(m); i++)
        ck_assert_msg(gt_model_grads(m)[i] == 0.0f, "input-only backward touched gradient %zu", i);
    free(dx2);
    free(g);
    free(x);
    free(dx);
    free(y);
    free(dout);
    gt_model_free(m);
}

START_TEST(whole_model_gradients_1d)
{
    check_model_gradients("input 2x17 classes 3\nscale 2.5\nlabel onehot\nconv 4 k3 s2 p1\nbn\n"
                          "tanh\n"
                          "convt 3 k4 s2 p1\ntanh\nconv 2 k3 s1 p1 sn\nflatten\ndense 3\nsigmoid",
                          5, 1);
}
END_TEST

START_TEST(whole_model_gradients_2d)
{
    check_model_gradients("input 6 classes 3\nlabel embed 2\ndense 18\ntanh\nreshape 2x3x3\n"
                          "upsample 2\nconvt 3 k3 s1 p1\nbn\nsigmoid\nconv 2 k4x3 s2x1 p1x0\n"
                          "flatten\ndense 1",
                          4, 1);
}
END_TEST

START_TEST(labels_are_checked)
{
    gt_model *m = parse_ok("input 2 classes 3\nlabel onehot\ndense 1", 2);
    float x[4] = {0}, y[2];
    int bad[2] = {0, 3}, good[2] = {2, 0};
    ck_assert_int_eq(gt_model_forward(m, x, bad, 2, 0, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_forward(m, x, NULL, 2, 0, y), GT_EINVAL);
    ck_assert_int_eq(gt_model_forward(m, x, good, 2, 0, y), GT_OK);
    ck_assert_int_eq(gt_model_forward(m, x, good, 3, 0, y), GT_EINVAL); /* over max batch */
    /* backward after an inference forward is refused */
    ck_assert_int_eq(gt_model_backward(m, y, NULL), GT_EINVAL);
    gt_model_free(m);
}
END_TEST

START_TEST(same_seed_same_model)
{
    char gs[4096], ds[4096];
    gt_error err = {0};
    gt_preset_cfg pc = gt_preset_default(1, 64, 2);
    pc.nz = 8;
    pc.max_width = 32;
    ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
    float *p[2];
    size_t np = 0;
    for (int run = 0; run < 2; run++) {
        gt_model *g = parse_ok(gs, 8), *d = parse_ok(ds, 8);
        gt_model_init(g, GT_INIT_DCGAN, 1);
        gt_model_init(d, GT_INIT_DCGAN, 2);
        gt_gan_cfg cfg = gt_gan_cfg_default();
        gt_gan gan;
        ck_assert_int_eq(gt_gan_init(&gan, g, d, &cfg, 3, &err), GT_OK);
        float real[8 * 2 * 64];
        gtt_fill(real, sizeof real / sizeof real[0], 9, 1.0f);
        for (int s = 0; s < 3; s++)
            ck_assert_int_eq(gt_gan_step(&gan, real, NULL, NULL, 8, NULL), GT_OK);
        np = gt_model_nparams(g);
        p[run] = malloc(np * sizeof(float));
        memcpy(p[run], gt_model_params(g), np * sizeof(float));
        gt_gan_free(&gan);
        gt_model_free(g);
        gt_model_free(d);
    }
    ck_assert_msg(memcmp(p[0], p[1], np * sizeof(float)) == 0,
                  "two runs with the same seed differ");
    free(p[0]);
    free(p[1]);
}
END_TEST

/* The presets have the architecture the issue names. */
START_TEST(presets_shapes)
{
    char gs[8192], ds[8192];
    gt_error err = {0};
    int sizes[] = {64, 256, 1024, 4096};
    for (int i = 0; i < 4; i++) {
        gt_preset_cfg pc = gt_preset_default(1, sizes[i], 3);
        pc.nclasses = i == 1 ? 4 : 0;
        ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
        gt_model *g = parse_ok(gs, 1), *d = parse_ok(ds, 1);
        gt_shape go = gt_model_output_shape(g), di = gt_model_input_shape(d),
                 dout = gt_model_output_shape(d);
        ck_assert(go.c == 3 && go.h == 1 && go.w == sizes[i]);
        ck_assert(di.c == 3 && di.h == 1 && di.w == sizes[i]);
        ck_assert(dout.c == 1 && dout.h == 1 && dout.w == 1);
        gt_model_free(g);
        gt_model_free(d);
    }
    int img[] = {32, 64};
    for (int i = 0; i < 2; i++) {
        gt_preset_cfg pc = gt_preset_default(2, img[i], 3);
        ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
        gt_model *g = parse_ok(gs, 1), *d = parse_ok(ds, 1);
        gt_shape go = gt_model_output_shape(g);
        ck_assert(go.c == 3 && go.h == img[i] && go.w == img[i]);
        /* PyTorch's example: ngf*8 at 4x4 for 64x64, ngf*4 for 32x32 */
        ck_assert_int_eq(gt_model_layer_output(g, 0).c, img[i] == 64 ? 512 : 256);
        ck_assert_int_eq(gt_model_output_shape(d).c, 1);
        gt_model_free(g);
        gt_model_free(d);
    }
    gt_preset_cfg pc = gt_preset_default(2, 28, 1);
    ck_assert_int_eq(gt_preset_seed(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
    gt_model *g = parse_ok(gs, 1), *d = parse_ok(ds, 1);
    ck_assert_int_eq(gt_model_layer_output(g, 0).c, 128 * 7 * 7);
    ck_assert_int_eq(gt_model_output_shape(g).w, 28);
    ck_assert_int_eq(gt_model_output_shape(d).c, 1);
    gt_model_free(g);
    gt_model_free(d);
    pc.size = 100;
    ck_assert_int_eq(gt_preset_seed(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_EINVAL);
    pc = gt_preset_default(1, 100, 1);
    ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_EINVAL);
}
END_TEST

GTT_SUITE(gt_test_model_suite)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, spec_shapes_and_round_trip);
    tcase_add_test(tc, spec_errors_name_the_line);
    tcase_add_test(tc, spec_parser_survives_mutations);
    tcase_add_test(tc, whole_model_gradients_1d);
    tcase_add_test(tc, whole_model_gradients_2d);
    tcase_add_test(tc, labels_are_checked);
    tcase_add_test(tc, same_seed_same_model);
    tcase_add_test(tc, presets_shapes);
    suite_add_tcase(s, tc);
    return s;
}
