/* gantry eval: the scores, flags and events of a store's recordings (as
 * `gantry score` and `gantry detect` write them) against its label tracks:
 * Orion's overlap- and weighted-segment counts, SKAB's point-wise F1, FAR
 * and MAR, AUROC and detection delays, per recording and in total. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/detect.h"
#include "gantry/store.h"
#include "tool.h"

static const char help[] =
    "usage: gantry eval STORE.h5 --scores SCORES.csv [--events EVENTS.csv]\n"
    "                   [--labels TRACK] [--recordings LIST] [--skip-rows N]\n"
    "                   [--json]\n"
    "\n"
    "Compares the anomaly scores and flags of a store's recordings with a label\n"
    "track (label != 0 is anomalous; runs of labelled samples are the true events)\n"
    "and prints, per recording and in total (counts summed before the ratios):\n"
    "  overlap-segment tp fp fn, precision, recall, F1 (Orion: a true event is\n"
    "      found when any predicted event shares a sample with it; a predicted\n"
    "      event sharing none with a true one is a false positive)\n"
    "  wF1         Orion's weighted segment F1 (the same counted in samples)\n"
    "  pF1 FAR MAR point-wise F1 of the anomaly column, false alarm rate\n"
    "              fp / (fp + tn) and missed alarm rate fn / (fn + tp) (SKAB)\n"
    "  AUROC       of the score column (NaN scores left out)\n"
    "  found, delay  true events flagged, and the mean and median samples from\n"
    "              their start to the first flag inside them\n"
    "  flagged     share of samples flagged\n"
    "\n"
    "  --scores FILE      timestamp,score,anomaly (one recording) or\n"
    "                     recording,timestamp,score,anomaly: one row per sample in\n"
    "                     order; its first and last timestamps must be the\n"
    "                     recording's\n"
    "  --events FILE      predicted events start,end,severity (or recording,start,\n"
    "                     end,severity), end being the last sample's timestamp;\n"
    "                     default: the runs of the anomaly column\n"
    "  --labels TRACK     the label track (default: each recording's first)\n"
    "  --recordings A,B   recordings to evaluate (default: all of the store's)\n"
    "  --skip-rows N      leave out the first N samples of each recording (the\n"
    "                     rows a model was fitted on: SKAB scores only the rest\n"
    "                     after `gantry detect --train-rows N`)\n"
    "  --json             one JSON object instead of the table\n";

/* ---- reading the CSV files -------------------------------------------------- */

#define MAX_FIELDS 8

typedef struct csv_in {
    FILE *f;
    const char *path;
    size_t line;
    char *buf;
    size_t cap;
    int nf;
    char *fld[MAX_FIELDS];
    size_t len[MAX_FIELDS];
} csv_in;

static void csv_close(csv_in *c)
{
    if (c->f)
        fclose(c->f);
    free(c->buf);
}

/* The next non-blank line cut into fields (blanks and "quotes" around them
 * removed, each NUL-terminated): 1, or 0 at the end. */
static int csv_next(csv_in *c)
{
    ssize_t got;
    while ((got = getline(&c->buf, &c->cap, c->f)) >= 0) {
        c->line++;
        char *s = c->buf, *e = c->buf + got;
        if (c->line == 1 && got >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
            s += 3; /* UTF-8 BOM */
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == s)
            continue;
        *e = 0;
        c->nf = 0;
        for (char *p = s;;) {
            char *q = strchr(p, ',');
            char *fe = q ? q : e;
            while (p < fe && (*p == ' ' || *p == '\t'))
                p++;
            while (fe > p && (fe[-1] == ' ' || fe[-1] == '\t'))
                fe--;
            if (fe - p >= 2 && *p == '"' && fe[-1] == '"') {
                p++;
                fe--;
            }
            if (c->nf < MAX_FIELDS) {
                c->fld[c->nf] = p;
                c->len[c->nf] = (size_t)(fe - p);
            }
            c->nf++;
            *fe = 0;
            if (!q)
                break;
            p = q + 1;
        }
        return 1;
    }
    return 0;
}

