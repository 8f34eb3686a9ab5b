/*
 * gantry/csv.h - historian exports: delimited text tables, long or wide, read
 * into one time-aligned table.
 *
 *   long:  one reading per row, `time,tag,value[,quality]`, tags interleaved,
 *          rows in any order; pivoted so that every tag is a column and every
 *          distinct timestamp a row (a tag without a reading at a timestamp is
 *          MISSING there, value NaN).
 *   wide:  `time,tag1,tag2,...`, one row per timestamp; or no time column
 *          at all (rows are samples; the caller supplies a rate).
 *
 * Delimiter `,` `;` tab or runs of spaces (detected from the first lines unless
 * given: the one of tab ; , that every sampled line has equally often, else
 * runs of blanks); fields may be "quoted" ("" inside quotes is a quote; a
 * quoted field cannot span lines); blanks around fields are ignored.  A header
 * row (detected: a first row of text only, or one with text where the next row
 * has numbers or times) names the columns, else they are c1, c2, ...; decimal
 * comma on request.  Columns with an empty header name (a pandas index) are
 * ignored.  Per-row label columns (by default those named anomaly,
 * changepoint, label, is_anomaly: 0/1, any number (non-zero is 1), true/false,
 * yes/no, empty is 0) become label tracks, not channels.  A UTF-8 BOM, CRLF
 * line ends, blank lines and a missing final newline are accepted.
 *
 * Time column (unless given): the first column named time, timestamp, date,
 * datetime, date_time, ts, utc... (a trailing " (unit)" ignored); else, when
 * time_format is epoch s/ms, the first column; else the first column whose
 * values are ISO 8601 or dotted dates.  Bare numbers are never taken for
 * times by themselves (C-MAPSS's unit column is not a time).
 *
 * Layout (AUTO): long when some column holds text only (not numbers, not
 * times, not quality words) - the tag column - and either it is named like
 * one or there are at most two numeric columns; otherwise wide, with such
 * text columns ignored (a machine_status beside 50 sensors).  Long: columns other than
 * time, tag, value, quality and labels are ignored; an empty value is a
 * MISSING reading; a timestamp's label is the max over its readings.  Wide: a
 * column of quality words (or one named "quality" holding OPC codes) is the
 * quality of every channel of its row; an empty cell is MISSING.
 *
 * Errors name the file and line: "pump.csv:17: value 'abc' in column
 * Pressure is not a number".  Malformed rows, non-numeric values, NaN/Inf,
 * values beyond float32, timestamps that go backwards (wide) and duplicate
 * timestamps (wide: the same time twice; long: the same tag and time twice,
 * naming both lines) are errors, or with skip_bad, skipped and counted (the
 * message of the earliest skipped line is kept).  A wide row's time order is
 * checked after its values, so a row with both faults reports the value.
 * Results (and messages) do not depend on the thread count.
 */
#ifndef GANTRY_CSV_H
#define GANTRY_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/timefmt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_csv_layout { GT_CSV_AUTO = 0, GT_CSV_LONG, GT_CSV_WIDE } gt_csv_layout;

typedef struct gt_csv_opts {
    gt_csv_layout layout;   /* AUTO: long when there is a text tag column */
    char delim;             /* 0: detect; ',' ';' '\t' or ' ' (runs of blanks) */
    int decimal_comma;      /* "3,14" is 3.14 (needs a delimiter other than ',') */
    int header;             /* -1 detect, 0 no header row, 1 a header row */
    const char *time_col;   /* name or 1-based number; NULL: detect (a column
                             * named time/timestamp/date/datetime..., or the
                             * first column if its values parse as times);
                             * "none": no time column */
    gt_time_format time_format;
    /* Long layout: column names or 1-based numbers; NULL: detect by name
     * (tag/tagname/name/point/sensor, value/val, quality/status/q) or, failing
     * that, position (time, tag, value, quality). */
    const char *tag_col, *value_col, *quality_col;
    const char *label_cols; /* comma-separated names; NULL: the default list;
                             * "" : none */
    int skip_bad;           /* row errors become counted warnings */
} gt_csv_opts;

