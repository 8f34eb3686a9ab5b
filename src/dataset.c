/* Windows of a store's recordings for training and scoring. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/dataset.h"

gt_dataset_cfg gt_dataset_cfg_default(int window, int hop)
{
    gt_dataset_cfg c;
    memset(&c, 0, sizeof c);
    c.window = window;
    c.hop = hop;
    c.norm = GT_NORM_MINMAX;
    c.span_lo = 0.0;
    c.span_hi = 1.0;
    return c;
}

void gt_dataset_free(gt_dataset *ds)
{
    if (!ds)
        return;
    gt_names_free(ds->channels, ds->nch);
    gt_names_free(ds->units, ds->nch);
    gt_names_free(ds->recs, ds->nrec);
    gt_names_free(ds->classes, ds->nclasses);
    free(ds->center);
    free(ds->scale);
    free(ds->x);
    free(ds->cls);
    free(ds->rec);
    free(ds->start);
    free(ds->label);
    memset(ds, 0, sizeof *ds);
}

static int channel_missing(const gt_recording *r, const char *name, gt_error *err)
{
    char have[512] = "";
    size_t len = 0;
    for (int c = 0; c < r->nch && len + 2 < sizeof have; c++)
        len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", c ? "," : "",
                                r->channels[c]);
    return gt_error_set(err, GT_EINVAL, "recording %s has no channel %s (it has %s)", r->name,
                        name, have);
}

int gt_dataset_signals(const gt_recording *r, char *const *channels, int nch, const float *center,
                       const float *scale, float *out, uint8_t *bad, gt_error *err)
{
    if (bad)
        memset(bad, 0, r->n);
    for (int k = 0; k < nch; k++) {
        int c = gt_names_index(r->channels, r->nch, channels[k]);
        if (c < 0)
            return channel_missing(r, channels[k], err);
        const float *src = r->values + (size_t)c * r->n;
        const uint8_t *q = r->quality ? r->quality + (size_t)c * r->n : NULL;
        float *dst = out + (size_t)k * r->n;
        float ce = center ? center[k] : 0.0f, sc = scale ? scale[k] : 1.0f;
        float inv = 1.0f / sc;
        for (size_t i = 0; i < r->n; i++) {
            int b = (q && q[i] >= GT_Q_BAD) || !isfinite(src[i]);
            dst[i] = b ? 0.0f : (src[i] - ce) * inv;
            if (bad && b)
                bad[i] = 1;
        }
    }
    return GT_OK;
}

void gt_dataset_span(const gt_dataset_cfg *c, size_t n, size_t *lo, size_t *hi)
{
    double a = c->span_lo, b = c->span_hi > 0 ? c->span_hi : 1.0;
    size_t l = (size_t)floor(a * (double)n), h = (size_t)floor(b * (double)n);
    if (h > n)
        h = n;
    if (l > h)
        l = h;
    if (c->max_rows && h - l > c->max_rows)
        h = l + c->max_rows;
    *lo = l;
    *hi = h;
}

static int add_class(gt_dataset *ds, const char *cls)
{
    if (!cls || !cls[0] || gt_names_index(ds->classes, ds->nclasses, cls) >= 0)
        return GT_OK;
    char **v = realloc(ds->classes, (size_t)(ds->nclasses + 1) * sizeof *v);
    if (!v)
        return GT_ENOMEM;
    ds->classes = v;
    /* Keep the list sorted. */
    int at = ds->nclasses;
    while (at > 0 && strcmp(v[at - 1], cls) > 0) {
        v[at] = v[at - 1];
        at--;
    }
    v[at] = strdup(cls);
    ds->nclasses++;
    return v[at] ? GT_OK : GT_ENOMEM;
}

/* Row j of the statistics (class j with by_class) from the given ones, or
 * fitted over the spans of the recordings it covers. */
