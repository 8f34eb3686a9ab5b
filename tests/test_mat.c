/* .mat files: listing the vectors, reading scalars, v5 (plain and
 * compressed) and v7.3 (HDF5) written here with libmatio and read back,
 * truncated files and missing variables, and the CWRU files. */
#include <fcntl.h>
#include <math.h>
#include <matio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gantry/mat.h"
#include "testutil.h"

static void put(mat_t *m, const char *name, enum matio_classes c, enum matio_types t, size_t r,
                size_t cols, void *data, int flags, enum matio_compression z)
{
    size_t dims[2] = {r, cols};
    matvar_t *v = Mat_VarCreate(name, c, t, 2, dims, data, flags);
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(Mat_VarWrite(m, v, z) == 0, "writing %s", name);
    Mat_VarFree(v);
}

/* The values the test files hold. */
static double de[300];
static float fe[4] = {0.5f, -1.25f, 2.0f, 3.5f};
static int16_t counts[3] = {-7, 0, 9};

/* A file with three listable vectors (written zeta first, so file order is
 * not name order) and things that are not vectors. */
static void write_test_file(const char *path, enum mat_ft ver, enum matio_compression z)
{
    for (int i = 0; i < 300; i++)
        de[i] = sin(0.1 * i) + 1e-3 * i;
    mat_t *m = Mat_CreateVer(path, NULL, ver);
    ck_assert_msg(m != NULL, "libmatio cannot create %s (version 0x%x)", path, (unsigned)ver);
    double rpm = 1797, grid[6] = {1, 2, 3, 4, 5, 6}, one[1] = {4};
    int32_t load = -3;
    mat_complex_split_t cx = {grid, grid + 3};
    char label[5] = "inner";
    put(m, "zeta_FE_time", MAT_C_SINGLE, MAT_T_SINGLE, 1, 4, fe, 0, z);
    put(m, "X001RPM", MAT_C_DOUBLE, MAT_T_DOUBLE, 1, 1, &rpm, 0, z);
    put(m, "X001_DE_time", MAT_C_DOUBLE, MAT_T_DOUBLE, 300, 1, de, 0, z);
    put(m, "grid", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, 3, grid, 0, z);
    put(m, "cx", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, 1, &cx, MAT_F_COMPLEX, z);
    put(m, "label", MAT_C_CHAR, MAT_T_UINT8, 1, 5, label, 0, z);
    put(m, "single_value", MAT_C_DOUBLE, MAT_T_DOUBLE, 1, 1, one, 0, z);
    put(m, "load", MAT_C_INT32, MAT_T_INT32, 1, 1, &load, 0, z);
    put(m, "counts", MAT_C_INT16, MAT_T_INT16, 3, 1, counts, 0, z);
    Mat_Close(m);
}

