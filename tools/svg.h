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

/* One panel of line plots at (x, y) of size w x h in an open SVG document;
 * a log axis when logy.  Point i is drawn at x0 + i * xscale. */
void svg_panel(FILE *f, double x, double y, double w, double h, const char *title,
               const char *xlabel, const svg_series *s, int ns, int logy, double x0,
               double xscale);
void svg_begin(FILE *f, double w, double h);
void svg_end(FILE *f);

#endif
