/* gantry inspect: what a store holds, as a table or JSON. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/imgstore.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "tool.h"

static const char help[] =
    "usage: gantry inspect STORE.h5 [--json] [--recording NAME]\n"
    "\n"
    "What a store holds, per recording: class, source, samples, rate, time span,\n"
    "gaps, and per channel the units, value range, mean and the share of samples\n"
    "that are bad, missing or interpolated; label tracks with their labelled\n"
    "samples and intervals; and a summary of the classes.  For a store of images:\n"
    "their size, channels and fit, the images per class, the files they came\n"
    "from, and with masks how many are defective.\n"
    "\n"
    "  --json             machine-readable output (one JSON object)\n"
    "  --recording NAME   only this recording\n";

typedef struct chan_stats {
    double min, max, mean, sd;
    size_t q[GT_Q_COUNT];
} chan_stats;

typedef struct rec_stats {
    size_t gaps;         /* steps longer than 1.5x the nominal one, or missing runs */
    double largest_gap;  /* seconds */
    double span;         /* seconds */
    chan_stats *ch;
    size_t *lab_samples, *lab_runs;
} rec_stats;

static void stats(const gt_recording *r, rec_stats *s)
{
    memset(s, 0, sizeof *s);
    s->ch = calloc((size_t)r->nch, sizeof *s->ch);
    s->lab_samples = calloc((size_t)r->nlabels + 1, sizeof(size_t));
    s->lab_runs = calloc((size_t)r->nlabels + 1, sizeof(size_t));
    if (!s->ch || !s->lab_samples || !s->lab_runs) {
        fputs("gantry inspect: out of memory\n", stderr);
        exit(1);
    }
    for (int c = 0; c < r->nch; c++) {
        chan_stats *cs = &s->ch[c];
        const float *x = r->values + (size_t)c * r->n;
        const uint8_t *q = r->quality ? r->quality + (size_t)c * r->n : NULL;
        double sum = 0, sum2 = 0;
        size_t cnt = 0;
        cs->min = INFINITY;
        cs->max = -INFINITY;
        for (size_t i = 0; i < r->n; i++) {
            int qi = q ? q[i] : GT_Q_GOOD;
            cs->q[qi < GT_Q_COUNT ? qi : GT_Q_BAD]++;
            if (qi == GT_Q_MISSING || !isfinite(x[i]))
                continue;
            cs->min = fmin(cs->min, x[i]);
            cs->max = fmax(cs->max, x[i]);
            sum += x[i];
            cnt++;
        }
        cs->mean = cnt ? sum / (double)cnt : NAN;
        for (size_t i = 0; i < r->n; i++)
            if ((!q || q[i] != GT_Q_MISSING) && isfinite(x[i]))
                sum2 += (x[i] - cs->mean) * (x[i] - cs->mean);
        cs->sd = cnt > 1 ? sqrt(sum2 / (double)(cnt - 1)) : 0;
        if (!cnt)
            cs->min = cs->max = NAN;
    }
    if (r->n > 1 && (r->time_ns || r->rate_hz > 0))
        s->span = (double)(gt_recording_time(r, r->n - 1) - gt_recording_time(r, 0)) * 1e-9;
    if (r->time_ns && r->rate_hz > 0) {
        const double step = 1e9 / r->rate_hz;
        for (size_t i = 1; i < r->n; i++) {
            double dt = (double)(r->time_ns[i] - r->time_ns[i - 1]);
            if (dt > 1.5 * step) {
                s->gaps++;
                s->largest_gap = fmax(s->largest_gap, dt * 1e-9);
            }
        }
    } else if (r->quality) {
        /* on a grid, a gap is a run of samples missing on every channel */
        size_t run = 0;
        for (size_t i = 0; i <= r->n; i++) {
            int all = i < r->n;
            for (int c = 0; c < r->nch && all; c++)
                all = r->quality[(size_t)c * r->n + i] == GT_Q_MISSING;
            if (all) {
                run++;
            } else if (run) {
                s->gaps++;
                double sec = r->rate_hz > 0 ? (double)run / r->rate_hz : (double)run;
                s->largest_gap = fmax(s->largest_gap, sec);
                run = 0;
            }
        }
    }
    for (int l = 0; l < r->nlabels; l++) {
        const uint8_t *lab = r->labels + (size_t)l * r->n;
        for (size_t i = 0; i < r->n; i++) {
            s->lab_samples[l] += lab[i] != 0;
            s->lab_runs[l] += lab[i] && (i == 0 || !lab[i - 1]);
        }
    }
}

