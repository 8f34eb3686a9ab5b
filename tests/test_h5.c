/* Gantry's HDF5 files: attributes, datasets, atomic writes, model files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "gantry/h5.h"
#include "gantry/model.h"
#include "testutil.h"

/* --------------------------------------------------------------- helpers */

static const double pi = 3.14159265358979323846;

/* One directory for the test case (made and removed by the parent process,
 * so that it goes even when a test fails) and one inside it per test. */
static char troot[64], tdir[96];

static void setup_root(void)
{
    strcpy(troot, "/tmp/gantry-h5-XXXXXX");
    ck_assert_msg(mkdtemp(troot) != NULL, "mkdtemp failed");
}

static void setup(void)
{
    snprintf(tdir, sizeof tdir, "%s/t-XXXXXX", troot);
    ck_assert_msg(mkdtemp(tdir) != NULL, "mkdtemp failed");
}

/* Remove everything under dir (files and directories), then dir. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            remove(p);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void)
{
    remove_tree(tdir);
}

static void teardown_root(void)
{
    remove_tree(troot);
}

/* A path in the test's directory (static buffers, four in rotation). */
static const char *tpath(const char *name)
{
    static char bufs[4][256];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", tdir, name);
    return b;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert(b != NULL);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

static void spill(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_msg(fp != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Entries in the test directory; *tmps gets those named like temporaries. */
static int count_entries(int *tmps)
{
    DIR *d = opendir(tdir);
    ck_assert(d != NULL);
    int n = 0, t = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        t += strstr(e->d_name, ".tmp-") != NULL;
    }
    closedir(d);
    if (tmps)
        *tmps = t;
    return n;
}

static void assert_no_tmp(void)
{
    int tmps = 0;
    count_entries(&tmps);
    ck_assert_msg(tmps == 0, "%d temporary file(s) left in %s", tmps, tdir);
}

static void assert_has(const gt_error *err, const char *what)
{
    ck_assert_msg(strstr(err->msg, what) != NULL, "message '%s' does not say '%s'", err->msg,
                  what);
}

/* Models covering every layer with state: 1D and 2D discriminators and
 * generators with conv, convt, bn (affine and not), dense, sn and label
 * embeddings. */
static const char *const specs[] = {
    "input 2x32 classes 3\nlabel embed 4\nconv 8 k4 s2 p1 sn\nlrelu 0.2\n"
    "conv 16 k4 s2 p1 nobias\nbn\nlrelu\nflatten\ndropout 0.3\ndense 1 sn",
    "input 12 classes 3\nlabel embed 5\ndense 64\nreshape 8x8\nbn noaffine\nrelu\n"
    "upsample 2\nconvt 4 k4 s2 p1\nbn momentum 0.05 eps 0.001\nrelu\n"
    "convt 1 k3 s1 p1 nobias\ntanh",
    "input 1x8x8 classes 2\nlabel onehot\nconv 4 k3 s1 p1 sn\nbn\nlrelu\n"
    "conv 8 k4x2 s2x1 p1x0\nlrelu\nflatten\ndense 1",
    "input 6 classes 2\nlabel embed 3\ndense 32\nreshape 2x4x4\nconvt 4 k4 s2 p1\nbn\n"
    "relu\nconvt 1 k3x4 s1x2 p1x1 nobias\ntanh",
};
#define NSPECS ((int)(sizeof specs / sizeof specs[0]))

/* A finalized model whose every array holds distinct seeded values. */
static gt_model *make_model(const char *spec, uint64_t seed)
{
    gt_error err;
    gt_model *m = NULL;
    ck_assert_msg(gt_model_parse(&m, spec, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_model_finalize(m, 4, &err) == GT_OK, "%s", err.msg);
    gt_model_init(m, GT_INIT_DCGAN, seed);
    size_t np = gt_model_nparams(m), nb = gt_model_nbuffers(m);
    gtt_fill(gt_model_params(m), np, seed + 1, 1.0f);
    float *b = gt_model_buffers(m);
    gtt_fill(b, nb, seed + 2, 2.0f);
    for (size_t i = 0; i < nb; i++) /* running variances must be positive */
        b[i] = fabsf(b[i]) + 0.5f;
    gtt_fill(gt_model_moment1(m), np, seed + 3, 0.1f);
    float *m2 = gt_model_moment2(m);
    gtt_fill(m2, np, seed + 4, 0.01f);
    for (size_t i = 0; i < np; i++)
        m2[i] = fabsf(m2[i]);
    *gt_model_step_count(m) = 1234 + (long)seed;
    return m;
}

static char *spec_text(const gt_model *m)
{
    size_t n = gt_model_spec(m, NULL, 0);
    char *s = malloc(n + 1);
    ck_assert(s != NULL);
    gt_model_spec(m, s, n + 1);
    return s;
}

static void assert_same_floats(const float *a, const float *b, size_t n, const char *what)
{
    ck_assert_msg(n == 0 || memcmp(a, b, n * sizeof *a) == 0, "%s differ", what);
}

static void save_ok(gt_model *m, const char *path, int with_optim)
{
    gt_error err;
    ck_assert_msg(gt_model_save(m, path, with_optim, &err) == GT_OK, "%s", err.msg);
}

/* ------------------------------------------------ attributes and datasets */

START_TEST(attrs_and_floats_round_trip)
{
    gt_error err;
    gt_h5 *f = NULL;
    const char *path = tpath("attrs.h5");
    const char *text = "two\nlines, UTF-8: \xc3\xa9t\xc3\xa9";
    float x1[5] = {1.5f, -0.0f, 1e-40f, -3.4e38f, 0.1f};
    float x3[24], x8[64];
    gtt_fill(x3, 24, 11, 5.0f);
    gtt_fill(x8, 64, 12, 1.0f);
    size_t d1[1] = {5}, d3[3] = {2, 3, 4}, d8[8] = {1, 2, 2, 2, 1, 2, 2, 2}, d0[1] = {0};

    ck_assert_msg(gt_h5_create(&f, path, "gantry-test", 3, 2, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "/", "title", "first", &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "/", "title", "replaced", &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "a/b", "note", text, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "/a", "empty", "", &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_double(f, "/", "pi", pi, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_double(f, "a/b", "tiny", -4.9e-324, &err), GT_OK);
    ck_assert_msg(gt_h5_write_floats(f, "a/b/x", x1, 1, d1, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_write_floats(f, "/c/y", x3, 3, d3, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_write_floats(f, "z8", x8, 8, d8, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_write_floats(f, "none", x1, 1, d0, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "c/y", "units", "volts", &err), GT_OK);
    /* an existing dataset is not overwritten; bad shapes are refused */
    ck_assert_int_lt(gt_h5_write_floats(f, "c/y", x3, 3, d3, &err), 0);
    assert_has(&err, "/c/y");
    ck_assert_int_eq(gt_h5_write_floats(f, "nine", x8, 9, d8, &err), GT_EINVAL);
    ck_assert_int_eq(gt_h5_write_floats(f, "zero", x8, 0, d8, &err), GT_EINVAL);
    ck_assert_msg(gt_h5_commit(f, &err) == GT_OK, "%s", err.msg);
    assert_no_tmp();

    int minor = -1;
    ck_assert_int_eq(gt_h5_open(&f, path, "gantry-test", 2, &minor, &err), GT_EVERSION);
    ck_assert_ptr_null(f);
    ck_assert_msg(gt_h5_open(&f, path, "gantry-test", 3, &minor, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(minor, 2);

    char *s = NULL;
    double v = 0;
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "format", &s, &err), GT_OK);
    ck_assert_str_eq(s, "gantry-test");
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "format_version", &s, &err), GT_OK);
    ck_assert_str_eq(s, "3.2");
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "title", &s, &err), GT_OK);
    ck_assert_str_eq(s, "replaced");
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/a/b", "note", &s, &err), GT_OK);
    ck_assert_str_eq(s, text);
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "a", "empty", &s, &err), GT_OK);
    ck_assert_str_eq(s, "");
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "c/y", "units", &s, &err), GT_OK);
    ck_assert_str_eq(s, "volts");
    free(s);
    ck_assert_int_eq(gt_h5_read_attr_double(f, "/", "pi", &v, &err), GT_OK);
    ck_assert(v == pi);
    ck_assert_int_eq(gt_h5_read_attr_double(f, "a/b", "tiny", &v, &err), GT_OK);
    ck_assert(v == -4.9e-324);

    float *x = NULL;
    size_t n = 0, dims[8];
    int nd = 0;
    ck_assert_int_eq(gt_h5_read_floats(f, "a/b/x", &x, &n, &nd, dims, &err), GT_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(nd, 1);
    ck_assert_uint_eq(dims[0], 5);
    assert_same_floats(x, x1, 5, "a/b/x");
    free(x);
    ck_assert_int_eq(gt_h5_read_floats(f, "/c/y", &x, &n, &nd, dims, &err), GT_OK);
    ck_assert_uint_eq(n, 24);
    ck_assert_int_eq(nd, 3);
    ck_assert(dims[0] == 2 && dims[1] == 3 && dims[2] == 4);
    assert_same_floats(x, x3, 24, "c/y");
    free(x);
    ck_assert_int_eq(gt_h5_read_floats(f, "z8", &x, &n, &nd, dims, &err), GT_OK);
    ck_assert_uint_eq(n, 64);
    ck_assert_int_eq(nd, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(dims[i], d8[i]);
    assert_same_floats(x, x8, 64, "z8");
    free(x);
    ck_assert_int_eq(gt_h5_read_floats(f, "none", &x, &n, NULL, NULL, &err), GT_OK);
    ck_assert_uint_eq(n, 0);
    free(x);

    /* existence of groups and datasets, at any depth */
    ck_assert_int_eq(gt_h5_exists(f, "/"), 1);
    ck_assert_int_eq(gt_h5_exists(f, "a"), 1);
    ck_assert_int_eq(gt_h5_exists(f, "/a/b"), 1);
    ck_assert_int_eq(gt_h5_exists(f, "a/b/x"), 1);
    ck_assert_int_eq(gt_h5_exists(f, "c/y"), 1);
    ck_assert_int_eq(gt_h5_exists(f, "nope"), 0);
    ck_assert_int_eq(gt_h5_exists(f, "a/nope"), 0);
    ck_assert_int_eq(gt_h5_exists(f, "nope/deeper/still"), 0);
    ck_assert_int_eq(gt_h5_exists(f, "a/b/x/deeper"), 0);

    /* what is not there, or not of the kind asked, is an error naming it */
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "missing", &s, &err), GT_EFORMAT);
    ck_assert_ptr_null(s);
    assert_has(&err, "missing");
    assert_has(&err, path);
    ck_assert_int_lt(gt_h5_read_attr_str(f, "/", "pi", &s, &err), 0);
    ck_assert_ptr_null(s);
    ck_assert_int_lt(gt_h5_read_attr_double(f, "/", "title", &v, &err), 0);
    ck_assert_int_lt(gt_h5_read_attr_double(f, "nope", "pi", &v, &err), 0);
    assert_has(&err, "/nope");
    ck_assert_int_lt(gt_h5_read_floats(f, "a/b", &x, &n, NULL, NULL, &err), 0);
    ck_assert_ptr_null(x);
    assert_has(&err, "/a/b");
    ck_assert_int_lt(gt_h5_read_floats(f, "a/nope", &x, &n, NULL, NULL, &err), 0);
    assert_has(&err, "/a/nope");
    /* a file opened for reading is not written */
    ck_assert_int_eq(gt_h5_write_attr_str(f, "/", "title", "no", &err), GT_EINVAL);
    ck_assert_int_eq(gt_h5_write_floats(f, "w", x1, 1, d1, &err), GT_EINVAL);
    gt_h5_close(f);

    /* reading changed nothing */
    ck_assert_int_eq(gt_h5_open(&f, path, "gantry-test", 3, NULL, &err), GT_OK);
    ck_assert_int_eq(gt_h5_exists(f, "w"), 0);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "title", &s, &err), GT_OK);
    ck_assert_str_eq(s, "replaced");
    free(s);
    gt_h5_close(f);
    ck_assert_int_eq(count_entries(NULL), 1);
}
END_TEST

