/* gantry ingest: historian CSV, .mat vibration recordings and raw floats
 * into one HDF5 store; image files and folders go to ingest_images.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gantry/csv.h"
#include "gantry/labels.h"
#include "gantry/resample_rate.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "ingest_images.h"
#include "tool.h"

static const char help[] =
    "usage: gantry ingest INPUT... -o STORE.h5 [options]\n"
    "\n"
    "Reads historian exports (CSV/TXT, long or wide), vibration recordings (.mat)\n"
    "and raw little-endian floats (.f32, .f64, .raw, .bin) into one HDF5 store\n"
    "(layout: README.md, \"The store\").  Each input becomes a recording named\n"
    "after the file (its folder is prefixed when two inputs share a name).\n"
    "Image files and folders become the store's image set instead (see images\n"
    "below; one run takes recordings or images, not both).\n"
    "The store is written under a temporary name and renamed at the end: a\n"
    "failed run leaves nothing behind and never touches an existing store.\n"
    "\n"
    "output\n"
    "  -o, --output STORE.h5   the store to write (refused if it exists)\n"
    "  --force                 replace an existing store\n"
    "  --name NAME             the recording's name (one input, or --merge)\n"
    "  --class NAME            the class of every recording (normal, inner_race...)\n"
    "  --class-map P=C,...     the class by file-name prefix: a file whose name starts\n"
    "                          with P gets class C (first match; CWRU:\n"
    "                          IR=inner_race,OR=outer_race,B=ball,Normal=normal)\n"
    "\n"
    "historian CSV (everything is detected unless given)\n"
    "  --format auto|long|wide long: time,tag,value[,quality]; wide: time,tag1,...\n"
    "  --delimiter C           ',' ';' 'tab' or 'space' (runs of blanks)\n"
    "  --decimal-comma         3,14 means 3.14\n"
    "  --header | --no-header  whether the first row names the columns\n"
    "  --time-column COL       name or 1-based number, or 'none' (rows are samples)\n"
    "  --time-format F         auto, iso, dotted (2003.10.22.12.06.24), epoch-s, epoch-ms\n"
    "  --tag-column COL, --value-column COL, --quality-column COL   (long format)\n"
    "  --label-columns A,B     per-row 0/1 label columns (default: anomaly,\n"
    "                          changepoint, label, is_anomaly; 'none' for none)\n"
    "  --segment-column COL    split the rows into one recording per run of equal\n"
    "                          values of COL (C-MAPSS: --segment-column 1, the unit)\n"
    "  --resample STEP         put readings on a regular grid (1s, 500ms, 5min...)\n"
    "  --method hold|linear|mean   how (default hold)\n"
    "  --max-gap DUR           grid points further than DUR from a good reading\n"
    "                          are MISSING (default: no limit)\n"
    "  --merge                 all CSV inputs are one historian: append them in time\n"
    "                          order into one recording; overlapping rows are dropped\n"
    "                          and reported\n"
    "  --skip-bad              skip malformed rows (counted and reported) instead of\n"
    "                          failing\n"
    "\n"
    "vibration and raw\n"
    "  --vars A,B              .mat variables by name or *SUFFIX (a channel picked\n"
    "                          by *SUFFIX is named SUFFIX in every file; default: every\n"
    "                          numeric vector of the first one's length)\n"
    "  --rate HZ               sample rate (.mat without a rate variable, raw,\n"
    "                          CSV without a time column)\n"
    "  --to-rate HZ            resample (band-limited) to HZ after reading\n"
    "  --rpm RPM               shaft speed (.mat: read from *RPM when present); with\n"
    "                          it, the rate is checked against the shaft-harmonic\n"
    "                          comb and a warning names a rate that fits better\n"
    "  --no-rate-check         skip that check\n"
    "  --dtype float32|float64 raw files (default float32)\n"
    "  --channels N            raw files: N interleaved channels (default 1)\n"
    "  --units U | --units TAG=U,TAG=U   units of the channels\n"
    "\n"
    "labels\n"
    "  --labels FILE.csv       intervals start,end[,class] (times, or sample indices)\n"
    "  --nab-labels FILE.json  NAB's combined_windows.json (matched by file path)\n"
    "\n"
    "images (when the inputs are .png/.jpg/.jpeg files or folders; folders are\n"
    "walked recursively in path order and other files in them ignored)\n"
    "  --size S                the images' side in pixels, 8..1024 (default 64)\n"
    "  --fit crop|tile         crop: the centred square, the shorter side scaled to S\n"
    "                          (default); tile: S x S patches at the file's resolution\n"
    "                          (the last one of a row or column moved back to the\n"
    "                          border; images smaller than S give none, reported)\n"
    "  --scale F               tile: resize each image by F first\n"
    "  --channels 1|3, --gray  grey or RGB (default: 1 if every file is grey, else 3);\n"
    "                          --gray is --channels 1 (NEU's RGB files of grey content)\n"
    "  --class-from folder|prefix|none   folder (default): the first folder below the\n"
    "                          input folder (magnetic_tile/ -> MT_Free...), or prefix\n"
    "                          for files not in a sub-folder; prefix: the file name up\n"
    "                          to its last _<digits> (crazing_12.jpg -> crazing);\n"
    "                          --class-map renames them (MT_Free=normal)\n"
    "  --masks SUFFIX          X's mask is the file stem(X)+SUFFIX beside it (.png:\n"
    "                          X.jpg's mask is X.png), cut like X, > 127 is defect;\n"
    "                          an image without one gets an all-0 mask (counted)\n"
    "  --strict                refuse unreadable, truncated or corrupt image files\n"
    "                          (default: skip each with a warning naming it, counted)\n"
    "\n"
    "  --progress | --quiet    progress on stderr (default: only on a terminal)\n"
    "\n"
    "examples:\n"
    "  gantry ingest plant.csv --resample 1s -o plant.h5\n"
    "  gantry ingest skab/data/valve1/*.csv -o skab.h5\n"
    "  gantry ingest cwru/12k_DE/IR007_0.mat --rate 12000 --class inner_race -o ir.h5\n"
    "  gantry ingest neu_det/IMAGES --class-from prefix --gray -o neu.h5\n"
    "  gantry ingest magnetic_tile --masks .png --fit tile --class-map MT_Free=normal -o mt.h5\n";

typedef struct ingest {
    gt_csv_opts csv;
    const char *name, *cls, *class_map, *vars, *units, *segment;
    double rate, to_rate, rpm;
    int64_t resample_ns, max_gap_ns;
    gt_resample_method method;
    int merge, dtype64, channels, force, progress, rate_check;
    gt_intervals labels, nab;
    gt_store *store;
    size_t recordings, samples, skipped;
    char **inputs;
    int ninputs;
} ingest;

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) {
        fputs("gantry ingest: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static const char *ext_of(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static int ext_is(const char *path, const char *list)
{
    const char *e = ext_of(path), *item;
    size_t n = strlen(e), k;
    while (tool_list_next(&list, &item, &k))
        if (k == n && !strncasecmp(item, e, n))
            return 1;
    return 0;
}

/* The recording name for input i: the file's base name without extension,
 * with its folder prefixed when another input has the same base name. */