static void stats_free(rec_stats *s)
{
    free(s->ch);
    free(s->lab_samples);
    free(s->lab_runs);
}

static void fmt_span(char *buf, size_t cap, double s)
{
    if (s >= 86400)
        snprintf(buf, cap, "%.1f days", s / 86400);
    else if (s >= 3600)
        snprintf(buf, cap, "%.1f h", s / 3600);
    else if (s >= 60)
        snprintf(buf, cap, "%.1f min", s / 60);
    else
        snprintf(buf, cap, "%.3g s", s);
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.9g", v);
    else
        fputs("null", stdout);
}

static void print_json(const gt_recording *r, const rec_stats *s, int first)
{
    char t0[48] = "", t1[48] = "";
    if (r->n && (r->has_t0 || r->time_ns)) {
        gt_time_format_iso(gt_recording_time(r, 0), t0, sizeof t0);
        gt_time_format_iso(gt_recording_time(r, r->n - 1), t1, sizeof t1);
    }
    printf("%s\n  {\"name\": ", first ? "" : ",");
    tool_json_str(r->name);
    printf(", \"class\": ");
    tool_json_str(r->cls);
    printf(", \"source\": ");
    tool_json_str(r->source);
    printf(", \"samples\": %zu, \"rate_hz\": ", r->n);
    json_num(r->rate_hz);
    printf(", \"regular\": %s, \"start\": ", r->time_ns ? "false" : "true");
    if (*t0)
        tool_json_str(t0);
    else
        fputs("null", stdout);
    printf(", \"end\": ");
    if (*t1)
        tool_json_str(t1);
    else
        fputs("null", stdout);
    printf(", \"span_s\": ");
    json_num(s->span);
    printf(", \"rpm\": ");
    json_num(r->rpm);
    printf(", \"gaps\": %zu, \"largest_gap_s\": ", s->gaps);
    json_num(s->largest_gap);
    printf(",\n   \"channels\": [");
    for (int c = 0; c < r->nch; c++) {
        const chan_stats *cs = &s->ch[c];
        printf("%s\n    {\"name\": ", c ? "," : "");
        tool_json_str(r->channels[c]);
        printf(", \"units\": ");
        tool_json_str(r->units[c] ? r->units[c] : "");
        printf(", \"min\": ");
        json_num(cs->min);
        printf(", \"max\": ");
        json_num(cs->max);
        printf(", \"mean\": ");
        json_num(cs->mean);
        printf(", \"std\": ");
        json_num(cs->sd);
        printf(", \"quality\": {");
        for (int q = 0; q < GT_Q_COUNT; q++)
            printf("%s\"%s\": %zu", q ? ", " : "", gt_quality_name(q), cs->q[q]);
        printf("}}");
    }
    printf("],\n   \"labels\": [");
    for (int l = 0; l < r->nlabels; l++) {
        printf("%s{\"name\": ", l ? ", " : "");
        tool_json_str(r->label_names[l]);
        printf(", \"samples\": %zu, \"intervals\": %zu}", s->lab_samples[l], s->lab_runs[l]);
    }
    printf("]}");
}

static double pct(size_t a, size_t n)
{
    return n ? 100.0 * (double)a / (double)n : 0;
}

