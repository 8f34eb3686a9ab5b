/*
 * The HDF5 store (format "gantry-store"): recordings with their channels,
 * quality masks, timestamps and label tracks.  Layout in gantry/store.h;
 * images (imgstore.c) share the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/h5.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "gantry/version.h"
#include "store_internal.h"

struct gt_store {
    gt_h5 *f;
    int writing;
    char *path;
    char **names; /* reading: recordings, sorted */
    int count;
    char **added; /* writing: names so far */
    int nadded;
};

gt_h5 *gt__store_h5(gt_store *s)
{
    return s ? s->f : NULL;
}

int gt__store_writing(const gt_store *s)
{
    return s && s->writing;
}

/* strdup, with NULL read as "". */
static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

/* ---------------------------------------------------------- recordings */

gt_recording *gt_recording_new(const char *name, int nch, size_t n)
{
    if (nch < 0 || (nch && n > SIZE_MAX / sizeof(float) / (size_t)nch))
        return NULL;
    gt_recording *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->name = dup_str(name);
    r->source = dup_str("");
    r->cls = dup_str("");
    r->rpm = NAN;
    r->n = n;
    r->nch = nch;
    r->channels = calloc((size_t)(nch ? nch : 1), sizeof(char *));
    r->units = calloc((size_t)(nch ? nch : 1), sizeof(char *));
    r->values = calloc(nch && n ? (size_t)nch * n : 1, sizeof(float));
    if (!r->name || !r->source || !r->cls || !r->channels || !r->units || !r->values) {
        gt_recording_free(r);
        return NULL;
    }
    return r;
}

void gt_recording_free(gt_recording *r)
{
    if (!r)
        return;
    for (int c = 0; c < r->nch; c++) {
        if (r->channels)
            free(r->channels[c]);
        if (r->units)
            free(r->units[c]);
    }
    for (int l = 0; l < r->nlabels; l++)
        free(r->label_names[l]);
    free(r->channels);
    free(r->units);
    free(r->label_names);
    free(r->labels);
    free(r->values);
    free(r->quality);
    free(r->time_ns);
    free(r->name);
    free(r->source);
    free(r->cls);
    free(r);
}

int gt_recording_add_label(gt_recording *r, const char *name)
{
    for (int l = 0; l < r->nlabels; l++)
        if (!strcmp(r->label_names[l], name))
            return l;
    size_t n = r->n ? r->n : 1;
    char **names = realloc(r->label_names, sizeof(char *) * (size_t)(r->nlabels + 1));
    if (!names)
        return GT_ENOMEM;
    r->label_names = names;
    uint8_t *lab = realloc(r->labels, n * (size_t)(r->nlabels + 1));
    if (!lab)
        return GT_ENOMEM;
    r->labels = lab;
    if (!(names[r->nlabels] = dup_str(name)))
        return GT_ENOMEM;
    memset(lab + (size_t)r->nlabels * r->n, 0, r->n);
    return r->nlabels++;
}

int gt_recording_ensure_quality(gt_recording *r)
{
    if (r->quality)
        return GT_OK;
    r->quality = calloc(r->nch && r->n ? (size_t)r->nch * r->n : 1, 1);
    return r->quality ? GT_OK : GT_ENOMEM;
}

int64_t gt_recording_time(const gt_recording *r, size_t i)
{
    if (r->time_ns)
        return r->time_ns[i];
    if (!(r->rate_hz > 0))
        return r->t0_ns;
    return r->t0_ns + (int64_t)llround((double)i * 1e9 / r->rate_hz);
}

