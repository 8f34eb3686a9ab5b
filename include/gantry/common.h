/*
 * gantry/common.h - status codes, error reports, threads.
 *
 * Every fallible library function returns an int: GT_OK (0) on success or a
 * negative GT_E* code.  Functions that can say more take a `gt_error *err`
 * (which may be NULL) and fill it with a one-line message that names the file,
 * dataset or argument at fault.  The library never prints and never exits.
 */
#ifndef GANTRY_COMMON_H
#define GANTRY_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  Keep gt_strerror() in step (a static_assert checks it). */
enum {
    GT_OK = 0,
    GT_ENOMEM = -1,   /* allocation failed */
    GT_EINVAL = -2,   /* invalid argument or specification */
    GT_EIO = -3,      /* file could not be read or written */
    GT_EFORMAT = -4,  /* file is not in the expected format */
    GT_EVERSION = -5, /* file format version not supported */
    GT_ESHAPE = -6,   /* shapes do not fit together */
    GT_ENUMERIC = -7, /* NaN or Inf met where numbers were expected */
    GT_ERROR_COUNT = 8
};

/* A short static description of a status code. */
const char *gt_strerror(int status);

/* A status plus a message; filled by functions that take one. */
typedef struct gt_error {
    int code;
    char msg[512];
} gt_error;

/* Set err (if not NULL) to code and a printf-style message; returns code. */
int gt_error_set(gt_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Threads used by the engine: OpenBLAS's GEMM and gantry's own loops.
 * n <= 0 means "all cores".  Results are deterministic for a fixed count.
 */
void gt_threads_set(int n);
int gt_threads_get(void);

#ifdef __cplusplus
}
#endif
#endif
