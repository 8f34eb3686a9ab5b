/*
 * Historian CSV reader: delimiter/header/column detection on the first lines,
 * then a field tokenizer that does not copy, run on line-aligned chunks of
 * the (mapped) file in parallel, then a merge: wide tables are transposed
 * into column-major arrays; long tables are pivoted (sorted by time only
 * when they are not already).
 */
#include "gantry/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_internal.h"
#include "gantry/store.h"

#define ISD(c) ((unsigned)((c) - '0') < 10u)

/* ================================================================ numbers */

static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int nonfinite_word(const char *s, size_t n)
{
    if (n && (s[0] == '-' || s[0] == '+'))
        s++, n--;
    return ieq(s, n, "nan") || ieq(s, n, "inf") || ieq(s, n, "infinity");
}

/* d (an approximation within a few ulps of the exact decimal value) rounds
 * to the same float as the correctly rounded double would: no float
 * rounding boundary lies within 8 ulps of d. */
static int f32_round_safe(double d)
{
    double a = fabs(d);
    if (!(a >= 0x1p-125 && a <= 0x1p127))
        return 0;
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    int64_t low = (int64_t)(b & ((1ULL << 29) - 1)) - (1LL << 28);
    return low > 8 || low < -8;
}

int gt__parse_f32(const char *s, size_t n, int dc, float *out)
{
    const char *p = s, *e = s + n;
    if (p == e)
        return GT__NUM_BAD;
    int neg = 0;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int nd = 0, e10 = 0, digits = 0;
    while (p < e && *p == '0')
        p++, digits++;
    while (p < e && ISD(*p)) {
        if (nd < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            nd++;
        } else {
            e10++;
        }
        p++, digits++;
    }
    if (p < e && (*p == '.' || (dc && *p == ','))) {
        p++;
        if (nd == 0)
            while (p < e && *p == '0')
                p++, e10--, digits++;
        while (p < e && ISD(*p)) {
            if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                nd++;
                e10--;
            }
            p++, digits++;
        }
    }
    if (!digits)
        return nonfinite_word(s, n) ? GT__NUM_NONFINITE : GT__NUM_BAD;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int es = 1;
        if (p < e && (*p == '+' || *p == '-')) {
            es = *p == '-' ? -1 : 1;
            p++;
        }
        if (p == e || !ISD(*p))
            return GT__NUM_BAD;
        int x = 0;
        while (p < e && ISD(*p)) {
            if (x < 100000)
                x = x * 10 + (*p - '0');
            p++;
        }
        e10 += es * x;
    }
    if (p != e)
        return GT__NUM_BAD;
    double d;
    if (m == 0) {
        d = 0.0;
    } else if (m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        /* exact operands, one rounding: the correctly rounded double */
        d = e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
    } else {
        int ok = 0;
        if (e10 >= -44 && e10 <= 44) {
            d = (double)m;
            if (e10 > 22)
                d = d * p10[22] * p10[e10 - 22];
            else if (e10 >= 0)
                d *= p10[e10];
            else if (e10 >= -22)
                d /= p10[-e10];
            else
                d = d / p10[22] / p10[-e10 - 22];
            ok = f32_round_safe(d);
        }
        if (!ok) {
            char sbuf[128], *b = sbuf;
            if (n >= sizeof sbuf && !(b = malloc(n + 1)))
                return GT__NUM_BAD;
            memcpy(b, s, n);
            b[n] = 0;
            if (dc)
                for (size_t i = 0; i < n; i++)
                    if (b[i] == ',')
                        b[i] = '.';
            d = strtod(b, NULL);
            if (b != sbuf)
                free(b);
            neg = 0; /* strtod kept the sign */
        }
    }
    if (neg)
        d = -d;
    float f = (float)d;
    if (isinf(f))
        return GT__NUM_RANGE;
    *out = f;
    return 0;
}

/* ================================================================ fields */

typedef struct fld {
    const char *p;
    uint32_t n;
    uint8_t esc; /* quoted with "" inside: needs unescaping */
} fld;

enum { SPLIT_UNTERMINATED = -1, SPLIT_AFTER_QUOTE = -2 };

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Quoted field starting at p (on the '"'); sets the field and returns the
 * position after the closing quote, or NULL. */
static const char *quoted(const char *p, const char *e, fld *f)
{
    const char *s = ++p;
    uint8_t esc = 0;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q)
            return NULL;
        if (q + 1 < e && q[1] == '"') {
            esc = 1;
            p = q + 2;
            continue;
        }
        f->p = s;
        f->n = (uint32_t)(q - s);
        f->esc = esc;
        return q + 1;
    }
}

/* Split the line [p, e) into fields; returns their number (fields beyond cap
 * are counted, not stored) or a SPLIT_* code. */
static int split_line(const char *p, const char *e, char delim, fld *f, int cap)
{
    int nf = 0;
    fld tmp;
    if (delim == ' ') {
        for (;;) {
            while (p < e && is_blank(*p))
                p++;
            if (p >= e)
                return nf;
            fld *d = nf < cap ? &f[nf] : &tmp;
            if (*p == '"') {
                p = quoted(p, e, d);
                if (!p)
                    return SPLIT_UNTERMINATED;
                if (p < e && !is_blank(*p))
                    return SPLIT_AFTER_QUOTE;
            } else {
                const char *s = p;
                while (p < e && !is_blank(*p))
                    p++;
                d->p = s;
                d->n = (uint32_t)(p - s);
                d->esc = 0;
            }
            nf++;
        }
    }
    for (;;) {
        while (p < e && *p == ' ')
            p++;
        fld *d = nf < cap ? &f[nf] : &tmp;
        if (p < e && *p == '"') {
            p = quoted(p, e, d);
            if (!p)
                return SPLIT_UNTERMINATED;
            while (p < e && *p == ' ')
                p++;
            if (p < e && *p != delim)
                return SPLIT_AFTER_QUOTE;
        } else {
            const char *s = p;
            while (p < e && *p != delim)
                p++;
            const char *t = p;
            while (t > s && t[-1] == ' ')
                t--;
            d->p = s;
            d->n = (uint32_t)(t - s);
            d->esc = 0;
        }
        nf++;
        if (p >= e)
            return nf;
        p++;
    }
}

/* Unescaped copy of a field (malloc'd). */
static char *fld_dup(const fld *f)
{
    char *s = malloc((size_t)f->n + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        s[k++] = f->p[i];
        if (f->esc && f->p[i] == '"' && i + 1 < f->n && f->p[i + 1] == '"')
            i++;
    }
    s[k] = 0;
    return s;
}

/* Line [p, end-of-line) without '\r'; returns the start of the next line. */
static const char *line_end(const char *p, const char *end, const char **le)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    if (e > p && e[-1] == '\r')
        e--;
    *le = e;
    return nl ? nl + 1 : end;
}

static int blank_line(const char *p, const char *e)
{
    while (p < e && (is_blank(*p) || *p == '\r'))
        p++;
    return p == e;
}

/* Short text of a field for messages. */
#define FMT_FLD(f) (int)((f)->n > 60 ? 60 : (f)->n), (f)->p

/* ================================================================ context */

enum { R_IGNORE = 0, R_TIME, R_CHAN, R_LABEL, R_QUAL, R_TAG, R_VALUE };

typedef struct ctx {
    const char *name;
    char delim;
    int dc, skip_bad;
    int nf;         /* fields per line */
    int has_header;
    char **cols;    /* nf column names */
    uint8_t *role;  /* nf */
    int *ridx;      /* nf: channel / label index */
    gt_csv_layout layout;
    int time_col, tag_col, value_col, qual_col;
    gt_time_format tfmt;
    int nch, nlab;
    double avg_line; /* bytes per line in the sample */
} ctx;

/* ================================================================ tags */

