/* gantry classify: train the CNN fault classifier on the windows of one or
 * more stores, or on their images (and, to make up for scarce faults, on
 * synthetic windows or images of other stores), and evaluate it on another
 * part of the data. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcgan_tool.h"
#include "gantry/classifier.h"
#include "tool.h"

#define MAX_EXTRA 16

static const char help[] =
    "usage: gantry classify train STORE.h5... -o CLF.h5 [options]\n"
    "       gantry classify eval CLF.h5 STORE.h5... [options]\n"
    "\n"
    "A small CNN that tells fault classes apart from windows of stores' recordings\n"
    "(1D) or from their images (2D, e.g. steel surface defects): the downstream\n"
    "maintenance model, and the yardstick for synthetic data (train on scarce\n"
    "real faults with and without a GAN's windows or images, evaluate on real\n"
    "held-out data).  gantry classify train --help and eval --help for options.\n";

static const char help_train[] =
    "usage: gantry classify train STORE.h5... -o CLF.h5 [options]\n"
    "\n"
    "Cuts the recordings of the stores (or a span of each) into windows, each\n"
    "labelled with its recording's class, normalises every channel with\n"
    "statistics fitted on those windows, and trains the classifier: conv k7 s2\n"
    "+ batch norm + ReLU, then conv k5 s2 doubling the width (up to a cap)\n"
    "down to a length of 8, dropout 0.3 and a dense layer of one logit per\n"
    "class, with softmax cross-entropy and Adam.  Every sample of a batch comes\n"
    "from a class drawn uniformly, so scarce classes count as much as common\n"
    "ones; raw windows are rotated by a random offset each time they are used.\n"
    "Several stores (e.g. CWRU's fault files and its normal baseline, ingested\n"
    "separately) are used as one; they must share channels and rate.\n"
    "\n"
    "Stores of images (gantry ingest on image folders; no recordings) train the\n"
    "2D classifier instead: pixels mapped to [-1, 1], conv k5x5 s2x2 + batch\n"
    "norm + ReLU doubling the width down to a side of 4, dropout, dense; each\n"
    "image flipped and turned by a random one of the square's 8 symmetries each\n"
    "time it is used (--no-shift: not).  --span and --per-class choose files,\n"
    "class by class, as gantry dcgan does (the same files for the same span and\n"
    "seed); images and recordings cannot be mixed.\n"
    "\n"
    "  -o, --output CLF.h5    the model file (refused if it exists, unless --force)\n"
    "  --extra STORE2.h5      also train on every window of this store (e.g.\n"
    "                         synthetic windows from gantry synth), with the same\n"
    "                         channels, window and rate, normalised with the\n"
    "                         statistics of the stores above; repeatable (up to\n"
    "                         16); --span, --recordings and --per-class do not\n"
    "                         apply.  The classes are the union of all stores'.\n"
    "                         Images: every image of an image store of the same\n"
    "                         size and channels (e.g. from gantry dcgan sample),\n"
    "                         whose classes must be among the stores' above\n"
    "  --init CLF.h5          fine-tune CLF.h5 instead of a new network: start\n"
    "                         from its weights (e.g. trained on synthetic windows)\n"
    "                         and train on these stores with its classes (the\n"
    "                         stores' must be among them), window, hop (unless\n"
    "                         given), channels, input and normalisation; --window,\n"
    "                         --channels, --input, --normalize, --width and\n"
    "                         --max-width are refused with it\n"
    "  --window N             window length in samples, >= 32 (default 1024)\n"
    "  --hop H                hop between windows (default window/2)\n"
    "  --channels A,B         channels (default: those of the first recording)\n"
    "  --recordings A,B       recordings to use (default: all)\n"
    "  --span LO:HI           the part of each recording used, as fractions of\n"
    "                         its length (default 0:1), e.g. 0:0.5 to keep 0.5:1\n"
    "                         for gantry classify eval; images: the part of each\n"
    "                         class's files (in the store's order)\n"
    "  --per-class N          keep only N windows of each class (drawn with the\n"
    "                         seed), to simulate scarce faults; images: N files of\n"
    "                         each class (all their images; --seed 0: the first N)\n"
    "  --input raw|spectrum   the network's input: the normalised window (default)\n"
    "                         or its log1p spectrum (Hann taper, bins 0..window/2-1,\n"
    "                         each standardised); images: raw only\n"
    "  --normalize M          zscore (default), robust, minmax or none\n"
    "  --epochs N             passes over the training windows (default: 20, and\n"
    "                         at least 200 steps, so that a few windows per class\n"
    "                         still train)\n"
    "  --steps N              optimiser steps instead of --epochs\n"
    "  --batch N              batch size (default 64)\n"
    "  --lr X                 Adam's learning rate (default 0.001)\n"
    "  --width N              the first convolution's width (default 8)\n"
    "  --max-width N          the widest convolution (default 64)\n"
    "  --no-shift             do not rotate raw windows (images: do not flip or\n"
    "                         turn them)\n"
    "  --seed N               random seed (default 1)\n"
    "  --threads N            threads (default: all cores); same seed and threads,\n"
    "                         same model\n"
    "  --force                replace an existing model file\n"
    "  --progress | --quiet   progress on stderr (default: only on a terminal)\n"
    "\n"
    "--window, --hop, --channels, --recordings and --normalize are for windows\n"
    "of recordings and refused with images.\n"
    "\n"
    "The model file (format gantry-model) holds the network in group\n"
    "`classifier`, the root attributes kind=classifier, dims (1 windows, 2\n"
    "images), window (images: the side), hop, input, channels, classes,\n"
    "normalize, rate_hz, /norm/{center,scale} (and /feature/{center,scale} for\n"
    "spectrum input) and /history/{loss,accuracy} per step.\n"
    "\n"
    "example: gantry classify train cwru-faults.h5 cwru-normal.h5 --span 0:0.5 \\\n"
    "             --per-class 20 --extra synth.h5 -o clf.h5\n"
    "         gantry classify train neu.h5 --span 0:0.5 --per-class 10 \\\n"
    "             --extra neu-synth.h5 -o neu-clf.h5\n";

static const char help_eval[] =
    "usage: gantry classify eval CLF.h5 STORE.h5... [options]\n"
    "\n"
    "Classifies the windows of the stores with the model's channels, window, hop\n"
    "and normalisation, and prints the accuracy, each class's recall and the\n"
    "confusion matrix (rows: true class, columns: predicted).  Refuses a store\n"
    "without the model's channels, at another rate, or with a class the model\n"
    "does not know.  A model trained on images classifies the images of image\n"
    "stores, which must have its size and channels.\n"
    "\n"
    "  --span LO:HI           the part of each recording used (default 0:1);\n"
    "                         images: the part of each class's files\n"
    "  --recordings A,B       recordings to use (default: all)\n"
    "  --json                 one JSON object instead: {\"accuracy\", \"recall\":\n"
    "                         {class: recall}, \"confusion\": [[...]], \"classes\",\n"
    "                         \"windows\"} (recall null for a class with no window;\n"
    "                         \"windows\" counts images for an image model)\n"
    "  --threads N            threads (default: all cores)\n"
    "\n"
    "example: gantry classify eval clf.h5 cwru-faults.h5 cwru-normal.h5 --span 0.5:1\n"
    "         gantry classify eval neu-clf.h5 neu.h5 --span 0.5:1\n";

/* "LO:HI" fractions of a recording, 0 <= LO < HI <= 1. */
static int parse_span(const char *s, double *lo, double *hi)
{
    char *end;
    const char *colon = strchr(s, ':');
    if (colon) {
        *lo = strtod(s, &end);
        if (end == colon) {
            *hi = strtod(colon + 1, &end);
            if (end != colon + 1 && !*end && *lo >= 0 && *lo < *hi && *hi <= 1)
                return 0;
        }
    }
    return tool_fail("--span needs LO:HI with 0 <= LO < HI <= 1, not '%s'", s);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        tool_fail("out of memory");
        exit(1);
    }
    return q;
}

