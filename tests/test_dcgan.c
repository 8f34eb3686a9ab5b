/* The image GAN (gt_tsgan with dims 2): its networks for the DCGAN and seed
 * presets, that a conditional one learns what tells two classes apart, that
 * its defect scores separate unseen kinds of images, and save/load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "gantry/image.h"
#include "gantry/imgstore.h"
#include "testutil.h"

static gt_tsgan *image_gan(int size, int nclasses, gt_tsgan_arch arch, int width, uint64_t seed)
{
    gt_tsgan_cfg c = gt_tsgan_cfg_default(size, 1);
    c.dims = 2;
    c.arch = arch;
    c.nclasses = nclasses;
    c.nz = 16;
    c.width = width;
    c.max_width = 4 * width;
    c.batch = 32;
    c.seed = seed;
    gt_tsgan *t = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_create(&t, &c, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_tsgan_set_meta(t, "gray", "", nclasses ? "rows,cols" : "", 0,
                                       GT_NORM_NONE, NULL, NULL, &err),
                     GT_OK);
    return t;
}

START_TEST(image_gan_networks)
{
    static const int sizes[] = {16, 32, 64};
    for (int i = 0; i < 3; i++) {
        gt_tsgan *t = image_gan(sizes[i], 2, GT_TSGAN_DCGAN, 8, 1);
        gt_shape g = gt_model_output_shape(t->g), d = gt_model_output_shape(t->d);
        gt_shape e = gt_model_output_shape(t->e), di = gt_model_input_shape(t->d);
        ck_assert_int_eq(g.c, 1);
        ck_assert_int_eq(g.h, sizes[i]);
        ck_assert_int_eq(g.w, sizes[i]);
        ck_assert_int_eq(di.h, sizes[i]);
        ck_assert_int_eq(d.c * d.h * d.w, 1);
        ck_assert_int_eq(e.c * e.h * e.w, 16);
        ck_assert_int_eq((int)gt_tsgan_sample_size(&t->cfg), sizes[i] * sizes[i]);
        gt_tsgan_free(t);
    }
    gt_tsgan *s = image_gan(28, 0, GT_TSGAN_SEED, 8, 1);
    gt_shape g = gt_model_output_shape(s->g), e = gt_model_output_shape(s->e);
    ck_assert_int_eq(g.h, 28);
    ck_assert_int_eq(g.w, 28);
    ck_assert_int_eq(e.c * e.h * e.w, 16);
    gt_tsgan_free(s);
    /* Sizes the presets cannot make are refused, naming the size. */
    gt_tsgan_cfg c = gt_tsgan_cfg_default(32, 1);
    c.dims = 2;
    c.arch = GT_TSGAN_SEED;
    gt_tsgan *bad = NULL;
    gt_error err = {0};
    ck_assert_int_eq(gt_tsgan_create(&bad, &c, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "7, 14 or 28") && strstr(err.msg, "32"), "%s", err.msg);
    c.arch = GT_TSGAN_DCGAN;
    c.window = 24;
    ck_assert_int_eq(gt_tsgan_create(&bad, &c, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "image size") && strstr(err.msg, "24"), "%s", err.msg);
    c.window = 32;
    c.dims = 3;
    ck_assert_int_eq(gt_tsgan_create(&bad, &c, &err), GT_EINVAL);
    ck_assert_ptr_null(bad);
}
END_TEST

/* Stripes of period 4 and random phase: class 0 varies down the rows
 * (horizontal stripes), class 1 along the columns; plus noise. */
static void stripes(float *x, int n, int S, int cls, gt_rng *r)
{
    for (int i = 0; i < n; i++) {
        float ph = 6.2831853f * gt_rng_uniform(r);
        for (int y = 0; y < S; y++)
            for (int xx = 0; xx < S; xx++) {
                int k = cls ? xx : y;
                x[((size_t)i * S + y) * S + xx] =
                    0.8f * sinf(6.2831853f * k / 4.0f + ph) + 0.05f * gt_rng_normal(r);
            }
    }
}

/* Energy of the differences along the columns (x) and down the rows (y). */
static void diff_energy(const float *im, int S, double *ex, double *ey)
{
    *ex = *ey = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            if (x + 1 < S) {
                double d = im[y * S + x + 1] - im[y * S + x];
                *ex += d * d;
            }
            if (y + 1 < S) {
                double d = im[(y + 1) * S + x] - im[y * S + x];
                *ey += d * d;
            }
        }
}