typedef struct taghash {
    int n, cap;
    const char **p; /* raw bytes (in the buffer, or owned when names) */
    uint32_t *len;
    uint8_t *esc;
    uint32_t *hash;
    int *next; /* the tag seen after this one last time */
    int *slot;
    uint32_t mask;
} taghash;

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void th_free(taghash *t)
{
    free(t->p);
    free(t->len);
    free(t->esc);
    free(t->hash);
    free(t->next);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static int th_grow(taghash *t)
{
    int cap = t->cap ? t->cap * 2 : 16;
    const char **p = realloc(t->p, (size_t)cap * sizeof *p);
    if (!p)
        return -1;
    t->p = p;
    uint32_t *len = realloc(t->len, (size_t)cap * sizeof *len);
    if (!len)
        return -1;
    t->len = len;
    uint8_t *esc = realloc(t->esc, (size_t)cap);
    if (!esc)
        return -1;
    t->esc = esc;
    uint32_t *h = realloc(t->hash, (size_t)cap * sizeof *h);
    if (!h)
        return -1;
    t->hash = h;
    int *nx = realloc(t->next, (size_t)cap * sizeof *nx);
    if (!nx)
        return -1;
    t->next = nx;
    uint32_t nslots = (uint32_t)cap * 2;
    int *slot = malloc(nslots * sizeof *slot);
    if (!slot)
        return -1;
    for (uint32_t i = 0; i < nslots; i++)
        slot[i] = -1;
    for (int i = 0; i < t->n; i++) {
        uint32_t k = t->hash[i] & (nslots - 1);
        while (slot[k] >= 0)
            k = (k + 1) & (nslots - 1);
        slot[k] = i;
    }
    free(t->slot);
    t->slot = slot;
    t->mask = nslots - 1;
    t->cap = cap;
    return 0;
}

/* Id of the tag p[0..n), added when new; -1 on allocation failure. */
static int th_find(taghash *t, const char *p, uint32_t n, uint8_t esc, int add)
{
    uint32_t h = hash_bytes(p, n);
    if (t->cap) {
        uint32_t k = h & t->mask;
        for (int i; (i = t->slot[k]) >= 0; k = (k + 1) & t->mask)
            if (t->hash[i] == h && t->len[i] == n && t->esc[i] == esc &&
                memcmp(t->p[i], p, n) == 0)
                return i;
    }
    if (!add)
        return -2;
    if (t->n * 2 >= t->cap && th_grow(t) != 0)
        return -1;
    int i = t->n++;
    t->p[i] = p;
    t->len[i] = n;
    t->esc[i] = esc;
    t->hash[i] = h;
    t->next[i] = -1;
    uint32_t k = h & t->mask;
    while (t->slot[k] >= 0)
        k = (k + 1) & t->mask;
    t->slot[k] = i;
    return i;
}

/* ================================================================ chunks */

typedef struct chunk {
    const char *beg, *end;
    size_t nlines; /* lines in the chunk (blank ones too) */
    size_t ndata;  /* non-blank lines */
    size_t line0;  /* global number of the line before the chunk's first */
    /* rows */
    size_t n, cap;
    int64_t *time;
    float *val;    /* wide: n x nch row-major; long: n */
    uint8_t *q;    /* likewise */
    uint8_t *lab;  /* n x nlab */
    int32_t *tag;  /* long */
    uint32_t *line; /* local line of each row */
    int sorted;    /* long: times non-decreasing */
    size_t ndistinct; /* long, sorted: distinct times */
    taghash th;
    int *gmap;     /* local tag -> global */
    /* errors (local lines) */
    int err;
    size_t err_line;
    char err_msg[400];
    size_t skipped, skip_line;
    char skip_msg[300];
    /* merge */
    size_t drop, off;
} chunk;

static void chunk_free(chunk *k)
{
    free(k->time);
    free(k->val);
    free(k->q);
    free(k->lab);
    free(k->tag);
    free(k->line);
    free(k->gmap);
    th_free(&k->th);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
/* A row error at local line `line`: kept (and 1 returned: stop) or, with
 * skip_bad, counted (0). */
static int row_fail(const ctx *c, chunk *k, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->skip_bad) {
        if (k->skipped++ == 0) {
            k->skip_line = line;
            vsnprintf(k->skip_msg, sizeof k->skip_msg, fmt, ap);
        }
        va_end(ap);
        return 0;
    }
    k->err = GT_EFORMAT;
    k->err_line = line;
    vsnprintf(k->err_msg, sizeof k->err_msg, fmt, ap);
    va_end(ap);
    return 1;
}

static int chunk_reserve(const ctx *c, chunk *k, size_t need)
{
    if (need <= k->cap)
        return 0;
    size_t cap = k->cap ? k->cap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    size_t w = c->layout == GT_CSV_LONG ? 1 : (size_t)(c->nch ? c->nch : 1);
    void *p;
    if (c->time_col >= 0) {
        if (!(p = realloc(k->time, cap * sizeof *k->time)))
            return -1;
        k->time = p;
    }
    if (!(p = realloc(k->val, cap * w * sizeof *k->val)))
        return -1;
    k->val = p;
    if (!(p = realloc(k->q, cap * w)))
        return -1;
    k->q = p;
    if (c->nlab) {
        if (!(p = realloc(k->lab, cap * (size_t)c->nlab)))
            return -1;
        k->lab = p;
    }
    if (c->layout == GT_CSV_LONG) {
        if (!(p = realloc(k->tag, cap * sizeof *k->tag)))
            return -1;
        k->tag = p;
    }
    if (!(p = realloc(k->line, cap * sizeof *k->line)))
        return -1;
    k->line = p;
    k->cap = cap;
    return 0;
}

static void fmt_time(int64_t t, char *buf, size_t cap)
{
    gt_time_format_iso(t, buf, cap);
}

/* Label cell -> 0/1, or -1. */
static int parse_label(const fld *f)
{
    if (f->n == 0)
        return 0;
    if (f->n == 1 && (f->p[0] == '0' || f->p[0] == '1'))
        return f->p[0] - '0';
    float v;
    if (!f->esc && gt__parse_f32(f->p, f->n, 0, &v) == 0)
        return v != 0.0f;
    if (ieq(f->p, f->n, "true") || ieq(f->p, f->n, "yes"))
        return 1;
    if (ieq(f->p, f->n, "false") || ieq(f->p, f->n, "no"))
        return 0;
    return -1;
}

/* Value cell -> *v, or MISSING (empty), or an error (GT__NUM_*). */
static int value_cell(const ctx *c, const fld *f, float *v)
{
    if (f->n == 0)
        return -1;
    if (f->esc)
        return GT__NUM_BAD;
    return gt__parse_f32(f->p, f->n, c->dc, v);
}

static const char *num_problem(int r)
{
    return r == GT__NUM_NONFINITE ? "is not finite (NaN/Inf are not readings)"
           : r == GT__NUM_RANGE   ? "is out of the float32 range"
                                  : "is not a number";
}

typedef struct tcache {
    const char *p;
    uint32_t n;
    int64_t t;
    gt__time_cache dc;
} tcache;

static int time_cell(const ctx *c, tcache *tc, const fld *f, int64_t *t)
{
    if (tc->p && f->n == tc->n && memcmp(f->p, tc->p, f->n) == 0) {
        *t = tc->t;
        return 0;
    }
    if (f->n == 0 || f->esc || gt__time_parse_c(f->p, f->n, c->tfmt, t, &tc->dc) != GT_OK)
        return -1;
    tc->p = f->p;
    tc->n = f->n;
    tc->t = *t;
    return 0;
}

static const char *time_kind(gt_time_format f)
{
    switch (f) {
    case GT_TIME_ISO:
        return "an ISO 8601 time";
    case GT_TIME_DOTTED:
        return "a YYYY.MM.DD.hh.mm.ss time";
    case GT_TIME_EPOCH_S:
        return "epoch seconds";
    case GT_TIME_EPOCH_MS:
        return "epoch milliseconds";
    default:
        return "a time";
    }
}

static int split_fail(const ctx *c, chunk *k, size_t line, int nf)
{
    if (nf == SPLIT_UNTERMINATED)
        return row_fail(c, k, line, "unterminated quote");
    if (nf == SPLIT_AFTER_QUOTE)
        return row_fail(c, k, line, "text after a closing quote");
    return row_fail(c, k, line, "%d fields, the %s has %d", nf,
                    c->has_header ? "header" : "first row", c->nf);
}

static void parse_chunk(const ctx *c, chunk *k)
{
    const int nf = c->nf, nch = c->nch, nlab = c->nlab;
    const int is_long = c->layout == GT_CSV_LONG;
    fld fstack[64], *f = fstack;
    if (nf + 1 > 64 && !(f = malloc((size_t)(nf + 1) * sizeof *f))) {
        k->err = GT_ENOMEM;
        snprintf(k->err_msg, sizeof k->err_msg, "out of memory");
        return;
    }
    tcache tc = {0};
    int64_t prev_t = 0;
    int have_prev = 0;
    int last_tag = -1;
    k->sorted = 1;
    const char *p = k->beg, *end = k->end;
    size_t line = 0;
    if (chunk_reserve(c, k, (size_t)((double)(end - p) / c->avg_line * 1.05) + 16) != 0)
        goto oom;
    while (p < end) {
        const char *e;
        const char *next = line_end(p, end, &e);
        line++;
        if (p == e || ((is_blank(*p) || *p == '\r') && blank_line(p, e))) {
            p = next;
            continue;
        }
        k->ndata++;
        int got = split_line(p, e, c->delim, f, nf + 1);
        p = next;
        if (got != nf) {
            if (split_fail(c, k, line, got))
                break;
            continue;
        }
        if (k->n == k->cap && chunk_reserve(c, k, k->n + 1) != 0)
            goto oom;
        size_t r = k->n;
        int64_t t = 0;
        if (c->time_col >= 0) {
            const fld *tf = &f[c->time_col];
            if (time_cell(c, &tc, tf, &t) != 0) {
                if (tf->n == 0 ? row_fail(c, k, line, "empty timestamp")
                               : row_fail(c, k, line, "timestamp '%.*s' is not %s",
                                          FMT_FLD(tf), time_kind(c->tfmt)))
                    break;
                continue;
            }
        }
        if (is_long) {
            const fld *tg = &f[c->tag_col];
            if (tg->n == 0) {
                if (row_fail(c, k, line, "empty tag name"))
                    break;
                continue;
            }
            float v = NAN;
            uint8_t q = GT_Q_GOOD;
            int vr = value_cell(c, &f[c->value_col], &v);
            if (vr > 0) {
                const fld *vf = &f[c->value_col];
                if (row_fail(c, k, line, "value '%.*s' of tag %.*s %s", FMT_FLD(vf),
                             FMT_FLD(tg), num_problem(vr)))
                    break;
                continue;
            }
            if (c->qual_col >= 0) {
                const fld *qf = &f[c->qual_col];
                int qq = gt_quality_parse(qf->p, qf->n);
                if (qq < 0) {
                    if (row_fail(c, k, line, "quality '%.*s' of tag %.*s is not recognised",
                                 FMT_FLD(qf), FMT_FLD(tg)))
                        break;
                    continue;
                }
                q = (uint8_t)qq;
            }
            if (vr < 0) {
                q = GT_Q_MISSING;
                v = NAN;
            }
            for (int j = 0; j < nlab; j++)
                k->lab[r * (size_t)nlab + (size_t)j] = 0;
            int bad_lab = -1;
            for (int i = 0; i < nf && nlab; i++)
                if (c->role[i] == R_LABEL) {
                    int l = parse_label(&f[i]);
                    if (l < 0) {
                        bad_lab = i;
                        break;
                    }
                    k->lab[r * (size_t)nlab + (size_t)c->ridx[i]] = (uint8_t)l;
                }
            if (bad_lab >= 0) {
                if (row_fail(c, k, line, "label '%.*s' in column %s is not 0/1",
                             FMT_FLD(&f[bad_lab]), c->cols[bad_lab]))
                    break;
                continue;
            }
            /* tag id: the one that followed the previous tag last time, else hash */
            int id = -1;
            if (last_tag >= 0) {
                int pr = k->th.next[last_tag];
                if (pr >= 0 && k->th.len[pr] == tg->n && k->th.esc[pr] == tg->esc &&
                    memcmp(k->th.p[pr], tg->p, tg->n) == 0)
                    id = pr;
            }
            if (id < 0) {
                id = th_find(&k->th, tg->p, tg->n, tg->esc, 1);
                if (id < 0)
                    goto oom;
                if (last_tag >= 0)
                    k->th.next[last_tag] = id;
            }
            last_tag = id;
            if (c->time_col >= 0) {
                if (!have_prev || t != prev_t) {
                    if (have_prev && t < prev_t)
                        k->sorted = 0;
                    k->ndistinct++;
                }
                prev_t = t;
                have_prev = 1;
                k->time[r] = t;
            }
            k->tag[r] = id;
            k->val[r] = v;
            k->q[r] = q;
            k->line[r] = (uint32_t)line;
            k->n++;
            continue;
        }
        /* wide (the order check comes last: a chunk's first row is checked
         * at the merge, and a row must be refused for the same reason either way) */
        uint8_t rq = GT_Q_GOOD;
        if (c->qual_col >= 0) {
            const fld *qf = &f[c->qual_col];
            int qq = gt_quality_parse(qf->p, qf->n);
            if (qq < 0) {
                if (row_fail(c, k, line, "quality '%.*s' is not recognised", FMT_FLD(qf)))
                    break;
                continue;
            }
            rq = (uint8_t)qq;
        }
        float *vr = k->val + r * (size_t)nch;
        uint8_t *qr = k->q + r * (size_t)nch;
        uint8_t *lr = k->lab ? k->lab + r * (size_t)nlab : NULL;
        int bad = 0;
        for (int i = 0; i < nf; i++) {
            int role = c->role[i];
            if (role == R_CHAN) {
                float v;
                int x = value_cell(c, &f[i], &v);
                int ci = c->ridx[i];
                if (x == 0) {
                    vr[ci] = v;
                    qr[ci] = rq;
                } else if (x < 0) {
                    vr[ci] = NAN;
                    qr[ci] = GT_Q_MISSING;
                } else {
                    bad = row_fail(c, k, line, "value '%.*s' in column %s %s", FMT_FLD(&f[i]),
                                   c->cols[i], num_problem(x)) ? 2 : 1;
                    break;
                }
            } else if (role == R_LABEL) {
                int l = parse_label(&f[i]);
                if (l < 0) {
                    bad = row_fail(c, k, line, "label '%.*s' in column %s is not 0/1",
                                   FMT_FLD(&f[i]), c->cols[i]) ? 2 : 1;
                    break;
                }
                lr[c->ridx[i]] = (uint8_t)l;
            }
        }
        if (bad == 2)
            break;
        if (bad)
            continue;
        if (c->time_col >= 0 && have_prev && t <= prev_t) {
            char a[48], b[48];
            fmt_time(t, a, sizeof a);
            fmt_time(prev_t, b, sizeof b);
            if (t == prev_t ? row_fail(c, k, line, "timestamp %s repeats the previous row's", a)
                            : row_fail(c, k, line, "timestamp %s goes backwards (previous %s)",
                                       a, b))
                break;
            continue;
        }
        if (c->time_col >= 0) {
            k->time[r] = t;
            prev_t = t;
            have_prev = 1;
        }
        k->line[r] = (uint32_t)line;
        k->n++;
    }
    /* the rest of the chunk still counts its lines (for later chunks' numbers) */
    if (k->err) {
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            line++;
            p = nl ? nl + 1 : end;
        }
    }
    k->nlines = line;
    if (f != fstack)
        free(f);
    return;
oom:
    k->err = GT_ENOMEM;
    k->err_line = line;
    snprintf(k->err_msg, sizeof k->err_msg, "out of memory");
    k->nlines = line;
    if (f != fstack)
        free(f);
}