/* Comma list of names, malloc'd; out of memory ends the program. */
static char *join(char *const *v, int n)
{
    char *s = gt_names_join(v, n);
    if (!s) {
        tool_fail("out of memory");
        exit(1);
    }
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------ window sets */

/* The windows (or images) of several stores, each labelled with a class of
 * the set's own list and with its source (0: the stores, e + 1: --extra e). */
typedef struct winset {
    size_t n;
    int dims;       /* 1: windows of nch x win; 2: images of nch x win x win */
    int nch, win, ncls;
    double rate;
    const char *rate_from; /* the store the rate (the image shape) came from */
    char **chans;   /* nch, from the first store */
    char **classes; /* ncls */
    float *x;       /* n * nch * win (images: n * nch * win * win) */
    int *cls, *src;
} winset;

/* Values per window or image. */
static size_t winset_sample(const winset *s)
{
    size_t v = (size_t)s->nch * (size_t)s->win;
    return s->dims == 2 ? v * (size_t)s->win : v;
}

/* Room for m more windows. */
static void winset_grow(winset *s, size_t m)
{
    s->x = xrealloc(s->x, (s->n + m) * winset_sample(s) * sizeof(float));
    s->cls = xrealloc(s->cls, (s->n + m) * sizeof(int));
    s->src = xrealloc(s->src, (s->n + m) * sizeof(int));
}

/* The index of a class name in the set's list, added when new. */
static int winset_class(winset *s, const char *name)
{
    int k = gt_names_index(s->classes, s->ncls, name);
    if (k < 0) {
        s->classes = xrealloc(s->classes, (size_t)(s->ncls + 1) * sizeof(char *));
        s->classes[k = s->ncls++] = strdup(name);
    }
    return k;
}

static void winset_free(winset *s)
{
    for (int k = 0; k < s->nch; k++)
        free(s->chans[k]);
    for (int k = 0; k < s->ncls; k++)
        free(s->classes[k]);
    free(s->chans);
    free(s->classes);
    free(s->x);
    free(s->cls);
    free(s->src);
}

/* Append the windows of store `path` (opened and closed here) as cut by c;
 * library messages get the store's name in front unless they start with
 * it.  Every window needs a class; the rate must be the set's. */
static int winset_load(winset *s, const char *path, const gt_dataset_cfg *c, int src)
{
    gt_error err = {0};
    gt_store *st;
    gt_dataset d;
    if (gt_store_open(&st, path, &err))
        return tool_fail_err(&err);
    int rc = gt_dataset_load(&d, st, c, &err);
    gt_store_close(st);
    if (rc)
        return strncmp(err.msg, path, strlen(path)) ? tool_fail("%s: %s", path, err.msg)
                                                    : tool_fail_err(&err);
    for (size_t w = 0; w < d.nwin && !rc; w++)
        if (d.cls[w] < 0)
            rc = tool_fail("%s: recording %s has no class; classify needs recordings labelled "
                           "with their class (gantry ingest --class or --class-map)",
                           path, d.recs[d.rec[w]]);
    if (!rc && !s->nch) {
        s->dims = 1;
        s->nch = d.nch;
        s->win = d.win;
        s->rate = d.rate_hz;
        s->rate_from = path;
        s->chans = xrealloc(NULL, (size_t)d.nch * sizeof(char *));
        for (int k = 0; k < d.nch; k++)
            s->chans[k] = strdup(d.channels[k]);
    } else if (!rc && fabs(d.rate_hz - s->rate) > 1e-9 * fabs(s->rate)) {
        rc = tool_fail("%s is at %g Hz, %s at %g Hz: ingest them at one rate (--to-rate)", path,
                       d.rate_hz, s->rate_from, s->rate);
    }
    if (!rc) {
        const size_t ws = winset_sample(s);
        winset_grow(s, d.nwin);
        memcpy(s->x + s->n * ws, d.x, d.nwin * ws * sizeof(float));
        for (size_t w = 0; w < d.nwin; w++) {
            s->cls[s->n + w] = winset_class(s, d.classes[d.cls[w]]);
            s->src[s->n + w] = src;
        }
        s->n += d.nwin;
    }
    gt_dataset_free(&d);
    return rc;
}

/* The stores holding a recording of the list (all when list is NULL); fails
 * naming a listed recording that none holds. */
static int select_stores(char **paths, int n, const char *list, int *use)
{
    gt_error err = {0};
    int rc = 0;
    for (int i = 0; i < n; i++)
        use[i] = list == NULL;
    if (!list)
        return 0;
    const char *item;
    size_t len;
    while (!rc && tool_list_next(&list, &item, &len)) {
        int found = 0;
        for (int i = 0; i < n && !rc; i++) {
            gt_store *st;
            if (gt_store_open(&st, paths[i], &err)) {
                rc = tool_fail_err(&err);
                break;
            }
            for (int r = 0; r < gt_store_count(st); r++) {
                const char *name = gt_store_name(st, r);
                if (strlen(name) == len && !strncmp(name, item, len))
                    use[i] = found = 1;
            }
            gt_store_close(st);
        }
        if (!rc && !found)
            rc = tool_fail("no recording '%.*s' in %s%s", (int)len, item, paths[0],
                           n > 1 ? " or the other stores" : "");
    }
    return rc;
}

/* Load the windows of the stores (with their recordings, as cut by c). */
static int load_stores(winset *s, char **paths, int n, const char *recordings,
                       const gt_dataset_cfg *c0)
{
    int *use = xrealloc(NULL, (size_t)n * sizeof(int));
    int rc = select_stores(paths, n, recordings, use);
    char *chans = NULL;
    for (int i = 0; i < n && !rc; i++) {
        if (!use[i])
            continue;
        gt_dataset_cfg c = *c0;
        c.recordings = recordings;
        if (s->nch)
            c.channels = chans;
        rc = winset_load(s, paths[i], &c, 0);
        if (!rc && !chans)
            chans = join(s->chans, s->nch);
    }
    free(use);
    free(chans);
    return rc;
}

/* Sort the class list; windows follow. */
static void winset_sort_classes(winset *s)
{
    char **sorted = xrealloc(NULL, (size_t)s->ncls * sizeof(char *));
    int *map = xrealloc(NULL, (size_t)s->ncls * sizeof(int));
    memcpy(sorted, s->classes, (size_t)s->ncls * sizeof(char *));
    qsort(sorted, (size_t)s->ncls, sizeof(char *), cmp_str);
    for (int k = 0; k < s->ncls; k++)
        map[k] = gt_names_index(sorted, s->ncls, s->classes[k]);
    for (size_t w = 0; w < s->n; w++)
        s->cls[w] = map[s->cls[w]];
    free(s->classes);
    s->classes = sorted;
    free(map);
}

/* ------------------------------------------------------------- image sets */

/* 1 if the store holds images and no recordings (an image store to
 * classify), 0 if not, -1 after a message when it cannot be opened. */
static int is_image_store(const char *path)
{
    gt_error err = {0};
    gt_store *st;
    if (gt_store_open(&st, path, &err))
        return tool_fail_err(&err), -1;
    int img = gt_store_has_images(st) && gt_store_count(st) == 0;
    gt_store_close(st);
    return img;
}

static const char *kind_name(int images)
{
    return images ? "images" : "recordings";
}

/* 1 if the stores are all image stores, 0 if none is; -1 after a message
 * naming one of each kind, or one that cannot be opened. */
static int stores_kind(char *const *paths, int n)
{
    int kind = -1;
    for (int i = 0; i < n; i++) {
        int k = is_image_store(paths[i]);
        if (k < 0)
            return -1;
        if (i && k != kind)
            return tool_fail("%s holds %s, %s %s: classify works on one kind at a time", paths[0],
                             kind_name(kind), paths[i], kind_name(k)), -1;
        kind = k;
    }
    return kind;
}

/* 0 when images of a (ca x sa x sa) and b (cb x sb x sb) have one shape;
 * otherwise 1 after a message naming what differs. */
static int images_fit(const char *a, int ca, int sa, const char *b, int cb, int sb)
{
    if (ca == cb && sa == sb)
        return 0;
    return tool_fail("%s: %dx%dx%d images, %s: %dx%dx%d (channels x side x side): the %s", a, ca,
                     sa, sa, b, cb, sb, sb,
                     ca != cb ? (sa != sb ? "channels and sizes differ" : "channels differ")
                              : "sizes differ");
}

/* Append every image of b to a, with its class and file by name (b's files
 * named "TAG:FILE", so that two stores' files stay apart), b's classes and
 * files first, in b's order (the order gt_imageset_select goes by). */
static int imageset_merge(gt_imageset *a, const gt_imageset *b, const char *tag)
{
    gt_error err = {0};
    int *cmap = xrealloc(NULL, (size_t)(b->nclasses + 1) * sizeof(int));
    int *fmap = xrealloc(NULL, (size_t)(b->nfiles + 1) * sizeof(int)), rc = 0;
    const size_t sz = (size_t)b->channels * (size_t)b->size * (size_t)b->size;
    for (int k = 0; k < b->nclasses && !rc; k++)
        if ((cmap[k] = gt_imageset_class(a, b->classes[k])) < 0)
            rc = tool_fail("out of memory");
    for (int f = 0; f < b->nfiles && !rc; f++) {
        char *name = xrealloc(NULL, strlen(tag) + strlen(b->files[f]) + 2);
        sprintf(name, "%s:%s", tag, b->files[f]);
        if ((fmap[f] = gt_imageset_file(a, name)) < 0)
            rc = tool_fail("out of memory");
        free(name);
    }
    for (size_t i = 0; i < b->n && !rc; i++)
        if (gt_imageset_append(a, b->pixels + i * sz, b->cls[i] < 0 ? -1 : cmap[b->cls[i]],
                               fmap[b->file[i]], b->origin[2 * i], b->origin[2 * i + 1], NULL,
                               &err))
            rc = tool_fail_err(&err);
    free(cmap);
    free(fmap);
    return rc;
}

/* Names of an image's channels. */
static char **image_channels(int c)
{
    static const char *const rgb[3] = {"red", "green", "blue"};
    char **v = xrealloc(NULL, (size_t)c * sizeof(char *));
    for (int k = 0; k < c; k++) {
        char name[32];
        snprintf(name, sizeof name, "channel%d", k + 1);
        v[k] = strdup(c == 1 ? "gray" : c == 3 ? rgb[k] : name);
    }
    return v;
}

/*
 * Append the images of the stores, read as one set, that gt_imageset_select
 * chooses (span lo:hi of each class's files, then per_class of them drawn
 * from seed), as gt_image_to_float gives them, from source src.  Every
 * chosen image needs a class; the stores' images must have one shape, the
 * set's when it has one already.
 */
static int images_load(winset *s, char *const *paths, int n, double lo, double hi,
                       int per_class, uint64_t seed, int src)
{
    gt_imageset *all = NULL, *one = NULL;
    gt_error err = {0};
    size_t *idx = NULL, m = 0;
    float *x = NULL;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if ((rc = images_open(paths[i], i ? &one : &all)))
            break;
        const gt_imageset *im = i ? one : all;
        if (s->nch)
            rc = images_fit(paths[i], im->channels, im->size, s->rate_from, s->nch, s->win);
        else if (i)
            rc = images_fit(paths[i], im->channels, im->size, paths[0], all->channels, all->size);
        if (!rc && i)
            rc = imageset_merge(all, one, paths[i]);
        gt_imageset_free(one);
        one = NULL;
    }
    if (!rc && gt_imageset_select(all, lo, hi, per_class, seed, &idx, &m, &err))
        rc = tool_fail_err(&err);
    for (size_t i = 0; i < m && !rc; i++)
        if (all->cls[idx[i]] < 0)
            rc = tool_fail("%s: %s has no class; classify needs images labelled with their "
                           "class (gantry ingest --class-from)",
                           paths[0], all->files[all->file[idx[i]]]);
    if (!rc && !(x = images_to_float(all, idx, m)))
        rc = tool_fail("out of memory");
    if (!rc && !s->nch) {
        s->dims = 2;
        s->nch = all->channels;
        s->win = all->size;
        s->rate_from = paths[0];
        s->chans = image_channels(all->channels);
    }
    if (!rc) {
        const size_t sz = winset_sample(s);
        winset_grow(s, m);
        memcpy(s->x + s->n * sz, x, m * sz * sizeof(float));
        for (size_t i = 0; i < m; i++) {
            s->cls[s->n + i] = winset_class(s, all->classes[all->cls[idx[i]]]);
            s->src[s->n + i] = src;
        }
        s->n += m;
    }
    free(x);
    free(idx);
    gt_imageset_free(all);
    return rc;
}