size_t gt_recording_find_time(const gt_recording *r, int64_t t)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gt_recording_time(r, mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int gt_recording_timestamp(const gt_recording *r, size_t i, char *buf, size_t cap)
{
    if (r->has_t0 || r->time_ns) {
        char iso[64];
        gt_time_format_iso(gt_recording_time(r, i), iso, sizeof iso);
        return snprintf(buf, cap, "%s", iso);
    }
    if (r->rate_hz > 0)
        return snprintf(buf, cap, "%.9g", (double)i / r->rate_hz);
    return snprintf(buf, cap, "%zu", i);
}

int gt_recording_parse_timestamp(const gt_recording *r, const char *s, size_t len, size_t *index)
{
    if (r->has_t0 || r->time_ns) {
        int64_t t;
        if (gt_time_parse(s, len, GT_TIME_AUTO, &t) < 0)
            return GT_EFORMAT;
        *index = gt_recording_find_time(r, t);
        return GT_OK;
    }
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return GT_EFORMAT;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (*end || !isfinite(v) || v < 0)
        return GT_EFORMAT;
    /* Seconds (rate known) or an index; round to the nearest sample so a
     * written "%.9g" reads back to its own index. */
    double idx = r->rate_hz > 0 ? v * r->rate_hz : v;
    double up = ceil(idx - 1e-6);
    *index = up >= (double)r->n ? r->n : (size_t)up;
    return GT_OK;
}

void gt_store_sanitize_name(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            *s = '_';
}

/* ---------------------------------------------------------------- names */

static int valid_name(const char *s)
{
    if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s < 32)
            return 0;
    return 1;
}

static int path_of(char *buf, size_t cap, const char *rec, const char *sub, const char *leaf)
{
    int k = snprintf(buf, cap, "recordings/%s%s%s%s%s", rec, sub ? "/" : "", sub ? sub : "",
                     leaf ? "/" : "", leaf ? leaf : "");
    return k > 0 && (size_t)k < cap ? GT_OK : GT_EINVAL;
}