START_TEST(conditional_image_gan_learns_the_classes)
{
    const int S = 16, N = 256, steps = gtt_quick() ? 300 : 600;
    gt_rng r;
    gt_rng_seed(&r, 7);
    float *x = gtt_falloc((size_t)2 * N * S * S);
    int *cls = malloc(2 * N * sizeof *cls);
    stripes(x, N, S, 0, &r);
    stripes(x + (size_t)N * S * S, N, S, 1, &r);
    for (int i = 0; i < 2 * N; i++)
        cls[i] = i >= N;
    gt_tsgan *t = image_gan(S, 2, GT_TSGAN_DCGAN, 16, 3);
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_train_gan(t, x, cls, 2 * N, steps, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    /* Generated images of each class have their class's orientation. */
    float *g = gtt_falloc((size_t)32 * S * S);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(gt_tsgan_generate(t, NULL, k, 32, NULL, g), GT_OK);
        int right = 0;
        for (int i = 0; i < 32; i++) {
            double ex, ey;
            diff_energy(g + (size_t)i * S * S, S, &ex, &ey);
            right += k == 0 ? ey > 2 * ex : ex > 2 * ey;
        }
        ck_assert_msg(right >= 29, "class %d: %d of 32 generated images have its orientation", k,
                      right);
    }
    free(g);
    free(x);
    free(cls);
    gt_tsgan_free(t);
}
END_TEST