/* ------------------------------------------------------------------ train */

typedef struct train_opts {
    const char *out, *channels, *recordings;
    char *extra[MAX_EXTRA];
    const char *rec_only; /* the first option given that only windows take */
    const char *init;     /* --init CLF.h5 */
    const char *fixed;    /* the first option given that --init's model fixes */
    int nextra, win, hop, per_class, epochs, steps, batch, threads, force, progress, seed;
    int width, max_width, shift;
    double span_lo, span_hi;
    float lr;
    gt_clf_input input;
    gt_norm_method norm;
} train_opts;

static int parse_train(train_opts *o, int argc, char **argv)
{
    enum {
        O_EXTRA = 256, O_WIN, O_HOP, O_CH, O_REC, O_SPAN, O_PER, O_INPUT, O_NORM, O_EPOCHS,
        O_STEPS, O_BATCH, O_LR, O_SEED, O_THREADS, O_FORCE, O_PROGRESS, O_QUIET, O_WIDTH,
        O_MAXW, O_NOSHIFT, O_INIT
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"extra", required_argument, NULL, O_EXTRA},
        {"window", required_argument, NULL, O_WIN}, {"hop", required_argument, NULL, O_HOP},
        {"channels", required_argument, NULL, O_CH},
        {"recordings", required_argument, NULL, O_REC},
        {"span", required_argument, NULL, O_SPAN}, {"per-class", required_argument, NULL, O_PER},
        {"input", required_argument, NULL, O_INPUT},
        {"normalize", required_argument, NULL, O_NORM},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"steps", required_argument, NULL, O_STEPS}, {"batch", required_argument, NULL, O_BATCH},
        {"lr", required_argument, NULL, O_LR}, {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THREADS}, {"force", no_argument, NULL, O_FORCE},
        {"progress", no_argument, NULL, O_PROGRESS}, {"quiet", no_argument, NULL, O_QUIET},
        {"width", required_argument, NULL, O_WIDTH},
        {"max-width", required_argument, NULL, O_MAXW},
        {"no-shift", no_argument, NULL, O_NOSHIFT}, {"init", required_argument, NULL, O_INIT},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    *o = (train_opts){.win = 1024, .batch = 64, .seed = 1, .progress = -1,
                      .width = 8, .max_width = 64, .shift = 1, .span_hi = 1.0, .lr = 1e-3f,
                      .input = GT_CLF_RAW, .norm = GT_NORM_ZSCORE};
    gt_error err = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (!o->rec_only && (c == O_WIN || c == O_HOP || c == O_CH || c == O_REC || c == O_NORM))
            for (int k = 0; opts[k].name; k++)
                if (opts[k].val == c)
                    o->rec_only = opts[k].name;
        if (!o->fixed && (c == O_WIN || c == O_INPUT || c == O_NORM || c == O_WIDTH ||
                          c == O_MAXW || c == O_CH))
            for (int k = 0; opts[k].name; k++)
                if (opts[k].val == c)
                    o->fixed = opts[k].name;
        switch (c) {
        case 'o': o->out = optarg; break;
        case O_EXTRA:
            if (o->nextra == MAX_EXTRA)
                return tool_fail("--extra: at most %d stores", MAX_EXTRA), 2;
            o->extra[o->nextra++] = optarg;
            break;
        case O_WIN: if (tool_int("--window", optarg, 32, 1 << 20, &o->win)) return 2; break;
        case O_HOP: if (tool_int("--hop", optarg, 1, 1 << 24, &o->hop)) return 2; break;
        case O_CH: o->channels = optarg; break;
        case O_REC: o->recordings = optarg; break;
        case O_SPAN: if (parse_span(optarg, &o->span_lo, &o->span_hi)) return 2; break;
        case O_PER: if (tool_int("--per-class", optarg, 1, 1 << 30, &o->per_class)) return 2; break;
        case O_INPUT:
            if (gt_clf_input_parse(optarg, &o->input, &err))
                return tool_fail("--input: %s", err.msg), 2;
            break;
        case O_NORM:
            if (gt_norm_parse(optarg, &o->norm, &err))
                return tool_fail("--normalize: %s", err.msg), 2;
            break;
        case O_EPOCHS: if (tool_int("--epochs", optarg, 1, 1 << 20, &o->epochs)) return 2; break;
        case O_STEPS: if (tool_int("--steps", optarg, 1, 1 << 30, &o->steps)) return 2; break;
        case O_BATCH: if (tool_int("--batch", optarg, 2, 4096, &o->batch)) return 2; break;
        case O_LR:
            if (tool_float("--lr", optarg, &o->lr)) return 2;
            if (!(o->lr > 0)) return tool_fail("--lr must be positive"), 2;
            break;
        case O_WIDTH: if (tool_int("--width", optarg, 1, 4096, &o->width)) return 2; break;
        case O_MAXW: if (tool_int("--max-width", optarg, 1, 4096, &o->max_width)) return 2; break;
        case O_NOSHIFT: o->shift = 0; break;
        case O_INIT: o->init = optarg; break;
        case O_SEED: if (tool_int("--seed", optarg, 0, 2147483647, &o->seed)) return 2; break;
        case O_THREADS: if (tool_int("--threads", optarg, 1, 1024, &o->threads)) return 2; break;
        case O_FORCE: o->force = 1; break;
        case O_PROGRESS: o->progress = 1; break;
        case O_QUIET: o->progress = 0; break;
        case 'h': fputs(help_train, stdout); return -1;
        default: fputs(help_train, stderr); return 2;
        }
    }
    if (optind >= argc)
        return tool_fail("give the stores to train on (gantry classify train --help)"), 2;
    if (!o->out)
        return tool_fail("give the model file to write with -o CLF.h5"), 2;
    if (o->max_width < o->width)
        return tool_fail("--max-width %d is below --width %d", o->max_width, o->width), 2;
    if (o->init && o->fixed)
        return tool_fail("--%s comes from the --init model; leave it out", o->fixed), 2;
    if (!o->hop && !o->init) /* with --init: the model's */
        o->hop = o->win / 2;
    return 0;
}