static void free_names(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static gt_store *store_new(const char *path)
{
    gt_store *s = calloc(1, sizeof *s);
    if (s && !(s->path = dup_str(path))) {
        free(s);
        return NULL;
    }
    return s;
}

static void store_free(gt_store *s)
{
    if (!s)
        return;
    free_names(s->names, s->count);
    free_names(s->added, s->nadded);
    free(s->path);
    free(s);
}

/* -------------------------------------------------------------- writing */

int gt_store_create(gt_store **out, const char *path, gt_error *err)
{
    *out = NULL;
    gt_store *s = store_new(path);
    if (!s)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    int rc = gt_h5_create(&s->f, path, GT_STORE_FORMAT, GT_STORE_FORMAT_MAJOR,
                          GT_STORE_FORMAT_MINOR, err);
    if (rc == GT_OK)
        rc = gt_h5_write_attr_str(s->f, "/", "created_by", "gantry " GT_VERSION_STRING, err);
    if (rc != GT_OK) {
        gt_h5_abort(s->f);
        store_free(s);
        return rc;
    }
    s->writing = 1;
    *out = s;
    return GT_OK;
}

/* The checks a recording must pass before it is written. */
static int check_recording(const gt_store *s, const gt_recording *r, gt_error *err)
{
    if (!valid_name(r->name))
        return gt_error_set(err, GT_EINVAL, "%s: invalid recording name '%s'", s->path,
                            r->name ? r->name : "");
    for (int i = 0; i < s->nadded; i++)
        if (!strcmp(s->added[i], r->name))
            return gt_error_set(err, GT_EINVAL,
                                "%s: two recordings named '%s' (give them distinct names)",
                                s->path, r->name);
    if (r->nch < 1)
        return gt_error_set(err, GT_EINVAL, "%s: recording '%s' has no channels", s->path,
                            r->name);
    for (int c = 0; c < r->nch; c++) {
        if (!valid_name(r->channels[c]))
            return gt_error_set(err, GT_EINVAL, "%s: recording '%s': invalid channel name '%s'",
                                s->path, r->name, r->channels[c] ? r->channels[c] : "");
        for (int d = 0; d < c; d++)
            if (!strcmp(r->channels[c], r->channels[d]))
                return gt_error_set(err, GT_EINVAL,
                                    "%s: recording '%s' has two channels named '%s'", s->path,
                                    r->name, r->channels[c]);
        for (size_t i = 0; i < r->n; i++) {
            size_t k = (size_t)c * r->n + i;
            int missing = r->quality && r->quality[k] == GT_Q_MISSING;
            if (r->quality && r->quality[k] >= GT_Q_COUNT)
                return gt_error_set(err, GT_EINVAL, "%s: recording '%s' channel %s sample %zu: "
                                    "quality code %d is unknown", s->path, r->name,
                                    r->channels[c], i, r->quality[k]);
            if (!missing && !isfinite(r->values[k]))
                return gt_error_set(err, GT_ENUMERIC,
                                    "%s: recording '%s' channel %s sample %zu is %s but not "
                                    "marked missing", s->path, r->name, r->channels[c], i,
                                    isnan(r->values[k]) ? "NaN" : "infinite");
        }
    }
    for (int l = 0; l < r->nlabels; l++)
        if (!valid_name(r->label_names[l]))
            return gt_error_set(err, GT_EINVAL, "%s: recording '%s': invalid label name '%s'",
                                s->path, r->name, r->label_names[l]);
    if (r->time_ns)
        for (size_t i = 1; i < r->n; i++)
            if (r->time_ns[i] <= r->time_ns[i - 1]) {
                char a[48], b[48];
                gt_time_format_iso(r->time_ns[i - 1], a, sizeof a);
                gt_time_format_iso(r->time_ns[i], b, sizeof b);
                return gt_error_set(err, GT_EINVAL, "%s: recording '%s': time does not increase "
                                    "at sample %zu (%s then %s)", s->path, r->name, i, a, b);
            }
    if (!(r->rate_hz >= 0) || !isfinite(r->rate_hz))
        return gt_error_set(err, GT_EINVAL, "%s: recording '%s': invalid rate %g", s->path,
                            r->name, r->rate_hz);
    return GT_OK;
}

static int all_good(const uint8_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (q[i])
            return 0;
    return 1;
}

int gt_store_add(gt_store *s, const gt_recording *r, gt_error *err)
{
    if (!s || !s->writing || !r)
        return gt_error_set(err, GT_EINVAL, "gt_store_add: invalid arguments");
    int rc = check_recording(s, r, err);
    if (rc != GT_OK)
        return rc;
    char g[1024], p[1536];
    if (path_of(g, sizeof g, r->name, NULL, NULL) != GT_OK)
        return gt_error_set(err, GT_EINVAL, "%s: recording name too long", s->path);
    char t0[64] = "";
    int64_t t0ns = r->time_ns && r->n ? r->time_ns[0] : r->t0_ns;
    if (r->has_t0 || r->time_ns)
        gt_time_format_iso(t0ns, t0, sizeof t0);
    if ((rc = gt_h5_write_attr_str(s->f, g, "source", r->source ? r->source : "", err)) ||
        (rc = gt_h5_write_attr_str(s->f, g, "class", r->cls ? r->cls : "", err)) ||
        (rc = gt_h5_write_attr_double(s->f, g, "rate_hz", r->rate_hz, err)) ||
        (rc = gt_h5_write_attr_str(s->f, g, "t0", t0, err)))
        return rc;
    if (isfinite(r->rpm) && (rc = gt_h5_write_attr_double(s->f, g, "rpm", r->rpm, err)))
        return rc;
    size_t dims[1] = {r->n};
    for (int c = 0; c < r->nch; c++) {
        const size_t off = (size_t)c * r->n;
        if (path_of(p, sizeof p, r->name, "signals", r->channels[c]) != GT_OK)
            return gt_error_set(err, GT_EINVAL, "%s: channel name too long", s->path);
        if ((rc = gt_h5_write_floats(s->f, p, r->values + off, 1, dims, err)) ||
            (rc = gt_h5_write_attr_str(s->f, p, "units",
                                       r->units && r->units[c] ? r->units[c] : "", err)))
            return rc;
        if (r->quality && !all_good(r->quality + off, r->n)) {
            path_of(p, sizeof p, r->name, "quality", r->channels[c]);
            if ((rc = gt_h5_write_u8(s->f, p, r->quality + off, 1, dims, err)))
                return rc;
        }
    }
    if (r->time_ns) {
        path_of(p, sizeof p, r->name, "time", NULL);
        if ((rc = gt_h5_write_i64(s->f, p, r->time_ns, 1, dims, err)))
            return rc;
    }
    for (int l = 0; l < r->nlabels; l++) {
        if (path_of(p, sizeof p, r->name, "labels", r->label_names[l]) != GT_OK)
            return gt_error_set(err, GT_EINVAL, "%s: label name too long", s->path);
        if ((rc = gt_h5_write_u8(s->f, p, r->labels + (size_t)l * r->n, 1, dims, err)))
            return rc;
    }
    char **v = realloc(s->added, sizeof(char *) * (size_t)(s->nadded + 1));
    if (!v || !(v[s->nadded] = dup_str(r->name))) {
        if (v)
            s->added = v;
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", s->path);
    }
    s->added = v;
    s->nadded++;
    return GT_OK;
}

int gt_store_commit(gt_store *s, gt_error *err)
{
    if (!s || !s->writing) {
        gt_store_abort(s);
        return gt_error_set(err, GT_EINVAL, "gt_store_commit: not a store being written");
    }
    int rc = GT_OK;
    if (!s->nadded && !gt_h5_exists(s->f, "images")) {
        rc = gt_error_set(err, GT_EINVAL, "%s: no recordings or images to write", s->path);
        gt_h5_abort(s->f);
    } else {
        rc = gt_h5_commit(s->f, err);
    }
    s->f = NULL;
    store_free(s);
    return rc;
}

void gt_store_abort(gt_store *s)
{
    if (!s)
        return;
    if (s->writing)
        gt_h5_abort(s->f);
    else
        gt_h5_close(s->f);
    store_free(s);
}

/* -------------------------------------------------------------- reading */

int gt_store_open(gt_store **out, const char *path, gt_error *err)
{
    *out = NULL;
    gt_store *s = store_new(path);
    if (!s)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    int rc = gt_h5_open(&s->f, path, GT_STORE_FORMAT, GT_STORE_FORMAT_MAJOR, NULL, err);
    /* A store of images only has no /recordings/. */
    if (rc == GT_OK && gt_h5_exists(s->f, "recordings"))
        rc = gt_h5_list(s->f, "recordings", &s->names, &s->count, err);
    if (rc != GT_OK) {
        gt_h5_close(s->f);
        store_free(s);
        return rc;
    }
    *out = s;
    return GT_OK;
}

void gt_store_close(gt_store *s)
{
    gt_store_abort(s);
}

int gt_store_count(const gt_store *s)
{
    return s->writing ? s->nadded : s->count;
}

const char *gt_store_name(const gt_store *s, int i)
{
    int n = gt_store_count(s);
    if (i < 0 || i >= n)
        return NULL;
    return s->writing ? s->added[i] : s->names[i];
}

const char *gt_store_path(const gt_store *s)
{
    return s->path;
}

/* Read a 1-D dataset of exactly n elements (float, u8 or i64). */
static int read_exact(gt_store *s, const char *p, int kind, void **x, size_t n, gt_error *err)
{
    size_t got = 0;
    int nd = 0, rc;
    if (kind == 0)
        rc = gt_h5_read_floats(s->f, p, (float **)x, &got, &nd, NULL, err);
    else if (kind == 1)
        rc = gt_h5_read_u8(s->f, p, (uint8_t **)x, &got, &nd, NULL, err);
    else
        rc = gt_h5_read_i64(s->f, p, (int64_t **)x, &got, &nd, NULL, err);
    if (rc == GT_OK && (nd != 1 || got != n)) {
        free(*x);
        *x = NULL;
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s has %zu values, the recording %zu", s->path,
                          p, got, n);
    }
    return rc;
}