static void print_table(const gt_recording *r, const rec_stats *s)
{
    char t0[48] = "", t1[48] = "", span[32];
    printf("%s%s%s%s\n", r->name, *r->cls ? "  [" : "", r->cls, *r->cls ? "]" : "");
    printf("  source   %s\n", r->source);
    printf("  samples  %zu", r->n);
    if (r->rate_hz > 0)
        printf(" at %g Hz%s", r->rate_hz, r->time_ns ? " (nominal: irregular timestamps kept)" : "");
    else
        printf(" (rate unknown: rows)");
    if (isfinite(r->rpm))
        printf(", shaft %g rpm", r->rpm);
    putchar('\n');
    if (r->n && (r->has_t0 || r->time_ns)) {
        gt_time_format_iso(gt_recording_time(r, 0), t0, sizeof t0);
        gt_time_format_iso(gt_recording_time(r, r->n - 1), t1, sizeof t1);
        fmt_span(span, sizeof span, s->span);
        printf("  time     %s .. %s (%s)\n", t0, t1, span);
    }
    if (s->gaps) {
        fmt_span(span, sizeof span, s->largest_gap);
        printf("  gaps     %zu, the longest %s\n", s->gaps, span);
    }
    int w = 7;
    for (int c = 0; c < r->nch; c++)
        if ((int)strlen(r->channels[c]) > w)
            w = (int)strlen(r->channels[c]);
    printf("  %-*s  %-6s %12s %12s %12s %12s %6s %6s %6s %6s\n", w, "channel", "units", "min",
           "max", "mean", "std", "bad%", "miss%", "interp%", "uncert%");
    for (int c = 0; c < r->nch; c++) {
        const chan_stats *cs = &s->ch[c];
        printf("  %-*s  %-6s %12.6g %12.6g %12.6g %12.6g %6.2f %6.2f %6.2f %6.2f\n", w,
               r->channels[c], r->units[c] && *r->units[c] ? r->units[c] : "-", cs->min, cs->max,
               cs->mean, cs->sd, pct(cs->q[GT_Q_BAD], r->n), pct(cs->q[GT_Q_MISSING], r->n),
               pct(cs->q[GT_Q_INTERP], r->n), pct(cs->q[GT_Q_UNCERTAIN], r->n));
    }
    for (int l = 0; l < r->nlabels; l++)
        printf("  label    %s: %zu samples (%.1f%%) in %zu interval%s\n", r->label_names[l],
               s->lab_samples[l], pct(s->lab_samples[l], r->n), s->lab_runs[l],
               s->lab_runs[l] == 1 ? "" : "s");
    putchar('\n');
}