/* ================================================================ table */

gt_table *gt__table_new(void)
{
    return calloc(1, sizeof(gt_table));
}

void gt_table_free(gt_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ncols; i++)
        free(t->names ? t->names[i] : NULL);
    free(t->names);
    for (int i = 0; i < t->nlabels; i++)
        free(t->label_names ? t->label_names[i] : NULL);
    free(t->label_names);
    free(t->time_ns);
    free(t->values);
    free(t->quality);
    free(t->labels);
    free(t);
}

gt_csv_opts gt_csv_opts_default(void)
{
    gt_csv_opts o;
    memset(&o, 0, sizeof o);
    o.layout = GT_CSV_AUTO;
    o.header = -1;
    o.time_format = GT_TIME_AUTO;
    return o;
}

/* ================================================================ detection */

static const char *const time_names[] = {"time",       "timestamp",  "date",     "datetime",
                                         "date_time",  "date time",  "time_stamp", "ts",
                                         "utc",        "time_utc",   "timestamp_utc",
                                         "sample_time", "local_time", "localtime", NULL};
static const char *const tag_names[] = {"tag",     "tagname",  "tag_name", "name", "point",
                                        "pointname", "point_name", "sensor", "signal",
                                        "channel", "variable", NULL};
static const char *const value_names[] = {"value", "val", "v", "reading", "pv", NULL};
static const char *const qual_names[] = {"quality", "status", "q", "qual", "quality_code",
                                         NULL};