static int stats_row(gt_dataset *ds, const gt_dataset_cfg *c, gt_recording **recs, float **sig,
                     uint8_t **bad, int nrec, int j, float *all, uint8_t *skip, gt_error *err)
{
    float *ce = ds->center + (size_t)j * ds->nch, *sc = ds->scale + (size_t)j * ds->nch;
    if (c->center && c->scale) {
        int g = 0;
        if (c->by_class && (g = gt_names_list_index(c->stat_classes, ds->classes[j])) < 0)
            return gt_error_set(err, GT_EINVAL,
                                "class %s has no normalisation statistics (they cover %s)",
                                ds->classes[j], c->stat_classes ? c->stat_classes : "none");
        memcpy(ce, c->center + (size_t)g * ds->nch, (size_t)ds->nch * sizeof(float));
        memcpy(sc, c->scale + (size_t)g * ds->nch, (size_t)ds->nch * sizeof(float));
        return GT_OK;
    }
    for (int k = 0; k < ds->nch; k++) {
        size_t at = 0;
        for (int i = 0; i < nrec; i++) {
            if (c->by_class && strcmp(recs[i]->cls ? recs[i]->cls : "", ds->classes[j]))
                continue;
            size_t lo, hi;
            gt_dataset_span(c, recs[i]->n, &lo, &hi);
            memcpy(all + at, sig[i] + (size_t)k * recs[i]->n + lo, (hi - lo) * sizeof(float));
            memcpy(skip + at, bad[i] + lo, hi - lo);
            at += hi - lo;
        }
        int rc = gt_norm_fit(c->norm, all, at, skip, &ce[k], &sc[k], err);
        if (rc < 0)
            return gt_error_set(err, rc, "channel %s%s%s: no good samples to fit the "
                                "normalisation", ds->channels[k],
                                c->by_class ? ", class " : "", c->by_class ? ds->classes[j] : "");
    }
    return GT_OK;
}

static int fit_stats(gt_dataset *ds, const gt_dataset_cfg *c, gt_recording **recs, float **sig,
                     uint8_t **bad, int nrec, size_t used, gt_error *err)
{
    if (c->by_class) {
        for (int i = 0; i < nrec; i++)
            if (!recs[i]->cls || !recs[i]->cls[0])
                return gt_error_set(err, GT_EINVAL,
                                    "recording %s has no class: statistics per class need one "
                                    "(ingest with --class)", recs[i]->name);
    }
    int rows = c->by_class ? ds->nclasses : 1;
    ds->center = malloc((size_t)rows * ds->nch * sizeof(float));
    ds->scale = malloc((size_t)rows * ds->nch * sizeof(float));
    float *all = c->center && c->scale ? NULL : malloc(used * sizeof(float) + 1);
    uint8_t *skip = all ? malloc(used + 1) : NULL;
    int rc = GT_OK;
    if (!ds->center || !ds->scale || (!(c->center && c->scale) && (!all || !skip)))
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
    for (int j = 0; j < rows && rc == GT_OK; j++)
        rc = stats_row(ds, c, recs, sig, bad, nrec, j, all, skip, err);
    free(all);
    free(skip);
    return rc;
}

