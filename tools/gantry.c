/* gantry: the command-line front end.  Each subcommand is a cmd_*.c file;
 * this file dispatches and holds the helpers they share. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

const char *tool_name = "gantry";

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"bearing", cmd_bearing, "bearing defect frequencies (BPFO, BPFI, BSF, FTF) from geometry"},
    {"classify", cmd_classify, "train or evaluate a 1D CNN fault classifier on real or synthetic windows"},
    {"dcgan", cmd_dcgan, "train, sample and score the image DCGAN on an image store"},
    {"detect", cmd_detect, "fit on a signal itself (or its first rows) and flag its anomalies"},
    {"eval", cmd_eval, "F1 (overlap-segment, point-wise), FAR, MAR, AUROC, delay against labels"},
    {"featurize", cmd_featurize, "windows and FFTW features (spectra, envelope, STFT...) of a store"},
    {"ingest", cmd_ingest, "historian CSV, .mat and raw recordings into an HDF5 store"},
    {"inspect", cmd_inspect, "what a store holds: channels, rates, spans, gaps, quality, labels"},
    {"model", cmd_model, "show a model spec or preset: layers, shapes, parameters, FLOPs"},
    {"score", cmd_score, "anomaly scores, flags and events of a store from a trained model"},
    {"simulate", cmd_simulate, "write a store of simulated bearing vibration, per fault class"},
    {"synth", cmd_synth, "synthetic windows or long sequences per class from a trained model"},
    {"toy", cmd_toy, "train the 1D GAN on a two-tone signal and check what it learned"},
    {"train", cmd_train, "train the time-series GAN (and its encoder) on a store's windows"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gantry COMMAND [OPTIONS]   (gantry COMMAND --help for details)\n\n"
               "Generative adversarial networks for predictive maintenance.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            static char name[64];
            snprintf(name, sizeof name, "gantry %s", commands[i].name);
            tool_name = name;
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "gantry: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

int tool_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", tool_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int tool_fail_err(const gt_error *err)
{
    return tool_fail("%s", err->msg[0] ? err->msg : gt_strerror(err->code));
}

void tool_json_str(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 32)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int tool_int(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return tool_fail("%s needs an integer from %d to %d, not '%s'", opt, lo, hi, s);
    *out = (int)v;
    return 0;
}

int tool_float(const char *opt, const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return tool_fail("%s needs a number, not '%s'", opt, s);
    *out = v;
    return 0;
}

int tool_list_next(const char **p, const char **item, size_t *len)
{
    if (!*p || !**p)
        return 0;
    const char *q = strchr(*p, ',');
    *item = *p;
    *len = q ? (size_t)(q - *p) : strlen(*p);
    *p = q ? q + 1 : *p + *len;
    return 1;
}

int tool_list_has(const char *list, const char *name)
{
    if (!list)
        return 1;
    const char *item;
    size_t len, k = strlen(name);
    while (tool_list_next(&list, &item, &len))
        if (len == k && !strncmp(item, name, k))
            return 1;
    return 0;
}

double tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(tool_progress *p, long total, int mode)
{
    memset(p, 0, sizeof *p);
    p->total = total;
    p->tty = isatty(STDERR_FILENO);
    p->enabled = mode < 0 ? p->tty : mode;
    p->t0 = tool_now();
    p->last_line_step = -1;
}

static void fmt_duration(char *buf, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

void progress_update(tool_progress *p, long step, const char *what)
{
    if (!p->enabled)
        return;
    double now = tool_now(), el = now - p->t0;
    int final = step >= p->total;
    if (p->tty) {
        if (!final && now - p->last_draw < 0.1)
            return;
    } else {
        long tenth = p->total >= 10 ? p->total / 10 : 1;
        if (!final && step / tenth == p->last_line_step / tenth)
            return;
        p->last_line_step = step;
    }
    p->last_draw = now;
    double rate = el > 0 ? step / el : 0;
    char eta[32];
    fmt_duration(eta, sizeof eta, rate > 0 ? (p->total - step) / rate : 0);
    fprintf(stderr, "%sstep %ld/%ld  %s  %.1f steps/s  left %s%s", p->tty ? "\r\033[K" : "", step,
            p->total, what, rate, eta, p->tty ? "" : "\n");
    fflush(stderr);
}

void progress_end(tool_progress *p)
{
    if (p->enabled && p->tty)
        fputc('\n', stderr);
}

void out_abort(tool_out *o)
{
    if (!o->f)
        return;
    fclose(o->f);
    o->f = NULL;
    unlink(o->tmp);
}

int tool_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && !strcmp(s + a - b, suffix);
}

int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int out_open(tool_out *o, const char *path, int force)
{
    memset(o, 0, sizeof *o);
    if (!force && path_exists(path))
        return tool_fail("%s exists; not overwriting it (use --force)", path);
    if (strlen(path) + 16 > sizeof o->path)
        return tool_fail("%s: the path is too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    char *tmp = NULL;
    int fd = gt_tmpfile_create(path, &tmp);
    if (fd >= 0) {
        snprintf(o->tmp, sizeof o->tmp, "%s", tmp);
        free(tmp);
    }
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        return tool_fail("cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int out_commit(tool_out *o)
{
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    const char *what = "write";
    if (bad || gt_tmpfile_commit(o->tmp, o->path, &what) != 0) {
        int e = errno;
        unlink(o->tmp);
        return tool_fail("cannot %s %s: %s", what, o->path, strerror(e));
    }
    return 0;
}