/* Fit the channels' statistics on the windows and apply them. */
static int normalise(winset *s, gt_norm_method m, float *center, float *scale)
{
    const size_t win = (size_t)s->win, nch = (size_t)s->nch;
    float *tmp = xrealloc(NULL, s->n * win * sizeof(float));
    gt_error err = {0};
    int rc = 0;
    for (size_t k = 0; k < nch && !rc; k++) {
        for (size_t w = 0; w < s->n; w++)
            memcpy(tmp + w * win, s->x + (w * nch + k) * win, win * sizeof(float));
        if (gt_norm_fit(m, tmp, s->n * win, NULL, &center[k], &scale[k], &err))
            rc = tool_fail("channel %s: %s", s->chans[k], err.msg);
        for (size_t w = 0; w < s->n && !rc; w++)
            gt_norm_apply(s->x + (w * nch + k) * win, win, center[k], scale[k]);
    }
    free(tmp);
    return rc;
}

/* Keep at most n windows of each class (drawn with the seed), in order. */
static void keep_per_class(winset *s, int n, uint64_t seed)
{
    uint8_t *keep = calloc(s->n ? s->n : 1, 1);
    size_t *idx = xrealloc(NULL, (s->n ? s->n : 1) * sizeof(size_t));
    if (!keep) {
        tool_fail("out of memory");
        exit(1);
    }
    gt_rng r;
    gt_rng_seed(&r, seed * 2 + 7);
    for (int k = 0; k < s->ncls; k++) {
        size_t m = 0;
        for (size_t w = 0; w < s->n; w++)
            if (s->cls[w] == k)
                idx[m++] = w;
        for (size_t i = 0; i < m && i < (size_t)n; i++) { /* partial Fisher-Yates */
            size_t j = i + gt_rng_below(&r, (uint32_t)(m - i)), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            keep[idx[i]] = 1;
        }
    }
    const size_t ws = (size_t)s->nch * (size_t)s->win;
    size_t at = 0;
    for (size_t w = 0; w < s->n; w++)
        if (keep[w]) {
            if (at != w) {
                memcpy(s->x + at * ws, s->x + w * ws, ws * sizeof(float));
                s->cls[at] = s->cls[w];
                s->src[at] = s->src[w];
            }
            at++;
        }
    s->n = at;
    free(keep);
    free(idx);
}

