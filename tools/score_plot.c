/* The score plot: downsampled per recording to a panel of at most BINS
 * points (the largest score in a bin, so that no peak is lost; the lowest
 * threshold; a bin flagged or labelled when any of its samples is). */
#include <math.h>
#include <stdlib.h>

#include "score_plot.h"
#include "svg.h"
#include "tool.h"

enum { BINS = 1200, WIDTH = 1000, HEIGHT = 200 };

void score_plot_begin(FILE *f, int nrec)
{
    int np = nrec < SCORE_PLOT_MAX ? nrec : SCORE_PLOT_MAX;
    svg_begin(f, WIDTH, (double)np * HEIGHT + (nrec > np ? 24 : 0));
}

int score_plot_panel(FILE *f, int k, const gt_recording *r, const float *score, const float *thr,
                     const uint8_t *flag, size_t nevents, size_t nflag)
{
    if (k >= SCORE_PLOT_MAX)
        return 0;
    const size_t n = r->n;
    const size_t per = n > BINS ? (n + BINS - 1) / BINS : 1;
    const int nb = (int)((n + per - 1) / per);
    float *s = malloc((size_t)nb * sizeof *s), *t = malloc((size_t)nb * sizeof *t);
    uint8_t *fl = malloc((size_t)nb), *lab = malloc((size_t)nb);
    if (!s || !t || !fl || !lab) {
        free(s);
        free(t);
        free(fl);
        free(lab);
        return tool_fail("out of memory");
    }
    const uint8_t *truth = r->nlabels ? r->labels : NULL;
    for (int b = 0; b < nb; b++) {
        size_t i0 = (size_t)b * per, i1 = i0 + per < n ? i0 + per : n;
        float hi = NAN, lo = NAN;
        fl[b] = lab[b] = 0;
        for (size_t i = i0; i < i1; i++) {
            if (isfinite(score[i]) && !(score[i] <= hi))
                hi = score[i];
            if (thr && isfinite(thr[i]) && !(thr[i] >= lo))
                lo = thr[i];
            fl[b] |= flag[i] != 0;
            lab[b] |= truth && truth[i];
        }
        s[b] = hi;
        t[b] = lo;
    }
    char title[512];
    snprintf(title, sizeof title, "%s: %zu event%s, %.1f %% of samples flagged", r->name, nevents,
             nevents == 1 ? "" : "s", n ? 100.0 * (double)nflag / (double)n : 0.0);
    svg_series ser[2] = {{"score", "#1f77b4", s, nb}, {"threshold", "#d62728", t, nb}};
    char lab_name[160];
    snprintf(lab_name, sizeof lab_name, "labelled (%s)", truth ? r->label_names[0] : "");
    svg_band band[2] = {{"flagged", "#d62728", fl, nb}, {lab_name, "#2ca02c", lab, nb}};
    const int timed = r->rate_hz > 0;
    svg_panel_banded(f, 0, (double)k * HEIGHT, WIDTH, HEIGHT, title,
                     timed ? "seconds from the recording's start" : "sample", ser, thr ? 2 : 1,
                     band, truth ? 2 : 1, 0, 0.0, timed ? (double)per / r->rate_hz : (double)per);
    free(s);
    free(t);
    free(fl);
    free(lab);
    return 0;
}

void score_plot_end(FILE *f, int nrec)
{
    if (nrec > SCORE_PLOT_MAX) {
        char note[128];
        snprintf(note, sizeof note, "(%d more recordings not plotted: see the scores file)",
                 nrec - SCORE_PLOT_MAX);
        svg_text(f, 50, (double)SCORE_PLOT_MAX * HEIGHT + 16, note);
    }
    svg_end(f);
}
