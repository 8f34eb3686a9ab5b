/*
 * gantry/labels.h - labelled intervals from files, and marking them on a
 * recording's label tracks.
 *
 *   interval CSV:   `start,end[,class]` per line (a header line is skipped);
 *                   start and end are timestamps (any gantry/timefmt.h format)
 *                   or, for recordings without time, sample indices.
 *   NAB windows:    labels/combined_windows.json, {"dir/file.csv": [[start,
 *                   end], ...], ...}; keys name the data files relative to
 *                   NAB's data/ folder.
 */
#ifndef GANTRY_LABELS_H
#define GANTRY_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_interval {
    int64_t start, end;  /* ns since the epoch, or sample indices (is_index) */
    int is_index;
    char cls[64];        /* label track name: the class, or "anomaly" */
    char key[256];       /* NAB: the file the window belongs to; "" otherwise */
} gt_interval;

typedef struct gt_intervals {
    size_t n;
    gt_interval *v;
} gt_intervals;

/* Errors name the file and line. */
int gt_intervals_read_csv(const char *path, gt_intervals *out, gt_error *err);
int gt_intervals_read_nab(const char *path, gt_intervals *out, gt_error *err);
void gt_intervals_free(gt_intervals *iv);

/* Mark the samples of r that fall in each interval (inclusive ends) whose
 * key is "" or a suffix of `source_path` (path separators matched), on the
 * label track named by the interval's class (created when needed, also when
 * no sample falls inside).  *marked (if not NULL) gets how many intervals
 * touched r.  Time intervals need r to have time; index intervals are
 * clipped to [0, n). */
int gt_intervals_apply(const gt_intervals *iv, const char *source_path, gt_recording *r,
                       size_t *marked, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
