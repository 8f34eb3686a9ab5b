/* Images in the store (gantry/imgstore.h) and the HDF5 string lists they
 * use: what is written comes back, beside recordings or alone, and a
 * damaged /images/ is refused with the store named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "gantry/h5.h"
#include "gantry/imgstore.h"
#include "gantry/store.h"
#include "testutil.h"

enum { S = 6, C = 3, N = 40 };

/* A set of N images: classes a, b and none (-1), 8 files, masks from the
 * third image on (so the first two get all-zero masks). */
static gt_imageset *sample_set(void)
{
    gt_imageset *s = gt_imageset_new(S, C, "tile");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(gt_imageset_class(s, "a"), 0);
    ck_assert_int_eq(gt_imageset_class(s, "b"), 1);
    ck_assert_int_eq(gt_imageset_class(s, "a"), 0);
    ck_assert_int_eq(gt_imageset_class(s, ""), -1);
    gt_error err = {0};
    uint8_t pix[C * S * S], mask[S * S];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "dir/f%d.png", i / 5);
        int f = gt_imageset_file(s, name);
        ck_assert_int_eq(f, i / 5);
        for (int k = 0; k < C * S * S; k++)
            pix[k] = (uint8_t)(i * 7 + k);
        for (int k = 0; k < S * S; k++)
            mask[k] = (uint8_t)((k + i) % 11 == 0 ? 255 : 0); /* nonzero counts as 1 */
        int cls = i % 3 == 2 ? -1 : i % 3;
        ck_assert_msg(gt_imageset_append(s, pix, cls, f, i, 2 * i, i >= 2 ? mask : NULL,
                                         &err) == GT_OK, "%s", err.msg);
    }
    free(s->source);
    s->source = strdup("images/");
    return s;
}

static void assert_same_sets(const gt_imageset *a, const gt_imageset *b)
{
    ck_assert_uint_eq(a->n, b->n);
    ck_assert(a->size == b->size && a->channels == b->channels && !strcmp(a->fit, b->fit));
    ck_assert_int_eq(a->nclasses, b->nclasses);
    for (int k = 0; k < a->nclasses; k++)
        ck_assert_str_eq(a->classes[k], b->classes[k]);
    ck_assert_int_eq(a->nfiles, b->nfiles);
    for (int k = 0; k < a->nfiles; k++)
        ck_assert_str_eq(a->files[k], b->files[k]);
    ck_assert_mem_eq(a->pixels, b->pixels, a->n * (size_t)(C * S * S));
    ck_assert_mem_eq(a->cls, b->cls, a->n * sizeof(int));
    ck_assert_mem_eq(a->file, b->file, a->n * sizeof(int));
    ck_assert_mem_eq(a->origin, b->origin, 2 * a->n * sizeof(int));
    ck_assert(!a->masks == !b->masks);
    if (a->masks)
        ck_assert_mem_eq(a->masks, b->masks, a->n * (size_t)(S * S));
    ck_assert_str_eq(a->source, b->source);
}