/* The defaults above (everything detected). */
gt_csv_opts gt_csv_opts_default(void);

typedef struct gt_table {
    gt_csv_layout layout;   /* what the file was */
    char delim;             /* what was used */
    size_t nrows;           /* rows of the table (distinct timestamps) */
    int ncols;              /* channels */
    char **names;           /* ncols */
    int64_t *time_ns;       /* nrows, ascending; NULL without a time column */
    float *values;          /* ncols * nrows, column-major; NaN where MISSING */
    uint8_t *quality;       /* ncols * nrows, gt_quality codes */
    int nlabels;
    char **label_names;     /* nlabels */
    uint8_t *labels;        /* nlabels * nrows, column-major, 0/1 */
    size_t lines;           /* data lines read (header and blank lines excluded) */
    size_t skipped;         /* lines skipped under skip_bad */
    char first_skip[300];   /* the message for the first skipped line */
} gt_table;

/* Read a file (mapped, parsed on gt_threads_get() threads). */
int gt_csv_read(const char *path, const gt_csv_opts *o, gt_table **out, gt_error *err);
/* Parse a buffer; `name` is used in messages.  *out is NULL on failure. */
int gt_csv_parse(const char *buf, size_t len, const char *name, const gt_csv_opts *o,
                 gt_table **out, gt_error *err);
void gt_table_free(gt_table *t);

/* Quality words and codes -> gt_quality, or -1 if not recognised.  Empty is
 * GOOD; Good/OK/Valid/192..255 GOOD; Uncertain/Questionable/Substituted/
 * Manual/64..191 UNCERTAIN; Bad/"I/O Timeout"/"Comm Fail"/Shutdown/
 * "Not Connected"/"Out of Service"/"Device Failure"/"Sensor Failure"/
 * "Configure"/"Scan Off"/"Calc Failed"/"No Data"/0..63 BAD (case-insensitive). */
int gt_quality_parse(const char *s, size_t len);

/* Resampling onto a regular grid of step_ns from the first to the last
 * timestamp (aligned to a multiple of step_ns since the epoch; at most 2^27
 * points, else GT_EINVAL).  Each grid point takes the readings in [t, t + step)
 * from GOOD/UNCERTAIN samples (and INTERP ones, when resampling again):
 *   HOLD    the last reading at or before the end of the bin, else held from before
 *   LINEAR  linear interpolation between the readings around t (the bin's
 *           first reading when there is none before t)
 *   MEAN    the mean of the bin's readings (empty bins: held, as HOLD)
 * A point with readings of its own keeps their worst quality (GOOD or
 * UNCERTAIN); one filled from neighbours is INTERP; one whose bin held only
 * BAD readings is BAD (value filled as INTERP would be); one further than
 * max_gap_ns (0: no limit) from any good reading, or before the first one,
 * is MISSING (NaN) - max_gap_ns applies to filled points only.  Label tracks
 * take the max over the bin (HOLD for empty bins).  Replaces t's arrays;
 * t->time_ns becomes the grid.  GT_EINVAL without a time column. */
typedef enum gt_resample_method { GT_RESAMPLE_HOLD = 0, GT_RESAMPLE_LINEAR, GT_RESAMPLE_MEAN } gt_resample_method;
int gt_table_resample(gt_table *t, int64_t step_ns, gt_resample_method m, int64_t max_gap_ns,
                      gt_error *err);

/* Append b's rows to a.  b's columns and label tracks must be among a's
 * (matched by name, in any order; a new one is GT_ESHAPE and a is left
 * unchanged); a column b lacks is MISSING in the appended rows.  Rows of b at
 * or before a's last time are an overlap: they are dropped and counted in
 * *overlap (first and last dropped time in *ov_first, *ov_last, when not
 * NULL).  b's lines and skipped counts are added to a's. */
int gt_table_append(gt_table *a, const gt_table *b, size_t *overlap, int64_t *ov_first,
                    int64_t *ov_last, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