/* sep and s appended at buf[k] (cut at cap); returns the new length. */
static size_t append(char *buf, size_t cap, size_t k, const char *sep, const char *s)
{
    if (k + 1 < cap) {
        int w = snprintf(buf + k, cap - k, "%s%s", sep, s);
        k = w < 0 ? k : k + (size_t)w < cap ? k + (size_t)w : cap - 1;
    }
    return k;
}

/* Open path and read its header: "COLS" or "recording,COLS" (sets *named). */
static int csv_begin(csv_in *c, const char *path, const char *cols, int *named)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->f = fopen(path, "r");
    if (!c->f)
        return tool_fail("%s: cannot open: %s", path, strerror(errno));
    char got[512] = "";
    if (csv_next(c)) {
        size_t k = 0;
        for (int i = 0; i < c->nf && i < MAX_FIELDS; i++)
            k = append(got, sizeof got, k, i ? "," : "", c->fld[i]);
        if (!strcmp(got, cols) || (!strncmp(got, "recording,", 10) && !strcmp(got + 10, cols))) {
            *named = got[0] == 'r';
            return 0;
        }
    }
    return tool_fail("%s:%zu: expected the header '%s' or 'recording,%s', found '%s'", c->path,
                     c->line ? c->line : 1, cols, cols, got);
}

/* ---- the recordings ----------------------------------------------------------- */

typedef struct rec {
    gt_recording *r;    /* values and quality dropped: times and labels kept */
    const char *track;
    const uint8_t *truth;
    size_t off;         /* first row in the concatenated arrays */
    size_t rows;        /* rows of the scores file read */
    size_t last_line;   /* its last row's line */
    gt_event *pred;     /* --events */
    size_t npred, cap_pred;
} rec;

typedef struct eval {
    const char *store, *scores, *events, *track;
    rec *rec;
    int nrec;
    size_t total;
    float *score;  /* total, in recording order */
    uint8_t *flag; /* the anomaly column */
    uint8_t *truth;
    size_t skip;   /* --skip-rows: leading samples of each recording left out */
} eval;

static int find_rec(const eval *ev, const char *name)
{
    for (int k = 0; k < ev->nrec; k++)
        if (!strcmp(ev->rec[k].r->name, name))
            return k;
    return -1;
}

/* 1 if name is a recording of the store (not necessarily selected). */
static int in_store(const gt_store *st, const char *name)
{
    for (int i = 0; i < gt_store_count(st); i++)
        if (!strcmp(gt_store_name(st, i), name))
            return 1;
    return 0;
}

static int pick_track(eval *ev, rec *x)
{
    const gt_recording *r = x->r;
    if (r->nlabels == 0)
        return tool_fail("%s: recording %s has no label track to evaluate against", ev->store,
                         r->name);
    int l = 0;
    if (ev->track) {
        for (l = 0; l < r->nlabels && strcmp(r->label_names[l], ev->track); l++)
            ;
        if (l == r->nlabels) {
            char list[512] = "";
            size_t k = 0;
            for (int i = 0; i < r->nlabels; i++)
                k = append(list, sizeof list, k, i ? ", " : "", r->label_names[i]);
            return tool_fail("%s: recording %s has no label track '%s' (it has %s)", ev->store,
                             r->name, ev->track, list);
        }
    }
    x->track = r->label_names[l];
    x->truth = r->labels + (size_t)l * r->n;
    return 0;
}