static void on_step(void *ctx, const gt_classifier_progress *s)
{
    char what[128];
    snprintf(what, sizeof what, "loss %.4f  accuracy %.3f", s->loss_avg, s->accuracy_avg);
    progress_update(ctx, s->step, what);
}

static void print_counts(const winset *s, const train_opts *o, const char *inputs)
{
    if (s->dims == 2) {
        printf("%zu images of %dx%dx%d from %s, %d classes:\n", s->n, s->nch, s->win, s->win,
               inputs, s->ncls);
    } else {
        printf("%zu windows of %d samples (hop %d) of %s, channels ", s->n, o->win, o->hop,
               inputs);
        for (int k = 0; k < s->nch; k++)
            printf("%s%s", k ? "," : "", s->chans[k]);
        printf(", %s input, %d classes:\n", gt_clf_input_name(o->input), s->ncls);
    }
    for (int k = 0; k < s->ncls; k++) {
        size_t cnt[MAX_EXTRA + 1] = {0};
        for (size_t w = 0; w < s->n; w++)
            cnt[s->src[w]] += s->cls[w] == k;
        printf("  %-16s %6zu", s->classes[k], cnt[0]);
        for (int e = 0; e < o->nextra; e++)
            printf("  + %zu from %s", cnt[e + 1], o->extra[e]);
        putchar('\n');
    }
}

