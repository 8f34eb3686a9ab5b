/* Labelled intervals: interval CSV files, NAB's window JSON, and marking
 * intervals on a recording's label tracks. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/labels.h"
#include "gantry/timefmt.h"

/* The whole file, NUL-terminated. */
static int slurp(const char *path, char **buf, size_t *len, gt_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gt_error_set(err, GT_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    if (bad) {
        free(b);
        return gt_error_set(err, GT_EIO, "%s: read error", path);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return GT_OK;
}

static int push(gt_intervals *iv, size_t *cap, const gt_interval *x)
{
    if (iv->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        gt_interval *v = realloc(iv->v, nc * sizeof *v);
        if (!v)
            return GT_ENOMEM;
        iv->v = v;
        *cap = nc;
    }
    iv->v[iv->n++] = *x;
    return GT_OK;
}

void gt_intervals_free(gt_intervals *iv)
{
    if (!iv)
        return;
    free(iv->v);
    iv->v = NULL;
    iv->n = 0;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
    if (*e - *s >= 2 && **s == '"' && (*e)[-1] == '"') {
        (*s)++;
        (*e)--;
    }
}

/* An interval bound: an integer sample index or a time. */
static int bound(const char *s, const char *e, int64_t *v, int *is_index)
{
    trim(&s, &e);
    if (s == e)
        return GT_EFORMAT;
    const char *p = s;
    if (*p == '-')
        p++;
    int digits = p < e;
    for (const char *q = p; q < e; q++)
        digits &= isdigit((unsigned char)*q) != 0;
    if (digits && e - p <= 9) { /* small integers are indices, epoch times are longer */
        *v = strtoll(s, NULL, 10);
        *is_index = 1;
        return GT_OK;
    }
    *is_index = 0;
    return gt_time_parse(s, (size_t)(e - s), GT_TIME_AUTO, v);
}

int gt_intervals_read_csv(const char *path, gt_intervals *out, gt_error *err)
{
    out->n = 0;
    out->v = NULL;
    char *buf;
    size_t len, cap = 0;
    int rc = slurp(path, &buf, &len, err);
    if (rc)
        return rc;
    char delim = strchr(buf, ';') && !strchr(buf, ',') ? ';' : strchr(buf, '\t') && !strchr(buf, ',') ? '\t' : ',';
    size_t line = 0;
    for (char *p = buf; *p && rc == GT_OK;) {
        char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        line++;
        char *s = p, *e = eol;
        p = *eol ? eol + 1 : eol;
        if (e > s && e[-1] == '\r')
            e--;
        const char *ts = s, *te = e;
        trim(&ts, &te);
        if (ts == te || *ts == '#')
            continue;
        const char *f[4] = {s, NULL, NULL, NULL}, *fe[4] = {e, e, e, e};
        int nf = 1;
        for (char *q = s; q < e; q++)
            if (*q == delim) {
                if (nf == 3) {
                    nf = 4;
                    break;
                }
                fe[nf - 1] = q;
                f[nf++] = q + 1;
            }
        if (nf < 2 || nf > 3) {
            rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: expected start,end[,class], found %s "
                              "fields", path, line, nf > 3 ? "more than 3" : "1");
            break;
        }
        gt_interval x = {0};
        int i0, i1;
        int b0 = bound(f[0], fe[0], &x.start, &i0), b1 = bound(f[1], fe[1], &x.end, &i1);
        if (b0 != GT_OK || b1 != GT_OK || i0 != i1) {
            if (line == 1 && b0 != GT_OK && b1 != GT_OK)
                continue; /* header */
            rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: %s", path, line,
                              i0 != i1 && b0 == GT_OK && b1 == GT_OK
                                  ? "start and end must both be times or both sample indices"
                                  : "start and end must be timestamps or sample indices");
            break;
        }
        if (x.end < x.start) {
            rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: the interval ends before it starts",
                              path, line);
            break;
        }
        x.is_index = i0;
        const char *cs = nf == 3 ? f[2] : "anomaly", *ce = nf == 3 ? fe[2] : cs + 7;
        trim(&cs, &ce);
        if (ce == cs || (size_t)(ce - cs) >= sizeof x.cls) {
            rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: empty or over-long class name", path,
                              line);
            break;
        }
        memcpy(x.cls, cs, (size_t)(ce - cs));
        gt_store_sanitize_name(x.cls);
        if (push(out, &cap, &x) != GT_OK)
            rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    }
    free(buf);
    if (rc)
        gt_intervals_free(out);
    return rc;
}

/* ---- a small JSON reader for NAB's {"key": [["t0","t1"], ...], ...} ---- */

typedef struct jp {
    const char *s, *path;
    size_t line;
    gt_error *err;
} jp;

static void ws(jp *j)
{
    for (; *j->s && isspace((unsigned char)*j->s); j->s++)
        if (*j->s == '\n')
            j->line++;
}

