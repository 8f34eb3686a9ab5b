/* The picture of `gantry score` / `gantry detect`: per recording, the score
 * over time with the threshold, the flagged samples and the labelled ones
 * (an SVG any browser shows). */
#ifndef GANTRY_SCORE_PLOT_H
#define GANTRY_SCORE_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "gantry/gantry.h"

/* At most this many recordings get a panel. */
#define SCORE_PLOT_MAX 16

/* Begin the document for nrec recordings (panels for the first
 * SCORE_PLOT_MAX). */
void score_plot_begin(FILE *f, int nrec);
/* Panel k (0-based; nothing past SCORE_PLOT_MAX) for recording r: score
 * and thr (per sample, NaN where none), flag (per sample, nflag of them
 * set), its nevents events.  The labelled samples are those of r's first
 * label track, if it has one.  Returns 0, or 1 (after a message) when out
 * of memory. */
int score_plot_panel(FILE *f, int k, const gt_recording *r, const float *score, const float *thr,
                     const uint8_t *flag, size_t nevents, size_t nflag);
/* End the document (a note when recordings were left out). */
void score_plot_end(FILE *f, int nrec);

#endif
