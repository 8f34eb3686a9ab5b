/*
 * Shared test helpers: fixture files written by tests/reference/, numeric
 * comparisons that report the largest difference, central finite differences,
 * and where the real datasets live.
 */
#ifndef GANTRY_TESTUTIL_H
#define GANTRY_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "gantry/rng.h"

/* True when GT_TEST_QUICK is set (the sanitizer run): tests may use smaller
 * sizes or fewer iterations, never fewer assertions. */
int gtt_quick(void);

/* Define a suite constructor; tests/main.c runs every one (the Makefile
 * collects them): GTT_SUITE(gt_test_foo_suite) { Suite *s = ...; return s; } */
#define GTT_SUITE(fn) Suite *fn(void); Suite *fn(void)

/* ------------------------------------------------------------ fixtures */
/*
 * A fixture file (tests/fixtures/NAME.gtfx, written by
 * tests/reference/make_fixtures.py) holds named float32 arrays:
 *   "GTFX" u32 version(1) u32 count, then per array:
 *   u32 name_len, name bytes, u32 ndim, u32 dims[ndim], float32 data[prod].
 * Everything little-endian.
 */
typedef struct gtt_array {
    char name[64];
    int ndim;
    int dims[8];
    size_t n;
    float *data;
} gtt_array;

typedef struct gtt_fixture {
    int count;
    gtt_array *arrays;
} gtt_fixture;

/* Load tests/fixtures/<name>.gtfx (directory overridable with
 * GANTRY_FIXTURES); fails the running test with a message if it cannot. */
gtt_fixture *gtt_fixture_load(const char *name);
/* The array called `name`; fails the test if absent. Sets *n if not NULL. */
const float *gtt_fixture_get(const gtt_fixture *fx, const char *name, size_t *n);
/* The array record called `name` (shape included); fails the test if absent. */
const gtt_array *gtt_fixture_array(const gtt_fixture *fx, const char *name);
/* 1 if the fixture has an array of that name. */
int gtt_fixture_has(const gtt_fixture *fx, const char *name);
void gtt_fixture_free(gtt_fixture *fx);

/* --------------------------------------------------------- comparisons */
/*
 * Largest violation of |a - b| <= atol + rtol * |b| over n values, as a ratio
 * (<= 1 means all within tolerance).  *where gets the worst index.
 */
double gtt_close_ratio(const float *a, const float *b, size_t n, double atol,
                       double rtol, size_t *where);
/* ck_assert that a and b are close; names what failed and the worst pair. */
#define gtt_assert_close(a, b, n, atol, rtol, what)                              \
    do {                                                                         \
        size_t gtt_w_ = 0;                                                       \
        double gtt_r_ = gtt_close_ratio((a), (b), (n), (atol), (rtol), &gtt_w_); \
        ck_assert_msg(gtt_r_ <= 1.0,                                             \
                      "%s: index %zu: got %.7g want %.7g (ratio %.3g to tol)",   \
                      (what), gtt_w_, (double)(a)[gtt_w_], (double)(b)[gtt_w_],  \
                      gtt_r_);                                                   \
    } while (0)

/* Compare against a reference with atol 1e-5 scaled by the reference's
 * largest magnitude (at least 1) and rtol 1e-4; `cname` and `what` name the
 * case and the array in the failure message. */
void gtt_check_scaled(const float *got, const float *want, size_t n, const char *cname,
                      const char *what);

/* malloc that fails the test instead of returning NULL (n may be 0). */
float *gtt_falloc(size_t n);
void gtt_fill_const(float *x, size_t n, float v);

/* (N, C, HW) sample-major (PyTorch) <-> (C, N, HW) channel-major (engine). */
void gtt_to_cnhw(float *dst, const float *src, int N, int C, int HW);
void gtt_from_cnhw(float *dst, const float *src, int N, int C, int HW);

/* Deterministic test data. */
void gtt_fill(float *x, size_t n, uint64_t seed, float scale);

/* ---------------------------------------------------- finite differences */
/*
 * Central-difference check of an analytic gradient.  loss(ctx) must recompute
 * a scalar loss (accumulate it in double) from the current contents of x.
 * For up to max_coords coordinates of x (all if n <= max_coords, otherwise a
 * seeded random subset), compares (loss(x + h e_i) - loss(x - h e_i)) / 2h
 * with grad[i].  Returns the worst ratio of |fd - grad| to
 * atol + rtol * max(|fd|, |grad|); *where gets the coordinate.
 * x is restored.
 */
double gtt_fd_check(double (*loss)(void *ctx), void *ctx, float *x,
                    const float *grad, size_t n, float h, size_t max_coords,
                    double atol, double rtol, size_t *where, double *fd_out,
                    uint64_t seed);

#define gtt_assert_fd(loss, ctx, x, grad, n, h, atol, rtol, what)               \
    do {                                                                        \
        size_t gtt_w_ = 0;                                                      \
        double gtt_fd_ = 0;                                                     \
        double gtt_r_ = gtt_fd_check((loss), (ctx), (x), (grad), (n), (h), 64,  \
                                     (atol), (rtol), &gtt_w_, &gtt_fd_, 1234);  \
        ck_assert_msg(gtt_r_ <= 1.0,                                            \
                      "%s: d/dx[%zu]: analytic %.7g, finite difference %.7g",   \
                      (what), gtt_w_, (double)(grad)[gtt_w_], gtt_fd_);         \
    } while (0)

/* ------------------------------------------------------------- spectra */
/* Segment length of gtt_mean_envelope. */
#define GTT_ENV_SEG 8192
/* Mean envelope spectrum (GTT_ENV_SEG / 2 + 1 bins) over half-overlapping
 * segments of x (n samples at rate Hz), band-passed to [lo, hi] (0, 0: all). */
void gtt_mean_envelope(float *acc, const float *x, size_t n, double rate, double lo, double hi);
/* How far the strongest of the first three harmonics of f (+-1 bin) stands
 * above the median of the envelope spectrum between 10 and 500 Hz. */
double gtt_prominence(const float *acc, double rate, double f);

/* ------------------------------------------------------------ datasets */
/*
 * Path of a file under the shared datasets (GANTRY_DATASETS, default
 * ../shared/datasets).  Returns 0 and fills buf if it exists; otherwise fails
 * the test when CI=true, or returns -1 after printing a skip message.
 */
int gtt_dataset_path(char *buf, size_t cap, const char *relpath);

/* ------------------------------------------------------- the gantry tool */
/* The gantry binary under test: GANTRY_TOOL (the Makefile sets it), default
 * build/gantry. */
const char *gtt_tool(void);
/* Run `gantry ARGS` (a shell command line: quote what needs it), capturing
 * stdout and stderr into out (NUL-terminated); returns the exit status. */
int gtt_tool_run(char *out, size_t cap, const char *args);
/* The same with the arguments formatted as printf does. */
int gtt_tool_runf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A fresh directory under /tmp (malloc'd path) and its removal. */
char *gtt_tmpdir(void);
void gtt_rmdir(const char *dir);
/* Files in dir whose name contains ".tmp-" (left-over temporary outputs). */
int gtt_count_tmp_files(const char *dir);
/* Write text to a file (fails the test if it cannot). */
void gtt_write_file(const char *path, const char *text);

#endif