static int load_store(eval *ev, gt_store *st, const char *only)
{
    gt_error err = {0};
    const int n = gt_store_count(st);
    int rc = 0;
    const char *item;
    size_t len;
    for (const char *p = only; !rc && tool_list_next(&p, &item, &len);) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = strlen(gt_store_name(st, i)) == len && !strncmp(gt_store_name(st, i), item,
                                                                    len);
        if (!found)
            rc = tool_fail("%s: no recording '%.*s'", ev->store, (int)len, item);
    }
    ev->rec = calloc((size_t)n + 1, sizeof *ev->rec);
    if (!rc && !ev->rec)
        rc = tool_fail("out of memory");
    for (int i = 0; i < n && !rc; i++) {
        const char *name = gt_store_name(st, i);
        if (!tool_list_has(only, name))
            continue;
        rec *x = &ev->rec[ev->nrec];
        if (gt_store_read(st, name, &x->r, &err)) {
            rc = tool_fail_err(&err);
            break;
        }
        ev->nrec++;
        free(x->r->values); /* only the labels and times are needed */
        x->r->values = NULL;
        free(x->r->quality);
        x->r->quality = NULL;
        x->off = ev->total;
        ev->total += x->r->n;
        rc = pick_track(ev, x);
    }
    if (!rc && !ev->nrec)
        rc = tool_fail("%s: no recordings to evaluate", ev->store);
    if (rc)
        return rc;
    size_t t = ev->total ? ev->total : 1;
    ev->score = malloc(t * sizeof *ev->score);
    ev->flag = malloc(t);
    ev->truth = malloc(t);
    if (!ev->score || !ev->flag || !ev->truth)
        return tool_fail("out of memory (%zu samples)", ev->total);
    for (int k = 0; k < ev->nrec; k++)
        for (size_t i = 0; i < ev->rec[k].r->n; i++)
            ev->truth[ev->rec[k].off + i] = ev->rec[k].truth[i] != 0;
    return 0;
}

/* The sample index of timestamp s in recording r, or a message. */
static int timestamp_index(const csv_in *c, const gt_recording *r, const char *s, size_t len,
                           size_t *idx)
{
    if (gt_recording_parse_timestamp(r, s, len, idx)) {
        char want[64] = "";
        if (r->n)
            gt_recording_timestamp(r, 0, want, sizeof want);
        return tool_fail("%s:%zu: timestamp '%s' does not parse (recording %s's look like "
                         "'%s')", c->path, c->line, s, r->name, want);
    }
    return 0;
}

/* Row i of a recording: the first and last timestamps must be its own. */
static int check_row_time(const csv_in *c, const rec *x, size_t i, const char *s, size_t len)
{
    const gt_recording *r = x->r;
    if (i != 0 && i + 1 != r->n)
        return 0;
    size_t idx;
    if (timestamp_index(c, r, s, len, &idx))
        return 1;
    if (idx == i)
        return 0;
    char want[64];
    gt_recording_timestamp(r, i, want, sizeof want);
    return tool_fail("%s:%zu: timestamp '%s' is sample %zu of recording %s, but this row is its "
                     "%s sample %zu ('%s'): the scores do not line up with the store",
                     c->path, c->line, s, idx, r->name, i ? "last" : "first", i, want);
}

/* A data row: nf fields; with lookup, its recording column's recording
 * (*k; -1 for one of the store's left out by --recordings). */
static int row_begin(const eval *ev, const gt_store *st, const csv_in *c, int nf, int lookup,
                     int *k)
{
    if (c->nf != nf)
        return tool_fail("%s:%zu: expected %d fields, found %d", c->path, c->line, nf, c->nf);
    if (!lookup)
        return 0;
    *k = find_rec(ev, c->fld[0]);
    if (*k < 0 && !in_store(st, c->fld[0]))
        return tool_fail("%s:%zu: recording '%s' is not in %s", c->path, c->line, c->fld[0],
                         ev->store);
    return 0;
}

static int parse_double(const csv_in *c, int f, const char *what, double *v)
{
    char *end;
    *v = strtod(c->fld[f], &end);
    if (end == c->fld[f] || *end)
        return tool_fail("%s:%zu: %s '%s' is not a number", c->path, c->line, what, c->fld[f]);
    return 0;
}