int gt_dataset_load(gt_dataset *ds, gt_store *s, const gt_dataset_cfg *c, gt_error *err)
{
    memset(ds, 0, sizeof *ds);
    if (c->window < 2 || c->hop < 1)
        return gt_error_set(err, GT_EINVAL, "window must be at least 2 and hop at least 1");
    if (!(c->span_lo >= 0 && c->span_lo < (c->span_hi > 0 ? c->span_hi : 1.0) &&
          (c->span_hi > 0 ? c->span_hi : 1.0) <= 1.0))
        return gt_error_set(err, GT_EINVAL, "span %g:%g is not a part of 0:1", c->span_lo,
                            c->span_hi);
    int total = gt_store_count(s);
    gt_recording **recs = calloc((size_t)(total ? total : 1), sizeof *recs);
    float **sig = calloc((size_t)(total ? total : 1), sizeof *sig);
    uint8_t **bad = calloc((size_t)(total ? total : 1), sizeof *bad);
    int nrec = 0, rc = GT_OK;
    if (!recs || !sig || !bad) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        goto out;
    }
    ds->win = c->window;
    for (int i = 0; i < total && rc == GT_OK; i++) {
        const char *name = gt_store_name(s, i);
        if (c->recordings && gt_names_list_index(c->recordings, name) < 0)
            continue;
        gt_recording *r;
        if ((rc = gt_store_read(s, name, &r, err)) < 0)
            break;
        if (c->classes && gt_names_list_index(c->classes, r->cls) < 0) {
            gt_recording_free(r);
            continue;
        }
        recs[nrec++] = r;
        if (nrec == 1) {
            ds->rate_hz = r->rate_hz;
            if (c->channels)
                rc = gt_names_split(c->channels, &ds->channels, &ds->nch);
            else {
                ds->channels = calloc((size_t)r->nch, sizeof(char *));
                rc = ds->channels ? GT_OK : GT_ENOMEM;
                for (int k = 0; rc == GT_OK && k < r->nch; k++) {
                    ds->nch = k + 1;
                    if (!(ds->channels[k] = strdup(r->channels[k])))
                        rc = GT_ENOMEM;
                }
            }
            ds->units = calloc((size_t)(ds->nch ? ds->nch : 1), sizeof(char *));
            if (rc == GT_OK && !ds->units)
                rc = GT_ENOMEM;
            for (int k = 0; rc == GT_OK && k < ds->nch; k++) {
                int at = gt_names_index(r->channels, r->nch, ds->channels[k]);
                if (at < 0)
                    rc = channel_missing(r, ds->channels[k], err);
                else if (!(ds->units[k] = strdup(r->units[at] ? r->units[at] : "")))
                    rc = GT_ENOMEM;
            }
        } else if (fabs(r->rate_hz - ds->rate_hz) > 1e-9 * fabs(ds->rate_hz)) {
            rc = gt_error_set(err, GT_EINVAL, "recording %s is at %g Hz, %s at %g Hz", r->name,
                              r->rate_hz, recs[0]->name, ds->rate_hz);
        }
        if (rc == GT_OK)
            rc = add_class(ds, r->cls);
    }
    if (rc == GT_ENOMEM && !err->msg[0])
        gt_error_set(err, rc, "out of memory");
    if (rc < 0)
        goto out;
    if (nrec == 0) {
        rc = gt_error_set(err, GT_EINVAL, "%s: no recording selected (of %d)", gt_store_path(s),
                          total);
        goto out;
    }

    /* Signals, un-normalised, with their bad masks. */
    size_t used = 0;
    for (int i = 0; i < nrec; i++) {
        sig[i] = malloc((size_t)ds->nch * recs[i]->n * sizeof(float) + 1);
        bad[i] = malloc(recs[i]->n + 1);
        if (!sig[i] || !bad[i]) {
            rc = gt_error_set(err, GT_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = gt_dataset_signals(recs[i], ds->channels, ds->nch, NULL, NULL, sig[i], bad[i],
                                     err)) < 0)
            goto out;
        size_t lo, hi;
        gt_dataset_span(c, recs[i]->n, &lo, &hi);
        used += hi - lo;
    }

    /* Statistics: given, or fitted over the spans used. */
    if ((rc = fit_stats(ds, c, recs, sig, bad, nrec, used, err)) < 0)
        goto out;

    /* Count, then cut the windows. */
    size_t nwin = 0;
    size_t **starts = calloc((size_t)nrec, sizeof *starts);
    size_t *nw = calloc((size_t)nrec, sizeof *nw);
    if (!starts || !nw) {
        free(starts);
        free(nw);
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < nrec && rc == GT_OK; i++) {
        size_t lo, hi;
        gt_dataset_span(c, recs[i]->n, &lo, &hi);
        size_t cap = gt_window_count(hi - lo, (size_t)c->window, (size_t)c->hop);
        starts[i] = malloc((cap ? cap : 1) * sizeof(size_t));
        if (!starts[i]) {
            rc = gt_error_set(err, GT_ENOMEM, "out of memory");
            break;
        }
        nw[i] = gt_window_starts(hi - lo, (size_t)c->window, (size_t)c->hop, bad[i] + lo, 0,
                                 starts[i], NULL);
        for (size_t w = 0; w < nw[i]; w++)
            starts[i][w] += lo;
        nwin += nw[i];
    }
    if (rc == GT_OK && nwin == 0)
        rc = gt_error_set(err, GT_EINVAL,
                          "%s: no window of %d good samples in the recordings selected "
                          "(the longest is %zu samples)",
                          gt_store_path(s), c->window, recs[0]->n);
    int track = -1;
    if (rc == GT_OK && c->label_track) {
        for (int i = 0; i < nrec && rc == GT_OK; i++)
            if (gt_names_index(recs[i]->label_names, recs[i]->nlabels, c->label_track) < 0)
                rc = gt_error_set(err, GT_EINVAL, "recording %s has no label track %s",
                                  recs[i]->name, c->label_track);
        track = 0;
    }
    size_t wsz = (size_t)ds->nch * (size_t)c->window;
    if (rc == GT_OK) {
        ds->x = malloc(nwin * wsz * sizeof(float));
        ds->cls = malloc(nwin * sizeof(int));
        ds->rec = malloc(nwin * sizeof(int));
        ds->start = malloc(nwin * sizeof(size_t));
        ds->label = track >= 0 ? calloc(nwin, 1) : NULL;
        ds->recs = calloc((size_t)nrec, sizeof(char *));
        if (!ds->x || !ds->cls || !ds->rec || !ds->start || !ds->recs ||
            (track >= 0 && !ds->label))
            rc = gt_error_set(err, GT_ENOMEM, "out of memory for %zu windows", nwin);
    }
    size_t at = 0;
    for (int i = 0; i < nrec && rc == GT_OK; i++) {
        gt_recording *r = recs[i];
        ds->recs[i] = strdup(r->name);
        ds->nrec = i + 1;
        int cls = gt_names_index(ds->classes, ds->nclasses, r->cls);
        const uint8_t *lab = NULL;
        if (track >= 0)
            lab = r->labels +
                  (size_t)gt_names_index(r->label_names, r->nlabels, c->label_track) * r->n;
        for (size_t w = 0; w < nw[i]; w++, at++) {
            size_t st = starts[i][w];
            float *dst = ds->x + at * wsz;
            const size_t row = c->by_class ? (size_t)cls * ds->nch : 0;
            for (int k = 0; k < ds->nch; k++) {
                const float *src = sig[i] + (size_t)k * r->n + st;
                float ce = ds->center[row + k], inv = 1.0f / ds->scale[row + k];
                for (int t = 0; t < c->window; t++)
                    dst[(size_t)k * c->window + t] = (src[t] - ce) * inv;
            }
            ds->cls[at] = cls;
            ds->rec[at] = i;
            ds->start[at] = st;
            if (lab) {
                uint8_t m = 0;
                for (int t = 0; t < c->window; t++)
                    m = lab[st + t] > m ? lab[st + t] : m;
                ds->label[at] = m;
            }
        }
    }
    ds->nwin = at;
    for (int i = 0; i < nrec; i++)
        free(starts[i]);
    free(starts);
    free(nw);
out:
    for (int i = 0; i < nrec; i++) {
        gt_recording_free(recs[i]);
        free(sig ? sig[i] : NULL);
        free(bad ? bad[i] : NULL);
    }
    free(recs);
    free(sig);
    free(bad);
    if (rc < 0)
        gt_dataset_free(ds);
    return rc;
}