int gt_store_read(gt_store *s, const char *name, gt_recording **out, gt_error *err)
{
    *out = NULL;
    if (!s || s->writing || !name)
        return gt_error_set(err, GT_EINVAL, "gt_store_read: invalid arguments");
    int found = 0;
    for (int i = 0; i < s->count && !found; i++)
        found = !strcmp(s->names[i], name);
    if (!found)
        return gt_error_set(err, GT_EINVAL, "%s: no recording '%s' (the store has %d)", s->path,
                            name, s->count);
    char g[1024], p[1536];
    if (path_of(g, sizeof g, name, NULL, NULL) != GT_OK)
        return gt_error_set(err, GT_EINVAL, "recording name too long");
    char **ch = NULL, **labs = NULL;
    int nch = 0, nlab = 0, rc;
    if ((rc = gt_h5_list(s->f, (snprintf(p, sizeof p, "%s/signals", g), p), &ch, &nch, err)))
        return rc;
    gt_recording *r = NULL;
    float *first = NULL;
    size_t n = 0;
    if (nch < 1) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: recording '%s' has no signals", s->path, name);
        goto fail;
    }
    snprintf(p, sizeof p, "%s/signals/%s", g, ch[0]);
    if ((rc = gt_h5_read_floats(s->f, p, &first, &n, NULL, NULL, err)))
        goto fail;
    if (!(r = gt_recording_new(name, nch, n))) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading '%s'", s->path, name);
        goto fail;
    }
    char *str = NULL;
    free(r->source);
    free(r->cls);
    r->source = r->cls = NULL;
    if ((rc = gt_h5_read_attr_str(s->f, g, "source", &r->source, err)) ||
        (rc = gt_h5_read_attr_str(s->f, g, "class", &r->cls, err)) ||
        (rc = gt_h5_read_attr_double(s->f, g, "rate_hz", &r->rate_hz, err)) ||
        (rc = gt_h5_read_attr_str(s->f, g, "t0", &str, err)))
        goto fail;
    if (*str) {
        if (gt_time_parse(str, strlen(str), GT_TIME_ISO, &r->t0_ns) != GT_OK) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: recording '%s' has a bad t0 '%s'", s->path,
                              name, str);
            free(str);
            goto fail;
        }
        r->has_t0 = 1;
    }
    free(str);
    double rpm;
    gt_error quiet_err;
    if (gt_h5_read_attr_double(s->f, g, "rpm", &rpm, &quiet_err) == GT_OK)
        r->rpm = rpm;
    memcpy(r->values, first, n * sizeof(float));
    for (int c = 0; c < nch; c++) {
        r->channels[c] = dup_str(ch[c]);
        snprintf(p, sizeof p, "%s/signals/%s", g, ch[c]);
        if (!r->channels[c] || (rc = gt_h5_read_attr_str(s->f, p, "units", &r->units[c], err)))
            goto fail_mem;
        if (c > 0) {
            float *x = NULL;
            if ((rc = read_exact(s, p, 0, (void **)&x, n, err)))
                goto fail;
            memcpy(r->values + (size_t)c * n, x, n * sizeof(float));
            free(x);
        }
        snprintf(p, sizeof p, "%s/quality/%s", g, ch[c]);
        if (gt_h5_exists(s->f, p)) {
            uint8_t *q = NULL;
            if ((rc = gt_recording_ensure_quality(r)) || (rc = read_exact(s, p, 1, (void **)&q, n, err)))
                goto fail_mem;
            memcpy(r->quality + (size_t)c * n, q, n);
            free(q);
        }
    }
    snprintf(p, sizeof p, "%s/time", g);
    if (gt_h5_exists(s->f, p) && (rc = read_exact(s, p, 2, (void **)&r->time_ns, n, err)))
        goto fail;
    snprintf(p, sizeof p, "%s/labels", g);
    if (gt_h5_exists(s->f, p)) {
        if ((rc = gt_h5_list(s->f, p, &labs, &nlab, err)))
            goto fail;
        for (int l = 0; l < nlab; l++) {
            uint8_t *lab = NULL;
            int idx = gt_recording_add_label(r, labs[l]);
            if (idx < 0) {
                rc = idx;
                goto fail_mem;
            }
            snprintf(p, sizeof p, "%s/labels/%s", g, labs[l]);
            if ((rc = read_exact(s, p, 1, (void **)&lab, n, err)))
                goto fail;
            memcpy(r->labels + (size_t)idx * n, lab, n);
            free(lab);
        }
    }
    gt_h5_names_free(ch, nch);
    gt_h5_names_free(labs, nlab);
    free(first);
    *out = r;
    return GT_OK;
fail_mem:
    if (rc == GT_ENOMEM || rc == GT_OK)
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading '%s'", s->path, name);
fail:
    gt_h5_names_free(ch, nch);
    gt_h5_names_free(labs, nlab);
    free(first);
    gt_recording_free(r);
    return rc;
}