static int expect(jp *j, char c)
{
    ws(j);
    if (*j->s != c)
        return gt_error_set(j->err, GT_EFORMAT, "%s:%zu: expected '%c'%s", j->path, j->line, c,
                            *j->s ? "" : " before the end of the file");
    j->s++;
    return GT_OK;
}

static int peek(jp *j, char c)
{
    ws(j);
    return *j->s == c;
}

/* A string (escapes other than \" and \\ kept as they are) into buf. */
static int jstring(jp *j, char *buf, size_t cap)
{
    int rc = expect(j, '"');
    if (rc)
        return rc;
    size_t n = 0;
    for (; *j->s && *j->s != '"'; j->s++) {
        char c = *j->s;
        if (c == '\\' && j->s[1])
            c = *++j->s;
        if (c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
    }
    if (*j->s != '"')
        return gt_error_set(j->err, GT_EFORMAT, "%s:%zu: unterminated string", j->path, j->line);
    j->s++;
    buf[n] = 0;
    return GT_OK;
}

int gt_intervals_read_nab(const char *path, gt_intervals *out, gt_error *err)
{
    out->n = 0;
    out->v = NULL;
    char *buf;
    size_t len, cap = 0;
    int rc = slurp(path, &buf, &len, err);
    if (rc)
        return rc;
    jp j = {buf, path, 1, err};
    if ((rc = expect(&j, '{')))
        goto out;
    if (peek(&j, '}'))
        goto close;
    for (;;) {
        char key[256], t0[80], t1[80];
        if ((rc = jstring(&j, key, sizeof key)) || (rc = expect(&j, ':')) ||
            (rc = expect(&j, '[')))
            goto out;
        if (!peek(&j, ']'))
            for (;;) {
                if ((rc = expect(&j, '[')) || (rc = jstring(&j, t0, sizeof t0)) ||
                    (rc = expect(&j, ',')) || (rc = jstring(&j, t1, sizeof t1)) ||
                    (rc = expect(&j, ']')))
                    goto out;
                gt_interval x = {0};
                if (gt_time_parse(t0, strlen(t0), GT_TIME_AUTO, &x.start) != GT_OK ||
                    gt_time_parse(t1, strlen(t1), GT_TIME_AUTO, &x.end) != GT_OK) {
                    rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: window of %s: '%s' or '%s' is "
                                      "not a timestamp", path, j.line, key, t0, t1);
                    goto out;
                }
                if (x.end < x.start) {
                    rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: window of %s ends before it "
                                      "starts", path, j.line, key);
                    goto out;
                }
                strcpy(x.cls, "anomaly");
                snprintf(x.key, sizeof x.key, "%s", key);
                if (push(out, &cap, &x) != GT_OK) {
                    rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
                    goto out;
                }
                if (!peek(&j, ','))
                    break;
                j.s++;
            }
        if ((rc = expect(&j, ']')))
            goto out;
        /* a file without windows still names a signal: keep an empty marker */
        gt_interval none = {0};
        none.start = 1;
        none.end = 0;
        strcpy(none.cls, "anomaly");
        snprintf(none.key, sizeof none.key, "%s", key);
        if (push(out, &cap, &none) != GT_OK) {
            rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
            goto out;
        }
        if (!peek(&j, ','))
            break;
        j.s++;
    }
close:
    rc = expect(&j, '}');
out:
    free(buf);
    if (rc)
        gt_intervals_free(out);
    return rc;
}

/* key is "" or a suffix of path starting at a path component. */
static int key_matches(const char *key, const char *path)
{
    if (!*key)
        return 1;
    size_t k = strlen(key), p = strlen(path);
    if (k > p || strcmp(path + p - k, key))
        return 0;
    return k == p || path[p - k - 1] == '/';
}

int gt_intervals_apply(const gt_intervals *iv, const char *source_path, gt_recording *r,
                       size_t *marked, gt_error *err)
{
    size_t touched = 0;
    for (size_t i = 0; i < iv->n; i++) {
        const gt_interval *x = &iv->v[i];
        if (!key_matches(x->key, source_path))
            continue;
        int track = gt_recording_add_label(r, x->cls);
        if (track < 0)
            return gt_error_set(err, GT_ENOMEM, "out of memory labelling %s", r->name);
        if (x->end < x->start) /* NAB's marker for a file without windows */
            continue;
        size_t a, b;
        if (x->is_index) {
            a = x->start < 0 ? 0 : (size_t)x->start;
            b = x->end < 0 ? 0 : (size_t)x->end + 1;
        } else {
            if (!r->time_ns && !r->has_t0)
                return gt_error_set(err, GT_EINVAL, "%s: recording %s has no timestamps: "
                                    "give the intervals as sample indices", source_path, r->name);
            a = gt_recording_find_time(r, x->start);
            b = x->end == INT64_MAX ? r->n : gt_recording_find_time(r, x->end + 1);
        }
        if (b > r->n)
            b = r->n;
        if (a < b) {
            memset(r->labels + (size_t)track * r->n + a, 1, b - a);
            touched++;
        }
    }
    if (marked)
        *marked = touched;
    return GT_OK;
}