static int read_scores(eval *ev, const gt_store *st)
{
    csv_in c;
    int named = 0, rc = csv_begin(&c, ev->scores, "timestamp,score,anomaly", &named);
    const int nf = 3 + named;
    int cur = named ? -1 : 0;
    while (!rc && csv_next(&c)) {
        int k = cur; /* the recording column is looked up when it changes */
        int lookup = named && (cur < 0 || strcmp(c.fld[0], ev->rec[cur].r->name));
        if ((rc = row_begin(ev, st, &c, nf, lookup, &k)))
            break;
        if (k < 0)
            continue; /* not among --recordings */
        if (k != cur && ev->rec[k].rows) {
            rc = tool_fail("%s:%zu: the rows of recording %s are not together", c.path, c.line,
                           c.fld[0]);
            break;
        }
        cur = k;
        while (!rc && !named && ev->rec[cur].rows == ev->rec[cur].r->n) {
            if (cur + 1 == ev->nrec)
                rc = tool_fail("%s:%zu: more rows than the %zu samples of the recording%s "
                               "evaluated", c.path, c.line, ev->total, ev->nrec > 1 ? "s" : "");
            else
                cur++;
        }
        if (rc)
            break;
        rec *x = &ev->rec[cur];
        const int t = named;
        size_t i = x->rows;
        if (i == x->r->n) {
            rc = tool_fail("%s:%zu: more rows for recording %s than its %zu samples in %s",
                           c.path, c.line, x->r->name, x->r->n, ev->store);
            break;
        }
        double score;
        if ((rc = check_row_time(&c, x, i, c.fld[t], c.len[t])) ||
            (rc = parse_double(&c, t + 1, "score", &score)))
            break;
        const char *a = c.fld[t + 2];
        if (strcmp(a, "0") && strcmp(a, "1")) {
            rc = tool_fail("%s:%zu: anomaly '%s' is not 0 or 1", c.path, c.line, a);
            break;
        }
        ev->score[x->off + i] = (float)score;
        ev->flag[x->off + i] = a[0] == '1';
        x->rows++;
        x->last_line = c.line;
    }
    for (int k = 0; k < ev->nrec && !rc; k++) {
        const rec *x = &ev->rec[k];
        if (x->rows != x->r->n)
            rc = tool_fail("%s:%zu: %zu rows for recording %s, which has %zu samples in %s",
                           c.path, x->rows ? x->last_line : c.line, x->rows, x->r->name,
                           x->r->n, ev->store);
    }
    csv_close(&c);
    return rc;
}

static int push_event(rec *x, gt_event e)
{
    if (x->npred == x->cap_pred) {
        size_t cap = x->cap_pred ? 2 * x->cap_pred : 64;
        gt_event *p = realloc(x->pred, cap * sizeof *p);
        if (!p)
            return tool_fail("out of memory");
        x->pred = p;
        x->cap_pred = cap;
    }
    x->pred[x->npred++] = e;
    return 0;
}

static int read_events(eval *ev, const gt_store *st)
{
    csv_in c;
    int named = 0, rc = csv_begin(&c, ev->events, "start,end,severity", &named);
    if (!rc && !named && ev->nrec > 1)
        rc = tool_fail("%s:%zu: %d recordings are evaluated: the events need a leading "
                       "recording column", c.path, c.line, ev->nrec);
    const int nf = 3 + named;
    while (!rc && csv_next(&c)) {
        int k = 0;
        if ((rc = row_begin(ev, st, &c, nf, named, &k)))
            break;
        if (k < 0)
            continue; /* not among --recordings */
        rec *x = &ev->rec[k];
        size_t s, e;
        double sev;
        if ((rc = timestamp_index(&c, x->r, c.fld[named], c.len[named], &s)) ||
            (rc = timestamp_index(&c, x->r, c.fld[named + 1], c.len[named + 1], &e)) ||
            (rc = parse_double(&c, named + 2, "severity", &sev)))
            break;
        if (e >= x->r->n || s > e) {
            rc = tool_fail("%s:%zu: event %s .. %s is not within recording %s (samples %zu .. "
                           "%zu of %zu)", c.path, c.line, c.fld[named], c.fld[named + 1],
                           x->r->name, s, e, x->r->n);
            break;
        }
        rc = push_event(x, (gt_event){s, e + 1, sev});
    }
    csv_close(&c);
    return rc;
}

/* ---- the figures ------------------------------------------------------------ */

