/* gantry ingest on images, run as a user runs it: folders of PNG and JPEG
 * files become the store's image set, in path order, with classes from
 * folders or names, masks cut like their images, bad files skipped and
 * named (or refused with --strict); and the shared image datasets. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gantry/image.h"
#include "gantry/imgstore.h"
#include "gantry/names.h"
#include "gantry/store.h"
#include "imgutil.h"
#include "testutil.h"

static char out[1 << 16];

static gt_imageset *read_set(const char *path)
{
    gt_error err = {0};
    gt_store *st;
    ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
    gt_imageset *s = NULL;
    ck_assert_msg(gt_store_read_images(st, &s, &err) == GT_OK, "%s", err.msg);
    gt_store_close(st);
    return s;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void mkdirs(const char *base, const char *sub)
{
    char p[1024];
    snprintf(p, sizeof p, "mkdir -p '%s/%s'", base, sub);
    ck_assert_int_eq(system(p), 0);
}

static const char *class_name(const gt_imageset *s, size_t i)
{
    return s->cls[i] < 0 ? "" : s->classes[s->cls[i]];
}

START_TEST(folders_ingest_in_path_order_and_bad_files_are_named)
{
    char *d = gtt_tmpdir(), p[600], h5[600], args[4096];
    mkdirs(d, "imgs/alpha");
    mkdirs(d, "imgs/beta/sub");
    gt_image *a1 = gtt_image_pattern(80, 60, 1, 1, 20), *a2 = gtt_image_pattern(50, 70, 1, 2, 20);
    gt_image *b1 = gtt_image_pattern(40, 40, 3, 3, 20), *b2 = gtt_image_pattern(64, 32, 1, 4, 20);
    snprintf(p, sizeof p, "%s/imgs/alpha/a_1.png", d);
    gtt_write_png(p, a1);
    snprintf(p, sizeof p, "%s/imgs/alpha/a_2.jpg", d);
    gtt_write_jpeg(p, a2, 95);
    snprintf(p, sizeof p, "%s/imgs/beta/sub/b_1.png", d);
    gtt_write_png(p, b1);
    snprintf(p, sizeof p, "%s/imgs/beta/b_2.png", d);
    gtt_write_png(p, b2);
    snprintf(p, sizeof p, "%s/imgs/beta/broken.jpg", d);
    gtt_write_jpeg(p, b2, 95);
    gtt_truncate_file(p, gtt_file_size(p) / 2);
    snprintf(p, sizeof p, "%s/imgs/notes.txt", d);
    gtt_write_file(p, "not an image, ignored\n");
    snprintf(h5, sizeof h5, "%s/o.h5", d);

    snprintf(args, sizeof args, "ingest %s/imgs/ -o %s --size 16", d, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "skipping") && strstr(out, "broken.jpg") &&
                  strstr(out, "truncated") && strstr(out, "1 file skipped") &&
                  strstr(out, "4 images") && strstr(out, "alpha 2") && strstr(out, "beta 2"),
                  "%s", out);
    gt_imageset *s = read_set(h5);
    ck_assert_uint_eq(s->n, 4);
    ck_assert_int_eq(s->size, 16);
    ck_assert_int_eq(s->channels, 3); /* one file is RGB */
    ck_assert_str_eq(s->fit, "crop");
    const char *files[] = {"alpha/a_1.png", "alpha/a_2.jpg", "beta/b_2.png", "beta/sub/b_1.png"};
    const char *classes[] = {"alpha", "alpha", "beta", "beta"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(s->files[s->file[i]], files[i]);
        ck_assert_str_eq(class_name(s, i), classes[i]);
        ck_assert(s->origin[2 * i] == 0 && s->origin[2 * i + 1] == 0);
    }
    ck_assert_ptr_null(s->masks);
    /* the first image is the library's centred crop of the file, in RGB */
    gt_error err = {0};
    gt_image *im, *crop;
    snprintf(p, sizeof p, "%s/imgs/alpha/a_1.png", d);
    ck_assert_int_eq(gt_image_read(&im, p, 3, &err), GT_OK);
    ck_assert_int_eq(gt_image_fit_crop(im, 16, &crop, &err), GT_OK);
    ck_assert_mem_eq(s->pixels, crop->pix, 3 * 16 * 16);
    gt_image_free(im);
    gt_image_free(crop);
    gt_imageset_free(s);

    /* what inspect says about it */
    snprintf(args, sizeof args, "inspect %s", h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "16 x 16") && strstr(out, "alpha") && strstr(out, "fit crop"),
                  "%s", out);
    /* --gray; an existing store is not replaced without --force */
    snprintf(args, sizeof args, "ingest %s/imgs -o %s --size 16 --gray", d, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists"), "%s", out);
    snprintf(args, sizeof args, "ingest %s/imgs -o %s --size 16 --gray --force", d, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    s = read_set(h5);
    ck_assert_int_eq(s->channels, 1);
    gt_imageset_free(s);
    /* --strict refuses the broken file and writes nothing */
    char h5b[600];
    snprintf(h5b, sizeof h5b, "%s/strict.h5", d);
    snprintf(args, sizeof args, "ingest %s/imgs -o %s --size 16 --strict", d, h5b);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "broken.jpg") && strstr(out, "strict"), "%s", out);
    ck_assert(!exists(h5b));
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    gt_image_free(a1), gt_image_free(a2), gt_image_free(b1), gt_image_free(b2);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* X.jpg's mask X.png is cut into the same patches, thresholded at 127; an
 * image without a mask gets zeros; masks are not ingested as images. */
