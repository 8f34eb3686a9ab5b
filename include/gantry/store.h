/*
 * gantry/store.h - the HDF5 store: sensor recordings with their quality,
 * timestamps and labels, in one file of format "gantry-store" 1.0.
 *
 * Layout (every name below is fixed; <r> is a recording's name):
 *
 *   /                         attrs format="gantry-store", format_version,
 *                             created_by ("gantry X.Y.Z")
 *   /recordings/<r>/          one recording: a source file, or one unit of it
 *       attrs  source         where it came from (file name, variable, unit)
 *              class          the recording's class ("normal", "inner_race"...)
 *                             or "" when none was given
 *              rate_hz        samples per second of the grid (nominal when the
 *                             timestamps are irregular); 0 when unknown
 *              t0             ISO 8601 UTC time of sample 0 ("" without time)
 *              rpm            shaft speed, when the source gave one
 *       signals/<channel>     float32 [n]; attr `units` ("" when unknown).
 *                             A MISSING sample holds NaN.
 *       quality/<channel>     uint8 [n], gt_quality codes; absent when every
 *                             sample is GOOD
 *       time                  int64 [n], nanoseconds since 1970-01-01 UTC, present
 *                             when the samples are not on the regular grid
 *                             t0 + i / rate_hz (irregular historian data
 *                             kept as read); absent otherwise
 *       labels/<name>         uint8 [n] per-sample label tracks: 1 where the
 *                             sample lies in a labelled interval (NAB windows,
 *                             interval files, SKAB's `anomaly` and
 *                             `changepoint` columns), 0 elsewhere
 *
 *   /images/                  inspection images (gantry/imgstore.h)
 *
 * Channels of one recording share its time axis (n samples each).  A store
 * may hold recordings, images, or both; one without /recordings/ opens with
 * 0 recordings.  A reader refuses another format or a newer major version.  Writing goes through a
 * temporary file renamed at commit (see gantry/h5.h).
 */
#ifndef GANTRY_STORE_H
#define GANTRY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_STORE_FORMAT "gantry-store"
#define GT_STORE_FORMAT_MAJOR 1
#define GT_STORE_FORMAT_MINOR 0

/* Per-sample quality, ordered from best to worst. */
typedef enum gt_quality {
    GT_Q_GOOD = 0,
    GT_Q_UNCERTAIN = 1, /* the source said "uncertain" (OPC 64..191) */
    GT_Q_INTERP = 2,    /* filled by resampling from neighbouring readings */
    GT_Q_BAD = 3,       /* the source flagged the reading bad */
    GT_Q_MISSING = 4    /* no reading: the value is NaN */
} gt_quality;
#define GT_Q_COUNT 5
/* "good", "uncertain", "interpolated", "bad", "missing". */
const char *gt_quality_name(int q);

/* One recording in memory.  Arrays are channel-major: channel c's samples
 * are values[c * n .. c * n + n - 1]. */
typedef struct gt_recording {
    char *name;          /* group name: letters, digits, '_', '-', '.' */
    char *source;
    char *cls;           /* "" when none */
    double rate_hz;      /* 0 when unknown */
    int has_t0;          /* t0_ns valid */
    int64_t t0_ns;       /* time of sample 0, ns since the epoch, UTC */
    double rpm;          /* NaN when unknown */
    size_t n;            /* samples per channel */
    int nch;
    char **channels;     /* nch names */
    char **units;        /* nch strings ("" unknown) */
    float *values;       /* nch * n */
    uint8_t *quality;    /* nch * n, or NULL: all GOOD */
    int64_t *time_ns;    /* n, or NULL: regular grid t0 + i / rate */
    int nlabels;
    char **label_names;  /* nlabels */
    uint8_t *labels;     /* nlabels * n (track-major) */
} gt_recording;

/* A recording with nch channels of n samples: names NULL-filled to be set
 * by the caller (strdup'd strings; gt_recording_free frees them), values
 * zeroed, quality/time/labels NULL, rpm NaN, cls "". */
gt_recording *gt_recording_new(const char *name, int nch, size_t n);
void gt_recording_free(gt_recording *r);
/* Add a label track (zero-filled) and return its index, or a negative code. */
int gt_recording_add_label(gt_recording *r, const char *name);
/* Ensure r->quality exists (all GOOD). */
int gt_recording_ensure_quality(gt_recording *r);
/* Time of sample i in ns (from time_ns or the grid); needs has_t0 or time_ns. */
int64_t gt_recording_time(const gt_recording *r, size_t i);
/* Index of the first sample whose time is >= t (n if none). */
size_t gt_recording_find_time(const gt_recording *r, int64_t t);
/* Sample i's timestamp as text, as the tools write it: ISO 8601 UTC
 * (gt_time_format_iso) when r has times (t0 or time_ns), else seconds from
 * the first sample ("%.9g" of i / rate) when the rate is known, else the
 * sample index.  Returns the length written (snprintf's). */
int gt_recording_timestamp(const gt_recording *r, size_t i, char *buf, size_t cap);
/* The inverse: the index of the first sample at or after the timestamp
 * s[0..len) in any of those forms (ISO or epoch times when r has times,
 * seconds or an index otherwise; r->n when past the end).  GT_EFORMAT (no
 * message) when s does not parse. */
int gt_recording_parse_timestamp(const gt_recording *r, const char *s, size_t len,
                                 size_t *index);
/* Make a name usable as an HDF5 group: other characters become '_'. */
void gt_store_sanitize_name(char *s);

typedef struct gt_store gt_store;

/* Writing: create (temporary file), add recordings, commit or abort. */
int gt_store_create(gt_store **out, const char *path, gt_error *err);
/* Refuses a duplicate name, NaN/Inf values in GOOD/UNCERTAIN/INTERP/BAD
 * samples, and non-increasing timestamps. */
int gt_store_add(gt_store *s, const gt_recording *r, gt_error *err);
int gt_store_commit(gt_store *s, gt_error *err); /* frees s */
void gt_store_abort(gt_store *s);                 /* frees s; s may be NULL */

/* Reading. */
int gt_store_open(gt_store **out, const char *path, gt_error *err);
void gt_store_close(gt_store *s); /* s may be NULL */
int gt_store_count(const gt_store *s);
const char *gt_store_name(const gt_store *s, int i); /* sorted by name */
const char *gt_store_path(const gt_store *s);
int gt_store_read(gt_store *s, const char *name, gt_recording **out, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
