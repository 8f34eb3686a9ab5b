/*
 * gantry/timefmt.h - timestamps and durations as historians write them.
 *
 * Times are int64 nanoseconds since 1970-01-01T00:00:00 UTC.
 */
#ifndef GANTRY_TIMEFMT_H
#define GANTRY_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_time_format {
    GT_TIME_AUTO = 0,  /* decided from the first value, then held */
    GT_TIME_ISO,       /* 2024-01-02T03:04:05[.fff...][Z|+hh:mm|-hhmm|+hh], also
                        * with a space for the T, ',' for the '.', 1..9
                        * fraction digits, HH:MM without seconds, and
                        * date-only 2024-01-02; years 1678..2261 */
    GT_TIME_DOTTED,    /* 2003.10.22.12.06.24 (IMS) */
    GT_TIME_EPOCH_S,   /* seconds since the epoch, fractions allowed */
    GT_TIME_EPOCH_MS   /* milliseconds since the epoch */
} gt_time_format;

/* Parse s[0..len) in format fmt (GT_TIME_AUTO: any of them; a bare number is
 * epoch seconds below 1e11 and milliseconds above).  Times without a zone are
 * UTC.  Returns GT_OK or GT_EFORMAT (no message: the caller names the line). */
int gt_time_parse(const char *s, size_t len, gt_time_format fmt, int64_t *ns);
/* The format a value is in (GT_TIME_AUTO when none fits). */
gt_time_format gt_time_detect(const char *s, size_t len);
/* "2024-01-02T03:04:05Z", with as many fraction digits as needed (up to 9). */
void gt_time_format_iso(int64_t ns, char *buf, size_t cap);
/* Durations: "250ms", "1s", "1.5s", "5min", "2h", "1d", "100us", "10ns"
 * (also sec, m, hr, day, a blank before the unit); a bare number is seconds;
 * not negative.  GT_EINVAL with a message on anything else. */
int gt_duration_parse(const char *s, int64_t *ns, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