/* The training windows: the stores' (cut by o, normalised with statistics
 * fitted on them, or init's when fine-tuning, into center and scale, nch
 * each, malloc'd), then the --extra stores' (normalised alike); the
 * classes are all stores'. */
static int load_train_windows(winset *s, const train_opts *o, char **stores, int nstores,
                              const gt_classifier *init, float **center, float **scale)
{
    gt_dataset_cfg dc = gt_dataset_cfg_default(o->win, o->hop);
    dc.channels = o->channels;
    dc.norm = GT_NORM_NONE;
    dc.span_lo = o->span_lo;
    dc.span_hi = o->span_hi;
    if (init) {
        dc.center = init->center;
        dc.scale = init->scale;
    }
    int rc = load_stores(s, stores, nstores, o->recordings, &dc);
    if (rc)
        return rc;
    *center = xrealloc(NULL, (size_t)s->nch * sizeof(float));
    *scale = xrealloc(NULL, (size_t)s->nch * sizeof(float));
    if (init) {
        memcpy(*center, init->center, (size_t)s->nch * sizeof(float));
        memcpy(*scale, init->scale, (size_t)s->nch * sizeof(float));
    } else if ((rc = normalise(s, o->norm, *center, *scale))) {
        return rc;
    }
    if (o->per_class)
        keep_per_class(s, o->per_class, (uint64_t)o->seed);
    char *chans = join(s->chans, s->nch);
    for (int e = 0; e < o->nextra && !rc; e++) {
        gt_dataset_cfg ec = gt_dataset_cfg_default(o->win, o->hop);
        ec.channels = chans;
        ec.center = *center;
        ec.scale = *scale;
        rc = winset_load(s, o->extra[e], &ec, e + 1);
    }
    free(chans);
    return rc;
}

/* The training images: those of the stores chosen by --span and
 * --per-class, then all of the --extra stores, whose classes must be among
 * the stores'. */
static int load_train_images(winset *s, const train_opts *o, char **stores, int nstores)
{
    if (o->rec_only)
        return tool_fail("--%s applies to windows of recordings, not to images", o->rec_only);
    int rc = images_load(s, stores, nstores, o->span_lo, o->span_hi, o->per_class,
                         (uint64_t)o->seed, 0);
    if (!rc && !s->n)
        rc = tool_fail("no images chosen in %s (check --span and --per-class)", stores[0]);
    if (rc)
        return rc;
    winset_sort_classes(s);
    const int known = s->ncls;
    for (int e = 0; e < o->nextra && !rc; e++) {
        const char *path = o->extra[e];
        if (!(rc = images_load(s, o->extra + e, 1, 0, 1, 0, 0, e + 1)) && s->ncls > known) {
            char *list = join(s->classes, known);
            rc = tool_fail("%s: class '%s' is not among the training images' classes (%s)", path,
                           s->classes[known], list);
            free(list);
        }
    }
    return rc;
}

/* Rewrite s's classes as indices into clf's, failing with a message that
 * names a class clf does not know (s->classes then no longer index s->cls). */
static int map_classes(winset *s, const gt_classifier *clf, const char *inputs,
                       const char *model)
{
    const int K = clf->cfg.nclasses;
    int *map = xrealloc(NULL, (size_t)(s->ncls ? s->ncls : 1) * sizeof(int));
    int rc = 0;
    for (int k = 0; k < s->ncls && !rc; k++)
        if ((map[k] = gt_names_index(clf->classes, K, s->classes[k])) < 0) {
            char *known = join(clf->classes, K);
            rc = tool_fail("%s: class '%s' is not one %s knows (%s)", inputs, s->classes[k],
                           model, known);
            free(known);
        }
    for (size_t w = 0; w < s->n && !rc; w++)
        s->cls[w] = map[s->cls[w]];
    free(map);
    return rc;
}

/* Windows at the rate clf was trained at (when it knows it). */
static int rate_fits(const winset *s, const gt_classifier *clf, const char *model)
{
    if (clf->rate_hz > 0 && fabs(s->rate - clf->rate_hz) > 1e-9 * clf->rate_hz)
        return tool_fail("%s is at %g Hz; %s was trained at %g Hz (ingest with --to-rate %g)",
                         s->rate_from, s->rate, model, clf->rate_hz, clf->rate_hz);
    return 0;
}