START_TEST(masks_are_cut_like_their_images)
{
    enum { W = 40, H = 24, T = 16 };
    char *d = gtt_tmpdir(), p[600], h5[600], args[4096];
    mkdirs(d, "mt/cls");
    gt_image *x = gtt_image_pattern(W, H, 1, 9, 10), *y = gtt_image_pattern(20, 20, 1, 8, 10);
    gt_image *m = gt_image_new(W, H, 1);
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++)
            m->pix[r * W + c] = (uint8_t)(c >= 2 && c < 6 && r >= 3 && r < 5       ? 255
                                          : c >= 30 && c < 34 && r >= 18 && r < 20 ? 100
                                                                                  : 0);
    snprintf(p, sizeof p, "%s/mt/cls/X.jpg", d);
    gtt_write_jpeg(p, x, 95);
    snprintf(p, sizeof p, "%s/mt/cls/X.png", d);
    gtt_write_png(p, m);
    snprintf(p, sizeof p, "%s/mt/cls/Y.jpg", d);
    gtt_write_jpeg(p, y, 95);
    snprintf(h5, sizeof h5, "%s/m.h5", d);
    snprintf(args, sizeof args, "ingest %s/mt --masks .png --fit tile --size %d -o %s", d, T, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "1 image had no mask"), "%s", out);
    gt_imageset *s = read_set(h5);
    ck_assert_int_eq(s->nfiles, 2);
    ck_assert_str_eq(s->files[0], "cls/X.jpg");
    ck_assert_str_eq(s->files[1], "cls/Y.jpg");
    ck_assert_ptr_nonnull(s->masks);
    ck_assert_str_eq(s->fit, "tile");
    size_t nx = 0, ny = 0;
    for (size_t i = 0; i < s->n; i++) {
        const int x0 = s->origin[2 * i], y0 = s->origin[2 * i + 1];
        const uint8_t *mk = s->masks + i * T * T;
        ck_assert_str_eq(class_name(s, i), "cls");
        if (s->file[i] == 1) { /* Y: no mask */
            ny++;
            ck_assert_int_eq(gt_imageset_defective(s, i), 0);
            continue;
        }
        nx++;
        int want_defect = 0;
        for (int r = 0; r < T; r++)
            for (int c = 0; c < T; c++) {
                int v = m->pix[(y0 + r) * W + x0 + c] > 127;
                ck_assert_int_eq(mk[r * T + c], v);
                want_defect |= v;
            }
        ck_assert_int_eq(gt_imageset_defective(s, i), want_defect);
    }
    /* the patch grid: ceil(side / T) per axis */
    ck_assert_uint_eq(nx, ((W + T - 1) / T) * ((H + T - 1) / T));
    ck_assert_uint_eq(ny, ((20 + T - 1) / T) * ((20 + T - 1) / T));
    gt_imageset_free(s);
    gt_image_free(x), gt_image_free(y), gt_image_free(m);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* Files given directly: classes from their names, renamed by --class-map;
 * tile counts; an image smaller than the patch is reported. */