START_TEST(image_scores_find_other_images_and_survive_save_load)
{
    const int S = 16, N = 256, M = 32, steps = gtt_quick() ? 200 : 400;
    gt_rng r;
    gt_rng_seed(&r, 11);
    float *x = gtt_falloc((size_t)N * S * S), *xt = gtt_falloc((size_t)2 * M * S * S);
    stripes(x, N, S, 0, &r);
    stripes(xt, M, S, 0, &r);                     /* unseen normal images */
    stripes(xt + (size_t)M * S * S, M, S, 1, &r); /* another kind */
    gt_tsgan *t = image_gan(S, 0, GT_TSGAN_DCGAN, 8, 5);
    gt_error err = {0};
    ck_assert_msg(gt_tsgan_train_gan(t, x, NULL, N, steps, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_msg(gt_tsgan_train_encoder(t, x, NULL, N, steps, NULL, NULL, &err) == GT_OK, "%s",
                  err.msg);
    float *c = gtt_falloc(N), *rc = gtt_falloc(N);
    ck_assert_int_eq(gt_tsgan_score_samples(t, x, NULL, N, c, rc, NULL, &err), GT_OK);
    ck_assert_int_eq(gt_tsgan_calibrate(t, c, rc, N, &err), GT_OK);
    float *s = gtt_falloc(2 * M), *rs = gtt_falloc(2 * M);
    ck_assert_int_eq(gt_tsgan_score_samples(t, xt, NULL, 2 * M, NULL, rs, s, &err), GT_OK);
    uint8_t lab[64];
    for (int i = 0; i < 2 * M; i++)
        lab[i] = i >= M;
    double auc = gt_auroc(s, lab, 2 * M), auc_r = gt_auroc(rs, lab, 2 * M);
    ck_assert_msg(auc > 0.9, "combined score AUROC %.3f (reconstruction alone %.3f)", auc, auc_r);
    /* The score of an image is the combination of its two parts. */
    float c1, r1, s1;
    ck_assert_int_eq(gt_tsgan_score_samples(t, xt + (size_t)M * S * S, NULL, 1, &c1, &r1, &s1,
                                            &err),
                     GT_OK);
    ck_assert_float_eq(s1, gt_tsgan_combine(t, c1, r1));
    /* ... whatever the batch it was scored in (up to rounding) */
    ck_assert_msg(fabsf(s1 - s[M]) <= 1e-4f * (1 + fabsf(s1)), "alone %g, in a batch %g", s1,
                  s[M]);
    /* Images are not signals. */
    float sig[64] = {0};
    ck_assert_int_eq(gt_tsgan_score_signal(t, sig, NULL, 64, 0, 1, NULL, NULL, sig, &err),
                     GT_EINVAL);
    /* Saved and loaded: an image GAN again, with the same scores. */
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/img.h5", dir);
    ck_assert_msg(gt_tsgan_save(t, path, &err) == GT_OK, "%s", err.msg);
    gt_tsgan *u = NULL;
    ck_assert_msg(gt_tsgan_load(&u, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(u->cfg.dims, 2);
    ck_assert_int_eq(u->cfg.window, S);
    float *s2 = gtt_falloc(2 * M);
    ck_assert_int_eq(gt_tsgan_score_samples(u, xt, NULL, 2 * M, NULL, NULL, s2, &err), GT_OK);
    ck_assert_int_eq(memcmp(s, s2, 2 * M * sizeof(float)), 0);
    gt_h5 *f = NULL;
    char *kind = NULL;
    ck_assert_int_eq(gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err),
                     GT_OK);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "kind", &kind, &err), GT_OK);
    ck_assert_str_eq(kind, GT_DCGAN_KIND);
    free(kind);
    gt_h5_close(f);
    gtt_rmdir(dir);
    free(dir);
    gt_tsgan_free(u);
    gt_tsgan_free(t);
    free(x);
    free(xt);
    free(c);
    free(rc);
    free(s);
    free(rs);
    free(s2);
}
END_TEST

/* ---- gantry dcgan, run as a user runs it ------------------------------ */

static char out[1 << 16];

/* An image store of size x size grey stripes: n images of class "rows"
 * (horizontal stripes), n of "cols"; with masks, every "cols" image has a
 * defect pixel. */
static void stripe_store(const char *path, int size, int n, int masks)
{
    gt_imageset *s = gt_imageset_new(size, 1, "crop");
    ck_assert_ptr_nonnull(s);
    gt_rng r;
    gt_rng_seed(&r, 21);
    float *f = gtt_falloc((size_t)size * size);
    uint8_t *px = malloc((size_t)size * size), *mask = calloc((size_t)size * size, 1);
    gt_error err = {0};
    for (int k = 0; k < 2; k++) {
        int c = gt_imageset_class(s, k ? "cols" : "rows");
        for (int i = 0; i < n; i++) {
            stripes(f, 1, size, k, &r);
            gt_image_from_float(f, (size_t)size * size, px);
            char name[64];
            snprintf(name, sizeof name, "%s_%d.png", k ? "cols" : "rows", i);
            int fi = gt_imageset_file(s, name);
            mask[0] = (uint8_t)k;
            ck_assert_msg(gt_imageset_append(s, px, c, fi, 0, 0, masks ? mask : NULL, &err) ==
                              GT_OK,
                          "%s", err.msg);
        }
    }
    gt_store *st = NULL;
    ck_assert_msg(gt_store_create(&st, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_add_images(st, s, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_commit(st, &err) == GT_OK, "%s", err.msg);
    gt_imageset_free(s);
    free(f);
    free(px);
    free(mask);
}

#define run(...) gtt_tool_runf(out, sizeof out, __VA_ARGS__)

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

START_TEST(dcgan_train_sample_score)
{
    char *d = gtt_tmpdir();
    char st[512], m[512], m2[512], grid[512];
    snprintf(st, sizeof st, "%s/s.h5", d);
    snprintf(m, sizeof m, "%s/m.h5", d);
    snprintf(m2, sizeof m2, "%s/m2.h5", d);
    snprintf(grid, sizeof grid, "%s/m-samples.png", d);
    stripe_store(st, 16, 40, 1);
    const char *opts = "--steps 60 --encoder-steps 30 --width 8 --nz 8 --batch 16 --seed 3 "
                       "--threads 1 --quiet";
    int rc = run("dcgan train %s -o %s %s --grid-every 30", st, m, opts);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "80 images of 1 x 16 x 16, conditional on class"), "%s", out);
    /* The sample grid: a row of 8 per class, 2-pixel borders. */
    gt_image *im = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_image_read(&im, grid, 0, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(im->w, 8 * 16 + 9 * 2);
    ck_assert_int_eq(im->h, 2 * 16 + 3 * 2);
    gt_image_free(im);
    /* The grid is not overwritten unasked. */
    ck_assert_int_eq(run("dcgan train %s -o %s/other.h5 %s --grid %s", st, d, opts, grid), 1);
    ck_assert_msg(strstr(out, "m-samples.png exists"), "%s", out);
    /* The same seed and threads give the same model: the same scores. */
    rc = run("dcgan train %s -o %s %s --grid-every 0", st, m2, opts);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    char sc[512], sc2[512];
    snprintf(sc, sizeof sc, "%s/sc.csv", d);
    snprintf(sc2, sizeof sc2, "%s/sc2.csv", d);
    rc = run("dcgan score %s %s -o %s", m, st, sc);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "scored 80 images of 80 files") && strstr(out, "AUROC"), "%s", out);
    ck_assert_int_eq(run("dcgan score %s %s -o %s", m2, st, sc2), 0);
    char *a = slurp(sc), *b = slurp(sc2);
    ck_assert_str_eq(a, b);
    const char *head = "file,x,y,class,critic,recon,score,defect\nrows_0.png,0,0,rows,";
    ck_assert_msg(!strncmp(a, head, strlen(head)), "%.200s", a);
    int rows = 0;
    for (char *p = a; *p; p++)
        rows += *p == '\n';
    ck_assert_int_eq(rows, 81);
    free(a);
    free(b);
    /* Labels by class: --normal rows; the held-out half by --span. */
    rc = run("dcgan score %s %s -o %s --force --normal rows --span 0.5:1 --json", m, st, sc);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "\"images\":40,\"files\":40,\"defective_patches\":20,"
                              "\"clean_patches\":20"),
                  "%s", out);

    /* Samples: a grid, and a store with the classes. */
    char g2[512], o2[512];
    snprintf(g2, sizeof g2, "%s/g.png", d);
    snprintf(o2, sizeof o2, "%s/synth.h5", d);
    ck_assert_int_eq(run("dcgan sample %s -n 5 -o %s --threads 0", m, g2), 2);
    ck_assert_msg(strstr(out, "--threads"), "%s", out);
    ck_assert_int_eq(run("dcgan score %s %s -o %s --threads 0", m, m, g2), 2);
    ck_assert_msg(strstr(out, "--threads"), "%s", out);
    ck_assert_int_eq(run("dcgan sample %s -n 5 -o %s --threads 1", m, g2), 0);
    ck_assert_msg(gt_image_read(&im, g2, 0, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(im->w, 8 * 16 + 9 * 2);
    ck_assert_int_eq(im->h, 2 * 16 + 3 * 2);
    gt_image_free(im);
    ck_assert_int_eq(run("dcgan sample %s -n 5 --class cols -o %s", m, o2), 0);
    gt_store *s = NULL;
    gt_imageset *set = NULL;
    ck_assert_msg(gt_store_open(&s, o2, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_read_images(s, &set, &err) == GT_OK, "%s", err.msg);
    gt_store_close(s);
    ck_assert_int_eq((int)set->n, 5);
    ck_assert_int_eq(set->size, 16);
    ck_assert_int_eq(set->nclasses, 1);
    ck_assert_str_eq(set->classes[0], "cols");
    ck_assert_str_eq(set->files[set->file[4]], "synth_cols_000004");
    gt_imageset_free(set);

    /* --encoder-steps 0 means none (not the default). */
    rc = run("dcgan train %s -o %s/e0.h5 --steps 5 --encoder-steps 0 --width 8 --nz 8 --batch 8 "
             "--grid-every 0 --quiet",
             st, d);
    ck_assert_msg(rc == 0 && strstr(out, "trained 5 GAN steps and 0 encoder steps"), "exit %d: %s",
                  rc, out);

    /* Refusals. */
    ck_assert_int_eq(run("dcgan sample %s -n 5 --class nope -o %s/x.png", m, d), 1);
    ck_assert_msg(strstr(out, "no class 'nope'") && strstr(out, "rows,cols"), "%s", out);
    ck_assert_int_eq(run("dcgan sample %s -n 5 -o %s", m, g2), 1);
    ck_assert_msg(strstr(out, "exists"), "%s", out);
    char st32[512];
    snprintf(st32, sizeof st32, "%s/s32.h5", d);
    stripe_store(st32, 32, 4, 0);
    ck_assert_int_eq(run("dcgan score %s %s -o %s/y.csv", m, st32, d), 1);
    ck_assert_msg(strstr(out, "1 x 32 x 32") && strstr(out, "trained on 1 x 16 x 16"), "%s", out);
    ck_assert_int_eq(run("dcgan score %s %s -o %s/y.csv --normal nope", m, st, d), 1);
    ck_assert_msg(strstr(out, "no class 'nope' (it has rows, cols)") ||
                      strstr(out, "no class 'nope' (it has rows,cols)"),
                  "%s", out);
    ck_assert_int_eq(run("dcgan train %s -o %s/z.h5 --window 64", st, d), 2);
    ck_assert_msg(strstr(out, "not images"), "%s", out);
    ck_assert_int_eq(run("dcgan train %s -o %s/z.h5 --preset seed --steps 1", st, d), 1);
    ck_assert_msg(strstr(out, "7, 14 or 28") && strstr(out, "16"), "%s", out);
    ck_assert_int_eq(run("dcgan train %s -o %s/z.h5 --classes nope", st, d), 1);
    ck_assert_msg(strstr(out, "no class 'nope'"), "%s", out);
    /* --resume keeps D's input gain and translation: other values are refused. */
    ck_assert_int_eq(run("dcgan train %s -o %s/z.h5 --resume %s --d-gain 2 --steps 1", st, d, m),
                     2);
    ck_assert_msg(strstr(out, "--d-gain 2") && strstr(out, "which --resume keeps"), "%s", out);
    ck_assert_int_eq(run("dcgan train %s -o %s/z.h5 --resume %s --d-shift 3 --steps 1", st, d, m),
                     2);
    ck_assert_msg(strstr(out, "--d-shift 3") && strstr(out, "which --resume keeps"), "%s", out);
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    gtt_rmdir(d);
    free(d);
}
END_TEST

GTT_SUITE(gt_test_dcgan_suite)
{
    Suite *s = suite_create("dcgan");
    TCase *tc = tcase_create("library");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, image_gan_networks);
    tcase_add_test(tc, conditional_image_gan_learns_the_classes);
    tcase_add_test(tc, image_scores_find_other_images_and_survive_save_load);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("tool");
    tcase_set_timeout(tt, 600);
    tcase_add_test(tt, dcgan_train_sample_score);
    suite_add_tcase(s, tt);
    return s;
}
