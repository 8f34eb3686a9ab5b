/* Small SVG line plots. */
#include <math.h>

#include "svg.h"

/* Legend text stays legible over lines and bands. */
#define HALO " stroke='white' stroke-width='3' paint-order='stroke'"

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
    if (!isfinite(v))
        return NAN;
    return logy ? log10(fmax(v, 1e-12)) : v;
}

/* XML-escape text into the document. */
static void put_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(*s, f);
        }
    }
}

void svg_text(FILE *f, double x, double y, const char *text)
{
    fprintf(f, "<text x='%g' y='%g'>", x, y);
    put_text(f, text);
    fputs("</text>\n", f);
}

void svg_panel(FILE *f, double x, double y, double w, double h, const char *title,
               const char *xlabel, const svg_series *s, int ns, int logy, double x0,
               double xscale)
{
    svg_panel_banded(f, x, y, w, h, title, xlabel, s, ns, NULL, 0, logy, x0, xscale);
}

void svg_panel_banded(FILE *f, double x, double y, double w, double h, const char *title,
                      const char *xlabel, const svg_series *s, int ns, const svg_band *b, int nb,
                      int logy, double x0, double xscale)
{
    double lo = INFINITY, hi = -INFINITY;
    int n = 0;
    for (int k = 0; k < ns; k++) {
        if (s[k].n > n)
            n = s[k].n;
        for (int i = 0; i < s[k].n; i++) {
            double v = value(&s[k], i, logy);
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    }
    if (!isfinite(lo))
        lo = hi = 0;
    if (!(hi > lo))
        hi = lo + 1;
    double px = x + 50, py = y + 25, pw = w - 70, ph = h - 60;
    const double step = pw / (n > 1 ? n - 1 : 1);
    fprintf(f, "<text x='%g' y='%g' font-weight='bold'>", px, y + 15);
    put_text(f, title);
    fputs("</text>\n", f);
    for (int k = 0; k < nb; k++) {
        for (int i = 0; i < b[k].n;) {
            if (!b[k].on[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < b[k].n && b[k].on[j])
                j++;
            double a = px + step * (i - 0.5), e = px + step * (j - 0.5);
            a = fmax(a, px);
            e = fmin(e, px + pw);
            fprintf(f, "<rect x='%.1f' y='%g' width='%.1f' height='%g' fill='%s' "
                       "fill-opacity='0.25'/>\n",
                    a, py + (k % 2 ? ph / 2 : 0), fmax(e - a, 0.5), ph / (nb > 1 ? 2 : 1),
                    b[k].color);
            i = j;
        }
        fprintf(f, "<text x='%g' y='%g' fill='%s'%s>", px + 8, py + 15 + 14 * k, b[k].color,
                HALO);
        put_text(f, b[k].label);
        fputs("</text>\n", f);
    }
    fprintf(f, "<rect x='%g' y='%g' width='%g' height='%g' fill='none' stroke='#999'/>\n", px, py,
            pw, ph);
    fprintf(f, "<text x='%g' y='%g' text-anchor='middle'>", px + pw / 2, py + ph + 32);
    put_text(f, xlabel);
    fputs("</text>\n", f);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4, yy = py + ph - ph * t / 4;
        fprintf(f, "<text x='%g' y='%g' text-anchor='end' font-size='10'>%.3g</text>\n", px - 4,
                yy + 4, logy ? pow(10.0, v) : v);
        double xv = x0 + (n - 1) * xscale * t / 4;
        fprintf(f, "<text x='%g' y='%g' text-anchor='middle' font-size='10'>%.3g</text>\n",
                px + pw * t / 4, py + ph + 14, xv);
    }
    for (int k = 0; k < ns; k++) {
        int open = 0;
        for (int i = 0; i < s[k].n; i++) {
            double v = value(&s[k], i, logy);
            if (!isfinite(v)) {
                if (open)
                    fputs("'/>\n", f);
                open = 0;
                continue;
            }
            if (!open)
                fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.2' points='",
                        s[k].color);
            open = 1;
            fprintf(f, "%.1f,%.1f ", px + step * i, py + ph - ph * (v - lo) / (hi - lo));
        }
        if (open)
            fputs("'/>\n", f);
        fprintf(f, "<text x='%g' y='%g' fill='%s'%s>", px + pw - 150, py + 15 + 14 * k,
                s[k].color, HALO);
        put_text(f, s[k].label);
        fputs("</text>\n", f);
    }
}