START_TEST(file_names_give_classes_and_tiles_count)
{
    enum { T = 8 };
    static const struct {
        const char *name, *cls;
        int w, h;
    } f[] = {{"crazing_1.png", "cr", 30, 20},
             {"crazing_12.png", "cr", 16, 16},
             {"rolled-in_scale_3.png", "rolled-in_scale", 33, 17},
             {"plain.png", "", 20, 20},
             {"tiny_4.png", "tiny", 5, 5}};
    char *d = gtt_tmpdir(), p[600], h5[600], args[8192] = "ingest";
    size_t want = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d, f[i].name);
        gt_image *im = gtt_image_pattern(f[i].w, f[i].h, 1, i, 5);
        gtt_write_png(p, im);
        gt_image_free(im);
        snprintf(args + strlen(args), sizeof args - strlen(args), " %s", p);
        if (f[i].w >= T && f[i].h >= T)
            want += (size_t)((f[i].w + T - 1) / T) * (size_t)((f[i].h + T - 1) / T);
    }
    snprintf(h5, sizeof h5, "%s/p.h5", d);
    snprintf(args + strlen(args), sizeof args - strlen(args),
             " --fit tile --size %d --class-map crazing=cr -o %s", T, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "gave no patches") && strstr(out, "tiny_4.png"), "%s", out);
    gt_imageset *s = read_set(h5);
    ck_assert_uint_eq(s->n, want);
    for (size_t i = 0; i < s->n; i++) {
        const char *file = s->files[s->file[i]];
        size_t k = 0, nf = sizeof f / sizeof f[0];
        while (k < nf && strcmp(strrchr(file, '/') + 1, f[k].name))
            k++;
        ck_assert_msg(k < nf, "unknown file %s", file);
        ck_assert_msg(!strcmp(class_name(s, i), f[k].cls), "%s: class '%s'", file,
                      class_name(s, i));
        ck_assert_str_eq(file, (snprintf(p, sizeof p, "%s/%s", d, f[k].name), p));
    }
    gt_imageset_free(s);
    /* --scale resizes before tiling (tile mode only) */
    snprintf(p, sizeof p, "%s/%s", d, f[2].name);
    snprintf(args, sizeof args, "ingest %s --fit tile --size %d --scale 0.5 -o %s --force", p, T,
             h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    s = read_set(h5);
    const int sw = (int)(f[2].w * 0.5 + 0.5), sh = (int)(f[2].h * 0.5 + 0.5);
    ck_assert_uint_eq(s->n, (size_t)(((sw + T - 1) / T) * ((sh + T - 1) / T)));
    gt_imageset_free(s);
    snprintf(args, sizeof args, "ingest %s --scale 0.5 -o %s --force", p, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 2);
    ck_assert_msg(strstr(out, "--scale"), "%s", out);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(images_and_recordings_do_not_mix)
{
    char *d = gtt_tmpdir(), png[600], csv[600], h5[600], args[4096];
    snprintf(png, sizeof png, "%s/a_1.png", d);
    snprintf(csv, sizeof csv, "%s/b.csv", d);
    snprintf(h5, sizeof h5, "%s/x.h5", d);
    gt_image *im = gtt_image_pattern(16, 16, 1, 1, 0);
    gtt_write_png(png, im);
    gt_image_free(im);
    gtt_write_file(csv, "time,a\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,2\n");
    snprintf(args, sizeof args, "ingest %s %s -o %s", png, csv, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 2);
    ck_assert_msg(strstr(out, "a_1.png") && strstr(out, "b.csv") && strstr(out, "not both"),
                  "%s", out);
    snprintf(args, sizeof args, "ingest %s --size 32 -o %s", csv, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 2);
    ck_assert_msg(strstr(out, "--size"), "%s", out);
    ck_assert(!exists(h5));
    /* a folder without images */
    snprintf(args, sizeof args, "ingest %s -o %s", d, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0); /* a_1.png is in it */
    ck_assert_int_eq(remove(png), 0);
    snprintf(args, sizeof args, "ingest %s -o %s --force", d, h5);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "no image files"), "%s", out);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* NEU's class is the prefix of its file names */
static void neu_prefix(const char *name, char *buf, size_t cap)
{
    const char *u = strrchr(name, '_');
    snprintf(buf, cap, "%.*s", u ? (int)(u - name) : (int)strlen(name), name);
}