static void base_name(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, cap, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
}

static void recording_name(const ingest *g, int i, char *buf, size_t cap)
{
    char mine[256], other[256];
    base_name(g->inputs[i], mine, sizeof mine);
    int clash = 0;
    for (int j = 0; j < g->ninputs && !clash; j++) {
        base_name(g->inputs[j], other, sizeof other);
        clash = j != i && !strcmp(mine, other);
    }
    if (clash) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", g->inputs[i]);
        char *s = strrchr(dir, '/');
        if (s)
            *s = 0;
        else
            dir[0] = 0;
        char *d = strrchr(dir, '/');
        snprintf(buf, cap, "%.200s_%.250s", d ? d + 1 : dir[0] ? dir : "_", mine);
    } else {
        snprintf(buf, cap, "%s", mine);
    }
    gt_store_sanitize_name(buf);
}

/* Units: "g" for every channel, or "TAG=U,TAG=U". */
static void set_units(const ingest *g, gt_recording *r)
{
    for (int c = 0; c < r->nch; c++) {
        const char *u = "";
        char buf[128] = "";
        if (g->units && !strchr(g->units, '=')) {
            u = g->units;
        } else if (g->units) {
            const char *p = g->units, *item;
            size_t len, k = strlen(r->channels[c]);
            while (tool_list_next(&p, &item, &len))
                if (len > k && !strncmp(item, r->channels[c], k) && item[k] == '=') {
                    snprintf(buf, sizeof buf, "%.*s", (int)(len - k - 1), item + k + 1);
                    u = buf;
                }
        }
        free(r->units[c]);
        r->units[c] = xstrdup(u);
    }
}

/* With a shaft speed, check the stated rate against the shaft-harmonic comb
 * (CWRU's normal baseline is 48 kHz, often taken for 12 kHz). */
static void check_rate(const gt_recording *r, const char *path)
{
    if (!isfinite(r->rpm) || !(r->rpm > 0) || !(r->rate_hz > 0) || r->time_ns)
        return;
    static const double factors[] = {1, 4, 0.25, 2, 0.5};
    double best = 0, best_rate = 0, given = 0;
    for (int k = 0; k < 5; k++) {
        double score;
        if (gt_shaft_rate_score(r->values, r->n, r->rate_hz * factors[k], r->rpm / 60.0, &score,
                                NULL) != GT_OK)
            continue;
        if (k == 0)
            given = score;
        if (score > best) {
            best = score;
            best_rate = r->rate_hz * factors[k];
        }
    }
    if (best_rate != r->rate_hz && best > 10 && best > 10 * given)
        fprintf(stderr, "%s: warning: %s: the shaft harmonics of %g rpm fit a sample rate of "
                "%g Hz, not the %g Hz given (comb score %.3g against %.3g): check --rate\n",
                tool_name, path, r->rpm, best_rate, r->rate_hz, best, given);
}

/* Labels, class, units; then into the store. */
static int finish(ingest *g, gt_recording *r, const char *path)
{
    gt_error err = {0};
    if (g->cls) {
        free(r->cls);
        r->cls = xstrdup(g->cls);
    }
    if (g->class_map) {
        const char *b = strrchr(path, '/'), *to;
        size_t len;
        b = b ? b + 1 : path;
        if ((to = ingest_class_map(g->class_map, b, &len))) {
            free(r->cls);
            if (!(r->cls = strndup(to, len)))
                return tool_fail("out of memory");
        }
    }
    if (!isnan(g->rpm))
        r->rpm = g->rpm;
    set_units(g, r);
    if (g->rate_check)
        check_rate(r, path);
    size_t marked;
    if ((g->labels.n && gt_intervals_apply(&g->labels, "", r, &marked, &err)) ||
        (g->nab.n && gt_intervals_apply(&g->nab, path, r, &marked, &err)))
        return tool_fail_err(&err);
    if (gt_store_add(g->store, r, &err))
        return tool_fail_err(&err);
    g->recordings++;
    g->samples += r->n * (size_t)r->nch;
    return 0;
}