/* Files written by other tools (h5py writes variable-length strings). */
START_TEST(reads_variable_length_strings)
{
    const char *path = tpath("vlen.h5");
    hid_t file = -1, type = -1, space = -1, attr = -1;
    const char *vals[2] = {"gantry-test", "1.4"};
    const char *names[2] = {"format", "format_version"};
    file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    type = H5Tcopy(H5T_C_S1);
    ck_assert_int_ge(H5Tset_size(type, H5T_VARIABLE), 0);
    space = H5Screate(H5S_SCALAR);
    for (int i = 0; i < 2; i++) {
        attr = H5Acreate2(file, names[i], type, space, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(attr, 0);
        ck_assert_int_ge(H5Awrite(attr, type, &vals[i]), 0);
        H5Aclose(attr);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);

    gt_error err;
    gt_h5 *f = NULL;
    int minor = -1;
    ck_assert_msg(gt_h5_open(&f, path, "gantry-test", 1, &minor, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(minor, 4);
    char *s = NULL;
    ck_assert_int_eq(gt_h5_read_attr_str(f, "/", "format", &s, &err), GT_OK);
    ck_assert_str_eq(s, "gantry-test");
    free(s);
    gt_h5_close(f);
}
END_TEST

/* ---------------------------------------------------------------- models */

/* Every model, with (odd) and without (even) the optimiser state. */
START_TEST(model_round_trip)
{
    int which = _i / 2, with_optim = _i % 2;
    const char *path = tpath("model.h5");
    gt_model *m = make_model(specs[which], 100 + (uint64_t)_i);
    save_ok(m, path, with_optim);
    assert_no_tmp();

    gt_error err;
    gt_model *r = NULL;
    ck_assert_msg(gt_model_load(&r, path, 3, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_model_max_batch(r), 3);
    char *s1 = spec_text(m), *s2 = spec_text(r);
    ck_assert_str_eq(s1, s2);
    size_t np = gt_model_nparams(m), nb = gt_model_nbuffers(m);
    ck_assert_uint_gt(np, 0);
    ck_assert_uint_gt(nb, 0);
    ck_assert_uint_eq(gt_model_nparams(r), np);
    ck_assert_uint_eq(gt_model_nbuffers(r), nb);
    assert_same_floats(gt_model_params(r), gt_model_params(m), np, "params");
    assert_same_floats(gt_model_buffers(r), gt_model_buffers(m), nb, "buffers");
    if (with_optim) {
        assert_same_floats(gt_model_moment1(r), gt_model_moment1(m), np, "moment1");
        assert_same_floats(gt_model_moment2(r), gt_model_moment2(m), np, "moment2");
        ck_assert_int_eq(*gt_model_step_count(r), *gt_model_step_count(m));
    } else {
        for (size_t i = 0; i < np; i++)
            ck_assert(gt_model_moment1(r)[i] == 0 && gt_model_moment2(r)[i] == 0);
        ck_assert_int_eq(*gt_model_step_count(r), 0);
    }

    /* the model read back computes what the model written did */
    gt_shape in = gt_model_input_shape(m), o = gt_model_output_shape(m);
    size_t nin = 2 * (size_t)in.c * in.h * in.w, nout = 2 * (size_t)o.c * o.h * o.w;
    float *x = malloc(nin * sizeof *x), *y1 = malloc(nout * sizeof *y1),
          *y2 = malloc(nout * sizeof *y2);
    ck_assert(x && y1 && y2);
    gtt_fill(x, nin, 77, 1.0f);
    int labels[2] = {1, 0};
    ck_assert_int_eq(gt_model_forward(m, x, labels, 2, 0, y1), GT_OK);
    ck_assert_int_eq(gt_model_forward(r, x, labels, 2, 0, y2), GT_OK);
    for (size_t i = 0; i < nout; i++)
        ck_assert_msg(isfinite(y1[i]), "output %zu is %g", i, (double)y1[i]);
    assert_same_floats(y2, y1, nout, "outputs");
    free(x);
    free(y1);
    free(y2);

    /* the file says what it holds */
    gt_h5 *f = NULL;
    char *stored = NULL;
    ck_assert_int_eq(gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err),
                     GT_OK);
    ck_assert_int_eq(gt_h5_read_attr_str(f, "model", "spec", &stored, &err), GT_OK);
    ck_assert_str_eq(stored, s1);
    ck_assert_int_eq(gt_h5_exists(f, "model/moment1"), with_optim);
    ck_assert_int_eq(gt_h5_exists(f, "model/moment2"), with_optim);
    gt_h5_close(f);
    free(stored);

    /* a model read back writes the same model */
    save_ok(r, tpath("again.h5"), with_optim);
    gt_model *r2 = NULL;
    ck_assert_msg(gt_model_load(&r2, tpath("again.h5"), 1, &err) == GT_OK, "%s", err.msg);
    assert_same_floats(gt_model_params(r2), gt_model_params(m), np, "params (twice)");
    assert_same_floats(gt_model_buffers(r2), gt_model_buffers(m), nb, "buffers (twice)");
    assert_no_tmp();
    free(s1);
    free(s2);
    gt_model_free(r2);
    gt_model_free(r);
    gt_model_free(m);
}
END_TEST

/* Several models in groups of one file (as a GAN checkpoint holds them). */
START_TEST(models_in_groups)
{
    gt_error err;
    gt_h5 *f = NULL;
    const char *path = tpath("gan.h5");
    gt_model *g = make_model(specs[1], 7), *d = make_model(specs[0], 8);
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_msg(gt_h5_write_model(f, "gan/generator", g, 1, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_write_model(f, "/gan/discriminator", d, 0, &err) == GT_OK, "%s",
                  err.msg);
    /* a group is written once */
    ck_assert_int_lt(gt_h5_write_model(f, "gan/generator", d, 0, &err), 0);
    assert_has(&err, "/gan/generator");
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);

    gt_model *g2 = NULL, *d2 = NULL;
    ck_assert_int_eq(gt_h5_open(&f, path, GT_MODEL_FORMAT, 1, NULL, &err), GT_OK);
    ck_assert_msg(gt_h5_read_model(f, "/gan/generator", 2, &g2, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_h5_read_model(f, "gan/discriminator", 2, &d2, &err) == GT_OK, "%s",
                  err.msg);
    gt_h5_close(f);
    assert_same_floats(gt_model_params(g2), gt_model_params(g), gt_model_nparams(g), "G");
    assert_same_floats(gt_model_moment2(g2), gt_model_moment2(g), gt_model_nparams(g), "G m2");
    ck_assert_int_eq(*gt_model_step_count(g2), *gt_model_step_count(g));
    assert_same_floats(gt_model_params(d2), gt_model_params(d), gt_model_nparams(d), "D");
    ck_assert_int_eq(*gt_model_step_count(d2), 0);
    gt_model_free(g);
    gt_model_free(d);
    gt_model_free(g2);
    gt_model_free(d2);
}
END_TEST

/* Read one array of the per-layer view, checking its shape. */
static float *view(gt_h5 *f, const char *name, int ndim, const size_t *want, size_t *n)
{
    gt_error err;
    float *x = NULL;
    size_t dims[8];
    int nd = 0;
    ck_assert_msg(gt_h5_read_floats(f, name, &x, n, &nd, dims, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(nd == ndim, "%s: %d dimensions, want %d", name, nd, ndim);
    for (int i = 0; i < nd; i++)
        ck_assert_msg(dims[i] == want[i], "%s: dimension %d is %zu, want %zu", name, i,
                      dims[i], want[i]);
    return x;
}

/* Append a view array at *off of the flat array it must equal. */
static void view_matches(gt_h5 *f, const char *name, int ndim, const size_t *want,
                         const float *flat, size_t nflat, size_t *off)
{
    size_t n = 0;
    float *x = view(f, name, ndim, want, &n);
    ck_assert_msg(*off + n <= nflat, "%s runs past the flat array", name);
    assert_same_floats(x, flat + *off, n, name);
    *off += n;
    free(x);
}

START_TEST(layer_view_shapes)
{
    gt_error err;
    gt_h5 *f = NULL;
    /* 1D discriminator: label embed, conv sn, conv nobias, bn, dense sn */
    gt_model *d = make_model(specs[0], 3);
    /* 2D generator: label embed, dense, convt, bn, convt */
    gt_model *g = make_model(specs[3], 4);
    ck_assert_int_eq(gt_h5_create(&f, tpath("v.h5"), GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "d", d, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "g", g, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    ck_assert_int_eq(gt_h5_open(&f, tpath("v.h5"), GT_MODEL_FORMAT, 1, NULL, &err), GT_OK);

    /* The view, in layer order, is the params array cut into pieces. */
    const float *p = gt_model_params(d), *b = gt_model_buffers(d);
    size_t np = gt_model_nparams(d), nb = gt_model_nbuffers(d), off = 0, boff = 0;
    view_matches(f, "d/layers/01_label/table", 2, (size_t[]){3, 4}, p, np, &off);
    view_matches(f, "d/layers/02_conv/weight", 3, (size_t[]){8, 6, 4}, p, np, &off);
    view_matches(f, "d/layers/02_conv/bias", 1, (size_t[]){8}, p, np, &off);
    view_matches(f, "d/layers/02_conv/weight_u", 1, (size_t[]){8}, b, nb, &boff);
    view_matches(f, "d/layers/02_conv/weight_v", 1, (size_t[]){24}, b, nb, &boff);
    view_matches(f, "d/layers/04_conv/weight", 3, (size_t[]){16, 8, 4}, p, np, &off);
    ck_assert_int_eq(gt_h5_exists(f, "d/layers/04_conv/bias"), 0);
    view_matches(f, "d/layers/05_bn/gamma", 1, (size_t[]){16}, p, np, &off);
    view_matches(f, "d/layers/05_bn/beta", 1, (size_t[]){16}, p, np, &off);
    view_matches(f, "d/layers/05_bn/running_mean", 1, (size_t[]){16}, b, nb, &boff);
    view_matches(f, "d/layers/05_bn/running_var", 1, (size_t[]){16}, b, nb, &boff);
    ck_assert_int_eq(gt_h5_exists(f, "d/layers/06_lrelu"), 0);
    view_matches(f, "d/layers/09_dense/weight", 2, (size_t[]){1, 128}, p, np, &off);
    view_matches(f, "d/layers/09_dense/bias", 1, (size_t[]){1}, p, np, &off);
    view_matches(f, "d/layers/09_dense/weight_u", 1, (size_t[]){1}, b, nb, &boff);
    view_matches(f, "d/layers/09_dense/weight_v", 1, (size_t[]){128}, b, nb, &boff);
    ck_assert_uint_eq(off, np);
    ck_assert_uint_eq(boff, nb);

    p = gt_model_params(g);
    b = gt_model_buffers(g);
    np = gt_model_nparams(g);
    nb = gt_model_nbuffers(g);
    off = boff = 0;
    view_matches(f, "g/layers/01_label/table", 2, (size_t[]){2, 3}, p, np, &off);
    view_matches(f, "g/layers/02_dense/weight", 2, (size_t[]){32, 9}, p, np, &off);
    view_matches(f, "g/layers/02_dense/bias", 1, (size_t[]){32}, p, np, &off);
    view_matches(f, "g/layers/04_convt/weight", 4, (size_t[]){2, 4, 4, 4}, p, np, &off);
    view_matches(f, "g/layers/04_convt/bias", 1, (size_t[]){4}, p, np, &off);
    view_matches(f, "g/layers/05_bn/gamma", 1, (size_t[]){4}, p, np, &off);
    view_matches(f, "g/layers/05_bn/beta", 1, (size_t[]){4}, p, np, &off);
    view_matches(f, "g/layers/05_bn/running_mean", 1, (size_t[]){4}, b, nb, &boff);
    view_matches(f, "g/layers/05_bn/running_var", 1, (size_t[]){4}, b, nb, &boff);
    view_matches(f, "g/layers/07_convt/weight", 4, (size_t[]){4, 1, 3, 4}, p, np, &off);
    ck_assert_uint_eq(off, np);
    ck_assert_uint_eq(boff, nb);
    gt_h5_close(f);

    /* bn without affine parameters has only its running statistics */
    gt_model *g1 = make_model(specs[1], 5);
    save_ok(g1, tpath("g1.h5"), 0);
    ck_assert_int_eq(gt_h5_open(&f, tpath("g1.h5"), GT_MODEL_FORMAT, 1, NULL, &err), GT_OK);
    ck_assert_int_eq(gt_h5_exists(f, "model/layers/04_bn/gamma"), 0);
    ck_assert_int_eq(gt_h5_exists(f, "model/layers/04_bn/running_var"), 1);
    size_t n = 0;
    free(view(f, "model/layers/07_convt/weight", 3, (size_t[]){8, 4, 4}, &n));
    free(view(f, "model/layers/10_convt/weight", 3, (size_t[]){4, 1, 3}, &n));
    gt_h5_close(f);
    gt_model_free(g1);
    gt_model_free(d);
    gt_model_free(g);
}
END_TEST

/* The view is never read back: damaging it does not stop a load. */
START_TEST(layer_view_not_read)
{
    gt_error err;
    gt_h5 *f = NULL;
    gt_model *m = make_model(specs[2], 9);
    ck_assert_int_eq(gt_h5_create(&f, tpath("m.h5"), GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    /* a file whose model has no view at all */
    size_t np = gt_model_nparams(m), nb = gt_model_nbuffers(m);
    char *spec = spec_text(m);
    ck_assert_int_eq(gt_h5_create(&f, tpath("bare.h5"), GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "model", "spec", spec, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_floats(f, "model/params", gt_model_params(m), 1, &np, &err),
                     GT_OK);
    ck_assert_int_eq(gt_h5_write_floats(f, "model/buffers", gt_model_buffers(m), 1, &nb, &err),
                     GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    gt_model *r = NULL;
    ck_assert_msg(gt_model_load(&r, tpath("bare.h5"), 2, &err) == GT_OK, "%s", err.msg);
    assert_same_floats(gt_model_params(r), gt_model_params(m), np, "params");
    gt_model_free(r);
    free(spec);
    gt_model_free(m);
}
END_TEST

/* ------------------------------------------------------------- refusals */

START_TEST(refuses_newer_major_version)
{
    gt_error err;
    gt_h5 *f = NULL;
    gt_model *m = make_model(specs[2], 1), *r = NULL;
    const char *path = tpath("future.h5");
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, 99, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 1, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    ck_assert_int_eq(gt_model_load(&r, path, 2, &err), GT_EVERSION);
    ck_assert_ptr_null(r);
    assert_has(&err, path);
    assert_has(&err, "format version 99.0 is newer than this gantry reads (1.x)");

    /* a newer minor version of the same major is read */
    path = tpath("minor.h5");
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, 7, &err),
                     GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 1, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    ck_assert_msg(gt_model_load(&r, path, 2, &err) == GT_OK, "%s", err.msg);
    int minor = -1;
    ck_assert_int_eq(gt_h5_open(&f, path, GT_MODEL_FORMAT, 1, &minor, &err), GT_OK);
    ck_assert_int_eq(minor, 7);
    gt_h5_close(f);
    gt_model_free(r);
    gt_model_free(m);
}
END_TEST

START_TEST(refuses_other_format)
{
    gt_error err;
    gt_h5 *f = NULL;
    gt_model *m = make_model(specs[0], 1), *r = NULL;
    const char *path = tpath("store.h5");
    ck_assert_int_eq(gt_h5_create(&f, path, "foo", 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_OK);
    ck_assert_int_eq(gt_model_load(&r, path, 2, &err), GT_EFORMAT);
    ck_assert_ptr_null(r);
    assert_has(&err, path);
    assert_has(&err, "format 'foo' is not gantry-model");

    /* an HDF5 file that is no gantry file at all */
    path = tpath("plain.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    H5Fclose(file);
    ck_assert_int_eq(gt_model_load(&r, path, 2, &err), GT_EFORMAT);
    assert_has(&err, path);
    assert_has(&err, "format");
    gt_model_free(m);
}
END_TEST

START_TEST(refuses_non_hdf5)
{
    gt_error err;
    gt_model *r = NULL;
    const char *path = tpath("model.h5");
    const char text[] = "input 1x32\nconv 4 k4 s2 p1\n";
    spill(path, text, sizeof text - 1);
    ck_assert_int_eq(gt_model_load(&r, path, 2, &err), GT_EFORMAT);
    ck_assert_ptr_null(r);
    assert_has(&err, path);
    assert_has(&err, "not an HDF5 file (or truncated)");
    /* a missing file says so */
    ck_assert_int_eq(gt_model_load(&r, tpath("absent.h5"), 2, &err), GT_EIO);
    assert_has(&err, "absent.h5");
    assert_has(&err, strerror(ENOENT));
}
END_TEST

/* Copies of a model file cut short are refused, quietly, at every length. */
START_TEST(refuses_truncated)
{
    gt_error err;
    gt_model *m = make_model(specs[0], 2), *r = NULL;
    const char *path = tpath("full.h5"), *cut = tpath("cut.h5");
    save_ok(m, path, 1);
    size_t n = 0;
    unsigned char *bytes = slurp(path, &n);
    ck_assert_uint_gt(n, 4096);
    size_t lengths[] = {0, 1, 8, 47, 96, 200, 512, 1000, 2048, n / 4, n / 3, n / 2,
                        2 * n / 3, 3 * n / 4, n - 4096, n - 100, n - 8, n - 1};

    /* HDF5 must not print either: send stderr to a file meanwhile */
    const char *log = tpath("stderr.txt");
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    int refused = 0;
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        spill(cut, bytes, lengths[i]);
        err.msg[0] = 0;
        int rc = gt_model_load(&r, cut, 2, &err);
        refused += rc < 0 && r == NULL && strstr(err.msg, cut) != NULL;
        gt_model_free(r);
        r = NULL;
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(refused, (int)(sizeof lengths / sizeof lengths[0]));
    size_t nlog = 0;
    unsigned char *logged = slurp(log, &nlog);
    ck_assert_msg(nlog == 0, "printed on stderr: %.200s", (char *)logged);
    free(logged);

    /* the whole file still loads */
    spill(cut, bytes, n);
    ck_assert_msg(gt_model_load(&r, cut, 2, &err) == GT_OK, "%s", err.msg);
    gt_model_free(r);
    free(bytes);
    gt_model_free(m);
}
END_TEST

/* A model file written by hand, piece by piece. */
typedef struct part {
    const char *spec;    /* NULL: no spec attribute */
    size_t np, nb;       /* sizes of params and buffers ((size_t)-1: absent) */
    int moments;         /* 0 none, 1 moment1 only, 2 both and step */
    float poison;        /* written into params[1] */
    float m2_value;      /* moment2's values */
} part;

static int load_parts(const part *pt, gt_error *err)
{
    gt_error e;
    gt_h5 *f = NULL;
    const char *path = tpath("hand.h5");
    size_t big = 4096;
    float *x = calloc(big, sizeof *x), *y = malloc(big * sizeof *y);
    ck_assert(x && y);
    gtt_fill(x, big, 5, 1.0f);
    x[1] = pt->poison;
    for (size_t i = 0; i < big; i++)
        y[i] = pt->m2_value;
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, 1, 0, &e), GT_OK);
    ck_assert_int_eq(gt_h5_write_attr_str(f, "/", "note", "hand-made", &e), GT_OK);
    if (pt->spec)
        ck_assert_int_eq(gt_h5_write_attr_str(f, "model", "spec", pt->spec, &e), GT_OK);
    if (pt->np != (size_t)-1)
        ck_assert_int_eq(gt_h5_write_floats(f, "model/params", x, 1, &pt->np, &e), GT_OK);
    if (pt->nb != (size_t)-1)
        ck_assert_int_eq(gt_h5_write_floats(f, "model/buffers", x, 1, &pt->nb, &e), GT_OK);
    if (pt->moments >= 1)
        ck_assert_int_eq(gt_h5_write_floats(f, "model/moment1", x, 1, &pt->np, &e), GT_OK);
    if (pt->moments >= 2) {
        ck_assert_int_eq(gt_h5_write_floats(f, "model/moment2", y, 1, &pt->np, &e), GT_OK);
        ck_assert_int_eq(gt_h5_write_attr_double(f, "model", "step", 10, &e), GT_OK);
    }
    ck_assert_int_eq(gt_h5_commit(f, &e), GT_OK);
    gt_model *r = NULL;
    int rc = gt_model_load(&r, path, 2, err);
    ck_assert(rc == GT_OK ? r != NULL : r == NULL);
    gt_model_free(r);
    free(x);
    free(y);
    return rc;
}

START_TEST(refuses_bad_contents)
{
    gt_error err;
    const char *spec = "input 3x16\nconv 4 k3 p1\nbn\nflatten\ndense 2";
    gt_model *m = NULL;
    ck_assert_int_eq(gt_model_parse(&m, spec, &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(m, 1, &err), GT_OK);
    size_t np = gt_model_nparams(m), nb = gt_model_nbuffers(m);
    gt_model_free(m);
    ck_assert_uint_eq(np, 4 * 3 * 3 + 4 + 4 + 4 + 2 * 64 + 2);
    ck_assert_uint_eq(nb, 8);
    char want[128];

    /* the hand-made file is right, so that each refusal below is for
     * the one thing changed */
    ck_assert_msg(load_parts(&(part){spec, np, nb, 2, 0.5f, 0.25f}, &err) == GT_OK, "%s",
                  err.msg);
    ck_assert_msg(load_parts(&(part){spec, np, nb, 0, 0.5f, 0.0f}, &err) == GT_OK, "%s",
                  err.msg);

    /* no model group */
    ck_assert_int_eq(load_parts(&(part){NULL, -1, -1, 0, 0, 0}, &err), GT_EFORMAT);
    assert_has(&err, "hand.h5");
    assert_has(&err, "/model");
    /* a group without a spec */
    ck_assert_int_eq(load_parts(&(part){NULL, np, nb, 0, 0, 0}, &err), GT_EFORMAT);
    assert_has(&err, "spec");
    /* a spec that does not parse: the parser's message is passed on */
    ck_assert_int_eq(load_parts(&(part){"input 3x16\nconv 4 k3 p1\nwibble 3", np, nb, 0, 0, 0},
                                &err),
                     GT_EINVAL);
    assert_has(&err, "hand.h5");
    assert_has(&err, "line 3");
    /* params and buffers of the wrong size */
    ck_assert_int_eq(load_parts(&(part){spec, np - 1, nb, 0, 0, 0}, &err), GT_ESHAPE);
    snprintf(want, sizeof want, "/model/params has %zu values, the spec needs %zu", np - 1, np);
    assert_has(&err, want);
    assert_has(&err, "hand.h5");
    ck_assert_int_eq(load_parts(&(part){spec, np + 100, nb, 0, 0, 0}, &err), GT_ESHAPE);
    ck_assert_int_eq(load_parts(&(part){spec, np, nb + 1, 0, 0, 0}, &err), GT_ESHAPE);
    snprintf(want, sizeof want, "/model/buffers has %zu values, the spec needs %zu", nb + 1, nb);
    assert_has(&err, want);
    ck_assert_int_lt(load_parts(&(part){spec, np, -1, 0, 0, 0}, &err), 0);
    assert_has(&err, "/model/buffers");
    /* moments that do not match, or come alone */
    ck_assert_int_eq(load_parts(&(part){spec, np, nb, 1, 0, 0}, &err), GT_EFORMAT);
    assert_has(&err, "moment");
    ck_assert_int_eq(load_parts(&(part){spec, np, nb, 2, 0.5f, -1.0f}, &err), GT_ENUMERIC);
    assert_has(&err, "/model/moment2");
    /* values that are not finite */
    ck_assert_int_eq(load_parts(&(part){spec, np, nb, 0, NAN, 0}, &err), GT_ENUMERIC);
    assert_has(&err, "/model/params[1]");
    ck_assert_int_eq(load_parts(&(part){spec, np, nb, 2, INFINITY, 0}, &err), GT_ENUMERIC);
    ck_assert_int_eq(load_parts(&(part){spec, np, nb, 2, 0.5f, NAN}, &err), GT_ENUMERIC);
    assert_has(&err, "/model/moment2");
    assert_no_tmp();
}
END_TEST

/* ------------------------------------------------ writing is all or nothing */

START_TEST(abort_leaves_nothing)
{
    gt_error err;
    gt_h5 *f = NULL;
    gt_model *m = make_model(specs[1], 1);
    ck_assert_int_eq(gt_h5_create(&f, tpath("never.h5"), GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    int tmps = 0;
    ck_assert_int_eq(count_entries(&tmps), 1); /* the temporary file, beside the target */
    ck_assert_int_eq(tmps, 1);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 1, &err), GT_OK);
    gt_h5_abort(f);
    ck_assert_int_eq(count_entries(NULL), 0);
    ck_assert_int_eq(access(tpath("never.h5"), F_OK), -1);
    gt_h5_abort(NULL);

    /* a model that cannot be written leaves nothing either */
    float *p = gt_model_params(m);
    p[gt_model_nparams(m) - 1] = NAN;
    ck_assert_int_eq(gt_model_save(m, tpath("nan.h5"), 0, &err), GT_ENUMERIC);
    assert_has(&err, "/model/params");
    ck_assert_int_eq(count_entries(NULL), 0);

    /* nor does a directory that does not exist */
    ck_assert_int_eq(gt_model_save(m, tpath("no/such/dir.h5"), 0, &err), GT_EIO);
    assert_has(&err, "no/such/dir.h5");
    ck_assert_int_eq(count_entries(NULL), 0);
    gt_model_free(m);
}
END_TEST

START_TEST(failed_write_keeps_target)
{
    gt_error err;
    gt_h5 *f = NULL;
    const char *path = tpath("keep.h5");
    gt_model *m = make_model(specs[0], 1), *other = make_model(specs[3], 2), *r = NULL;
    save_ok(m, path, 1);
    size_t n0 = 0, n1 = 0;
    unsigned char *before = slurp(path, &n0), *after;
#define SAME_AS_BEFORE(what)                                                             \
    do {                                                                                 \
        after = slurp(path, &n1);                                                        \
        ck_assert_msg(n1 == n0 && memcmp(before, after, n0) == 0, "%s changed the file", \
                      what);                                                             \
        free(after);                                                                     \
        assert_no_tmp();                                                                 \
        ck_assert_int_eq(count_entries(NULL), 1);                                        \
    } while (0)

    /* an aborted write */
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", other, 1, &err), GT_OK);
    after = slurp(path, &n1); /* untouched while the temporary is written */
    ck_assert(n1 == n0 && memcmp(before, after, n0) == 0);
    free(after);
    gt_h5_abort(f);
    SAME_AS_BEFORE("an aborted write");

    /* a write that fails part way (NaN in the buffers) */
    gt_model_buffers(other)[0] = INFINITY;
    ck_assert_int_eq(gt_model_save(other, path, 1, &err), GT_ENUMERIC);
    SAME_AS_BEFORE("a failed save");

    /* a model that is not finalized */
    gt_model *raw = NULL;
    ck_assert_int_eq(gt_model_parse(&raw, specs[2], &err), GT_OK);
    ck_assert_int_eq(gt_model_save(raw, path, 0, &err), GT_EINVAL);
    gt_model_free(raw);
    SAME_AS_BEFORE("saving an unfinalized model");

    /* closing a file being written does not commit it */
    ck_assert_int_eq(gt_h5_create(&f, path, GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    gt_h5_close(f);
    SAME_AS_BEFORE("closing an uncommitted write");

    ck_assert_msg(gt_model_load(&r, path, 2, &err) == GT_OK, "%s", err.msg);
    assert_same_floats(gt_model_params(r), gt_model_params(m), gt_model_nparams(m), "params");
    gt_model_free(r);

    /* a commit that cannot rename: the temporary goes, the target stays */
    const char *dir = tpath("adir");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(gt_h5_create(&f, dir, GT_MODEL_FORMAT, 1, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_write_model(f, "model", m, 0, &err), GT_OK);
    ck_assert_int_eq(gt_h5_commit(f, &err), GT_EIO);
    assert_has(&err, "adir");
    struct stat st;
    ck_assert(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_int_eq(rmdir(dir), 0);
    SAME_AS_BEFORE("a failed commit");
#undef SAME_AS_BEFORE
    free(before);
    gt_model_free(other);
    gt_model_free(m);
}
END_TEST

START_TEST(commit_replaces_and_leaves_no_tmp)
{
    gt_error err;
    const char *path = tpath("ckpt.h5");
    gt_model *r = NULL;
    for (int k = 0; k < 3; k++) {
        gt_model *m = make_model(specs[k], 50 + (uint64_t)k);
        save_ok(m, path, k & 1);
        ck_assert_int_eq(count_entries(NULL), 1);
        assert_no_tmp();
        ck_assert_msg(gt_model_load(&r, path, 1, &err) == GT_OK, "%s", err.msg);
        char *s1 = spec_text(m), *s2 = spec_text(r);
        ck_assert_str_eq(s1, s2);
        assert_same_floats(gt_model_params(r), gt_model_params(m), gt_model_nparams(m),
                           "params");
        free(s1);
        free(s2);
        gt_model_free(r);
        gt_model_free(m);
    }
    /* a new file gets ordinary permissions, not mkstemp's 0600 */
    mode_t old = umask(022);
    gt_model *m = make_model(specs[0], 1);
    save_ok(m, tpath("perm.h5"), 0);
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(tpath("perm.h5"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    /* an existing file keeps its permissions */
    ck_assert_int_eq(chmod(tpath("perm.h5"), 0640), 0);
    save_ok(m, tpath("perm.h5"), 0);
    ck_assert_int_eq(stat(tpath("perm.h5"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    /* a relative path works (temporary beside it, in the working directory) */
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(tdir), 0);
    int rc = gt_model_save(m, "rel.h5", 0, &err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(rc == GT_OK, "%s", err.msg);
    ck_assert_int_eq(access(tpath("rel.h5"), R_OK), 0);
    assert_no_tmp();
    gt_model_free(m);
}
END_TEST

GTT_SUITE(gt_test_h5_suite)
{
    Suite *s = suite_create("h5");
    TCase *tc = tcase_create("files");
    tcase_add_unchecked_fixture(tc, setup_root, teardown_root);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, attrs_and_floats_round_trip);
    tcase_add_test(tc, reads_variable_length_strings);
    tcase_add_loop_test(tc, model_round_trip, 0, 2 * NSPECS);
    tcase_add_test(tc, models_in_groups);
    tcase_add_test(tc, layer_view_shapes);
    tcase_add_test(tc, layer_view_not_read);
    tcase_add_test(tc, refuses_newer_major_version);
    tcase_add_test(tc, refuses_other_format);
    tcase_add_test(tc, refuses_non_hdf5);
    tcase_add_test(tc, refuses_truncated);
    tcase_add_test(tc, refuses_bad_contents);
    tcase_add_test(tc, abort_leaves_nothing);
    tcase_add_test(tc, failed_write_keeps_target);
    tcase_add_test(tc, commit_replaces_and_leaves_no_tmp);
    suite_add_tcase(s, tc);
    return s;
}
