/* Status codes, error messages and the engine's thread count. */
#include "gantry/common.h"
#include "gantry/version.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include <cblas.h>
#include <omp.h>

static const char *const status_names[] = {
    "success",
    "out of memory",
    "invalid argument",
    "input/output error",
    "bad file format",
    "unsupported format version",
    "shape mismatch",
    "non-finite number",
};
static_assert(sizeof status_names / sizeof status_names[0] == GT_ERROR_COUNT,
              "every status code needs a name");

const char *gt_strerror(int status)
{
    if (status > 0 || -status >= GT_ERROR_COUNT)
        return "unknown error";
    return status_names[-status];
}

int gt_error_set(gt_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int thread_count = 0;

void gt_threads_set(int n)
{
    if (n <= 0)
        n = omp_get_num_procs();
    thread_count = n;
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
}

int gt_threads_get(void)
{
    return thread_count > 0 ? thread_count : omp_get_max_threads();
}

const char *gt_version(void)
{
    return GT_VERSION_STRING;
}