/* Band-limited rate change of every channel (quality and labels follow by
 * nearest sample). */
static int change_rate(ingest *g, gt_recording **rp, const char *path)
{
    gt_recording *r = *rp;
    if (!(g->to_rate > 0) || r->rate_hz == g->to_rate)
        return 0;
    if (!(r->rate_hz > 0) || r->time_ns)
        return tool_fail("%s: --to-rate needs a regular signal with a known rate", path);
    gt_error err = {0};
    gt_recording *o = NULL;
    for (int c = 0; c < r->nch; c++) {
        float *y;
        size_t ny;
        if (gt_resample_rate(r->values + (size_t)c * r->n, r->n, r->rate_hz, g->to_rate, &y, &ny,
                             &err)) {
            gt_recording_free(o);
            return tool_fail("%s: %s", path, err.msg);
        }
        if (!o) {
            o = gt_recording_new(r->name, r->nch, ny);
            if (!o) {
                free(y);
                return tool_fail("out of memory");
            }
        }
        memcpy(o->values + (size_t)c * ny, y, ny * sizeof(float));
        free(y);
        o->channels[c] = xstrdup(r->channels[c]);
        o->units[c] = xstrdup(r->units[c]);
    }
    const double ratio = r->rate_hz / g->to_rate;
    for (int l = 0; l < r->nlabels; l++) {
        int t = gt_recording_add_label(o, r->label_names[l]);
        if (t < 0)
            return gt_recording_free(o), tool_fail("out of memory");
        for (size_t i = 0; i < o->n; i++) {
            size_t j = (size_t)((double)i * ratio);
            o->labels[(size_t)t * o->n + i] = r->labels[(size_t)l * r->n + (j < r->n ? j : r->n - 1)];
        }
    }
    if (r->quality) {
        if (gt_recording_ensure_quality(o))
            return gt_recording_free(o), tool_fail("out of memory");
        for (int c = 0; c < r->nch; c++)
            for (size_t i = 0; i < o->n; i++) {
                size_t j = (size_t)((double)i * ratio);
                o->quality[(size_t)c * o->n + i] = r->quality[(size_t)c * r->n + (j < r->n ? j : r->n - 1)];
            }
    }
    free(o->source);
    free(o->cls);
    char src[1024];
    snprintf(src, sizeof src, "%s (resampled from %g Hz)", r->source, r->rate_hz);
    o->source = xstrdup(src);
    o->cls = xstrdup(r->cls);
    o->rate_hz = g->to_rate;
    o->has_t0 = r->has_t0;
    o->t0_ns = r->t0_ns;
    o->rpm = r->rpm;
    gt_recording_free(r);
    *rp = o;
    return 0;
}

/* ------------------------------------------------------------------ CSV */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Rows [a, b) of table t as a recording. */
static gt_recording *table_slice(const ingest *g, const gt_table *t, size_t a, size_t b,
                                 int skip_col, const char *name, const char *source)
{
    const size_t n = b - a;
    gt_recording *r = gt_recording_new(name, t->ncols - (skip_col >= 0), n);
    if (!r)
        return NULL;
    int any_bad = 0;
    for (int c = 0, k = 0; c < t->ncols; c++) {
        if (c == skip_col)
            continue;
        r->channels[k] = xstrdup(t->names[c]);
        gt_store_sanitize_name(r->channels[k]);
        memcpy(r->values + (size_t)k * n, t->values + (size_t)c * t->nrows + a, n * sizeof(float));
        for (size_t i = 0; i < n && !any_bad; i++)
            any_bad = t->quality[(size_t)c * t->nrows + a + i] != GT_Q_GOOD;
        k++;
    }
    if (any_bad) {
        if (gt_recording_ensure_quality(r))
            return gt_recording_free(r), NULL;
        for (int c = 0, k = 0; c < t->ncols; c++) {
            if (c == skip_col)
                continue;
            memcpy(r->quality + (size_t)k * n, t->quality + (size_t)c * t->nrows + a, n);
            k++;
        }
    }
    for (int l = 0; l < t->nlabels; l++) {
        int idx = gt_recording_add_label(r, t->label_names[l]);
        if (idx < 0)
            return gt_recording_free(r), NULL;
        memcpy(r->labels + (size_t)idx * n, t->labels + (size_t)l * t->nrows + a, n);
    }
    free(r->source);
    r->source = xstrdup(source);
    r->rate_hz = g->rate > 0 ? g->rate : 0;
    if (t->time_ns && n) {
        /* Regular timestamps become t0 + rate; others are kept as they are. */
        const int64_t *tm = t->time_ns + a;
        int64_t dt = n > 1 ? tm[1] - tm[0] : 0;
        int regular = n > 1 && dt > 0;
        for (size_t i = 2; i < n && regular; i++)
            regular = tm[i] - tm[i - 1] == dt;
        r->has_t0 = 1;
        r->t0_ns = tm[0];
        if (regular && (int64_t)llround(1e9 / (1e9 / (double)dt)) == dt) {
            r->rate_hz = 1e9 / (double)dt;
        } else if (n > 1) {
            r->time_ns = malloc(n * sizeof(int64_t));
            int64_t *d = malloc((n - 1) * sizeof(int64_t));
            if (!r->time_ns || !d) {
                free(d);
                return gt_recording_free(r), NULL;
            }
            memcpy(r->time_ns, tm, n * sizeof(int64_t));
            for (size_t i = 1; i < n; i++)
                d[i - 1] = tm[i] - tm[i - 1];
            /* nominal rate from the median step */
            qsort(d, n - 1, sizeof *d, cmp_i64);
            size_t k = (n - 1) / 2;
            r->rate_hz = d[k] > 0 ? 1e9 / (double)d[k] : 0;
            free(d);
        }
    }
    return r;
}