typedef struct tally {
    const char *name, *track;
    size_t n, ntruth, npred, detected, flagged;
    gt_counts ov, ws, pw;
    double auroc, delay_mean, delay_median;
} tally;

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Mean and median of d[0..n) (sorted here); NaN when empty. */
static void delay_stats(long *d, size_t n, double *mean, double *median)
{
    *mean = *median = NAN;
    if (!n)
        return;
    qsort(d, n, sizeof *d, cmp_long);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)d[i];
    *mean = s / (double)n;
    *median = n % 2 ? (double)d[n / 2] : 0.5 * ((double)d[n / 2 - 1] + (double)d[n / 2]);
}

/* One recording's figures; its detection delays appended to *delays. */
static int tally_rec(const eval *ev, const rec *x, tally *t, long *delays, size_t *ndelays)
{
    const size_t s0 = ev->skip < x->r->n ? ev->skip : x->r->n, n = x->r->n - s0;
    const float *score = ev->score + x->off + s0;
    const uint8_t *flag = ev->flag + x->off + s0, *truth = ev->truth + x->off + s0;
    memset(t, 0, sizeof *t);
    t->name = x->r->name;
    t->track = x->track;
    t->n = n;
    size_t nt = gt_events_from_labels(truth, n, NULL, 0);
    size_t np = ev->events ? x->npred : gt_events_from_flags(flag, NULL, NULL, n, 0, 1, NULL, 0);
    gt_event *te = malloc((nt + 1) * sizeof *te), *pe = malloc((np + 1) * sizeof *pe);
    uint8_t *pflag = ev->events ? malloc(n + 1) : NULL;
    long *d = malloc((nt + 1) * sizeof *d);
    int rc = 0;
    if (!te || !d || !pe || (ev->events && !pflag)) {
        rc = tool_fail("out of memory");
    } else {
        gt_events_from_labels(truth, n, te, nt);
        if (ev->events) {
            /* the predicted events within the evaluated part, shifted to it */
            size_t m = 0;
            for (size_t k = 0; k < x->npred; k++)
                if (x->pred[k].end > s0) {
                    pe[m] = x->pred[k];
                    pe[m].start = pe[m].start > s0 ? pe[m].start - s0 : 0;
                    pe[m++].end -= s0;
                }
            np = m;
            gt_events_to_flags(pe, np, pflag, n);
        } else {
            gt_events_from_flags(flag, NULL, NULL, n, 0, 1, pe, np);
        }
        t->ntruth = nt;
        t->npred = np;
        gt_overlap_segment(te, nt, pe, np, &t->ov);
        gt_weighted_segment(te, nt, pe, np, n, &t->ws);
        gt_pointwise(truth, flag, n, &t->pw);
        t->auroc = gt_auroc(score, truth, n);
        t->detected = gt_detection_delays(te, nt, ev->events ? pflag : flag, n, d);
        size_t first = *ndelays;
        for (size_t k = 0; k < nt; k++)
            if (d[k] >= 0)
                delays[(*ndelays)++] = d[k];
        delay_stats(delays + first, *ndelays - first, &t->delay_mean, &t->delay_median);
        for (size_t i = 0; i < n; i++)
            t->flagged += flag[i];
    }
    free(te);
    free(pe);
    free(pflag);
    free(d);
    return rc;
}

static void tally_add(tally *sum, const tally *t)
{
    sum->n += t->n;
    sum->ntruth += t->ntruth;
    sum->npred += t->npred;
    sum->detected += t->detected;
    sum->flagged += t->flagged;
    gt_counts *dst[3] = {&sum->ov, &sum->ws, &sum->pw};
    const gt_counts *src[3] = {&t->ov, &t->ws, &t->pw};
    for (int k = 0; k < 3; k++) {
        dst[k]->tp += src[k]->tp;
        dst[k]->fp += src[k]->fp;
        dst[k]->fn += src[k]->fn;
        dst[k]->tn += src[k]->tn;
    }
}

static double pct(double a, double b)
{
    return b > 0 ? 100 * a / b : NAN;
}

/* ---- output ----------------------------------------------------------------- */