static int classify_train(int argc, char **argv)
{
    train_opts o;
    int rc = parse_train(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.force && path_exists(o.out))
        return tool_fail("%s exists; not overwriting it (use --force)", o.out);
    {   /* fail now, not after training, when the output cannot be written */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", o.out);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[slash == dir] = 0;
        if (access(slash ? dir : ".", W_OK) != 0)
            return tool_fail("cannot write %s: %s", o.out, strerror(errno));
    }
    gt_threads_set(o.threads);
    char **stores = argv + optind, *inputs = join(stores, argc - optind), *chans = NULL;
    const int nstores = argc - optind;
    winset s = {0};
    gt_classifier *clf = NULL;
    gt_error err = {0};
    float *center = NULL, *scale = NULL;
    if (o.init) {
        /* Fine-tuning: the model's network, weights, window, hop (unless
         * given), channels, input and normalisation. */
        if (gt_classifier_load(&clf, o.init, &err)) {
            rc = tool_fail_err(&err);
            goto out;
        }
        if (o.batch > clf->cfg.batch) {
            rc = tool_fail("--batch %d: %s takes batches of up to %d", o.batch, o.init,
                           clf->cfg.batch);
            goto out;
        }
        o.win = clf->cfg.window;
        if (!o.hop)
            o.hop = clf->hop;
        o.input = clf->cfg.input;
        o.norm = clf->norm;
        o.channels = chans = join(clf->channels, clf->cfg.nch);
    }

    /* images or recordings, all stores alike */
    char **all = xrealloc(NULL, (size_t)(nstores + o.nextra) * sizeof(char *));
    memcpy(all, stores, (size_t)nstores * sizeof(char *));
    memcpy(all + nstores, o.extra, (size_t)o.nextra * sizeof(char *));
    const int images = stores_kind(all, nstores + o.nextra);
    free(all);
    if (images < 0) {
        rc = 1;
        goto out;
    }
    if (clf && images != (clf->cfg.dims == 2)) {
        rc = tool_fail("%s classifies %s; %s holds %s", o.init,
                       clf->cfg.dims == 2 ? "images" : "windows of recordings", stores[0],
                       kind_name(images));
        goto out;
    }
    rc = images ? load_train_images(&s, &o, stores, nstores)
                : load_train_windows(&s, &o, stores, nstores, clf, &center, &scale);
    if (!rc && clf)
        rc = images ? images_fit(s.rate_from, s.nch, s.win, o.init, clf->cfg.nch,
                                 clf->cfg.window)
                    : rate_fits(&s, clf, o.init);
    if (rc)
        goto out;
    winset_sort_classes(&s);
    if (s.ncls < 2) {
        rc = tool_fail("only one class (%s) in %s%s; a classifier needs at least two",
                       s.classes[0], inputs, o.nextra ? " and the --extra stores" : "");
        goto out;
    }

    gt_classifier_cfg cc = images ? gt_classifier_cfg_default_2d(s.nch, s.win, s.ncls)
                                  : gt_classifier_cfg_default(s.nch, o.win, s.ncls);
    cc.input = o.input;
    cc.batch = o.batch;
    cc.width = o.width;
    cc.max_width = o.max_width;
    if (!clf && gt_classifier_create(&clf, &cc, s.classes, s.chans, &err)) {
        rc = tool_fail_err(&err);
        goto out;
    }
    if (!images && !o.init) {
        clf->hop = o.hop;
        clf->rate_hz = s.rate;
        clf->norm = o.norm;
        memcpy(clf->center, center, (size_t)s.nch * sizeof(float));
        memcpy(clf->scale, scale, (size_t)s.nch * sizeof(float));
    }
    gt_classifier_train_cfg tc = gt_classifier_train_default();
    tc.batch = o.batch;
    tc.lr = o.lr;
    tc.seed = (uint64_t)o.seed;
    tc.shift = o.shift;
    tc.finetune = o.init != NULL;
    const long per_epoch = (long)((s.n + (size_t)o.batch - 1) / (size_t)o.batch);
    if (o.steps)
        tc.steps = o.steps;
    else if (o.epochs)
        tc.steps = (long)o.epochs * per_epoch;
    else
        tc.steps = 20 * per_epoch > 200 ? 20 * per_epoch : 200;

    print_counts(&s, &o, inputs);
    if (o.init && (rc = map_classes(&s, clf, inputs, o.init)))
        goto out;
    printf("%s %ld steps of batch %d, %zu parameters, %d threads\n",
           o.init ? "fine-tuning" : "training", tc.steps, o.batch, gt_model_nparams(clf->model),
           gt_threads_get());
    if (o.init)
        printf("starting from %s (its classes, network, weights and normalisation)\n", o.init);
    fflush(stdout);
    tool_progress prog;
    progress_start(&prog, tc.steps, o.progress);
    rc = gt_classifier_train(clf, s.x, s.cls, s.n, &tc, on_step, &prog, &err);
    progress_end(&prog);
    if (rc) {
        rc = tool_fail("%s; nothing written", err.msg);
        goto out;
    }
    if (gt_classifier_save(clf, o.out, &err)) {
        rc = tool_fail_err(&err);
        goto out;
    }
    double l = 0, a = 0;
    const long last = tc.steps < 50 ? tc.steps : 50;
    for (long i = tc.steps - last; i < tc.steps; i++) {
        l += clf->hist_loss[i];
        a += clf->hist_acc[i];
    }
    printf("wrote %s: training loss %.4f, accuracy %.3f (mean of the last %ld steps)\n", o.out,
           l / (double)last, a / (double)last, last);
out:
    gt_classifier_free(clf);
    winset_free(&s);
    free(center);
    free(scale);
    free(inputs);
    free(chans);
    return rc;
}

/* ------------------------------------------------------------------- eval */

