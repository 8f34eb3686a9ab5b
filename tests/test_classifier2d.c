/* The classifier on images (cfg.dims = 2): the 2D network spec, learning
 * synthetic textures (held-out accuracy, what the flips and quarter turns
 * of the augmentation do, determinism), save/load with dims (and 1D files
 * from before dims), and `gantry classify train|eval` on image stores
 * (--span, --per-class, --extra, the text and JSON reports, and the
 * stores it refuses). */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/classifier.h"
#include "gantry/gantry.h"
#include "gantry/image.h"
#include "gantry/imgstore.h"
#include "test_classifier.h"
#include "testutil.h"

/* ---------------------------------------------------------------- data */

enum { HSTRIPES, VSTRIPES, CHECKS, BLOBS };

/* One S x S texture in about [-1, 1]: stripes along rows or columns, a
 * checkerboard (a sine of period 6 to 10 pixels at random phases), or three
 * bright Gaussian blobs at random places on a dark ground; plus noise of
 * standard deviation 0.3. */
static void texture(float *x, int S, int kind, gt_rng *r)
{
    const double tau = 6.283185307179586, period = 6 + 4 * gt_rng_uniform(r);
    const double p1 = tau * gt_rng_uniform(r), p2 = tau * gt_rng_uniform(r);
    double bx[3], by[3], sig = S / 10.0;
    for (int b = 0; b < 3; b++) {
        bx[b] = S * gt_rng_uniform(r);
        by[b] = S * gt_rng_uniform(r);
    }
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            double v = 0, si = sin(tau * i / period + p1), sj = sin(tau * j / period + p2);
            if (kind == HSTRIPES)
                v = si;
            else if (kind == VSTRIPES)
                v = sj;
            else if (kind == CHECKS)
                v = si * sj;
            else {
                v = -0.6;
                for (int b = 0; b < 3; b++)
                    v += 1.6 * exp(-((i - by[b]) * (i - by[b]) + (j - bx[b]) * (j - bx[b])) /
                                   (2 * sig * sig));
            }
            x[i * S + j] = (float)(v + 0.3 * gt_rng_normal(r));
        }
}

/* n one-channel images of the listed kinds, image i of class i % nk. */
static void textures(float *x, int *cls, int n, int S, const int *kinds, int nk, uint64_t seed)
{
    gt_rng r;
    gt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        cls[i] = i % nk;
        texture(x + (size_t)i * S * S, S, kinds[i % nk], &r);
    }
}

/* ---------------------------------------------------------------- spec */