START_TEST(neu_steel_images_ingest_by_prefix)
{
    char dir[600];
    if (gtt_dataset_path(dir, sizeof dir, "neu_det/IMAGES") != 0)
        return;
    /* the expected count of each class, from the folder's listing */
    char names[16][64];
    size_t count[16] = {0}, total = 0;
    int nc = 0;
    DIR *dd = opendir(dir);
    ck_assert_ptr_nonnull(dd);
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!gt_image_is_image_path(e->d_name))
            continue;
        char c[64];
        neu_prefix(e->d_name, c, sizeof c);
        int k = 0;
        while (k < nc && strcmp(names[k], c))
            k++;
        ck_assert_int_lt(k, 16);
        if (k == nc)
            snprintf(names[nc++], sizeof names[0], "%s", c);
        count[k]++;
        total++;
    }
    closedir(dd);
    ck_assert_int_eq(nc, 6);
    char *d = gtt_tmpdir(), h5[600], args[4096];
    snprintf(h5, sizeof h5, "%s/neu.h5", d);
    snprintf(args, sizeof args, "ingest '%s' --class-from prefix --gray --size 64 -o %s", dir,
             h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    gt_imageset *s = read_set(h5);
    ck_assert_uint_eq(s->n, total);
    ck_assert(s->channels == 1 && s->size == 64);
    ck_assert_int_eq(s->nclasses, 6);
    for (int k = 0; k < nc; k++) {
        size_t got = 0;
        for (size_t i = 0; i < s->n; i++)
            got += !strcmp(class_name(s, i), names[k]);
        ck_assert_msg(got == count[k], "%s: %zu images, the folder has %zu", names[k], got,
                      count[k]);
        ck_assert_msg(got * 6 >= total * 9 / 10 && got * 6 <= total * 11 / 10,
                      "%s: %zu of %zu images is not about a sixth", names[k], got, total);
    }
    gt_imageset_free(s);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(magnetic_tile_masks_mark_the_defect_patches)
{
    char dir[600];
    if (gtt_dataset_path(dir, sizeof dir, "magnetic_tile/MT_Free/Imgs") != 0)
        return;
    dir[strlen(dir) - strlen("/MT_Free/Imgs")] = 0;
    char *d = gtt_tmpdir(), h5[600], args[4096];
    snprintf(h5, sizeof h5, "%s/mt.h5", d);
    snprintf(args, sizeof args, "ingest '%s' --masks .png --fit tile --size 64 -o %s", dir, h5);
    ck_assert_msg(gtt_tool_run(out, sizeof out, args) == 0, "%s", out);
    gt_imageset *s = read_set(h5);
    ck_assert_ptr_nonnull(s->masks);
    ck_assert_int_eq(s->nclasses, 6);
    ck_assert_int_ge(gt_names_index(s->classes, s->nclasses, "MT_Free"), 0);
    /* per file: does any of its patches have a defect pixel? */
    char *hit = calloc((size_t)s->nfiles, 1);
    int *cls = malloc((size_t)s->nfiles * sizeof *cls);
    for (size_t i = 0; i < s->n; i++) {
        hit[s->file[i]] |= (char)gt_imageset_defective(s, i);
        cls[s->file[i]] = s->cls[i];
        if (!strcmp(class_name(s, i), "MT_Free"))
            ck_assert_msg(!gt_imageset_defective(s, i), "MT_Free patch %zu (%s) has a defect",
                          i, s->files[s->file[i]]);
    }
    int defect_files = 0, with_hit = 0;
    for (int f = 0; f < s->nfiles; f++)
        if (strcmp(s->classes[cls[f]], "MT_Free")) {
            defect_files++;
            with_hit += hit[f];
        }
    ck_assert_int_gt(defect_files, 0);
    ck_assert_msg(with_hit * 10 >= defect_files * 8,
                  "only %d of %d defect images have a defective patch", with_hit, defect_files);
    free(hit);
    free(cls);
    gt_imageset_free(s);
    gtt_rmdir(d);
    free(d);
}
END_TEST

GTT_SUITE(gt_test_ingest_images_suite)
{
    Suite *s = suite_create("ingest_images");
    TCase *tc = tcase_create("ingest_images");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, folders_ingest_in_path_order_and_bad_files_are_named);
    tcase_add_test(tc, masks_are_cut_like_their_images);
    tcase_add_test(tc, file_names_give_classes_and_tiles_count);
    tcase_add_test(tc, images_and_recordings_do_not_mix);
    tcase_add_test(tc, neu_steel_images_ingest_by_prefix);
    tcase_add_test(tc, magnetic_tile_masks_mark_the_defect_patches);
    suite_add_tcase(s, tc);
    return s;
}