static void json_num(const char *key, double v)
{
    printf(", \"%s\": ", key);
    if (isfinite(v))
        printf("%.10g", v);
    else
        fputs("null", stdout);
}

/* PREFIX_tp, _fp, _fn (and _tn), _precision, _recall, _f1. */
static void json_counts(const char *prefix, const gt_counts *c, int with_tn)
{
    static const char *const names[] = {"tp", "fp", "fn", "tn", "precision", "recall", "f1"};
    const double v[] = {c->tp, c->fp, c->fn, c->tn, gt_precision(c), gt_recall(c), gt_f1(c)};
    for (int k = 0; k < 7; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s_%s", prefix, names[k]);
        if (k != 3 || with_tn)
            json_num(key, v[k]);
    }
}

static void print_json_tally(const tally *t)
{
    printf("{\"name\": ");
    tool_json_str(t->name);
    printf(", \"label_track\": ");
    tool_json_str(t->track);
    printf(", \"samples\": %zu, \"truth_events\": %zu, \"pred_events\": %zu", t->n, t->ntruth,
           t->npred);
    json_counts("overlap", &t->ov, 0);
    json_num("weighted_f1", gt_f1(&t->ws));
    json_counts("pointwise", &t->pw, 1);
    json_num("far_pct", 100 * gt_far(&t->pw));
    json_num("mar_pct", 100 * gt_mar(&t->pw));
    json_num("auroc", t->auroc);
    printf(", \"detected\": %zu", t->detected);
    json_num("delay_mean", t->delay_mean);
    json_num("delay_median", t->delay_median);
    json_num("flagged_pct", pct((double)t->flagged, (double)t->n));
    putchar('}');
}

/* A number in a table cell ("-" when undefined). */
static const char *cell(char *buf, size_t cap, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, cap, fmt, v);
    else
        snprintf(buf, cap, "-");
    return buf;
}

static void print_row(const tally *t, int w)
{
    char b[12][24];
    printf("%-*s %9zu %5zu %5zu %5.0f %5.0f %5.0f %6s %6s %6s %6s %6s %6s %6s %6s %5zu %6s %6s "
           "%7s\n",
           w, t->name, t->n, t->ntruth, t->npred, t->ov.tp, t->ov.fp, t->ov.fn,
           cell(b[0], 24, "%.3f", gt_precision(&t->ov)), cell(b[1], 24, "%.3f", gt_recall(&t->ov)),
           cell(b[2], 24, "%.3f", gt_f1(&t->ov)), cell(b[3], 24, "%.3f", gt_f1(&t->ws)),
           cell(b[4], 24, "%.3f", gt_f1(&t->pw)), cell(b[5], 24, "%.2f", 100 * gt_far(&t->pw)),
           cell(b[6], 24, "%.2f", 100 * gt_mar(&t->pw)), cell(b[7], 24, "%.3f", t->auroc),
           t->detected, cell(b[8], 24, "%.1f", t->delay_mean),
           cell(b[9], 24, "%.1f", t->delay_median),
           cell(b[10], 24, "%.2f", pct((double)t->flagged, (double)t->n)));
}

static void print_table(const eval *ev, const tally *t, const tally *total)
{
    int w = 9;
    for (int k = 0; k < ev->nrec; k++)
        if ((int)strlen(t[k].name) > w)
            w = (int)strlen(t[k].name);
    printf("%s against %s; predicted events from %s\n", ev->scores, ev->store,
           ev->events ? ev->events : "the anomaly column");
    printf("%-*s %9s %5s %5s %5s %5s %5s %6s %6s %6s %6s %6s %6s %6s %6s %5s %6s %6s %7s\n", w,
           "recording", "samples", "truth", "pred", "tp", "fp", "fn", "prec", "recall", "F1",
           "wF1", "pF1", "FAR%", "MAR%", "AUROC", "found", "delay", "median", "flagged%");
    for (int k = 0; k < ev->nrec; k++)
        print_row(&t[k], w);
    print_row(total, w);
    printf("tp fp fn prec recall F1: overlap-segment events (Orion); wF1: weighted segment; "
           "pF1 FAR MAR: point-wise;\ndelay, median: samples from a true event's start to its "
           "first flag (label tracks:");
    for (int k = 0; k < ev->nrec; k++)
        if (!k || strcmp(t[k].track, t[k - 1].track))
            printf(" %s", t[k].track);
    printf(")\n");
}