/* A name in a list (case-insensitive; a trailing " (unit)" ignored). */
static int name_in(const char *name, const char *const *list)
{
    size_t n = strlen(name);
    const char *par = strchr(name, '(');
    if (par && par > name && name[n - 1] == ')') {
        n = (size_t)(par - name);
        while (n && name[n - 1] == ' ')
            n--;
    }
    for (int i = 0; list[i]; i++)
        if (ieq(name, n, list[i]))
            return 1;
    return 0;
}

static char detect_delim(const char *p, const char *end)
{
    static const char cand[3] = {'\t', ';', ','};
    int counts[3][20];
    int nl = 0;
    int spaces = 0;
    while (p < end && nl < 20) {
        const char *e;
        const char *next = line_end(p, end, &e);
        if (!blank_line(p, e)) {
            int inq = 0;
            int cnt[3] = {0, 0, 0};
            const char *s = p, *t = e;
            while (s < t && is_blank(*s))
                s++;
            while (t > s && is_blank(t[-1]))
                t--;
            for (const char *x = s; x < t; x++) {
                if (*x == '"')
                    inq = !inq;
                else if (!inq) {
                    for (int c = 0; c < 3; c++)
                        cnt[c] += *x == cand[c];
                    spaces += *x == ' ';
                }
            }
            for (int c = 0; c < 3; c++)
                counts[c][nl] = cnt[c];
            spaces += s > p || t < e; /* leading or trailing blanks */
            nl++;
        }
        p = next;
    }
    if (nl == 0)
        return ',';
    for (int c = 0; c < 3; c++) {
        int ok = counts[c][0] > 0;
        for (int i = 1; i < nl && ok; i++)
            ok = counts[c][i] == counts[c][0];
        if (ok)
            return cand[c];
    }
    int best = -1;
    for (int c = 0; c < 3; c++)
        if (counts[c][0] > 0 && (best < 0 || counts[c][0] > counts[best][0]))
            best = c;
    if (best >= 0)
        return cand[best];
    return spaces ? ' ' : ',';
}

/* Column given as a name or 1-based number: its index, or -1 (not given),
 * or -2 (not found). */
static int resolve_col(const ctx *c, const char *spec)
{
    if (!spec)
        return -1;
    size_t n = strlen(spec);
    int num = n > 0;
    for (size_t i = 0; i < n; i++)
        num &= ISD(spec[i]) != 0;
    if (num) {
        long v = strtol(spec, NULL, 10);
        return v >= 1 && v <= c->nf ? (int)v - 1 : -2;
    }
    for (int i = 0; i < c->nf; i++)
        if (c->has_header && ieq(c->cols[i], strlen(c->cols[i]), spec))
            return i;
    return -2;
}

enum { K_EMPTY = 0, K_NUM, K_TIME, K_TEXT };

static int classify(const fld *f, int dc)
{
    if (f->n == 0)
        return K_EMPTY;
    float v;
    int r = f->esc ? GT__NUM_BAD : gt__parse_f32(f->p, f->n, dc, &v);
    if (r != GT__NUM_BAD)
        return K_NUM;
    gt_time_format tf = gt_time_detect(f->p, f->n);
    if (tf == GT_TIME_ISO || tf == GT_TIME_DOTTED)
        return K_TIME;
    return K_TEXT;
}

typedef struct colstat {
    int nonempty, num, time, text, qual, qual_text;
} colstat;

#define SAMPLE_ROWS 64

static void ctx_free(ctx *c)
{
    if (c->cols)
        for (int i = 0; i < c->nf; i++)
            free(c->cols[i]);
    free(c->cols);
    free(c->role);
    free(c->ridx);
}

/* Detect everything from the first lines; *data gets the start of the data
 * rows and *line0 the number of lines before them. */
static int detect(ctx *c, const char *p, const char *end, const gt_csv_opts *o,
                  const char **data, size_t *line0, gt_error *err)
{
    const char *name = c->name;
    /* sample lines */
    fld *sf = NULL;
    int *snf = NULL;
    size_t *sline = NULL;
    const char *srow_end[SAMPLE_ROWS + 1];
    const char *srow_beg[SAMPLE_ROWS + 1];
    int ns = 0, maxf = 0;
    size_t line = 0;
    const char *q = p;
    int rc = GT_OK;
    /* first pass: field counts */
    size_t slines[SAMPLE_ROWS + 1];
    while (q < end && ns < SAMPLE_ROWS + 1) {
        const char *e;
        const char *next = line_end(q, end, &e);
        line++;
        if (!blank_line(q, e)) {
            int nf = split_line(q, e, c->delim, NULL, 0);
            if (nf > maxf)
                maxf = nf;
            srow_beg[ns] = q;
            srow_end[ns] = e;
            slines[ns] = line;
            ns++;
        }
        q = next;
    }
    if (ns == 0)
        return gt_error_set(err, GT_EFORMAT, "%s: empty file", name);
    if (maxf <= 0)
        maxf = 1;
    sf = calloc((size_t)ns * (size_t)maxf, sizeof *sf);
    snf = calloc((size_t)ns, sizeof *snf);
    sline = slines;
    if (!sf || !snf) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    double bytes = 0;
    for (int i = 0; i < ns; i++) {
        snf[i] = split_line(srow_beg[i], srow_end[i], c->delim, sf + (size_t)i * maxf, maxf);
        bytes += (double)(srow_end[i] - srow_beg[i]) + 1;
    }
    c->avg_line = bytes / ns;
    if (c->avg_line < 4)
        c->avg_line = 4;
    if (snf[0] < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s:%zu: %s", name, sline[0],
                          snf[0] == SPLIT_UNTERMINATED ? "unterminated quote"
                                                       : "text after a closing quote");
        goto done;
    }
    /* header */
    const fld *r0 = sf;
    int hdr = o->header;
    if (hdr < 0) {
        int any_text = 0, any_data = 0, col_text_vs_data = 0;
        for (int j = 0; j < snf[0]; j++) {
            int k0 = classify(&r0[j], c->dc);
            any_text |= k0 == K_TEXT;
            any_data |= k0 == K_NUM || k0 == K_TIME;
            if (k0 == K_TEXT && ns > 1 && snf[1] > j) {
                int k1 = classify(&sf[(size_t)maxf + j], c->dc);
                col_text_vs_data |= k1 == K_NUM || k1 == K_TIME;
            }
        }
        hdr = (any_text && !any_data) || col_text_vs_data;
    }
    c->has_header = hdr;
    c->nf = snf[0];
    c->cols = calloc((size_t)c->nf, sizeof *c->cols);
    c->role = calloc((size_t)c->nf, 1);
    c->ridx = calloc((size_t)c->nf, sizeof *c->ridx);
    if (!c->cols || !c->role || !c->ridx) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    for (int j = 0; j < c->nf; j++) {
        if (hdr) {
            c->cols[j] = fld_dup(&r0[j]);
        } else {
            c->cols[j] = malloc(16);
            if (c->cols[j])
                snprintf(c->cols[j], 16, "c%d", j + 1);
        }
        if (!c->cols[j]) {
            rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
            goto done;
        }
    }
    int first = hdr ? 1 : 0;
    if (hdr) {
        const char *e;
        *data = line_end(srow_beg[0], end, &e);
        *line0 = sline[0];
    } else {
        *data = srow_beg[0];
        *line0 = sline[0] - 1;
    }
    if (first >= ns) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: no data rows", name);
        goto done;
    }
    /* column statistics over the sample rows */
    colstat *st = calloc((size_t)c->nf, sizeof *st);
    if (!st) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    int nsamp = 0;
    for (int i = first; i < ns; i++) {
        if (snf[i] != c->nf)
            continue;
        nsamp++;
        for (int j = 0; j < c->nf; j++) {
            const fld *f = &sf[(size_t)i * maxf + j];
            int kk = classify(f, c->dc);
            if (kk == K_EMPTY)
                continue;
            st[j].nonempty++;
            st[j].num += kk == K_NUM;
            st[j].time += kk == K_TIME;
            st[j].text += kk == K_TEXT;
            if (gt_quality_parse(f->p, f->n) >= 0) {
                st[j].qual++;
                st[j].qual_text += kk == K_TEXT;
            }
        }
    }
    /* ignored columns: empty header names */
    for (int j = 0; j < c->nf; j++)
        if (hdr && c->cols[j][0] == 0)
            c->role[j] = R_IGNORE + 100; /* marker, reset below */
