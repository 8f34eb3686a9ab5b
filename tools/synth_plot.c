/* gantry synth's picture (synth_plot.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "synth_plot.h"
#include "tool.h"

int synth_rows_add(synth_rows *r, const float *x, size_t n)
{
    const size_t L = r->len;
    size_t k = n / L;
    if (r->n + k > SYNTH_PLOT_MAX)
        k = SYNTH_PLOT_MAX - r->n;
    if (!k)
        return 0;
    float *v = realloc(r->x, (r->n + k) * L * sizeof *v);
    if (!v)
        return tool_fail("out of memory");
    r->x = v;
    for (size_t i = 0; i < k; i++) {
        const float *w = x + i * L;
        int finite = 1;
        for (size_t j = 0; j < L && finite; j++)
            finite = isfinite(w[j]);
        if (finite)
            memcpy(r->x + r->n++ * L, w, L * sizeof *w);
    }
    return 0;
}

int synth_rows_from_store(synth_rows *r, const char *path, const char *cls, const char *channel)
{
    gt_error err = {0};
    gt_store *st = NULL;
    if (gt_store_open(&st, path, &err) < 0)
        return tool_fail_err(&err);
    int rc = 0, used = 0;
    for (int i = 0; i < gt_store_count(st) && !rc && r->n < SYNTH_PLOT_MAX; i++) {
        gt_recording *rec = NULL;
        if (gt_store_read(st, gt_store_name(st, i), &rec, &err) < 0) {
            rc = tool_fail_err(&err);
            break;
        }
        if (!cls || !cls[0] || (rec->cls && !strcmp(rec->cls, cls))) {
            int ch = -1;
            for (int c = 0; c < rec->nch && ch < 0; c++)
                if (!strcmp(rec->channels[c], channel))
                    ch = c;
            if (ch < 0)
                rc = tool_fail("--compare %s: recording %s has no channel %s", path, rec->name,
                               channel);
            else {
                used++;
                rc = synth_rows_add(r, rec->values + (size_t)ch * rec->n, rec->n);
            }
        }
        gt_recording_free(rec);
    }
    gt_store_close(st);
    if (!rc && !used)
        rc = tool_fail("--compare %s: no recording of class %s", path, cls);
    else if (!rc && !r->n)
        rc = tool_fail("--compare %s: no whole window of %zu good samples", path, r->len);
    return rc;
}

void synth_rows_free(synth_rows *r)
{
    free(r->x);
    r->x = NULL;
    r->n = 0;
}

int synth_plot_write(FILE *f, const synth_rows *syn, const synth_rows *real, double rate_hz,
                     const char *title, const char *real_label)
{
    const int L = (int)syn->len, nb = L / 2 + 1;
    const int has_real = real && real->n > 0;
    float *ps = malloc((size_t)nb * sizeof *ps), *pr = malloc((size_t)nb * sizeof *pr);
    int rc = !ps || !pr ? tool_fail("out of memory") : 0;
    gt_error err = {0};
    if (!rc && (gt_power_spectrum_mean(ps, syn->x, (int)syn->n, L, &err) < 0 ||
                (has_real && gt_power_spectrum_mean(pr, real->x, (int)real->n, L, &err) < 0)))
        rc = tool_fail_err(&err);
    if (!rc) {
        char t1[320], t2[320];
        snprintf(t1, sizeof t1, "%s: mean power spectrum (log scale), %zu synthetic%s windows",
                 title, syn->n, has_real ? " and real" : "");
        snprintf(t2, sizeof t2, "%s: windows", title);
        svg_begin(f, 900, 600);
        /* Leave out the mean (bin 0): each window's mean is removed. */
        svg_series spec[2] = {{"synthetic", "#d62728", ps + 1, nb - 1},
                              {real_label, "#1f77b4", pr + 1, nb - 1}};
        const double bin = rate_hz > 0 ? rate_hz / L : 1.0;
        svg_panel(f, 0, 0, 900, 300, t1, rate_hz > 0 ? "Hz" : "cycles per window", spec,
                  has_real ? 2 : 1, 1, bin, bin);
        svg_series w[3];
        int nw = 0;
        const char *col[2] = {"#d62728", "#ff9896"};
        const char *lab[2] = {"synthetic 1", "synthetic 2"};
        for (size_t i = 0; i < syn->n && i < 2; i++, nw++)
            w[nw] = (svg_series){lab[i], col[i], syn->x + i * syn->len, L};
        if (has_real)
            w[nw++] = (svg_series){real_label, "#1f77b4", real->x, L};
        svg_panel(f, 0, 300, 900, 300, t2, rate_hz > 0 ? "seconds" : "sample", w, nw, 0, 0.0,
                  rate_hz > 0 ? 1.0 / rate_hz : 1.0);
        svg_end(f);
    }
    free(ps);
    free(pr);
    return rc;
}