START_TEST(image_sets_round_trip)
{
    gt_imageset *s = sample_set();
    ck_assert_ptr_nonnull(s->masks);
    for (size_t i = 0; i < s->n; i++) {
        int any = 0;
        for (int k = 0; i >= 2 && k < S * S; k++)
            any |= (k + (int)i) % 11 == 0;
        ck_assert_int_eq(gt_imageset_defective(s, i), any);
        for (int k = 0; k < S * S; k++)
            ck_assert_uint_le(s->masks[i * S * S + (size_t)k], 1);
    }
    char *d = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/img.h5", d);
    gt_error err = {0};
    gt_store *st;
    /* images alone */
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_has_images(st), 0);
    ck_assert_msg(gt_store_add_images(st, s, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_add_images(st, s, &err), GT_EINVAL); /* once per store */
    ck_assert_msg(gt_store_commit(st, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_count(st), 0);
    ck_assert_int_eq(gt_store_has_images(st), 1);
    gt_imageset *back = NULL;
    ck_assert_msg(gt_store_read_images(st, &back, &err) == GT_OK, "%s", err.msg);
    gt_store_close(st);
    assert_same_sets(s, back);
    /* a set read back grows like a new one */
    ck_assert_int_eq(gt_imageset_file(back, "new.png"), s->nfiles);
    ck_assert_int_eq(gt_imageset_class(back, "c"), 2);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(gt_imageset_append(back, s->pixels, 2, s->nfiles, 0, 0, NULL, &err),
                         GT_OK);
    ck_assert_uint_eq(back->n, N + 20);
    ck_assert_int_eq(gt_imageset_defective(back, N + 5), 0);
    ck_assert_int_eq(gt_imageset_append(back, s->pixels, 3, 0, 0, 0, NULL, &err), GT_EINVAL);
    ck_assert_int_eq(gt_imageset_append(back, s->pixels, 0, back->nfiles, 0, 0, NULL, &err),
                     GT_EINVAL);
    gt_imageset_free(back);

    /* beside a recording; no masks; then an empty store is refused */
    free(s->masks);
    s->masks = NULL;
    gt_recording *r = gt_recording_new("rec", 1, 4);
    r->channels[0] = strdup("x");
    r->units[0] = strdup("");
    r->rate_hz = 10;
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_msg(gt_store_add(st, r, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_add_images(st, s, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_commit(st, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_open(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_count(st), 1);
    ck_assert_msg(gt_store_read_images(st, &back, &err) == GT_OK, "%s", err.msg);
    assert_same_sets(s, back);
    gt_imageset_free(back);
    gt_recording *rr;
    ck_assert_int_eq(gt_store_read(st, "rec", &rr, &err), GT_OK);
    gt_recording_free(rr);
    gt_store_close(st);
    gt_recording_free(r);
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_commit(st, &err), GT_EINVAL);
    ck_assert_int_eq(gt_store_open(&st, path, &err), GT_OK); /* the last one is intact */
    ck_assert_int_eq(gt_store_read_images(st, &back, &err), GT_OK);
    gt_imageset_free(back);
    gt_store_close(st);
    /* a class name that would break the class list */
    ck_assert_int_ge(gt_imageset_class(s, "x,y"), 0);
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_add_images(st, s, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "x,y"), "%s", err.msg);
    gt_store_abort(st);
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    gt_imageset_free(s);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* Write a store of the sample set, then replace one dataset or attribute
 * of /images/ with the given one (raw HDF5, as another tool could). */
static void write_damaged(const char *path, const char *what)
{
    gt_imageset *s = sample_set();
    gt_error err = {0};
    gt_store *st;
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_msg(gt_store_add_images(st, s, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_store_commit(st, &err), GT_OK);
    gt_imageset_free(s);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    if (!strcmp(what, "size")) {
        hid_t g = H5Gopen2(f, "images", H5P_DEFAULT), sp = H5Screate(H5S_SCALAR);
        double v = S + 1;
        ck_assert_int_ge(H5Adelete(g, "size"), 0);
        hid_t a = H5Acreate2(g, "size", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_DOUBLE, &v), 0);
        H5Aclose(a), H5Sclose(sp), H5Gclose(g);
    } else {
        char p[64];
        snprintf(p, sizeof p, "images/%s", what);
        ck_assert_int_ge(H5Ldelete(f, p, H5P_DEFAULT), 0);
        /* class: an index beyond the classes; file: beyond the files;
         * origin: a row short; masks: one image short */
        int64_t v[2 * N];
        for (int i = 0; i < 2 * N; i++)
            v[i] = !strcmp(what, "class") ? (i == 7 ? 2 : 0) : !strcmp(what, "file") ? (i == 3 ? 8 : 0) : 0;
        hsize_t dims[3] = {N, 2, 0};
        int nd = 1;
        hid_t type = H5T_STD_I64LE, mtype = H5T_NATIVE_INT64;
        if (!strcmp(what, "origin"))
            dims[0] = N - 1, nd = 2;
        if (!strcmp(what, "masks"))
            dims[0] = N - 1, dims[1] = S, dims[2] = S, nd = 3, type = H5T_STD_U8LE,
            mtype = H5T_NATIVE_UINT8;
        uint8_t *zero = calloc(N * S * S, 1);
        hid_t sp = H5Screate_simple(nd, dims, NULL);
        hid_t ds = H5Dcreate2(f, p, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  !strcmp(what, "masks") ? (void *)zero : (void *)v), 0);
        free(zero);
        H5Dclose(ds), H5Sclose(sp);
    }
    H5Fclose(f);
}

START_TEST(damaged_image_layouts_are_refused)
{
    char *d = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/bad.h5", d);
    static const char *what[] = {"class", "file", "origin", "masks", "size"};
    static const char *says[] = {"images/class", "images/file", "images/origin", "masks",
                                 "pixels"};
    gt_error err = {0};
    for (int i = 0; i < 5; i++) {
        write_damaged(path, what[i]);
        gt_store *st;
        ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
        gt_imageset *s = (gt_imageset *)1;
        ck_assert_int_eq(gt_store_read_images(st, &s, &err), GT_EFORMAT);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, says[i]), "%s: %s", what[i],
                      err.msg);
        gt_store_close(st);
    }
    /* a store of recordings only has no images to read */
    gt_recording *r = gt_recording_new("rec", 1, 3);
    r->channels[0] = strdup("x");
    r->units[0] = strdup("");
    gt_store *st;
    ck_assert_int_eq(gt_store_create(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_add(st, r, &err), GT_OK);
    ck_assert_int_eq(gt_store_commit(st, &err), GT_OK);
    gt_recording_free(r);
    ck_assert_int_eq(gt_store_open(&st, path, &err), GT_OK);
    ck_assert_int_eq(gt_store_has_images(st), 0);
    gt_imageset *s;
    ck_assert_int_eq(gt_store_read_images(st, &s, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "no images"), "%s", err.msg);
    gt_store_close(st);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* String lists: variable-length UTF-8 written, fixed-length also read. */
START_TEST(string_lists_round_trip)
{
    char *d = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/s.h5", d);
    gt_error err = {0};
    gt_h5 *f;
    char *v[] = {"crazing_1.jpg", "", NULL, "Größe/ü.png", "a,b"};
    ck_assert_int_eq(gt_h5_create(&f, path, "test-strings", 1, 0, &err), GT_OK);
    ck_assert_msg(gt_h5_write_strs(f, "lists/five", v, 5, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_write_strs(f, "lists/none", NULL, 0, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_h5_write_strs(f, "lists/five", v, 5, &err), GT_EINVAL);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    /* a fixed-length string dataset, as other tools write them */
    hid_t h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 4);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hsize_t n3 = 3;
    hid_t sp = H5Screate_simple(1, &n3, NULL);
    hid_t ds = H5Dcreate2(h, "fixed", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdxy\0\0z\0\0\0"), 0);
    H5Dclose(ds), H5Sclose(sp), H5Tclose(t), H5Fclose(h);

    ck_assert_int_eq(gt_h5_open(&f, path, "test-strings", 1, NULL, &err), GT_OK);
    char **s;
    size_t n;
    ck_assert_msg(gt_h5_read_strs(f, "lists/five", &s, &n, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(s[i], v[i] ? v[i] : "");
    gt_h5_strs_free(s, n);
    ck_assert_msg(gt_h5_read_strs(f, "lists/none", &s, &n, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(n, 0);
    gt_h5_strs_free(s, n);
    ck_assert_msg(gt_h5_read_strs(f, "fixed", &s, &n, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(n, 3);
    ck_assert(!strcmp(s[0], "abcd") && !strcmp(s[1], "xy") && !strcmp(s[2], "z"));
    gt_h5_strs_free(s, n);
    /* a missing list is named */
    ck_assert_int_eq(gt_h5_read_strs(f, "nothing", &s, &n, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "nothing"), "%s", err.msg);
    gt_h5_close(f);
    gtt_rmdir(d);
    free(d);
}
END_TEST

GTT_SUITE(gt_test_imgstore_suite)
{
    Suite *s = suite_create("imgstore");
    TCase *tc = tcase_create("imgstore");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, image_sets_round_trip);
    tcase_add_test(tc, damaged_image_layouts_are_refused);
    tcase_add_test(tc, string_lists_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