#define IGN(j) (c->role[j] == R_IGNORE + 100)
    /* time column */
    c->time_col = -1;
    if (o->time_col && ieq(o->time_col, strlen(o->time_col), "none")) {
        c->time_col = -1;
    } else if (o->time_col) {
        c->time_col = resolve_col(c, o->time_col);
        if (c->time_col < 0) {
            rc = gt_error_set(err, GT_EINVAL, "%s: no column '%s' for the time", name,
                              o->time_col);
            goto done_st;
        }
    } else {
        for (int j = 0; j < c->nf && c->time_col < 0 && hdr; j++)
            if (!IGN(j) && name_in(c->cols[j], time_names))
                c->time_col = j;
        if (c->time_col < 0 &&
            (o->time_format == GT_TIME_EPOCH_S || o->time_format == GT_TIME_EPOCH_MS)) {
            for (int j = 0; j < c->nf && c->time_col < 0; j++)
                if (!IGN(j))
                    c->time_col = j;
        }
        for (int j = 0; j < c->nf && c->time_col < 0; j++)
            if (!IGN(j) && st[j].nonempty > 0 && st[j].time == st[j].nonempty)
                c->time_col = j;
    }
    c->tfmt = o->time_format;
    if (c->time_col >= 0 && c->tfmt == GT_TIME_AUTO) {
        for (int i = first; i < ns && c->tfmt == GT_TIME_AUTO; i++) {
            if (snf[i] != c->nf)
                continue;
            const fld *f = &sf[(size_t)i * maxf + c->time_col];
            if (f->n)
                c->tfmt = gt_time_detect(f->p, f->n);
        }
    }
    /* label columns */
    c->nlab = 0;
    if (hdr) {
        const char *lc = o->label_cols ? o->label_cols : "anomaly,changepoint,label,is_anomaly";
        for (int j = 0; j < c->nf; j++) {
            if (IGN(j) || j == c->time_col)
                continue;
            const char *s = lc;
            while (*s) {
                const char *comma = strchr(s, ',');
                size_t len = comma ? (size_t)(comma - s) : strlen(s);
                while (len && *s == ' ')
                    s++, len--;
                while (len && s[len - 1] == ' ')
                    len--;
                if (len && ieq(s, len, c->cols[j])) {
                    c->role[j] = R_LABEL;
                    c->ridx[j] = c->nlab++;
                    break;
                }
                if (!comma)
                    break;
                s = comma + 1;
            }
        }
    }
#define FREE_COL(j) (!IGN(j) && (j) != c->time_col && c->role[j] != R_LABEL)
    /* quality candidates: text quality words (or named so) */
    int qual_given = resolve_col(c, o->quality_col);
    if (o->quality_col && qual_given < 0) {
        rc = gt_error_set(err, GT_EINVAL, "%s: no column '%s' for the quality", name,
                          o->quality_col);
        goto done_st;
    }
    int tag_given = resolve_col(c, o->tag_col);
    if (o->tag_col && tag_given < 0) {
        rc = gt_error_set(err, GT_EINVAL, "%s: no column '%s' for the tag", name, o->tag_col);
        goto done_st;
    }
    int value_given = resolve_col(c, o->value_col);
    if (o->value_col && value_given < 0) {
        rc = gt_error_set(err, GT_EINVAL, "%s: no column '%s' for the value", name,
                          o->value_col);
        goto done_st;
    }
    uint8_t *qcand = calloc((size_t)c->nf, 1);
    if (!qcand) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
        goto done_st;
    }
    for (int j = 0; j < c->nf; j++) {
        if (!FREE_COL(j))
            continue;
        /* (a stray bad line in the sample does not count) */
        int all_q = st[j].nonempty > 0 && st[j].qual * 10 >= st[j].nonempty * 9;
        if (all_q && st[j].qual_text > 0)
            qcand[j] = 1; /* words */
        else if (all_q && hdr && name_in(c->cols[j], qual_names))
            qcand[j] = 2; /* named, numeric codes */
    }
    /* layout */
    c->layout = o->layout;
    int tag_cand = -1;
    for (int j = 0; j < c->nf && tag_cand < 0; j++)
        if (FREE_COL(j) && !qcand[j] && j != qual_given && st[j].text > 0 && st[j].num == 0 &&
            st[j].time == 0)
            tag_cand = j;
    /* a text column among many numeric ones (a machine_status beside 50
     * sensors) makes a wide table with that column ignored, unless it is
     * named like a tag column */
    int nnum = 0, tag_named = 0;
    for (int j = 0; j < c->nf; j++) {
        nnum += FREE_COL(j) && !qcand[j] && st[j].text == 0 && st[j].num > 0;
        tag_named |= FREE_COL(j) && hdr && name_in(c->cols[j], tag_names) && st[j].text > 0;
    }
    if (c->layout == GT_CSV_AUTO)
        c->layout = (tag_given >= 0 || (tag_cand >= 0 && (nnum <= 2 || tag_named)))
                        ? GT_CSV_LONG
                        : GT_CSV_WIDE;
    c->tag_col = c->value_col = c->qual_col = -1;
    if (c->layout == GT_CSV_LONG) {
        if (c->time_col < 0) {
            rc = gt_error_set(err, GT_EFORMAT,
                              "%s: a long (time, tag, value) table needs a time column", name);
            goto done_q;
        }
        c->tag_col = tag_given;
        for (int j = 0; j < c->nf && c->tag_col < 0 && hdr; j++)
            if (FREE_COL(j) && name_in(c->cols[j], tag_names))
                c->tag_col = j;
        if (c->tag_col < 0)
            c->tag_col = tag_cand;
        if (c->tag_col < 0) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: no tag column found (give one)", name);
            goto done_q;
        }
        c->value_col = value_given;
        for (int j = 0; j < c->nf && c->value_col < 0 && hdr; j++)
            if (FREE_COL(j) && j != c->tag_col && name_in(c->cols[j], value_names))
                c->value_col = j;
        for (int pass = 0; pass < 2 && c->value_col < 0; pass++)
            for (int j = pass ? 0 : c->tag_col + 1; j < c->nf && c->value_col < 0; j++)
                if (FREE_COL(j) && j != c->tag_col && !qcand[j] && j != qual_given &&
                    st[j].text == 0 && st[j].time == 0)
                    c->value_col = j;
        if (c->value_col < 0) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: no value column found (give one)", name);
            goto done_q;
        }
        c->qual_col = qual_given;
        for (int j = 0; j < c->nf && c->qual_col < 0 && hdr; j++)
            if (FREE_COL(j) && j != c->tag_col && j != c->value_col &&
                name_in(c->cols[j], qual_names))
                c->qual_col = j;
        for (int j = 0; j < c->nf && c->qual_col < 0; j++)
            if (FREE_COL(j) && j != c->tag_col && j != c->value_col && qcand[j])
                c->qual_col = j;
        for (int j = 0; j < c->nf; j++)
            c->role[j] = j == c->time_col    ? R_TIME
                         : j == c->tag_col   ? R_TAG
                         : j == c->value_col ? R_VALUE
                         : j == c->qual_col  ? R_QUAL
                         : c->role[j] == R_LABEL ? R_LABEL
                                                 : R_IGNORE;
        c->nch = 0;
    } else {
        c->qual_col = qual_given;
        for (int j = 0; j < c->nf && c->qual_col < 0; j++)
            if (FREE_COL(j) && (qcand[j] == 1 || (qcand[j] == 2 && ieq(c->cols[j],
                                                                        strlen(c->cols[j]),
                                                                        "quality"))))
                c->qual_col = j;
        c->nch = 0;
        for (int j = 0; j < c->nf; j++) {
            if (IGN(j))
                c->role[j] = R_IGNORE;
            else if (j == c->time_col)
                c->role[j] = R_TIME;
            else if (j == c->qual_col)
                c->role[j] = R_QUAL;
            else if (c->role[j] != R_LABEL && o->layout == GT_CSV_AUTO && FREE_COL(j) &&
                     !qcand[j] && st[j].text > 0 && st[j].num == 0 && st[j].time == 0)
                c->role[j] = R_IGNORE; /* text beside many numeric columns */
            else if (c->role[j] != R_LABEL) {
                c->role[j] = R_CHAN;
                c->ridx[j] = c->nch++;
            }
        }
        if (c->nch == 0) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: no value columns", name);
            goto done_q;
        }
        /* channel and label names must be distinct */
        for (int a = 0; a < c->nf; a++)
            for (int b = a + 1; b < c->nf; b++)
                if ((c->role[a] == R_CHAN || c->role[a] == R_LABEL) &&
                    (c->role[b] == R_CHAN || c->role[b] == R_LABEL) &&
                    strcmp(c->cols[a], c->cols[b]) == 0) {
                    rc = gt_error_set(err, GT_EFORMAT,
                                      "%s:%zu: column name '%s' appears twice (columns %d "
                                      "and %d)",
                                      name, sline[0], c->cols[a], a + 1, b + 1);
                    goto done_q;
                }
    }