static int find_column(const gt_table *t, const char *col)
{
    char *end;
    long k = strtol(col, &end, 10);
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], col))
            return c;
    if (!*end && k >= 1 && k <= t->ncols)
        return (int)k - 1; /* by position among the channels */
    return -1;
}

static int add_table(ingest *g, gt_table *t, const char *name, const char *path)
{
    gt_error err = {0};
    if (g->resample_ns) {
        if (!t->time_ns)
            return tool_fail("%s: --resample needs a time column", path);
        if (gt_table_resample(t, g->resample_ns, g->method, g->max_gap_ns, &err))
            return tool_fail("%s: %s", path, err.msg);
    }
    int seg = -1;
    if (g->segment) {
        seg = find_column(t, g->segment);
        if (seg < 0)
            return tool_fail("%s: no column '%s' for --segment-column", path, g->segment);
    }
    for (size_t a = 0; a < t->nrows || (a == 0 && t->nrows == 0);) {
        size_t b = t->nrows;
        char nm[512], src[4200];
        snprintf(nm, sizeof nm, "%s", name);
        snprintf(src, sizeof src, "%s", path);
        if (seg >= 0) {
            const float *v = t->values + (size_t)seg * t->nrows;
            for (b = a + 1; b < t->nrows && v[b] == v[a]; b++)
                ;
            char sv[64];
            snprintf(sv, sizeof sv, "%.10g", (double)v[a]);
            char segname[128];
            snprintf(segname, sizeof segname, "%s", t->names[seg]);
            snprintf(nm, sizeof nm, "%s_%s%s", name, segname, sv);
            snprintf(src, sizeof src, "%s (%s = %s)", path, segname, sv);
            gt_store_sanitize_name(nm);
        }
        gt_recording *r = table_slice(g, t, a, b, seg, nm, src);
        if (!r)
            return tool_fail("out of memory");
        int rc = change_rate(g, &r, path) || finish(g, r, path);
        gt_recording_free(r);
        if (rc)
            return rc;
        if (b == t->nrows)
            break;
        a = b;
    }
    return 0;
}

static int read_table(ingest *g, const char *path, gt_table **t)
{
    gt_error err = {0};
    if (gt_csv_read(path, &g->csv, t, &err)) {
        /* a row error ("file:line: ...") can be skipped: say how */
        size_t k = strlen(path);
        int row = !g->csv.skip_bad && !strncmp(err.msg, path, k) && err.msg[k] == ':' &&
                  err.msg[k + 1] >= '0' && err.msg[k + 1] <= '9';
        return tool_fail("%s%s", err.msg, row ? " (--skip-bad skips such lines, counted)" : "");
    }
    if ((*t)->skipped) {
        fprintf(stderr, "%s: %s: skipped %zu of %zu lines (first: %s)\n", tool_name, path,
                (*t)->skipped, (*t)->lines, (*t)->first_skip);
        g->skipped += (*t)->skipped;
    }
    return 0;
}

typedef struct part {
    gt_table *t;
    const char *path;
} part;

static int cmp_part(const void *a, const void *b)
{
    const gt_table *x = ((const part *)a)->t, *y = ((const part *)b)->t;
    int64_t tx = x->time_ns && x->nrows ? x->time_ns[0] : 0;
    int64_t ty = y->time_ns && y->nrows ? y->time_ns[0] : 0;
    return (tx > ty) - (tx < ty);
}

/* --merge: every CSV input is a piece of one historian export; they are
 * appended in the order of their first timestamps, overlaps dropped. */
static int ingest_csv_merged(ingest *g)
{
    part *parts = calloc((size_t)g->ninputs, sizeof *parts);
    int np = 0, rc = 0;
    if (!parts)
        return tool_fail("out of memory");
    for (int i = 0; i < g->ninputs && !rc; i++) {
        if (ext_is(g->inputs[i], "mat,f32,f64,raw,bin"))
            continue;
        if (!(rc = read_table(g, g->inputs[i], &parts[np].t)))
            parts[np++].path = g->inputs[i];
    }
    for (int i = 0; i < np && !rc; i++)
        if (!parts[i].t->time_ns && np > 1)
            rc = tool_fail("%s: --merge needs a time column to put the files in order",
                           parts[i].path);
    if (!rc && np > 1)
        qsort(parts, (size_t)np, sizeof *parts, cmp_part);
    for (int i = 1; i < np && !rc; i++) {
        size_t ov = 0;
        int64_t o0 = 0, o1 = 0;
        gt_error err = {0};
        if (gt_table_append(parts[0].t, parts[i].t, &ov, &o0, &o1, &err)) {
            rc = tool_fail("%s: %s", parts[i].path, err.msg);
        } else if (ov) {
            char a[48], b[48];
            gt_time_format_iso(o0, a, sizeof a);
            gt_time_format_iso(o1, b, sizeof b);
            fprintf(stderr, "%s: %s overlaps what came before: dropped %zu rows from %s to %s\n",
                    tool_name, parts[i].path, ov, a, b);
        }
    }
    if (!rc && np) {
        char nm[512];
        if (g->name)
            snprintf(nm, sizeof nm, "%s", g->name);
        else
            base_name(parts[0].path, nm, sizeof nm);
        gt_store_sanitize_name(nm);
        rc = add_table(g, parts[0].t, nm, parts[0].path);
    }
    for (int i = 0; i < np; i++)
        gt_table_free(parts[i].t);
    free(parts);
    return rc;
}

