/* Small SVG line plots, so results can be looked at in any browser. */
#ifndef GANTRY_SVG_H
#define GANTRY_SVG_H

#include <stdio.h>

typedef struct svg_series {
    const char *label;
    const char *color;
    const float *y;
    int n;
} svg_series;

/* Shaded spans behind a panel's lines: where on[i] is set (n points, the
 * series' spacing), a band of the given colour. */
typedef struct svg_band {
    const char *label;
    const char *color;
    const unsigned char *on;
    int n;
} svg_band;

/* One panel of line plots at (x, y) of size w x h in an open SVG document;
 * a log axis when logy.  Point i is drawn at x0 + i * xscale.  NaN points
 * break a line. */
void svg_panel(FILE *f, double x, double y, double w, double h, const char *title,
               const char *xlabel, const svg_series *s, int ns, int logy, double x0,
               double xscale);
/* The same with nb bands shaded behind the lines (b may be NULL). */
void svg_panel_banded(FILE *f, double x, double y, double w, double h, const char *title,
                      const char *xlabel, const svg_series *s, int ns, const svg_band *b, int nb,
                      int logy, double x0, double xscale);
/* Text at (x, y). */
void svg_text(FILE *f, double x, double y, const char *text);
void svg_begin(FILE *f, double w, double h);
void svg_end(FILE *f);

#endif