/* AUROC over every evaluated sample of every recording. */
static double total_auroc(const eval *ev)
{
    if (!ev->skip)
        return gt_auroc(ev->score, ev->truth, ev->total);
    float *sc = malloc((ev->total + 1) * sizeof *sc);
    uint8_t *tr = malloc(ev->total + 1);
    size_t m = 0;
    double a = NAN;
    if (sc && tr) {
        for (int k = 0; k < ev->nrec; k++)
            for (size_t i = ev->skip; i < ev->rec[k].r->n; i++) {
                sc[m] = ev->score[ev->rec[k].off + i];
                tr[m++] = ev->truth[ev->rec[k].off + i];
            }
        a = gt_auroc(sc, tr, m);
    }
    free(sc);
    free(tr);
    return a;
}

static int report(const eval *ev, int json)
{
    tally *t = calloc((size_t)ev->nrec, sizeof *t), total = {0};
    size_t ntruth = 0, nd = 0;
    for (int k = 0; k < ev->nrec; k++)
        ntruth += gt_events_from_labels(ev->truth + ev->rec[k].off, ev->rec[k].r->n, NULL, 0);
    long *delays = malloc((ntruth + 1) * sizeof *delays);
    int rc = !t || !delays ? tool_fail("out of memory") : 0;
    for (int k = 0; k < ev->nrec && !rc; k++) {
        rc = tally_rec(ev, &ev->rec[k], &t[k], delays, &nd);
        tally_add(&total, &t[k]);
    }
    if (!rc) {
        total.name = "TOTAL";
        total.auroc = total_auroc(ev);
        delay_stats(delays, nd, &total.delay_mean, &total.delay_median);
        if (json) {
            printf("{\"store\": ");
            tool_json_str(ev->store);
            printf(", \"scores\": ");
            tool_json_str(ev->scores);
            printf(", \"events\": ");
            tool_json_str(ev->events);
            printf(", \"recordings\": [");
            for (int k = 0; k < ev->nrec; k++) {
                printf("%s\n  ", k ? "," : "");
                print_json_tally(&t[k]);
            }
            printf("],\n \"total\": ");
            print_json_tally(&total);
            printf("}\n");
        } else {
            print_table(ev, t, &total);
        }
    }
    free(t);
    free(delays);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scores", required_argument, NULL, 's'},
        {"events", required_argument, NULL, 'e'},
        {"labels", required_argument, NULL, 'l'},
        {"recordings", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"skip-rows", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    eval ev = {0};
    const char *only = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': ev.scores = optarg; break;
        case 'e': ev.events = optarg; break;
        case 'l': ev.track = optarg; break;
        case 'r': only = optarg; break;
        case 'j': json = 1; break;
        case 'k': {
            int v;
            if (tool_int("--skip-rows", optarg, 0, 2147483647, &v))
                return 2;
            ev.skip = (size_t)v;
            break;
        }
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 1 != argc)
        return tool_fail("give one store (gantry eval --help)"), 2;
    if (!ev.scores)
        return tool_fail("--scores SCORES.csv is needed (gantry eval --help)"), 2;
    ev.store = argv[optind];
    gt_error err = {0};
    gt_store *st;
    if (gt_store_open(&st, ev.store, &err))
        return tool_fail_err(&err);
    int rc = load_store(&ev, st, only);
    if (!rc)
        rc = read_scores(&ev, st);
    if (!rc && ev.events)
        rc = read_events(&ev, st);
    gt_store_close(st);
    if (!rc)
        rc = report(&ev, json);
    for (int k = 0; k < ev.nrec; k++) {
        gt_recording_free(ev.rec[k].r);
        free(ev.rec[k].pred);
    }
    free(ev.rec);
    free(ev.score);
    free(ev.flag);
    free(ev.truth);
    return rc;
}