/* ------------------------------------------------------------ .mat, raw */

static int common_prefix_len(char **v, int n)
{
    if (n < 2)
        return 0;
    size_t k = 0;
    while (v[0][k] && v[0][k] == v[1][k])
        k++;
    for (int i = 2; i < n; i++) {
        size_t j = 0;
        while (j < k && v[0][j] == v[i][j])
            j++;
        k = j;
    }
    while (k > 0 && v[0][k - 1] != '_')
        k--;
    return (int)k;
}

static int ingest_mat(ingest *g, const char *path, const char *name)
{
    gt_error err = {0};
    char **vars = NULL;
    int nvars = 0;
    if (g->vars) {
        char *list = xstrdup(g->vars);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            vars = realloc(vars, sizeof(char *) * (size_t)(nvars + 1));
            vars[nvars++] = xstrdup(tok);
        }
        free(list);
    } else if (gt_mat_list(path, &vars, &nvars, &err)) {
        return tool_fail_err(&err);
    }
    if (!nvars) {
        gt_mat_names_free(vars, nvars);
        return tool_fail("%s: no numeric vectors in the file", path);
    }
    float **x = calloc((size_t)nvars, sizeof(float *));
    size_t *len = calloc((size_t)nvars, sizeof(size_t));
    char **found = calloc((size_t)nvars, sizeof(char *));
    int rc = 0, kept = 0;
    for (int v = 0; v < nvars && !rc; v++) {
        char fn[256];
        if (gt_mat_read_vector(path, vars[v], &x[v], &len[v], fn, sizeof fn, &err)) {
            rc = tool_fail_err(&err);
            break;
        }
        /* A variable picked by *SUFFIX is named by the suffix, the same in
         * every file (CWRU's X097_DE_time and X118_DE_time are DE_time). */
        found[v] = xstrdup(g->vars && vars[v][0] == '*' ? vars[v] + 1 : fn);
        if (len[v] != len[0]) {
            if (g->vars)
                rc = tool_fail("%s: variable %s has %zu samples, %s has %zu: ingest them "
                               "separately", path, fn, len[v], found[0], len[0]);
            else
                fprintf(stderr, "%s: %s: leaving out %s (%zu samples, not %zu like %s)\n",
                        tool_name, path, fn, len[v], len[0], found[0]);
        }
    }
    gt_recording *r = NULL;
    if (!rc) {
        char **keep = calloc((size_t)nvars, sizeof(char *));
        for (int v = 0; v < nvars; v++)
            if (len[v] == len[0])
                keep[kept++] = found[v];
        int pre = common_prefix_len(keep, kept);
        r = gt_recording_new(name, kept, len[0]);
        for (int v = 0, k = 0; r && v < nvars; v++)
            if (len[v] == len[0]) {
                r->channels[k] = xstrdup(found[v] + pre);
                gt_store_sanitize_name(r->channels[k]);
                r->units[k] = xstrdup("");
                memcpy(r->values + (size_t)k * len[0], x[v], len[0] * sizeof(float));
                k++;
            }
        free(keep);
        if (!r)
            rc = tool_fail("out of memory");
    }
    if (!rc) {
        double rpm;
        gt_error e2 = {0};
        if (isnan(g->rpm) && gt_mat_read_scalar(path, "*RPM", &rpm, &e2) == GT_OK)
            r->rpm = rpm;
        double rate = g->rate;
        if (!(rate > 0) && gt_mat_read_scalar(path, "*rate", &rate, &e2) != GT_OK &&
            gt_mat_read_scalar(path, "*fs", &rate, &e2) != GT_OK &&
            gt_mat_read_scalar(path, "*Fs", &rate, &e2) != GT_OK)
            rate = 0;
        if (!(rate > 0))
            rc = tool_fail("%s: the file gives no sample rate: give --rate HZ (CWRU's 12k "
                           "files are 12000)", path);
        r->rate_hz = rate;
        free(r->source);
        r->source = xstrdup(path);
    }
    if (!rc)
        rc = change_rate(g, &r, path) || finish(g, r, path);
    gt_recording_free(r);
    for (int v = 0; v < nvars; v++) {
        free(x[v]);
        free(found[v]);
    }
    free(x);
    free(len);
    free(found);
    gt_mat_names_free(vars, nvars);
    return rc;
}