static void print_report(const gt_classifier *clf, const char *inputs, const long *conf,
                         size_t n, int json)
{
    const int K = clf->cfg.nclasses;
    long right = 0, *row = xrealloc(NULL, (size_t)K * sizeof(long));
    for (int k = 0; k < K; k++) {
        right += conf[k * K + k];
        row[k] = 0;
        for (int j = 0; j < K; j++)
            row[k] += conf[k * K + j];
    }
    const double acc = n ? (double)right / (double)n : NAN;
    if (json) {
        printf("{\"accuracy\":%.6g,\"recall\":{", acc);
        for (int k = 0; k < K; k++) {
            printf("%s", k ? "," : "");
            tool_json_str(clf->classes[k]);
            if (row[k])
                printf(":%.6g", (double)conf[k * K + k] / (double)row[k]);
            else
                printf(":null");
        }
        printf("},\"confusion\":[");
        for (int k = 0; k < K; k++) {
            printf("%s[", k ? "," : "");
            for (int j = 0; j < K; j++)
                printf("%s%ld", j ? "," : "", conf[k * K + j]);
            putchar(']');
        }
        printf("],\"classes\":[");
        for (int k = 0; k < K; k++) {
            printf("%s", k ? "," : "");
            tool_json_str(clf->classes[k]);
        }
        printf("],\"windows\":%zu}\n", n);
        free(row);
        return;
    }
    int w0 = 5;
    for (int k = 0; k < K; k++)
        if ((int)strlen(clf->classes[k]) > w0)
            w0 = (int)strlen(clf->classes[k]);
    const char *what = clf->cfg.dims == 2 ? "images" : "windows";
    printf("%s: %zu %s, accuracy %.4f (%ld right)\n\n", inputs, n, what, acc, right);
    printf("%-*s  %7s  recall\n", w0, "class", what);
    for (int k = 0; k < K; k++) {
        if (row[k])
            printf("%-*s  %7ld  %.4f\n", w0, clf->classes[k], row[k],
                   (double)conf[k * K + k] / (double)row[k]);
        else
            printf("%-*s  %7ld  -\n", w0, clf->classes[k], row[k]);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted)\n%-*s", w0, "");
    for (int j = 0; j < K; j++) {
        int cw = (int)strlen(clf->classes[j]) > 6 ? (int)strlen(clf->classes[j]) : 6;
        printf("  %*s", cw, clf->classes[j]);
    }
    putchar('\n');
    for (int k = 0; k < K; k++) {
        printf("%-*s", w0, clf->classes[k]);
        for (int j = 0; j < K; j++) {
            int cw = (int)strlen(clf->classes[j]) > 6 ? (int)strlen(clf->classes[j]) : 6;
            printf("  %*ld", cw, conf[k * K + j]);
        }
        putchar('\n');
    }
    free(row);
}

static int classify_eval(int argc, char **argv)
{
    enum { O_SPAN = 256, O_REC, O_JSON, O_THREADS };
    static const struct option opts[] = {
        {"span", required_argument, NULL, O_SPAN}, {"recordings", required_argument, NULL, O_REC},
        {"json", no_argument, NULL, O_JSON}, {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    double lo = 0, hi = 1;
    const char *recordings = NULL;
    int json = 0, threads = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_SPAN: if (parse_span(optarg, &lo, &hi)) return 2; break;
        case O_REC: recordings = optarg; break;
        case O_JSON: json = 1; break;
        case O_THREADS: if (tool_int("--threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'h': fputs(help_eval, stdout); return 0;
        default: fputs(help_eval, stderr); return 2;
        }
    }
    if (optind + 2 > argc)
        return tool_fail("give the model file and the stores (gantry classify eval --help)"), 2;
    const char *model = argv[optind];
    char **stores = argv + optind + 1, *inputs = join(stores, argc - optind - 1);
    gt_threads_set(threads);
    gt_error err = {0};
    gt_classifier *clf;
    if (gt_classifier_load(&clf, model, &err)) {
        free(inputs);
        return tool_fail_err(&err);
    }
    const int K = clf->cfg.nclasses, nstores = argc - optind - 1;
    const int images = clf->cfg.dims == 2, kind = stores_kind(stores, nstores);
    char *chans = join(clf->channels, clf->cfg.nch);
    winset s = {0};
    int *pred = NULL;
    long *conf = NULL;
    int rc = 0;
    if (kind < 0)
        rc = 1;
    else if (kind != images)
        rc = tool_fail("%s holds %s; %s classifies %s", stores[0], kind_name(kind), model,
                       images ? "images" : "windows of recordings");
    else if (images && recordings)
        rc = tool_fail("--recordings applies to windows of recordings, not to images");
    else if (images) {
        rc = images_load(&s, stores, nstores, lo, hi, 0, 0, 0);
        if (!rc)
            rc = images_fit(s.rate_from, s.nch, s.win, model, clf->cfg.nch, clf->cfg.window);
    } else {
        gt_dataset_cfg dc = gt_dataset_cfg_default(clf->cfg.window, clf->hop);
        dc.channels = chans;
        dc.center = clf->center;
        dc.scale = clf->scale;
        dc.span_lo = lo;
        dc.span_hi = hi;
        rc = load_stores(&s, stores, nstores, recordings, &dc);
        if (!rc)
            rc = rate_fits(&s, clf, model);
    }
    if (rc || (rc = map_classes(&s, clf, inputs, model)))
        goto out;
    pred = xrealloc(NULL, (s.n ? s.n : 1) * sizeof(int));
    conf = calloc((size_t)K * (size_t)K, sizeof(long));
    if (!conf) {
        rc = tool_fail("out of memory");
        goto out;
    }
    gt_classifier_predict(clf, s.x, s.n, pred, NULL);
    for (size_t w = 0; w < s.n; w++)
        conf[(size_t)s.cls[w] * (size_t)K + (size_t)pred[w]]++;
    print_report(clf, inputs, conf, s.n, json);
out:
    winset_free(&s);
    gt_classifier_free(clf);
    free(chans);
    free(inputs);
    free(pred);
    free(conf);
    return rc;
}

int cmd_classify(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "train"))
        return classify_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return classify_eval(argc - 1, argv + 1);
    tool_fail("unknown action '%s': train or eval (see --help)", argv[1]);
    return 2;
}