/* The image set's summary, as text or as the JSON member "images". */
static void print_images(const gt_imageset *s, int json)
{
    size_t *per = calloc((size_t)s->nclasses + 1, sizeof *per), defective = 0, unclassed = 0;
    size_t *files = calloc((size_t)s->nclasses + 1, sizeof *files);
    char *seen = calloc((size_t)s->nfiles + 1, 1);
    if (!per || !files || !seen) {
        fputs("gantry inspect: out of memory\n", stderr);
        exit(1);
    }
    for (size_t i = 0; i < s->n; i++) {
        int k = s->cls[i];
        if (k < 0)
            unclassed++;
        else
            per[k]++;
        if (k >= 0 && !seen[s->file[i]])
            files[k]++;
        seen[s->file[i]] = 1;
        defective += gt_imageset_defective(s, i) != 0;
    }
    if (json) {
        printf(", \"images\": {\"size\": %d, \"channels\": %d, \"fit\": ", s->size,
               s->channels);
        tool_json_str(s->fit);
        printf(", \"count\": %zu, \"files\": %d, \"source\": ", s->n, s->nfiles);
        tool_json_str(s->source);
        printf(", \"classes\": {");
        for (int k = 0; k < s->nclasses; k++) {
            printf("%s", k ? ", " : "");
            tool_json_str(s->classes[k]);
            printf(": %zu", per[k]);
        }
        printf("}, \"unclassed\": %zu, \"masks\": %s, \"defective\": %zu}", unclassed,
               s->masks ? "true" : "false", defective);
    } else {
        const char *what = strcmp(s->fit, "tile") ? "images" : "patches";
        printf("images   %zu %s of %d x %d, %d channel%s, fit %s, from %d file%s\n", s->n, what,
               s->size, s->size, s->channels, s->channels == 1 ? "" : "s", s->fit, s->nfiles,
               s->nfiles == 1 ? "" : "s");
        if (*s->source)
            printf("  source   %s\n", s->source);
        for (int k = 0; k < s->nclasses; k++)
            printf("  class    %-20s %8zu %s from %zu file%s\n", s->classes[k], per[k], what,
                   files[k], files[k] == 1 ? "" : "s");
        if (unclassed)
            printf("  class    %-20s %8zu %s\n", "(none)", unclassed, what);
        if (s->masks)
            printf("  masks    %zu of %zu %s defective (%.1f%%)\n", defective, s->n, what,
                   pct(defective, s->n));
    }
    free(per);
    free(files);
    free(seen);
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"recording", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    const char *only = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'r': only = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 1 != argc)
        return tool_fail("give one store (gantry inspect --help)"), 2;
    const char *path = argv[optind];
    gt_error err = {0};
    gt_store *st;
    if (gt_store_open(&st, path, &err))
        return tool_fail_err(&err);
    const int n = gt_store_count(st);
    char **classes = calloc((size_t)n + 1, sizeof(char *));
    size_t *class_count = calloc((size_t)n + 1, sizeof(size_t));
    int ncls = 0, shown = 0, rc = 0;
    if (json) {
        printf("{\"store\": ");
        tool_json_str(path);
        printf(", \"format\": \"%s\", \"recordings\": [", GT_STORE_FORMAT);
    }
    for (int i = 0; i < n && !rc; i++) {
        const char *name = gt_store_name(st, i);
        if (only && strcmp(only, name))
            continue;
        gt_recording *r;
        if (gt_store_read(st, name, &r, &err)) {
            rc = tool_fail_err(&err);
            break;
        }
        rec_stats s;
        stats(r, &s);
        if (json)
            print_json(r, &s, !shown);
        else
            print_table(r, &s);
        shown++;
        int k = 0;
        while (k < ncls && strcmp(classes[k], r->cls))
            k++;
        if (k == ncls)
            classes[ncls++] = strdup(r->cls);
        class_count[k]++;
        stats_free(&s);
        gt_recording_free(r);
    }
    if (!rc && only && !shown)
        rc = tool_fail("%s: no recording '%s'", path, only);
    gt_imageset *images = NULL;
    if (!rc && !only && gt_store_has_images(st) && gt_store_read_images(st, &images, &err))
        rc = tool_fail_err(&err);
    if (!rc) {
        if (json) {
            printf("\n ], \"classes\": {");
            for (int k = 0; k < ncls; k++) {
                printf("%s", k ? ", " : "");
                tool_json_str(classes[k] && *classes[k] ? classes[k] : "");
                printf(": %zu", class_count[k]);
            }
            printf("}");
            if (images)
                print_images(images, 1);
            printf("}\n");
        } else if (images && !n) {
            print_images(images, 0);
        } else {
            if (images)
                print_images(images, 0);
            printf("%s: %d recording%s", path, shown, shown == 1 ? "" : "s");
            for (int k = 0; k < ncls; k++)
                printf("%s%s %zu", k ? ", " : "; classes: ",
                       classes[k] && *classes[k] ? classes[k] : "(none)", class_count[k]);
            putchar('\n');
        }
    }
    for (int k = 0; k < ncls; k++)
        free(classes[k]);
    free(classes);
    free(class_count);
    gt_imageset_free(images);
    gt_store_close(st);
    return rc;
}