done_q:
    free(qcand);
done_st:
    free(st);
done:
    free(sf);
    free(snf);
    return rc;
#undef IGN
#undef FREE_COL
}

/* ================================================================ merge */

#define NO_ROWS 1 /* merge result: no rows (the caller words the message) */

static void final_msg(gt_error *err, int code, const ctx *c, size_t line, const char *msg)
{
    gt_error_set(err, code, "%s:%zu: %s", c->name, line, msg);
}

static void note_skip(gt_table *t, size_t *best_line, size_t line, const char *name,
                      const char *msg)
{
    if (*best_line == 0 || line < *best_line) {
        *best_line = line;
        /* a long path keeps its end, where the file's name is */
        size_t len = strlen(name);
        snprintf(t->first_skip, sizeof t->first_skip, "%s%s:%zu: %.200s", len > 60 ? "..." : "",
                 len > 60 ? name + len - 57 : name, line, msg);
    }
}

static int merge_wide(const ctx *c, chunk *ks, int nk, gt_table *t, gt_error *err)
{
    size_t best = 0;
    int have_prev = 0;
    int64_t prev_t = 0;
    size_t total = 0;
    for (int i = 0; i < nk; i++) {
        chunk *k = &ks[i];
        k->drop = 0;
        if (c->time_col >= 0 && have_prev) {
            while (k->drop < k->n && k->time[k->drop] <= prev_t) {
                char a[48], b[48], msg[200];
                int64_t tt = k->time[k->drop];
                fmt_time(tt, a, sizeof a);
                fmt_time(prev_t, b, sizeof b);
                if (tt == prev_t)
                    snprintf(msg, sizeof msg, "timestamp %s repeats the previous row's", a);
                else
                    snprintf(msg, sizeof msg, "timestamp %s goes backwards (previous %s)", a, b);
                size_t gl = k->line0 + k->line[k->drop];
                if (!c->skip_bad) {
                    final_msg(err, GT_EFORMAT, c, gl, msg);
                    return GT_EFORMAT;
                }
                t->skipped++;
                note_skip(t, &best, gl, c->name, msg);
                k->drop++;
            }
        }
        if (k->err) {
            final_msg(err, k->err, c, k->line0 + k->err_line, k->err_msg);
            return k->err;
        }
        if (k->skipped) {
            t->skipped += k->skipped;
            note_skip(t, &best, k->line0 + k->skip_line, c->name, k->skip_msg);
        }
        k->off = total;
        total += k->n - k->drop;
        if (k->n > k->drop && c->time_col >= 0) {
            prev_t = k->time[k->n - 1];
            have_prev = 1;
        }
    }
    if (total == 0)
        return NO_ROWS; /* no rows: the caller words it */
    const size_t n = total, nch = (size_t)c->nch, nlab = (size_t)c->nlab;
    t->nrows = n;
    t->ncols = c->nch;
    t->names = calloc(nch, sizeof *t->names);
    t->values = malloc(nch * n * sizeof *t->values);
    t->quality = malloc(nch * n);
    if (c->time_col >= 0)
        t->time_ns = malloc(n * sizeof *t->time_ns);
    if (nlab) {
        t->label_names = calloc(nlab, sizeof *t->label_names);
        t->labels = malloc(nlab * n);
    }
    if (!t->names || !t->values || !t->quality || (c->time_col >= 0 && !t->time_ns) ||
        (nlab && (!t->label_names || !t->labels)))
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
    t->nlabels = c->nlab;
    for (int j = 0; j < c->nf; j++) {
        if (c->role[j] == R_CHAN && !(t->names[c->ridx[j]] = strdup(c->cols[j])))
            return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
        if (c->role[j] == R_LABEL && !(t->label_names[c->ridx[j]] = strdup(c->cols[j])))
            return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nk > 1 ? nk : 1) if (nk > 1)
    for (int i = 0; i < nk; i++) {
        const chunk *k = &ks[i];
        size_t m = k->n - k->drop, off = k->off;
        if (t->time_ns && m)
            memcpy(t->time_ns + off, k->time + k->drop, m * sizeof *t->time_ns);
        for (size_t ch = 0; ch < nch; ch++) {
            float *dv = t->values + ch * n + off;
            uint8_t *dq = t->quality + ch * n + off;
            const float *sv = k->val + k->drop * nch + ch;
            const uint8_t *sq = k->q + k->drop * nch + ch;
            for (size_t r = 0; r < m; r++) {
                dv[r] = sv[r * nch];
                dq[r] = sq[r * nch];
            }
        }
        for (size_t l = 0; l < nlab; l++)
            for (size_t r = 0; r < m; r++)
                t->labels[l * n + off + r] = k->lab[(k->drop + r) * nlab + l];
    }
    return GT_OK;
}

/* ---- long: pivot */

typedef struct kv {
    uint64_t key;
    uint32_t idx;
} kv;

/* Stable LSD radix sort of v by key (11-bit digits, constant digits skipped). */
static int radix_sort(kv *v, size_t n, uint64_t maxkey)
{
    kv *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    int bits = 0;
    while (bits < 64 && (maxkey >> bits))
        bits++;
    kv *a = v, *b = tmp;
    for (int shift = 0; shift < bits; shift += 11) {
        size_t cnt[2048] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[(a[i].key >> shift) & 2047]++;
        int trivial = 0;
        for (int d = 0; d < 2048; d++)
            if (cnt[d] == n)
                trivial = 1;
        if (trivial)
            continue;
        size_t s = 0;
        for (int d = 0; d < 2048; d++) {
            size_t x = cnt[d];
            cnt[d] = s;
            s += x;
        }
        for (size_t i = 0; i < n; i++)
            b[cnt[(a[i].key >> shift) & 2047]++] = a[i];
        kv *x = a;
        a = b;
        b = x;
    }
    if (a != v)
        memcpy(v, a, n * sizeof *v);
    free(tmp);
    return 0;
}