START_TEST(spec_2d_halves_down_to_four)
{
    gt_error err = {0};
    char spec[4096];
    /* side, convolutions, the last one's side */
    const int cases[5][3] = {{64, 4, 4}, {32, 3, 4}, {16, 2, 4}, {48, 4, 3}, {20, 3, 3}};
    for (int t = 0; t < 5; t++)
        for (int ch = 1; ch <= 3; ch += 2) {
            const int S = cases[t][0];
            gt_classifier_cfg c = gt_classifier_cfg_default_2d(ch, S, 6);
            ck_assert_int_eq(c.dims, 2);
            ck_assert_uint_eq(gt_classifier_sample_size(&c), (size_t)ch * S * S);
            ck_assert_msg(gt_classifier_spec(&c, spec, sizeof spec, &err) == GT_OK, "%s", err.msg);
            gt_model *m = NULL;
            ck_assert_msg(gt_model_parse(&m, spec, &err) == GT_OK, "%s\n%s", err.msg, spec);
            gt_shape in = gt_model_input_shape(m), o = gt_model_output_shape(m);
            ck_assert(in.c == ch && in.h == S && in.w == S);
            ck_assert_int_eq(o.c * o.h * o.w, 6);
            /* conv + bn + relu per halving, then flatten, dropout, dense */
            ck_assert_int_eq(gt_model_nlayers(m), 3 * cases[t][1] + 3);
            int side = S, width = 8, nconv = 0;
            for (int l = 0; l < gt_model_nlayers(m); l++) {
                const gt_layer_desc *d = gt_model_layer(m, l);
                if (d->kind != GT_LAYER_CONV)
                    continue;
                ck_assert(d->kh == 5 && d->kw == 5 && d->sh == 2 && d->sw == 2 && d->ph == 2 &&
                          d->pw == 2 && !d->bias);
                ck_assert_int_eq(gt_model_layer(m, l + 1)->kind, GT_LAYER_BATCHNORM);
                ck_assert_int_eq(gt_model_layer(m, l + 2)->kind, GT_LAYER_RELU);
                side = (side + 1) / 2;
                gt_shape os = gt_model_layer_output(m, l);
                ck_assert_msg(os.c == width && os.h == side && os.w == side,
                              "side %d, conv %d: %dx%dx%d, want %dx%dx%d", S, nconv, os.c, os.h,
                              os.w, width, side, side);
                width = width * 2 < 64 ? width * 2 : 64;
                nconv++;
            }
            ck_assert_int_eq(nconv, cases[t][1]);
            ck_assert_int_eq(side, cases[t][2]);
            const int nl = gt_model_nlayers(m);
            ck_assert_int_eq(gt_model_layer(m, nl - 3)->kind, GT_LAYER_FLATTEN);
            ck_assert_int_eq(gt_model_layer(m, nl - 2)->kind, GT_LAYER_DROPOUT);
            ck_assert_int_eq(gt_model_layer(m, nl - 1)->kind, GT_LAYER_DENSE);
            ck_assert_msg(strstr(spec, "k5x5 s2x2 p2x2") != NULL, "%s", spec);
            gt_model_free(m);
        }
    /* 64 x 64 in numbers: 8@32, 16@16, 32@8, 64@4, then 1024 features */
    gt_classifier_cfg c = gt_classifier_cfg_default_2d(1, 64, 6);
    gt_model *m = NULL;
    ck_assert(gt_classifier_spec(&c, spec, sizeof spec, &err) == GT_OK);
    ck_assert(gt_model_parse(&m, spec, &err) == GT_OK);
    gt_shape fl = gt_model_layer_output(m, 12);
    ck_assert_int_eq(fl.c * fl.h * fl.w, 1024);
    gt_model_free(m);

    /* what cannot work: spectrum input, a side under 16, dims 3 */
    c.input = GT_CLF_SPECTRUM;
    ck_assert_int_eq(gt_classifier_spec(&c, spec, sizeof spec, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "spectrum") && strstr(err.msg, "images"), "%s", err.msg);
    c = gt_classifier_cfg_default_2d(1, 15, 3);
    ck_assert_int_eq(gt_classifier_spec(&c, spec, sizeof spec, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "15") && strstr(err.msg, "16"), "%s", err.msg);
    c = gt_classifier_cfg_default_2d(1, 32, 3);
    c.dims = 3;
    ck_assert_int_eq(gt_classifier_spec(&c, spec, sizeof spec, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "dims 3") != NULL, "%s", err.msg);
    /* the 1D default is still 1D */
    ck_assert_int_eq(gt_classifier_cfg_default(1, 64, 3).dims, 1);
}
END_TEST

/* ------------------------------------------------------------ learning */

static gt_classifier *make2d(int S, int K)
{
    char *classes[4] = {"a", "b", "c", "d"}, *chans[1] = {"gray"};
    gt_classifier_cfg c = gt_classifier_cfg_default_2d(1, S, K);
    gt_classifier *clf = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_classifier_create(&clf, &c, classes, chans, &err) == GT_OK, "%s", err.msg);
    return clf;
}

/* Per class of the n images, how many were predicted right (right[K]) out
 * of how many (total[K]); returns the accuracy. */
static double recalls(gt_classifier *clf, const float *x, const int *cls, int n, int *right,
                      int *total)
{
    int *p = malloc((size_t)n * sizeof(int)), all = 0;
    ck_assert_int_eq(gt_classifier_predict(clf, x, (size_t)n, p, NULL), GT_OK);
    memset(right, 0, (size_t)clf->cfg.nclasses * sizeof(int));
    memset(total, 0, (size_t)clf->cfg.nclasses * sizeof(int));
    for (int i = 0; i < n; i++) {
        total[cls[i]]++;
        right[cls[i]] += p[i] == cls[i];
        all += p[i] == cls[i];
    }
    free(p);
    return (double)all / n;
}