static int ingest_raw(ingest *g, const char *path, const char *name)
{
    if (!(g->rate > 0))
        return tool_fail("%s: raw samples need --rate HZ", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tool_fail("%s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    const size_t es = g->dtype64 ? 8 : 4, frame = es * (size_t)g->channels;
    if (bytes <= 0 || (size_t)bytes % frame) {
        fclose(f);
        return tool_fail("%s: %ld bytes is not a whole number of %zu-byte frames (%d channel%s "
                         "of %s)", path, bytes, frame, g->channels, g->channels > 1 ? "s" : "",
                         g->dtype64 ? "float64" : "float32");
    }
    const size_t n = (size_t)bytes / frame;
    unsigned char *buf = malloc((size_t)bytes);
    gt_recording *r = gt_recording_new(name, g->channels, n);
    if (!buf || !r || fread(buf, 1, (size_t)bytes, f) != (size_t)bytes) {
        fclose(f);
        free(buf);
        gt_recording_free(r);
        return tool_fail("%s: cannot read", path);
    }
    fclose(f);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        for (int c = 0; c < g->channels; c++) {
            const unsigned char *p = buf + i * frame + (size_t)c * es;
            double v;
            if (g->dtype64) {
                uint64_t u = 0;
                for (int b = 7; b >= 0; b--)
                    u = u << 8 | p[b];
                memcpy(&v, &u, 8);
            } else {
                uint32_t u = 0;
                float fv;
                for (int b = 3; b >= 0; b--)
                    u = u << 8 | p[b];
                memcpy(&fv, &u, 4);
                v = fv;
            }
            if (!isfinite(v) || fabs(v) > 3.4e38) {
                rc = tool_fail("%s: sample %zu of channel %d is %s", path, i, c + 1,
                               isnan(v) ? "NaN" : "infinite or beyond float32");
                break;
            }
            r->values[(size_t)c * n + i] = (float)v;
        }
    free(buf);
    for (int c = 0; c < g->channels && !rc; c++) {
        char nm[32];
        snprintf(nm, sizeof nm, g->channels > 1 ? "ch%d" : "value", c + 1);
        r->channels[c] = xstrdup(nm);
        r->units[c] = xstrdup("");
    }
    if (!rc) {
        r->rate_hz = g->rate;
        free(r->source);
        r->source = xstrdup(path);
        rc = change_rate(g, &r, path) || finish(g, r, path);
    }
    gt_recording_free(r);
    return rc;
}

/* -------------------------------------------------------------- options */

static int parse_layout(const char *s, gt_csv_layout *l)
{
    if (!strcmp(s, "auto"))
        *l = GT_CSV_AUTO;
    else if (!strcmp(s, "long"))
        *l = GT_CSV_LONG;
    else if (!strcmp(s, "wide"))
        *l = GT_CSV_WIDE;
    else
        return tool_fail("--format must be auto, long or wide, not '%s'", s);
    return 0;
}

static int parse_time_format(const char *s, gt_time_format *f)
{
    static const char *names[] = {"auto", "iso", "dotted", "epoch-s", "epoch-ms"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *f = (gt_time_format)i;
            return 0;
        }
    return tool_fail("--time-format must be auto, iso, dotted, epoch-s or epoch-ms, not '%s'", s);
}

static int parse_delim(const char *s, char *d)
{
    if (!strcmp(s, "tab") || !strcmp(s, "\\t"))
        *d = '\t';
    else if (!strcmp(s, "space") || !strcmp(s, " "))
        *d = ' ';
    else if (strlen(s) == 1 && (*s == ',' || *s == ';' || *s == '|'))
        *d = *s;
    else
        return tool_fail("--delimiter must be ',' ';' '|' tab or space, not '%s'", s);
    return 0;
}

static int parse_duration(const char *opt, const char *s, int64_t *ns)
{
    gt_error err = {0};
    if (gt_duration_parse(s, ns, &err) || *ns <= 0)
        return tool_fail("%s: %s", opt, err.msg[0] ? err.msg : "needs a positive duration");
    return 0;
}

int cmd_ingest(int argc, char **argv)
{
    enum {
        O_FORCE = 256, O_NAME, O_CLASS, O_CLASSMAP, O_FORMAT, O_DELIM, O_DECOMMA, O_HEADER, O_NOHEADER,
        O_TIMECOL, O_TIMEFMT, O_TAGCOL, O_VALCOL, O_QCOL, O_LABCOLS, O_SEGMENT, O_RESAMPLE,
        O_METHOD, O_MAXGAP, O_MERGE, O_SKIPBAD, O_VARS, O_RATE, O_TORATE, O_RPM, O_DTYPE,
        O_CHANNELS, O_UNITS, O_LABELS, O_NAB, O_PROGRESS, O_QUIET, O_NORATECHECK,
        O_SIZE, O_FIT, O_SCALE, O_GRAY, O_CLASSFROM, O_MASKS, O_STRICT
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, O_FORCE},
        {"name", required_argument, NULL, O_NAME}, {"class", required_argument, NULL, O_CLASS},
        {"class-map", required_argument, NULL, O_CLASSMAP},
        {"format", required_argument, NULL, O_FORMAT},
        {"delimiter", required_argument, NULL, O_DELIM},
        {"decimal-comma", no_argument, NULL, O_DECOMMA}, {"header", no_argument, NULL, O_HEADER},
        {"no-header", no_argument, NULL, O_NOHEADER},
        {"time-column", required_argument, NULL, O_TIMECOL},
        {"time-format", required_argument, NULL, O_TIMEFMT},
        {"tag-column", required_argument, NULL, O_TAGCOL},
        {"value-column", required_argument, NULL, O_VALCOL},
        {"quality-column", required_argument, NULL, O_QCOL},
        {"label-columns", required_argument, NULL, O_LABCOLS},
        {"segment-column", required_argument, NULL, O_SEGMENT},
        {"resample", required_argument, NULL, O_RESAMPLE},
        {"method", required_argument, NULL, O_METHOD},
        {"max-gap", required_argument, NULL, O_MAXGAP}, {"merge", no_argument, NULL, O_MERGE},
        {"skip-bad", no_argument, NULL, O_SKIPBAD}, {"vars", required_argument, NULL, O_VARS},
        {"rate", required_argument, NULL, O_RATE}, {"to-rate", required_argument, NULL, O_TORATE},
        {"rpm", required_argument, NULL, O_RPM}, {"dtype", required_argument, NULL, O_DTYPE},
        {"channels", required_argument, NULL, O_CHANNELS},
        {"units", required_argument, NULL, O_UNITS},
        {"labels", required_argument, NULL, O_LABELS},
        {"nab-labels", required_argument, NULL, O_NAB},
        {"progress", no_argument, NULL, O_PROGRESS}, {"quiet", no_argument, NULL, O_QUIET},
        {"no-rate-check", no_argument, NULL, O_NORATECHECK},
        {"size", required_argument, NULL, O_SIZE}, {"fit", required_argument, NULL, O_FIT},
        {"scale", required_argument, NULL, O_SCALE}, {"gray", no_argument, NULL, O_GRAY},
        {"class-from", required_argument, NULL, O_CLASSFROM},
        {"masks", required_argument, NULL, O_MASKS}, {"strict", no_argument, NULL, O_STRICT},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    ingest g;
    memset(&g, 0, sizeof g);
    g.csv = gt_csv_opts_default();
    g.rpm = NAN;
    g.channels = 1;
    g.progress = -1;
    g.rate_check = 1;
    const char *out = NULL, *labels = NULL, *nab = NULL, *image_opt = NULL;
    img_opts img = {.size = 64, .class_from = IMG_CLASS_FOLDER};
    float v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_FORCE: g.force = 1; break;
        case O_NAME: g.name = optarg; break;
        case O_CLASS: g.cls = optarg; break;
        case O_CLASSMAP: {
            const char *p = optarg, *item, *eq;
            size_t len;
            while (tool_list_next(&p, &item, &len))
                if (!(eq = memchr(item, '=', len)) || eq == item || eq + 1 == item + len)
                    return tool_fail("--class-map needs PREFIX=CLASS,..., not '%s'", optarg), 2;
            g.class_map = optarg;
            break;
        }
        case O_FORMAT: if (parse_layout(optarg, &g.csv.layout)) return 2; break;
        case O_DELIM: if (parse_delim(optarg, &g.csv.delim)) return 2; break;
        case O_DECOMMA: g.csv.decimal_comma = 1; break;
        case O_HEADER: g.csv.header = 1; break;
        case O_NOHEADER: g.csv.header = 0; break;
        case O_TIMECOL: g.csv.time_col = optarg; break;
        case O_TIMEFMT: if (parse_time_format(optarg, &g.csv.time_format)) return 2; break;
        case O_TAGCOL: g.csv.tag_col = optarg; break;
        case O_VALCOL: g.csv.value_col = optarg; break;
        case O_QCOL: g.csv.quality_col = optarg; break;
        case O_LABCOLS: g.csv.label_cols = strcmp(optarg, "none") ? optarg : ""; break;
        case O_SEGMENT: g.segment = optarg; break;
        case O_RESAMPLE: if (parse_duration("--resample", optarg, &g.resample_ns)) return 2; break;
        case O_METHOD:
            if (!strcmp(optarg, "hold")) g.method = GT_RESAMPLE_HOLD;
            else if (!strcmp(optarg, "linear")) g.method = GT_RESAMPLE_LINEAR;
            else if (!strcmp(optarg, "mean")) g.method = GT_RESAMPLE_MEAN;
            else return tool_fail("--method must be hold, linear or mean, not '%s'", optarg), 2;
            break;
        case O_MAXGAP: if (parse_duration("--max-gap", optarg, &g.max_gap_ns)) return 2; break;
        case O_MERGE: g.merge = 1; break;
        case O_SKIPBAD: g.csv.skip_bad = 1; break;
        case O_VARS: g.vars = optarg; break;
        case O_RATE:
            if (tool_float("--rate", optarg, &v)) return 2;
            if (!(v > 0)) return tool_fail("--rate must be positive"), 2;
            g.rate = v;
            break;
        case O_TORATE:
            if (tool_float("--to-rate", optarg, &v)) return 2;
            if (!(v > 0)) return tool_fail("--to-rate must be positive"), 2;
            g.to_rate = v;
            break;
        case O_RPM:
            if (tool_float("--rpm", optarg, &v)) return 2;
            if (!(v > 0)) return tool_fail("--rpm must be positive"), 2;
            g.rpm = v;
            break;
        case O_DTYPE:
            if (!strcmp(optarg, "float32")) g.dtype64 = 0;
            else if (!strcmp(optarg, "float64")) g.dtype64 = 1;
            else return tool_fail("--dtype must be float32 or float64, not '%s'", optarg), 2;
            break;
        case O_CHANNELS:
            if (tool_int("--channels", optarg, 1, 4096, &g.channels)) return 2;
            img.channels = g.channels;
            break;
        case O_UNITS: g.units = optarg; break;
        case O_LABELS: labels = optarg; break;
        case O_NAB: nab = optarg; break;
        case O_PROGRESS: g.progress = 1; break;
        case O_QUIET: g.progress = 0; break;
        case O_NORATECHECK: g.rate_check = 0; break;
        case O_SIZE:
            if (tool_int("--size", optarg, 8, 1024, &img.size)) return 2;
            image_opt = "--size";
            break;
        case O_FIT:
            if (strcmp(optarg, "crop") && strcmp(optarg, "tile"))
                return tool_fail("--fit must be crop or tile, not '%s'", optarg), 2;
            img.tile = !strcmp(optarg, "tile");
            image_opt = "--fit";
            break;
        case O_SCALE:
            if (tool_float("--scale", optarg, &v)) return 2;
            if (!(v > 0 && v <= 16)) return tool_fail("--scale must be in (0, 16]"), 2;
            img.scale = v;
            image_opt = "--scale";
            break;
        case O_GRAY: img.channels = 1; image_opt = "--gray"; break;
        case O_CLASSFROM:
            if (!strcmp(optarg, "folder")) img.class_from = IMG_CLASS_FOLDER;
            else if (!strcmp(optarg, "prefix")) img.class_from = IMG_CLASS_PREFIX;
            else if (!strcmp(optarg, "none")) img.class_from = IMG_CLASS_NONE;
            else return tool_fail("--class-from must be folder, prefix or none, not '%s'", optarg), 2;
            image_opt = "--class-from";
            break;
        case O_MASKS:
            if (!*optarg || strchr(optarg, '/'))
                return tool_fail("--masks needs a file-name suffix (.png, _mask.png), not '%s'",
                                 optarg), 2;
            img.masks = optarg;
            image_opt = "--masks";
            break;
        case O_STRICT: img.strict = 1; image_opt = "--strict"; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    g.inputs = argv + optind;
    g.ninputs = argc - optind;
    if (!g.ninputs)
        return tool_fail("no input files (gantry ingest --help)"), 2;
    if (!out)
        return tool_fail("give the store to write with -o STORE.h5"), 2;
    if (g.name && g.ninputs > 1 && !g.merge)
        return tool_fail("--name names one recording: give one input, or --merge"), 2;
    for (int i = 0; i < g.ninputs; i++)
        if (!path_exists(g.inputs[i]))
            return tool_fail("%s: no such file", g.inputs[i]);
    if (!g.force && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    /* Images or recordings: one kind per run. */
    int nimg = 0, first_img = -1, first_rec = -1;
    for (int i = 0; i < g.ninputs; i++) {
        int is_img = ingest_is_image_input(g.inputs[i]);
        nimg += is_img;
        if (is_img && first_img < 0)
            first_img = i;
        if (!is_img && first_rec < 0)
            first_rec = i;
    }
    if (nimg && nimg < g.ninputs)
        return tool_fail("%s is an image input and %s is not: a store gets recordings or "
                         "images from one run, not both (ingest them separately)",
                         g.inputs[first_img], g.inputs[first_rec]), 2;
    if (nimg) {
        if (img.channels != 0 && img.channels != 1 && img.channels != 3)
            return tool_fail("--channels must be 1 or 3 for images"), 2;
        if (img.scale > 0 && !img.tile)
            return tool_fail("--scale applies to --fit tile (crop scales to --size itself)"), 2;
        img.cls = g.cls;
        img.class_map = g.class_map;
        img.progress = g.progress;
        return ingest_images(g.inputs, g.ninputs, out, &img);
    }
    if (image_opt)
        return tool_fail("%s applies to image files and folders, not to %s", image_opt,
                         g.inputs[0]), 2;

    gt_error err = {0};
    if ((labels && gt_intervals_read_csv(labels, &g.labels, &err)) ||
        (nab && gt_intervals_read_nab(nab, &g.nab, &err)))
        return tool_fail_err(&err);
    int rc = 0;
    if (gt_store_create(&g.store, out, &err)) {
        rc = tool_fail_err(&err);
        goto done;
    }
    tool_progress prog;
    progress_start(&prog, g.ninputs, g.progress);
    for (int i = 0; i < g.ninputs && !rc; i++) {
        const char *p = g.inputs[i];
        char name[512];
        if (g.name)
            snprintf(name, sizeof name, "%s", g.name);
        else
            recording_name(&g, i, name, sizeof name);
        gt_store_sanitize_name(name);
        if (ext_is(p, "mat")) {
            rc = ingest_mat(&g, p, name);
        } else if (ext_is(p, "f32,f64,raw,bin")) {
            rc = ingest_raw(&g, p, name);
        } else if (!g.merge) {
            gt_table *t;
            rc = read_table(&g, p, &t);
            if (!rc) {
                rc = add_table(&g, t, name, p);
                gt_table_free(t);
            }
        }
        char what[600];
        snprintf(what, sizeof what, "%s", p);
        progress_update(&prog, i + 1, what);
    }
    progress_end(&prog);
    if (!rc && g.merge)
        rc = ingest_csv_merged(&g);
    if (rc) {
        gt_store_abort(g.store);
        goto done;
    }
    if (gt_store_commit(g.store, &err)) {
        rc = tool_fail_err(&err);
        goto done;
    }
    printf("%s: %zu recording%s, %zu samples%s", out, g.recordings, g.recordings == 1 ? "" : "s",
           g.samples, g.skipped ? "" : "\n");
    if (g.skipped)
        printf(", %zu bad line%s skipped\n", g.skipped, g.skipped == 1 ? "" : "s");
    printf("see what is in it: gantry inspect %s\n", out);
done:
    gt_intervals_free(&g.labels);
    gt_intervals_free(&g.nab);
    return rc;
}