typedef struct pivot {
    const ctx *c;
    gt_table *t;
    size_t nrows;
    uint8_t *qmark; /* quality with 0xFF = empty cell */
    /* duplicates */
    size_t ndup;
    size_t dup_line; /* smallest line of a duplicate */
    int dup_tag;
    int64_t dup_time;
    size_t best; /* first_skip's line */
} pivot;

static void pivot_put(pivot *pv, size_t row, int g, float v, uint8_t q, const uint8_t *lab,
                      size_t gline, int64_t tm)
{
    size_t cell = (size_t)g * pv->nrows + row;
    if (pv->qmark[cell] != 0xFF) {
        pv->ndup++;
        if (pv->dup_line == 0 || gline < pv->dup_line) {
            pv->dup_line = gline;
            pv->dup_tag = g;
            pv->dup_time = tm;
        }
        return;
    }
    pv->qmark[cell] = q;
    pv->t->values[cell] = v;
    size_t nlab = (size_t)pv->c->nlab;
    for (size_t l = 0; l < nlab; l++)
        if (lab[l])
            pv->t->labels[l * pv->nrows + row] = 1;
}

/* The line of the earliest reading of tag g at time tm (for the message). */
static size_t first_line_of(const chunk *ks, int nk, int g, int64_t tm)
{
    for (int i = 0; i < nk; i++)
        for (size_t r = 0; r < ks[i].n; r++)
            if (ks[i].time[r] == tm && ks[i].gmap[ks[i].tag[r]] == g)
                return ks[i].line0 + ks[i].line[r];
    return 0;
}

static int merge_long(const ctx *c, chunk *ks, int nk, gt_table *t, gt_error *err)
{
    size_t best = 0;
    /* errors first, in file order */
    for (int i = 0; i < nk; i++) {
        chunk *k = &ks[i];
        if (k->err) {
            final_msg(err, k->err, c, k->line0 + k->err_line, k->err_msg);
            return k->err;
        }
        if (k->skipped) {
            t->skipped += k->skipped;
            note_skip(t, &best, k->line0 + k->skip_line, c->name, k->skip_msg);
        }
    }
    size_t nread = 0;
    for (int i = 0; i < nk; i++)
        nread += ks[i].n;
    if (nread > UINT32_MAX)
        return gt_error_set(err, GT_EINVAL, "%s: more than 2^32 readings", c->name);
    /* global tags in order of first appearance */
    taghash g = {0};
    int rc = GT_OK;
    for (int i = 0; i < nk; i++) {
        chunk *k = &ks[i];
        k->gmap = malloc(((size_t)k->th.n + 1) * sizeof *k->gmap);
        if (!k->gmap) {
            rc = GT_ENOMEM;
            break;
        }
        for (int j = 0; j < k->th.n && rc == GT_OK; j++) {
            fld f = {k->th.p[j], k->th.len[j], k->th.esc[j]};
            char *nm = fld_dup(&f);
            if (!nm) {
                rc = GT_ENOMEM;
                break;
            }
            int id = th_find(&g, nm, (uint32_t)strlen(nm), 0, 0);
            if (id == -2) {
                id = th_find(&g, nm, (uint32_t)strlen(nm), 0, 1);
                if (id < 0) {
                    free(nm);
                    rc = GT_ENOMEM;
                    break;
                }
            } else {
                free(nm);
            }
            k->gmap[j] = id;
        }
    }
    size_t N = 0;
    for (int i = 0; i < nk; i++)
        N += ks[i].n;
    int ntags = g.n;
    if (rc == GT_OK) {
        t->ncols = ntags;
        t->names = calloc((size_t)(ntags ? ntags : 1), sizeof *t->names);
        if (!t->names)
            rc = GT_ENOMEM;
        for (int j = 0; j < ntags && rc == GT_OK; j++)
            t->names[j] = (char *)g.p[j]; /* ownership moves to the table */
        if (rc != GT_OK)
            for (int j = 0; j < ntags; j++)
                free((char *)g.p[j]);
    } else {
        for (int j = 0; j < g.n; j++)
            free((char *)g.p[j]);
    }
    th_free(&g);
    if (rc != GT_OK)
        return gt_error_set(err, rc, "%s: out of memory", c->name);
    if (N == 0)
        return NO_ROWS;
    /* sorted already? */
    int sorted = 1;
    int64_t last = 0;
    int have = 0;
    size_t nrows = 0;
    for (int i = 0; i < nk && sorted; i++) {
        const chunk *k = &ks[i];
        if (!k->n)
            continue;
        sorted = k->sorted && (!have || k->time[0] >= last);
        nrows += k->ndistinct - (have && k->time[0] == last);
        last = k->time[k->n - 1];
        have = 1;
    }
    kv *perm = NULL;
    size_t *cstart = NULL; /* chunk start in the global index */
    if (!sorted) {
        cstart = malloc(((size_t)nk + 1) * sizeof *cstart);
        perm = malloc(N * sizeof *perm);
        if (!perm || !cstart) {
            free(perm);
            free(cstart);
            return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
        }
        int64_t tmin = INT64_MAX, tmax = INT64_MIN;
        size_t s = 0;
        for (int i = 0; i < nk; i++) {
            cstart[i] = s;
            for (size_t r = 0; r < ks[i].n; r++) {
                int64_t x = ks[i].time[r];
                tmin = x < tmin ? x : tmin;
                tmax = x > tmax ? x : tmax;
                perm[s].key = (uint64_t)x;
                perm[s].idx = (uint32_t)s;
                s++;
            }
        }
        cstart[nk] = s;
        for (size_t r = 0; r < N; r++)
            perm[r].key -= (uint64_t)tmin;
        if (radix_sort(perm, N, (uint64_t)tmax - (uint64_t)tmin) != 0) {
            free(perm);
            free(cstart);
            return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
        }
        nrows = 0;
        for (size_t r = 0; r < N; r++)
            nrows += r == 0 || perm[r].key != perm[r - 1].key;
    }
    size_t ncells = (size_t)ntags * nrows, nlab = (size_t)c->nlab;
    t->nrows = nrows;
    t->time_ns = malloc(nrows * sizeof *t->time_ns);
    t->values = malloc((ncells ? ncells : 1) * sizeof *t->values);
    t->quality = malloc(ncells ? ncells : 1);
    if (nlab) {
        t->label_names = calloc(nlab, sizeof *t->label_names);
        t->labels = calloc(nlab * nrows, 1);
    }
    if (!t->time_ns || !t->values || !t->quality || (nlab && (!t->label_names || !t->labels))) {
        free(perm);
        free(cstart);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
    }
    t->nlabels = c->nlab;
    for (int j = 0; j < c->nf; j++)
        if (c->role[j] == R_LABEL && !(t->label_names[c->ridx[j]] = strdup(c->cols[j]))) {
            free(perm);
            free(cstart);
            return gt_error_set(err, GT_ENOMEM, "%s: out of memory", c->name);
        }
    memset(t->quality, 0xFF, ncells);
    {
        float *v = t->values;
        for (size_t i = 0; i < ncells; i++)
            v[i] = NAN;
    }
    pivot pv = {.c = c, .t = t, .nrows = nrows, .qmark = t->quality};
    static const uint8_t nolab[1] = {0};
    if (sorted) {
        size_t row = (size_t)-1;
        int64_t lt = 0;
        for (int i = 0; i < nk; i++) {
            const chunk *k = &ks[i];
            const int *gm = k->gmap;
            for (size_t r = 0; r < k->n; r++) {
                int64_t x = k->time[r];
                if (row == (size_t)-1 || x != lt) {
                    row++;
                    lt = x;
                    t->time_ns[row] = x;
                }
                size_t cell = (size_t)gm[k->tag[r]] * nrows + row;
                if (pv.qmark[cell] == 0xFF && !nlab) {
                    pv.qmark[cell] = k->q[r];
                    t->values[cell] = k->val[r];
                } else {
                    pivot_put(&pv, row, gm[k->tag[r]], k->val[r], k->q[r],
                              nlab ? k->lab + r * nlab : nolab, k->line0 + k->line[r], x);
                }
            }
        }
    } else {
        size_t row = (size_t)-1;
        int ci = 0;
        for (size_t r = 0; r < N; r++) {
            uint32_t gi = perm[r].idx;
            /* chunk of gi: binary search */
            int lo = 0, hi = nk - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) / 2;
                if (cstart[mid] <= gi)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            ci = lo;
            const chunk *k = &ks[ci];
            size_t li = gi - cstart[ci];
            int64_t x = k->time[li];
            if (r == 0 || perm[r].key != perm[r - 1].key) {
                row++;
                t->time_ns[row] = x;
            }
            pivot_put(&pv, row, k->gmap[k->tag[li]], k->val[li], k->q[li],
                      nlab ? k->lab + li * nlab : nolab, k->line0 + k->line[li], x);
        }
    }
    free(perm);
    free(cstart);
    for (size_t i = 0; i < ncells; i++)
        if (t->quality[i] == 0xFF)
            t->quality[i] = GT_Q_MISSING;
    if (pv.ndup) {
        char a[48], msg[400];
        fmt_time(pv.dup_time, a, sizeof a);
        size_t other = first_line_of(ks, nk, pv.dup_tag, pv.dup_time);
        snprintf(msg, sizeof msg, "tag %.100s at %s already has a reading on line %zu",
                 t->names[pv.dup_tag], a, other);
        if (!c->skip_bad) {
            final_msg(err, GT_EFORMAT, c, pv.dup_line, msg);
            return GT_EFORMAT;
        }
        t->skipped += pv.ndup;
        note_skip(t, &best, pv.dup_line, c->name, msg);
    }
    return GT_OK;
}