START_TEST(learns_textures_and_flips_them)
{
    enum { S = 32, NTRAIN = 90, NTEST = 300, K = 3 };
    const int kinds[K] = {HSTRIPES, VSTRIPES, BLOBS}, steps = gtt_quick() ? 60 : 100;
    float *x = gtt_falloc((size_t)NTRAIN * S * S), *xt = gtt_falloc((size_t)NTEST * S * S);
    int cls[NTRAIN], ct[NTEST], right[K], total[K];
    textures(x, cls, NTRAIN, S, kinds, K, 1);
    textures(xt, ct, NTEST, S, kinds, K, 2);
    gt_classifier *a = make2d(S, K), *b = make2d(S, K);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    t.steps = steps;
    t.batch = 32;
    t.seed = 5;
    t.shift = 0;
    gt_error err = {0};
    ck_assert_msg(gt_classifier_train(a, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    double acc = recalls(a, xt, ct, NTEST, right, total);
    printf("classifier2d: stripes (rows, columns) and blobs, %d steps, no augmentation: "
           "held-out accuracy %.3f\n", steps, acc);
    ck_assert_msg(acc >= 0.9, "held-out accuracy %.3f (recalls %d/%d %d/%d %d/%d)", acc,
                  right[0], total[0], right[1], total[1], right[2], total[2]);
    ck_assert_msg(a->hist_loss[steps - 1] < a->hist_loss[0], "loss %g -> %g", a->hist_loss[0],
                  a->hist_loss[steps - 1]);

    /* the same seed (and threads): the same model; another seed: another */
    ck_assert(gt_classifier_train(b, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
    ck_assert(memcmp(gt_model_params(a->model), gt_model_params(b->model),
                     gt_model_nparams(a->model) * sizeof(float)) == 0);
    ck_assert(memcmp(a->hist_loss, b->hist_loss, (size_t)steps * sizeof(float)) == 0);
    t.seed = 6;
    ck_assert(gt_classifier_train(b, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
    ck_assert(memcmp(gt_model_params(a->model), gt_model_params(b->model),
                     gt_model_nparams(a->model) * sizeof(float)) != 0);

    /* with augmentation, a quarter turn makes rows of columns: the stripes
     * can no longer be told apart, the blobs still can; deterministic too */
    t.seed = 5;
    t.shift = 1;
    ck_assert(gt_classifier_train(a, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
    ck_assert(gt_classifier_train(b, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
    ck_assert(memcmp(gt_model_params(a->model), gt_model_params(b->model),
                     gt_model_nparams(a->model) * sizeof(float)) == 0);
    acc = recalls(a, xt, ct, NTEST, right, total);
    const double stripes = (double)(right[0] + right[1]) / (total[0] + total[1]);
    printf("classifier2d: the same with flips and quarter turns: stripes %.3f, blobs %.3f\n",
           stripes, (double)right[2] / total[2]);
    ck_assert_msg(right[2] >= 0.9 * total[2], "blobs: %d of %d", right[2], total[2]);
    ck_assert_msg(stripes < 0.75, "stripes told apart (%.3f) despite quarter turns", stripes);
    gt_classifier_free(a);
    gt_classifier_free(b);
    free(x);
    free(xt);
}
END_TEST

START_TEST(learns_rotation_free_textures_with_augmentation)
{
    /* checkerboards, blobs and stripes of either orientation: the flips and
     * quarter turns keep every class itself */
    enum { S = 16, NTRAIN = 60, NTEST = 150, K = 3 };
    const int kinds[4] = {CHECKS, BLOBS, HSTRIPES, VSTRIPES};
    float *x = gtt_falloc((size_t)NTRAIN * S * S), *xt = gtt_falloc((size_t)NTEST * S * S);
    int cls[NTRAIN], ct[NTEST], right[K], total[K];
    textures(x, cls, NTRAIN, S, kinds, 4, 3);
    textures(xt, ct, NTEST, S, kinds, 4, 4);
    for (int i = 0; i < NTRAIN; i++)
        cls[i] = cls[i] == 3 ? 2 : cls[i];
    for (int i = 0; i < NTEST; i++)
        ct[i] = ct[i] == 3 ? 2 : ct[i];
    gt_classifier *clf = make2d(S, K);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    t.steps = 80;
    t.batch = 32;
    gt_error err = {0};
    ck_assert(gt_classifier_train(clf, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
    double acc = recalls(clf, xt, ct, NTEST, right, total);
    printf("classifier2d: checks, blobs, stripes (16 x 16, augmented): held-out accuracy %.3f\n",
           acc);
    ck_assert_msg(acc >= 0.9, "held-out accuracy %.3f", acc);
    gt_classifier_free(clf);
    free(x);
    free(xt);
}
END_TEST

/* ------------------------------------------------------------ the file */

/* Remove (or rewrite) the root attribute `name` of an HDF5 file. */
static void set_root_attr(const char *path, const char *name, double v, int remove)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(f >= 0);
    ck_assert(H5Adelete_by_name(f, "/", name, H5P_DEFAULT) >= 0);
    if (!remove) {
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(f, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert(a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &v) >= 0);
        H5Aclose(a);
        H5Sclose(sp);
    }
    H5Fclose(f);
}

START_TEST(save_load_keeps_dims)
{
    enum { S = 20, C = 3, N = 24, K = 2 };
    float *x = gtt_falloc((size_t)N * C * S * S);
    int cls[N];
    gtt_fill(x, (size_t)N * C * S * S, 8, 1.0f);
    for (int i = 0; i < N; i++)
        cls[i] = i % K;
    char *dir = gtt_tmpdir(), path[1100];
    snprintf(path, sizeof path, "%s/clf.h5", dir);
    char *classes[K] = {"ok", "scratch"}, *chans[C] = {"red", "green", "blue"};
    gt_classifier_cfg c = gt_classifier_cfg_default_2d(C, S, K);
    c.width = 4;
    c.max_width = 8;
    gt_classifier *a = NULL, *b = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_classifier_create(&a, &c, classes, chans, &err) == GT_OK, "%s", err.msg);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    t.steps = 6;
    t.batch = 8;
    t.seed = 3;
    ck_assert(gt_classifier_train(a, x, cls, N, &t, NULL, NULL, &err) == GT_OK);
    ck_assert_msg(gt_classifier_save(a, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_classifier_load(&b, path, &err) == GT_OK, "%s", err.msg);
    ck_assert(b->cfg.dims == 2 && b->cfg.window == S && b->cfg.nch == C && b->cfg.width == 4 &&
              b->cfg.max_width == 8 && b->cfg.nclasses == K);
    ck_assert_str_eq(b->channels[2], "blue");
    ck_assert_str_eq(b->classes[1], "scratch");
    ck_assert_int_eq(b->steps, 6);
    int pa[N], pb[N];
    float *qa = gtt_falloc(N * K), *qb = gtt_falloc(N * K);
    ck_assert(gt_classifier_predict(a, x, N, pa, qa) == GT_OK);
    ck_assert(gt_classifier_predict(b, x, N, pb, qb) == GT_OK);
    ck_assert(memcmp(pa, pb, sizeof pa) == 0);
    gtt_assert_close(qb, qa, N * K, 1e-6, 1e-5, "probabilities after load");
    gt_classifier_free(b);
    b = NULL;

    gt_h5 *f = NULL;
    double v = 0;
    ck_assert(gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err) == GT_OK);
    ck_assert(gt_h5_read_attr_double(f, "/", "dims", &v, &err) == GT_OK && v == 2);
    gt_h5_close(f);
    /* a file that says 1D (too short a window for it), and a dims of 3 */
    set_root_attr(path, "dims", 1, 0);
    ck_assert_int_eq(gt_classifier_load(&b, path, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, "window") != NULL, "%s", err.msg);
    set_root_attr(path, "dims", 3, 0);
    ck_assert_int_eq(gt_classifier_load(&b, path, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, "dims") != NULL, "%s", err.msg);
    ck_assert_ptr_null(b);
    gt_classifier_free(a);

    /* a 1D file from before dims reads as 1D; 1D files now say dims 1 */
    char *c1[K] = {"ok", "scratch"}, *ch1[1] = {"x"};
    gt_classifier_cfg c1d = gt_classifier_cfg_default(1, 64, K);
    ck_assert(gt_classifier_create(&a, &c1d, c1, ch1, &err) == GT_OK);
    ck_assert(gt_classifier_save(a, path, &err) == GT_OK);
    ck_assert(gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err) == GT_OK);
    ck_assert(gt_h5_read_attr_double(f, "/", "dims", &v, &err) == GT_OK && v == 1);
    gt_h5_close(f);
    set_root_attr(path, "dims", 0, 1);
    ck_assert_msg(gt_classifier_load(&b, path, &err) == GT_OK, "%s", err.msg);
    ck_assert(b->cfg.dims == 1 && b->cfg.window == 64);
    gt_classifier_free(a);
    gt_classifier_free(b);
    free(qa);
    free(qb);
    free(x);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------- the tool */

/* An image store of `files` files per listed class, one S x S x C image
 * each (textures of the kinds, grey replicated over the channels), files
 * named CLASS_NNN.png; class NULL: the images have none. */
static void write_images(const char *path, int S, int C, const char *const *names,
                         const int *kinds, int nk, int files, uint64_t seed)
{
    gt_imageset *s = gt_imageset_new(S, C, "crop");
    ck_assert_ptr_nonnull(s);
    float *f = gtt_falloc((size_t)S * S);
    uint8_t *px = malloc((size_t)C * S * S);
    gt_rng r;
    gt_rng_seed(&r, seed);
    gt_error err = {0};
    for (int k = 0; k < nk; k++) {
        int cls = names[k] ? gt_imageset_class(s, names[k]) : -1;
        for (int i = 0; i < files; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%03d.png", names[k] ? names[k] : "none", i);
            texture(f, S, kinds[k], &r);
            for (int c = 0; c < C; c++)
                gt_image_from_float(f, (size_t)S * S, px + (size_t)c * S * S);
            ck_assert_msg(gt_imageset_append(s, px, cls, gt_imageset_file(s, name), 0, 0, NULL,
                                             &err) == GT_OK, "%s", err.msg);
        }
    }
    gt_store *st = NULL;
    ck_assert_msg(gt_store_create(&st, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_add_images(st, s, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_commit(st, &err) == GT_OK, "%s", err.msg);
    gt_imageset_free(s);
    free(f);
    free(px);
}

/* Train the library's classifier on the images of store `img` that
 * gt_imageset_select picks (lo:hi, per_class, seed), with the tool's
 * defaults, `steps` steps and the seed, on one thread; its parameters must
 * be those of model file `clf` (to rounding). */
static void same_as_library(const char *img, const char *clf, double lo, double hi,
                            int per_class, uint64_t seed, long steps)
{
    gt_error err = {0};
    gt_store *st = NULL;
    gt_imageset *s = NULL;
    size_t *idx = NULL, n = 0;
    ck_assert_msg(gt_store_open(&st, img, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_read_images(st, &s, &err) == GT_OK, "%s", err.msg);
    gt_store_close(st);
    ck_assert(gt_imageset_select(s, lo, hi, per_class, seed, &idx, &n, &err) == GT_OK);
    const size_t sz = (size_t)s->channels * s->size * s->size;
    float *x = gtt_falloc(n * sz);
    int *cls = malloc(n * sizeof(int));
    for (size_t i = 0; i < n; i++) {
        gt_image_to_float(s->pixels + idx[i] * sz, sz, x + i * sz);
        cls[i] = s->cls[idx[i]]; /* the store's classes are in sorted order */
    }
    char *chans[1] = {"gray"};
    gt_classifier_cfg c = gt_classifier_cfg_default_2d(s->channels, s->size, s->nclasses);
    gt_classifier *a = NULL, *b = NULL;
    ck_assert(gt_classifier_create(&a, &c, s->classes, chans, &err) == GT_OK);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    t.steps = steps;
    t.seed = seed;
    const int threads = gt_threads_get();
    gt_threads_set(1);
    ck_assert(gt_classifier_train(a, x, cls, n, &t, NULL, NULL, &err) == GT_OK);
    gt_threads_set(threads);
    ck_assert_msg(gt_classifier_load(&b, clf, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(gt_model_nparams(a->model), gt_model_nparams(b->model));
    /* (a tolerance for sums done in another order in another process, far
     * below what other images or classes make) */
    gtt_assert_close(gt_model_params(b->model), gt_model_params(a->model),
                     gt_model_nparams(a->model), 1e-6, 1e-4,
                     "the tool's model vs the library's on the selected images");
    gt_classifier_free(a);
    gt_classifier_free(b);
    gt_imageset_free(s);
    free(idx);
    free(x);
    free(cls);
}

static const char *const names3[3] = {"blobs", "checks", "stripes"};
static const int kinds3[3] = {BLOBS, CHECKS, HSTRIPES};

START_TEST(tool_trains_and_evaluates_on_images)
{
    char *dir = gtt_tmpdir(), img[1100], syn[1100], clf[1100], line[1300];
    const char *out = expect_out;
    snprintf(img, sizeof img, "%s/img.h5", dir);
    snprintf(syn, sizeof syn, "%s/syn.h5", dir);
    snprintf(clf, sizeof clf, "%s/clf.h5", dir);
    const int S = 16, files = 20, steps = gtt_quick() ? 100 : 150;
    write_images(img, S, 1, names3, kinds3, 3, files, 1);

    /* the first half of each class's files to train, the second to test */
    snprintf(line, sizeof line, "30 images of 1x%dx%d", S, S);
    expect_run(0, line, "wrote",
               "classify train %s -o %s --span 0:0.5 --steps %d --batch 32 --threads 1 "
               "--quiet", img, clf, steps);
    snprintf(line, sizeof line, "  %-16s %6d\n", "checks", 10);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    expect_run(0, "\"windows\":30", NULL, "classify eval %s %s --span 0.5:1 --json --threads 1",
               clf, img);
    const double acc = json_number(out, "accuracy");
    printf("classifier2d: tool, blobs, checks, stripes %d x %d, 10 files per class, %d steps: "
           "held-out accuracy %.3f\n", S, S, steps, acc);
    ck_assert_msg(acc >= 0.9, "held-out accuracy %.3f: %s", acc, out);
    ck_assert_msg(strstr(out, "\"classes\":[\"blobs\",\"checks\",\"stripes\"]") &&
                      strstr(out, "\"recall\":{\"blobs\":") && strstr(out, "\"confusion\":[["),
                  "%s", out);
    expect_run(0, "30 images, accuracy", "confusion matrix",
               "classify eval %s %s --span 0.5:1 --threads 1", clf, img);
    ck_assert_msg(strstr(out, "images  recall") != NULL, "%s", out);
    expect_run(0, "\"windows\":60", NULL, "classify eval %s %s --json", clf, img);

    /* the model file: dims 2, the side as the window, grey */
    gt_error err = {0};
    gt_classifier *c = NULL;
    ck_assert_msg(gt_classifier_load(&c, clf, &err) == GT_OK, "%s", err.msg);
    ck_assert(c->cfg.dims == 2 && c->cfg.window == S && c->cfg.nch == 1);
    ck_assert_str_eq(c->channels[0], "gray");
    ck_assert_int_eq(c->norm, GT_NORM_NONE);
    gt_classifier_free(c);

    /* --per-class: 4 files of each class; --extra: synthetic images of
     * known classes, all of them */
    const char *const syn_names[2] = {"stripes", "blobs"};
    const int syn_kinds[2] = {VSTRIPES, BLOBS};
    write_images(syn, S, 1, syn_names, syn_kinds, 2, 5, 2);
    expect_run(0, "22 images", NULL,
               "classify train %s -o %s --span 0:0.5 --per-class 4 --seed 3 --extra %s --steps 2 "
               "--force --threads 1", img, clf, syn);
    snprintf(line, sizeof line, "  %-16s %6d  + %d from %s\n", "blobs", 4, 5, syn);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    snprintf(line, sizeof line, "  %-16s %6d  + %d from %s\n", "checks", 4, 0, syn);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    /* the files gt_imageset_select picks for that span and seed, as
     * gt_image_to_float maps them: the library trained on those gives the
     * tool's model */
    expect_run(0, "12 images", NULL,
               "classify train %s -o %s --span 0:0.5 --per-class 4 --seed 3 --steps 3 --force "
               "--threads 1", img, clf);
    same_as_library(img, clf, 0, 0.5, 4, 3, 3);
    /* more per class than there are: all; two stores as one */
    expect_run(0, "60 images", NULL,
               "classify train %s -o %s --per-class 1000 --steps 1 --force --threads 1", img, clf);
    expect_run(0, "70 images", NULL, "classify train %s %s -o %s --steps 1 --force --threads 1",
               img, syn, clf);
    snprintf(line, sizeof line, "  %-16s %6d\n", "stripes", 25);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(tool_refuses_image_stores_that_do_not_fit)
{
    char *dir = gtt_tmpdir(), img[1100], clf[1100], clf1[1100], p[1100], sim[1100];
    snprintf(img, sizeof img, "%s/img.h5", dir);
    snprintf(clf, sizeof clf, "%s/clf.h5", dir);
    snprintf(clf1, sizeof clf1, "%s/clf1.h5", dir);
    snprintf(sim, sizeof sim, "%s/sim.h5", dir);
    write_images(img, 16, 1, names3, kinds3, 3, 4, 1);
    expect_run(0, NULL, NULL, "classify train %s -o %s --steps 2 --threads 1", img, clf);
    expect_run(0, NULL, NULL, "simulate bearing -o %s --seconds 1 --seed 4", sim);
    expect_run(0, NULL, NULL, "classify train %s -o %s --window 256 --steps 2 --threads 1", sim,
               clf1);

    /* another size, other channels: in eval and as --extra, both named */
    snprintf(p, sizeof p, "%s/big.h5", dir);
    write_images(p, 24, 1, names3, kinds3, 3, 2, 2);
    expect_run(1, "1x24x24", "1x16x16", "classify eval %s %s", clf, p);
    expect_run(1, "1x24x24", "1x16x16", "classify train %s -o %s/x.h5 --extra %s", img, dir, p);
    snprintf(p, sizeof p, "%s/rgb.h5", dir);
    write_images(p, 16, 3, names3, kinds3, 3, 2, 2);
    expect_run(1, "3x16x16", "channels", "classify eval %s %s", clf, p);
    /* a class the training store does not have: the known ones listed */
    const char *const other[2] = {"blobs", "cracks"};
    const int other_kinds[2] = {BLOBS, CHECKS};
    snprintf(p, sizeof p, "%s/cracks.h5", dir);
    write_images(p, 16, 1, other, other_kinds, 2, 2, 3);
    expect_run(1, "cracks", "blobs,checks,stripes", "classify train %s -o %s/x.h5 --extra %s",
               img, dir, p);
    expect_run(1, "cracks", "blobs,checks,stripes", "classify eval %s %s", clf, p);
    /* images without a class */
    const char *const none[1] = {NULL};
    snprintf(p, sizeof p, "%s/none.h5", dir);
    write_images(p, 16, 1, none, other_kinds, 1, 2, 3);
    expect_run(1, "no class", NULL, "classify train %s %s -o %s/x.h5", img, p, dir);
    /* images and recordings: not mixed, and models stay with their kind */
    expect_run(1, "images", "recordings", "classify train %s %s -o %s/x.h5", img, sim, dir);
    expect_run(1, "images", "recordings", "classify train %s -o %s/x.h5 --extra %s", img, dir, sim);
    expect_run(1, "recordings", "images", "classify eval %s %s", clf, sim);
    expect_run(1, "images", "recordings", "classify eval %s %s", clf1, img);
    /* options for recordings only, spectrum input */
    expect_run(1, "--window", "images", "classify train %s -o %s/x.h5 --window 64", img, dir);
    expect_run(1, "--recordings", "images", "classify eval %s %s --recordings a", clf, img);
    expect_run(1, "spectrum", "images", "classify train %s -o %s/x.h5 --input spectrum", img, dir);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_classifier2d_suite)
{
    Suite *s = suite_create("classifier2d");
    TCase *lib = tcase_create("library");
    tcase_set_timeout(lib, 300);
    tcase_add_test(lib, spec_2d_halves_down_to_four);
    tcase_add_test(lib, learns_textures_and_flips_them);
    tcase_add_test(lib, learns_rotation_free_textures_with_augmentation);
    tcase_add_test(lib, save_load_keeps_dims);
    suite_add_tcase(s, lib);
    TCase *tool = tcase_create("tool");
    tcase_set_timeout(tool, 300);
    tcase_add_test(tool, tool_trains_and_evaluates_on_images);
    tcase_add_test(tool, tool_refuses_image_stores_that_do_not_fit);
    suite_add_tcase(s, tool);
    return s;
}
