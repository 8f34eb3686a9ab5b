/* Internals shared by csv.c, timefmt.c, resample.c and the tests. */
#ifndef GANTRY_CSV_INTERNAL_H
#define GANTRY_CSV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/csv.h"
#include "gantry/timefmt.h"

/* The previous row's date, so that rows of one day compute it once. */
typedef struct gt__time_cache {
    char date[10];
    int date_ok;
    int64_t days;
} gt__time_cache;

int64_t gt__days_from_civil(int64_t y, unsigned m, unsigned d);
/* ISO 8601 (see timefmt.h), with an optional cache (may be NULL). */
int gt__time_iso(const char *s, size_t n, int64_t *ns, gt__time_cache *c);
int gt__time_parse_c(const char *s, size_t n, gt_time_format fmt, int64_t *ns,
                     gt__time_cache *c);

/* Number parsing: the result equals (float)strtod(text).  Returns 0, or
 * GT__NUM_BAD (not a number), GT__NUM_NONFINITE (nan/inf written out),
 * GT__NUM_RANGE (beyond float32). */
enum { GT__NUM_BAD = 1, GT__NUM_NONFINITE = 2, GT__NUM_RANGE = 3 };
int gt__parse_f32(const char *s, size_t n, int decimal_comma, float *out);

/* gt_csv_parse with the data split into exactly `nchunks` parts (threads
 * permitting), so that tests can exercise the merge on small inputs. */
int gt__csv_parse_chunked(const char *buf, size_t len, const char *name, const gt_csv_opts *o,
                          int nchunks, gt_table **out, gt_error *err);

/* An empty table (arrays NULL) or NULL. */
gt_table *gt__table_new(void);

#endif