/* ================================================================ driver */

#define MIN_CHUNK (256 * 1024)

int gt__csv_parse_chunked(const char *buf, size_t len, const char *name, const gt_csv_opts *o,
                          int nchunks, gt_table **out, gt_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!buf && len))
        return gt_error_set(err, GT_EINVAL, "gt_csv_parse: no output or no buffer");
    if (!name)
        name = "<buffer>";
    gt_csv_opts def = gt_csv_opts_default();
    if (!o)
        o = &def;
    if (o->delim && o->delim != ',' && o->delim != ';' && o->delim != '\t' && o->delim != ' ')
        return gt_error_set(err, GT_EINVAL, "%s: delimiter '%c' is not one of , ; tab space",
                            name, o->delim);
    if (o->decimal_comma && o->delim == ',')
        return gt_error_set(err, GT_EINVAL,
                            "%s: a decimal comma needs a delimiter other than ','", name);
    const char *p = buf, *end = buf + len;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    ctx c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.dc = o->decimal_comma;
    c.skip_bad = o->skip_bad;
    c.delim = o->delim ? o->delim : detect_delim(p, end);
    if (c.dc && c.delim == ',')
        c.delim = ';';
    const char *data = NULL;
    size_t line0 = 0;
    if (p == end || blank_line(p, end)) {
        /* blank_line stops at '\n'; check the whole buffer */
        const char *x = p;
        while (x < end && (is_blank(*x) || *x == '\r' || *x == '\n'))
            x++;
        if (x == end)
            return gt_error_set(err, GT_EFORMAT, "%s: empty file", name);
    }
    int rc = detect(&c, p, end, o, &data, &line0, err);
    if (rc != GT_OK) {
        ctx_free(&c);
        return rc;
    }
    /* chunks at line boundaries */
    size_t dlen = (size_t)(end - data);
    int nk = nchunks > 0 ? nchunks : gt_threads_get();
    if (nchunks <= 0 && (size_t)nk > dlen / MIN_CHUNK)
        nk = (int)(dlen / MIN_CHUNK);
    /* a chunk's line numbers must fit in 32 bits */
    while ((size_t)nk < dlen / ((size_t)1 << 31))
        nk++;
    if (nk < 1)
        nk = 1;
    chunk *ks = calloc((size_t)nk, sizeof *ks);
    gt_table *t = gt__table_new();
    if (!ks || !t) {
        free(ks);
        free(t);
        ctx_free(&c);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", name);
    }
    const char *s = data;
    for (int i = 0; i < nk; i++) {
        const char *e = i == nk - 1 ? end : data + dlen / (size_t)nk * (size_t)(i + 1);
        if (e < s)
            e = s;
        if (e < end && i < nk - 1) {
            const char *nl = memchr(e, '\n', (size_t)(end - e));
            e = nl ? nl + 1 : end;
        }
        ks[i].beg = s;
        ks[i].end = e;
        s = e;
    }
    int nt = gt_threads_get();
    if (nt > nk)
        nt = nk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
    for (int i = 0; i < nk; i++)
        parse_chunk(&c, &ks[i]);
    size_t l0 = line0;
    for (int i = 0; i < nk; i++) {
        ks[i].line0 = l0;
        l0 += ks[i].nlines;
        t->lines += ks[i].ndata;
    }
    t->layout = c.layout;
    t->delim = c.delim;
    rc = c.layout == GT_CSV_LONG ? merge_long(&c, ks, nk, t, err)
                                 : merge_wide(&c, ks, nk, t, err);
    if (rc == NO_ROWS) {
        if (t->skipped)
            rc = gt_error_set(err, GT_EFORMAT, "%s: no data rows (all %zu skipped; the first: %s)",
                              name, t->skipped, t->first_skip);
        else
            rc = gt_error_set(err, GT_EFORMAT, "%s: no data rows", name);
    }
    for (int i = 0; i < nk; i++)
        chunk_free(&ks[i]);
    free(ks);
    ctx_free(&c);
    if (rc != GT_OK) {
        gt_table_free(t);
        return rc;
    }
    *out = t;
    return GT_OK;
}

int gt_csv_parse(const char *buf, size_t len, const char *name, const gt_csv_opts *o,
                 gt_table **out, gt_error *err)
{
    return gt__csv_parse_chunked(buf, len, name, o, 0, out, err);
}

int gt_csv_read(const char *path, const gt_csv_opts *o, gt_table **out, gt_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return gt_error_set(err, GT_EINVAL, "gt_csv_read: no path or no output");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    (void)base;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return gt_error_set(err, GT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return gt_error_set(err, GT_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return gt_error_set(err, GT_EIO, "%s: is a directory", path);
    }
    size_t len = (size_t)sb.st_size;
    if (len == 0) {
        close(fd);
        return gt_error_set(err, GT_EFORMAT, "%s: empty file", path);
    }
#ifdef MAP_POPULATE
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
#else
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
#endif
    if (m == MAP_FAILED) {
        /* not mappable (a pipe, /proc): read it */
        char *b = NULL;
        size_t cap = 0, n = 0;
        for (;;) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1 << 20;
                char *nb = realloc(b, cap);
                if (!nb) {
                    free(b);
                    close(fd);
                    return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
                }
                b = nb;
            }
            ssize_t r = read(fd, b + n, cap - n);
            if (r < 0) {
                int e = errno;
                free(b);
                close(fd);
                return gt_error_set(err, GT_EIO, "%s: read failed: %s", path, strerror(e));
            }
            if (r == 0)
                break;
            n += (size_t)r;
        }
        close(fd);
        int rc = gt_csv_parse(b, n, path, o, out, err);
        free(b);
        return rc;
    }
    close(fd);
    posix_madvise(m, len, POSIX_MADV_SEQUENTIAL);
    int rc = gt_csv_parse(m, len, path, o, out, err);
    munmap(m, len);
    return rc;
}