/* Check what write_test_file wrote; `ordered`: file order is write order. */
static void check_test_file(const char *path, int ordered)
{
    gt_error err = {0};
    char **names = NULL;
    int count = -1;
    ck_assert_msg(gt_mat_list(path, &names, &count, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(count, 3);
    const char *want[3] = {"zeta_FE_time", "X001_DE_time", "counts"};
    for (int i = 0; i < 3; i++) {
        int at = -1;
        for (int j = 0; j < count; j++)
            if (strcmp(names[j], want[i]) == 0)
                at = j;
        ck_assert_msg(at >= 0, "%s: %s not listed", path, want[i]);
        if (ordered)
            ck_assert_msg(at == i, "%s: %s listed at %d, written at %d", path, want[i], at, i);
    }
    gt_mat_names_free(names, count);

    float *x = NULL;
    size_t n = 0;
    char found[64];
    ck_assert_msg(gt_mat_read_vector(path, "*_DE_time", &x, &n, found, sizeof found, &err) == GT_OK,
                  "%s", err.msg);
    ck_assert_str_eq(found, "X001_DE_time");
    ck_assert_uint_eq(n, 300);
    for (int i = 0; i < 300; i++)
        ck_assert_msg(x[i] == (float)de[i], "%s: X001_DE_time[%d] = %g, wrote %g", path, i, x[i],
                      de[i]);
    free(x);
    ck_assert_msg(gt_mat_read_vector(path, "zeta_FE_time", &x, &n, NULL, 0, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(n, 4);
    for (int i = 0; i < 4; i++)
        ck_assert(x[i] == fe[i]);
    free(x);
    ck_assert_msg(gt_mat_read_vector(path, "counts", &x, &n, NULL, 0, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(n, 3);
    ck_assert(x[0] == -7 && x[1] == 0 && x[2] == 9);
    free(x);

    double v = 0;
    ck_assert_msg(gt_mat_read_scalar(path, "*RPM", &v, &err) == GT_OK, "%s", err.msg);
    ck_assert(v == 1797.0);
    ck_assert_msg(gt_mat_read_scalar(path, "load", &v, &err) == GT_OK, "%s", err.msg);
    ck_assert(v == -3.0);
    /* A vector, a matrix and a string are not scalars. */
    const char *not_scalars[3] = {"X001_DE_time", "grid", "label"};
    for (int i = 0; i < 3; i++) {
        v = 42;
        ck_assert_int_eq(gt_mat_read_scalar(path, not_scalars[i], &v, &err), GT_EFORMAT);
        ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, not_scalars[i]), "%s", err.msg);
        ck_assert(v == 42);
    }
    /* A matrix is not a vector. */
    ck_assert_int_eq(gt_mat_read_vector(path, "grid", &x, &n, NULL, 0, &err), GT_EFORMAT);
    ck_assert_ptr_null(x);
    /* Missing: the message names the file and the variable, lists the others. */
    ck_assert_int_eq(gt_mat_read_scalar(path, "*_BA_time", &v, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "_BA_time") &&
                      strstr(err.msg, "X001RPM"),
                  "%s", err.msg);
    ck_assert_int_eq(gt_mat_read_vector(path, "X002_DE_time", &x, &n, NULL, 0, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "X002_DE_time") &&
                      strstr(err.msg, "X001_DE_time"),
                  "%s", err.msg);
}

/* Run f on a cut copy of src with stderr captured: the call must fail with
 * a message naming the file and print nothing. */
static void check_truncated(const char *src, const char *dir, long cut)
{
    char bad[1100], cmd[2400], errpath[1100];
    snprintf(bad, sizeof bad, "%s/cut%ld.mat", dir, cut);
    snprintf(cmd, sizeof cmd, "head -c %ld '%s' > '%s'", cut, src, bad);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    gt_error err[3] = {{0}};
    float *x = NULL;
    size_t n = 0;
    char **names = NULL;
    int count = 0;
    double v = 0;
    int rc0 = gt_mat_read_vector(bad, "*_DE_time", &x, &n, NULL, 0, &err[0]);
    int rc1 = gt_mat_list(bad, &names, &count, &err[1]);
    int rc2 = gt_mat_read_scalar(bad, "*RPM", &v, &err[2]);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_msg(rc0 < 0 && rc1 < 0 && rc2 < 0,
                  "%s cut to %ld bytes: vector %d (%zu values), list %d (%d), scalar %d", src,
                  cut, rc0, n, rc1, count, rc2);
    ck_assert_ptr_null(x);
    ck_assert_ptr_null(names);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(strstr(err[i].msg, bad) != NULL, "message does not name %s: %s", bad,
                      err[i].msg);
    struct stat st;
    ck_assert_int_eq(stat(errpath, &st), 0);
    ck_assert_msg(st.st_size == 0, "reading %s printed %ld bytes on stderr", bad,
                  (long)st.st_size);
}

START_TEST(v5_plain_and_compressed_round_trip)
{
    char *dir = gtt_tmpdir(), path[1100];
    const enum matio_compression z[2] = {MAT_COMPRESSION_NONE, MAT_COMPRESSION_ZLIB};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/v5_%d.mat", dir, k);
        write_test_file(path, MAT_FT_MAT5, z[k]);
        check_test_file(path, 1);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        /* Cut inside the header, the first element, the big vector, the end. */
        const long cuts[4] = {64, 200, st.st_size / 2, st.st_size - 9};
        for (int i = 0; i < 4; i++)
            check_truncated(path, dir, cuts[i]);
    }
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(v73_hdf5_round_trip)
{
    char *dir = gtt_tmpdir(), path[1100];
    snprintf(path, sizeof path, "%s/v73.mat", dir);
    write_test_file(path, MAT_FT_MAT73, MAT_COMPRESSION_NONE);
    char hdr[11] = {0};
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(hdr, 1, 10, f), 10);
    fclose(f);
    ck_assert_str_eq(hdr, "MATLAB 7.3");
    check_test_file(path, 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    const long cuts[3] = {300, st.st_size / 2, st.st_size - 1};
    for (int i = 0; i < 3; i++)
        check_truncated(path, dir, cuts[i]);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(missing_and_foreign_files)
{
    char *dir = gtt_tmpdir(), path[1100];
    gt_error err = {0};
    char **names = NULL;
    int count = 0;
    double v;
    snprintf(path, sizeof path, "%s/none.mat", dir);
    ck_assert_int_eq(gt_mat_list(path, &names, &count, &err), GT_EIO);
    ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
    snprintf(path, sizeof path, "%s/text.mat", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("time,value\n1,2\n", f);
    fclose(f);
    ck_assert_int_eq(gt_mat_read_scalar(path, "*RPM", &v, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_mat_list(path, &names, &count, &err), GT_EFORMAT);
    ck_assert_ptr_null(names);
    ck_assert_int_eq(count, 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(cwru_files_list_and_rpm)
{
    static const struct {
        const char *file, *id;
        double rpm;
        int nvec;
    } cases[] = {
        {"cwru/12k_DE/IR007_0.mat", "X105", 1797, 3},
        {"cwru/Normal/Normal_0.mat", "X097", 1796, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[1024];
        if (gtt_dataset_path(path, sizeof path, cases[c].file) < 0)
            continue;
        gt_error err = {0};
        char **names = NULL;
        int count = 0;
        ck_assert_msg(gt_mat_list(path, &names, &count, &err) == GT_OK, "%s", err.msg);
        char want[64];
        snprintf(want, sizeof want, "%s_DE_time", cases[c].id);
        ck_assert_msg(count == cases[c].nvec, "%s: %d vectors", cases[c].file, count);
        ck_assert_msg(strcmp(names[0], want) == 0, "%s: first vector %s", cases[c].file,
                      names[0]);
        for (int i = 0; i < count; i++)
            ck_assert_msg(strstr(names[i], "RPM") == NULL, "%s: listed %s", cases[c].file,
                          names[i]);
        gt_mat_names_free(names, count);
        double rpm = 0;
        ck_assert_msg(gt_mat_read_scalar(path, "*RPM", &rpm, &err) == GT_OK, "%s", err.msg);
        ck_assert_msg(rpm == cases[c].rpm, "%s: rpm %g", cases[c].file, rpm);
    }
}
END_TEST

GTT_SUITE(gt_test_mat_suite)
{
    Suite *s = suite_create("mat");
    TCase *tc = tcase_create("mat");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, v5_plain_and_compressed_round_trip);
    tcase_add_test(tc, v73_hdf5_round_trip);
    tcase_add_test(tc, missing_and_foreign_files);
    tcase_add_test(tc, cwru_files_list_and_rpm);
    suite_add_tcase(s, tc);
    return s;
}
