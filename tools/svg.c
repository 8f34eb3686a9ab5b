/* Small SVG line plots. */
#include <math.h>

#include "svg.h"

void svg_begin(FILE *f, double w, double h)
{
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%g' height='%g' "
               "font-family='sans-serif' font-size='12'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n", w, h);
}

void svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

static double value(const svg_series *s, int i, int logy)
{
    double v = s->y[i];
    return logy ? log10(fmax(v, 1e-12)) : v;
}

void svg_panel(FILE *f, double x, double y, double w, double h, const char *title,
               const char *xlabel, const svg_series *s, int ns, int logy, double x0,
               double xscale)
{
    double lo = INFINITY, hi = -INFINITY;
    int n = 0;
    for (int k = 0; k < ns; k++) {
        if (s[k].n > n)
            n = s[k].n;
        for (int i = 0; i < s[k].n; i++) {
            double v = value(&s[k], i, logy);
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    }
    if (!(hi > lo)) {
        hi = lo + 1;
    }
    double px = x + 50, py = y + 25, pw = w - 70, ph = h - 60;
    fprintf(f, "<text x='%g' y='%g' font-weight='bold'>%s</text>\n", px, y + 15, title);
    fprintf(f, "<rect x='%g' y='%g' width='%g' height='%g' fill='none' stroke='#999'/>\n", px, py,
            pw, ph);
    fprintf(f, "<text x='%g' y='%g' text-anchor='middle'>%s</text>\n", px + pw / 2, py + ph + 32,
            xlabel);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4, yy = py + ph - ph * t / 4;
        fprintf(f, "<text x='%g' y='%g' text-anchor='end' font-size='10'>%.3g</text>\n", px - 4,
                yy + 4, logy ? pow(10.0, v) : v);
        double xv = x0 + (n - 1) * xscale * t / 4;
        fprintf(f, "<text x='%g' y='%g' text-anchor='middle' font-size='10'>%.3g</text>\n",
                px + pw * t / 4, py + ph + 14, xv);
    }
    for (int k = 0; k < ns; k++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.2' points='", s[k].color);
        for (int i = 0; i < s[k].n; i++)
            fprintf(f, "%.1f,%.1f ", px + pw * i / (n > 1 ? n - 1 : 1),
                    py + ph - ph * (value(&s[k], i, logy) - lo) / (hi - lo));
        fputs("'/>\n", f);
        fprintf(f, "<text x='%g' y='%g' fill='%s'>%s</text>\n", px + pw - 150, py + 15 + 14 * k,
                s[k].color, s[k].label);
    }
}
