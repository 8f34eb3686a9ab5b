/* The picture of `gantry synth --plot`: the mean power spectrum of the
 * synthetic windows' first channel, against real windows of the class
 * from a store when one is given, and two synthetic windows and a real
 * one. */
#ifndef GANTRY_SYNTH_PLOT_H
#define GANTRY_SYNTH_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* Windows of one channel, up to SYNTH_PLOT_MAX of them. */
#define SYNTH_PLOT_MAX 512
typedef struct synth_rows {
    float *x; /* n * len */
    size_t n, len;
} synth_rows;

/* Append the whole windows of len samples in x[0..n) (consecutive, not
 * overlapping) while there is room.  0, or 1 after a message. */
int synth_rows_add(synth_rows *r, const float *x, size_t n);
/* The windows of channel `channel` in the recordings of class cls ("" or
 * NULL: all) of the store at path.  0, or 1 after a message (a missing
 * store or channel, no recording of the class). */
int synth_rows_from_store(synth_rows *r, const char *path, const char *cls, const char *channel);
void synth_rows_free(synth_rows *r);

/* The SVG: title names the class and channel; rate_hz 0: cycles per
 * window.  real may be NULL or empty.  0, or 1 after a message. */
int synth_plot_write(FILE *f, const synth_rows *syn, const synth_rows *real, double rate_hz,
                     const char *title, const char *real_label);

#endif
