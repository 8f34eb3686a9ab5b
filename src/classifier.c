/* The fault classifier: a small 1D or 2D CNN on the engine, its training
 * loop (class-balanced batches, augmentation, softmax cross-entropy, Adam)
 * and prediction.  Its model file: classifier_io.c. */
#include "gantry/classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"
#include "gantry/loss.h"
#include "gantry/names.h"
#include "gantry/rng.h"

/* Steps the progress averages run over. */
#define AVG_STEPS 50

struct gt_classifier_work {
    gt_featurizer *fz;  /* spectrum input */
    float *fbuf;        /* batch * nch * (window/2 + 1): spectra of a batch */
    float *xb;          /* batch * nch * input_len: the network's input */
    float *logits;      /* batch * nclasses */
    float *dlogits;     /* batch * nclasses */
    int *yb;            /* batch */
};

static const char *const input_names[] = {"raw", "spectrum"};

const char *gt_clf_input_name(gt_clf_input in)
{
    return (unsigned)in < sizeof input_names / sizeof input_names[0] ? input_names[in] : "?";
}

int gt_clf_input_parse(const char *s, gt_clf_input *out, gt_error *err)
{
    for (size_t i = 0; s && i < sizeof input_names / sizeof input_names[0]; i++)
        if (!strcmp(s, input_names[i])) {
            *out = (gt_clf_input)i;
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL, "unknown input '%s' (raw, spectrum)", s ? s : "(null)");
}

gt_classifier_cfg gt_classifier_cfg_default(int nch, int window, int nclasses)
{
    gt_classifier_cfg c = {.dims = 1, .nch = nch, .window = window, .input = GT_CLF_RAW,
                           .nclasses = nclasses, .width = 8, .max_width = 64,
                           .dropout = 0.3f, .batch = 64};
    return c;
}

gt_classifier_cfg gt_classifier_cfg_default_2d(int channels, int size, int nclasses)
{
    gt_classifier_cfg c = gt_classifier_cfg_default(channels, size, nclasses);
    c.dims = 2;
    return c;
}

int gt_classifier_input_len(const gt_classifier_cfg *c)
{
    return c->input == GT_CLF_SPECTRUM ? c->window / 2 : c->window;
}

size_t gt_classifier_sample_size(const gt_classifier_cfg *c)
{
    size_t n = (size_t)c->nch * (size_t)c->window;
    return c->dims == 2 ? n * (size_t)c->window : n;
}

int gt__classifier_min_window(int dims)
{
    return dims == 2 ? 16 : 32;
}

static int check_cfg(const gt_classifier_cfg *c, gt_error *err)
{
    if (c->dims != 1 && c->dims != 2)
        return gt_error_set(err, GT_EINVAL, "classifier: dims %d (1: windows, 2: images)",
                            c->dims);
    if (c->nch < 1)
        return gt_error_set(err, GT_EINVAL, "classifier: %d channels (need at least 1)", c->nch);
    const int lo = gt__classifier_min_window(c->dims);
    if (c->window < lo)
        return gt_error_set(err, GT_EINVAL, "classifier: %s %d is too short (at least %d)",
                            c->dims == 2 ? "image side (window)" : "window", c->window, lo);
    if (c->dims == 2 && c->window > GT__CLF_MAX_SIDE)
        return gt_error_set(err, GT_EINVAL,
                            "classifier: image side (window) %d is too long (at most %d)",
                            c->window, GT__CLF_MAX_SIDE);
    if ((unsigned)c->input > GT_CLF_SPECTRUM)
        return gt_error_set(err, GT_EINVAL, "classifier: unknown input %d", (int)c->input);
    if (c->dims == 2 && c->input != GT_CLF_RAW)
        return gt_error_set(err, GT_EINVAL,
                            "classifier: %s input is for 1D windows; images take raw pixels",
                            gt_clf_input_name(c->input));
    if (c->nclasses < 2)
        return gt_error_set(err, GT_EINVAL,
                            "classifier: %d class%s (a classifier needs at least 2)",
                            c->nclasses, c->nclasses == 1 ? "" : "es");
    if (c->width < 1 || c->max_width < c->width)
        return gt_error_set(err, GT_EINVAL, "classifier: widths %d (first) and %d (cap) do not fit",
                            c->width, c->max_width);
    if (!(c->dropout >= 0 && c->dropout < 1))
        return gt_error_set(err, GT_EINVAL, "classifier: dropout %g is not in [0, 1)",
                            (double)c->dropout);
    if (c->batch < 1)
        return gt_error_set(err, GT_EINVAL, "classifier: batch %d (need at least 1)", c->batch);
    return GT_OK;
}

/* A halving convolution's kernel, stride and padding: "kK s2 pP", or
 * "kKxK s2x2 pPxP" for images (P = K / 2). */
static const char *conv_ksp(char *b, size_t cap, int two, int k)
{
    if (two)
        snprintf(b, cap, "k%dx%d s2x2 p%dx%d", k, k, k / 2, k / 2);
    else
        snprintf(b, cap, "k%d s2 p%d", k, k / 2);
    return b;
}

int gt_classifier_spec(const gt_classifier_cfg *c, char *buf, size_t cap, gt_error *err)
{
    int rc = check_cfg(c, err);
    if (rc)
        return rc;
    /* 1D: a k7 convolution, then k5 ones down to a length of 8; 2D: k5x5
     * ones down to a side of 4 */
    const int two = c->dims == 2, last = two ? 4 : 8;
    int len = gt_classifier_input_len(c), width = c->width;
    size_t at = 0;
#define EMIT(...)                                                                   \
    do {                                                                            \
        int n_ = snprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, __VA_ARGS__); \
        at += (size_t)n_;                                                           \
    } while (0)
    char ksp[48];
    if (two)
        EMIT("input %dx%dx%d\n", c->nch, len, len);
    else
        EMIT("input %dx%d\n", c->nch, len);
    EMIT("conv %d %s nobias\nbn\nrelu\n", width, conv_ksp(ksp, sizeof ksp, two, two ? 5 : 7));
    len = (len + 1) / 2;
    while (len > last) {
        width = 2 * width < c->max_width ? 2 * width : c->max_width;
        EMIT("conv %d %s nobias\nbn\nrelu\n", width, conv_ksp(ksp, sizeof ksp, two, 5));
        len = (len + 1) / 2;
    }
    EMIT("flatten\n");
    if (c->dropout > 0)
        EMIT("dropout %.9g\n", (double)c->dropout);
    EMIT("dense %d", c->nclasses);
#undef EMIT
    if (at >= cap)
        return gt_error_set(err, GT_EINVAL, "classifier: the spec needs %zu bytes, have %zu",
                            at + 1, cap);
    return GT_OK;
}

/* ---------------------------------------------------------------- names */

static int names_copy(char ***out, char *const *src, int n, const char *what, gt_error *err)
{
    *out = NULL;
    char **v = calloc((size_t)n, sizeof *v);
    if (!v)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *s = src ? src[i] : NULL;
        if (!s || !*s || strchr(s, ',')) {
            gt_names_free(v, n);
            return gt_error_set(err, GT_EINVAL, "classifier: %s %d is '%s' (names must be "
                                "non-empty, without commas)", what, i + 1, s ? s : "(null)");
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(v[j], s)) {
                gt_names_free(v, n);
                return gt_error_set(err, GT_EINVAL, "classifier: %s '%s' given twice", what, s);
            }
        if (!(v[i] = strdup(s))) {
            gt_names_free(v, n);
            return gt_error_set(err, GT_ENOMEM, "out of memory");
        }
    }
    *out = v;
    return GT_OK;
}

/* ------------------------------------------------------- create and free */

void gt_classifier_free(gt_classifier *clf)
{
    if (!clf)
        return;
    gt_model_free(clf->model);
    gt_names_free(clf->classes, clf->cfg.nclasses);
    gt_names_free(clf->channels, clf->cfg.nch);
    free(clf->center);
    free(clf->scale);
    free(clf->feat_center);
    free(clf->feat_scale);
    free(clf->hist_loss);
    free(clf->hist_acc);
    gt_classifier_work *w = clf->work;
    if (w) {
        gt_featurizer_free(w->fz);
        free(w->fbuf);
        free(w->xb);
        free(w->logits);
        free(w->dlogits);
        free(w->yb);
        free(w);
    }
    free(clf);
}

int gt__classifier_alloc(gt_classifier **out, const gt_classifier_cfg *c, char *const *classes,
                         char *const *channels, gt_error *err)
{
    *out = NULL;
    int rc = check_cfg(c, err);
    if (rc)
        return rc;
    gt_classifier *clf = calloc(1, sizeof *clf);
    if (!clf)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    clf->cfg = *c;
    clf->hop = c->window;
    clf->norm = GT_NORM_NONE;
    if ((rc = names_copy(&clf->classes, classes, c->nclasses, "class", err)) ||
        (rc = names_copy(&clf->channels, channels, c->nch, "channel", err))) {
        gt_classifier_free(clf);
        return rc;
    }
    const size_t nch = (size_t)c->nch, b = (size_t)c->batch, K = (size_t)c->nclasses;
    const size_t L = (size_t)gt_classifier_input_len(c), S = gt_classifier_sample_size(c);
    gt_classifier_work *w = clf->work = calloc(1, sizeof *w);
    clf->center = calloc(nch, sizeof(float));
    clf->scale = malloc(nch * sizeof(float));
    if (w) {
        w->xb = malloc(b * (c->input == GT_CLF_SPECTRUM ? nch * L : S) * sizeof(float));
        w->logits = malloc(b * K * sizeof(float));
        w->dlogits = malloc(b * K * sizeof(float));
        w->yb = malloc(b * sizeof(int));
    }
    if (!w || !clf->center || !clf->scale || !w->xb || !w->logits || !w->dlogits || !w->yb) {
        gt_classifier_free(clf);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nch; k++)
        clf->scale[k] = 1.0f;
    if (c->input == GT_CLF_SPECTRUM) {
        gt_feat_cfg fc = gt_feat_cfg_default(GT_FEAT_SPECTRUM, c->window, 0.0);
        clf->feat_center = calloc(nch * L, sizeof(float));
        clf->feat_scale = malloc(nch * L * sizeof(float));
        w->fbuf = malloc(b * nch * (L + 1) * sizeof(float));
        if (!clf->feat_center || !clf->feat_scale || !w->fbuf) {
            gt_classifier_free(clf);
            return gt_error_set(err, GT_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < nch * L; i++)
            clf->feat_scale[i] = 1.0f;
        if ((rc = gt_featurizer_create(&w->fz, &fc, err))) {
            gt_classifier_free(clf);
            return rc;
        }
    }
    *out = clf;
    return GT_OK;
}

int gt_classifier_create(gt_classifier **out, const gt_classifier_cfg *c, char *const *classes,
                         char *const *channels, gt_error *err)
{
    char spec[4096];
    gt_classifier *clf;
    int rc = gt_classifier_spec(c, spec, sizeof spec, err);
    if (!rc)
        rc = gt__classifier_alloc(&clf, c, classes, channels, err);
    if (rc) {
        *out = NULL;
        return rc;
    }
    if ((rc = gt_model_parse(&clf->model, spec, err)) ||
        (rc = gt_model_finalize(clf->model, c->batch, err))) {
        gt_classifier_free(clf);
        *out = NULL;
        return rc;
    }
    gt_model_init(clf->model, GT_INIT_HE, 1);
    *out = clf;
    return GT_OK;
}

/* ------------------------------------------------------------- features */

/* The network's input for n <= batch windows x into w->xb: a copy (raw), or
 * standardised log1p spectra. */
static const float *net_input(gt_classifier *clf, const float *x, size_t n)
{
    if (clf->cfg.input != GT_CLF_SPECTRUM)
        return x;
    gt_classifier_work *w = clf->work;
    const size_t nch = (size_t)clf->cfg.nch, win = (size_t)clf->cfg.window;
    const size_t L = win / 2, nb = win / 2 + 1;
    /* The windows' channels one after another: nch * n signals win apart. */
    gt_featurize(w->fz, x, NULL, win, n * nch, w->fbuf);
    for (size_t i = 0; i < n * nch; i++) {
        const float *mu = clf->feat_center + (i % nch) * L, *sd = clf->feat_scale + (i % nch) * L;
        const float *f = w->fbuf + i * nb;
        float *o = w->xb + i * L;
        for (size_t j = 0; j < L; j++)
            o[j] = (f[j] - mu[j]) / sd[j];
    }
    return w->xb;
}

/* Spectrum input: the features of all n windows (n, nch, L), with the
 * per-(channel, bin) statistics fitted on them and applied. */
/* The standardised spectra of n windows into *out (malloc'd), with the
 * statistics fitted on them first when refit, else those clf has. */
static int fit_spectra(gt_classifier *clf, const float *x, size_t n, int refit, float **out,
                       gt_error *err)
{
    const size_t nch = (size_t)clf->cfg.nch, win = (size_t)clf->cfg.window;
    const size_t L = win / 2, F = nch * L, b = (size_t)clf->cfg.batch;
    float *feat = malloc(n * F * sizeof(float));
    double *sum = calloc(F, sizeof(double)), *sq = calloc(F, sizeof(double));
    if (!feat || !sum || !sq) {
        free(feat);
        free(sum);
        free(sq);
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    }
    /* Features with statistics 0 and 1 (as set at create), batch by batch;
     * or, not refitting, with the classifier's. */
    for (size_t i = 0; refit && i < F; i++) {
        clf->feat_center[i] = 0.0f;
        clf->feat_scale[i] = 1.0f;
    }
    for (size_t at = 0; at < n; at += b) {
        size_t m = n - at < b ? n - at : b;
        memcpy(feat + at * F, net_input(clf, x + at * nch * win, m), m * F * sizeof(float));
    }
    if (!refit) {
        free(sum);
        free(sq);
        *out = feat;
        return GT_OK;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < F; j++) {
            double v = feat[i * F + j];
            sum[j] += v;
            sq[j] += v * v;
        }
    for (size_t j = 0; j < F; j++) {
        double mu = sum[j] / (double)n, var = sq[j] / (double)n - mu * mu;
        double sd = var > 0 ? sqrt(var) : 0.0;
        clf->feat_center[j] = (float)mu;
        clf->feat_scale[j] = sd > 1e-6 ? (float)sd : 1.0f;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < F; j++)
            feat[i * F + j] = (feat[i * F + j] - clf->feat_center[j]) / clf->feat_scale[j];
    free(sum);
    free(sq);
    *out = feat;
    return GT_OK;
}

/* -------------------------------------------------------------- training */

gt_classifier_train_cfg gt_classifier_train_default(void)
{
    gt_classifier_train_cfg t = {.steps = 500, .batch = 64, .lr = 1e-3f, .weight_decay = 0.0f,
                                 .seed = 1, .balanced = 1, .shift = 1};
    return t;
}

/* A pool of window indices visited in a shuffled order, reshuffled when
 * used up. */
typedef struct pool {
    size_t *idx, n, at;
} pool;

static void pool_shuffle(pool *p, gt_rng *r)
{
    for (size_t i = p->n; i > 1; i--) {
        size_t j = gt_rng_below(r, (uint32_t)i);
        size_t t = p->idx[i - 1];
        p->idx[i - 1] = p->idx[j];
        p->idx[j] = t;
    }
    p->at = 0;
}

static size_t pool_next(pool *p, gt_rng *r)
{
    if (p->at == p->n)
        pool_shuffle(p, r);
    return p->idx[p->at++];
}

/* The batch sampler: one pool per class (balanced) or one for all. */
typedef struct sampler {
    int npools;
    pool *pools;
    size_t *mem;
} sampler;

static int sampler_init(sampler *s, const int *cls, size_t n, int K, int balanced, gt_rng *r)
{
    s->pools = calloc((size_t)K, sizeof(pool));
    s->mem = malloc(n * sizeof(size_t));
    if (!s->pools || !s->mem)
        return GT_ENOMEM;
    if (!balanced) {
        s->npools = 1;
        s->pools[0] = (pool){s->mem, n, 0};
        for (size_t i = 0; i < n; i++)
            s->mem[i] = i;
    } else {
        /* classes with windows, in class order, each a run of mem */
        size_t at = 0;
        s->npools = 0;
        for (int k = 0; k < K; k++) {
            pool *p = &s->pools[s->npools];
            p->idx = s->mem + at;
            p->n = 0;
            for (size_t i = 0; i < n; i++)
                if (cls[i] == k)
                    p->idx[p->n++] = i;
            at += p->n;
            s->npools += p->n > 0;
        }
    }
    for (int k = 0; k < s->npools; k++)
        pool_shuffle(&s->pools[k], r);
    return GT_OK;
}

static size_t sampler_next(sampler *s, gt_rng *r)
{
    pool *p = &s->pools[s->npools > 1 ? gt_rng_below(r, (uint32_t)s->npools) : 0];
    return pool_next(p, r);
}

static void sampler_free(sampler *s)
{
    free(s->pools);
    free(s->mem);
}

static int argmax(const float *v, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

/*
 * Copy a sample (nch x L, or nch x L x L for images) to dst, augmented the
 * same way in every channel: a window rotated by a random offset; an image
 * flipped top to bottom, left to right and transposed, each with
 * probability 1/2 (together, each of the square's 8 symmetries, the
 * quarter-turn rotations among them, with probability 1/8).
 */
static void augment(float *dst, const float *from, int dims, int nch, size_t L, gt_rng *r)
{
    if (dims == 1) {
        size_t off = gt_rng_below(r, (uint32_t)L);
        for (int ch = 0; ch < nch; ch++) {
            memcpy(dst + (size_t)ch * L, from + (size_t)ch * L + off, (L - off) * sizeof(float));
            memcpy(dst + (size_t)ch * L + (L - off), from + (size_t)ch * L, off * sizeof(float));
        }
        return;
    }
    const uint32_t sym = gt_rng_below(r, 8);
    const int flip_rows = sym & 1, flip_cols = (sym >> 1) & 1, transpose = (sym >> 2) & 1;
    for (int ch = 0; ch < nch; ch++) {
        const float *s = from + (size_t)ch * L * L;
        float *d = dst + (size_t)ch * L * L;
        for (size_t i = 0; i < L; i++)
            for (size_t j = 0; j < L; j++) {
                size_t a = transpose ? j : i, b = transpose ? i : j;
                if (flip_rows)
                    a = L - 1 - a;
                if (flip_cols)
                    b = L - 1 - b;
                d[i * L + j] = s[a * L + b];
            }
    }
}

int gt_classifier_train(gt_classifier *clf, const float *x, const int *cls, size_t n,
                        const gt_classifier_train_cfg *t, gt_classifier_progress_fn progress,
                        void *ctx, gt_error *err)
{
    const gt_classifier_cfg *c = &clf->cfg;
    const int K = c->nclasses;
    if (n == 0)
        return gt_error_set(err, GT_EINVAL, "classifier: no windows to train on");
    if (n > UINT32_MAX)
        return gt_error_set(err, GT_EINVAL, "classifier: %zu windows (at most %u)", n,
                            (unsigned)UINT32_MAX);
    if (t->steps < 1 || t->batch < 1 || t->batch > c->batch)
        return gt_error_set(err, GT_EINVAL,
                            "classifier: %ld steps of batch %d (need steps >= 1 and a batch "
                            "of 1 to %d)", t->steps, t->batch, c->batch);
    if (!(t->lr > 0) || !(t->weight_decay >= 0))
        return gt_error_set(err, GT_EINVAL, "classifier: learning rate %g, weight decay %g",
                            (double)t->lr, (double)t->weight_decay);
    for (size_t i = 0; i < n; i++)
        if (cls[i] < 0 || cls[i] >= K)
            return gt_error_set(err, GT_EINVAL, "classifier: window %zu has class %d (0 to %d)", i,
                                cls[i], K - 1);
    gt_classifier_work *w = clf->work;
    const size_t L = (size_t)gt_classifier_input_len(c), xs = gt_classifier_sample_size(c);
    const size_t S = c->input == GT_CLF_SPECTRUM ? (size_t)c->nch * L : xs;
    float *feat = NULL, *hl = malloc((size_t)t->steps * sizeof(float)),
          *ha = malloc((size_t)t->steps * sizeof(float));
    sampler smp = {0};
    gt_rng rng;
    gt_rng_seed(&rng, t->seed * 2 + 1);
    int rc = hl && ha ? sampler_init(&smp, cls, n, K, t->balanced, &rng) : GT_ENOMEM;
    if (rc) {
        gt_error_set(err, rc, "out of memory");
        goto out;
    }
    if (c->input == GT_CLF_SPECTRUM && (rc = fit_spectra(clf, x, n, !t->finetune, &feat, err)))
        goto out;
    const float *src = feat ? feat : x;
    const size_t stride = feat ? S : xs;

    gt_model *m = clf->model;
    if (!t->finetune)
        gt_model_init(m, GT_INIT_HE, t->seed * 2 + 2);
    const gt_optim_cfg oc = {.kind = GT_OPTIM_ADAM, .lr = t->lr, .beta1 = 0.9f, .beta2 = 0.999f,
                             .eps = 1e-8f, .weight_decay = t->weight_decay};
    const int b = t->batch, shift = t->shift && c->input == GT_CLF_RAW;
    double sum_loss = 0, sum_acc = 0;
    for (long s = 0; s < t->steps; s++) {
        for (int i = 0; i < b; i++) {
            size_t k = sampler_next(&smp, &rng);
            if (shift)
                augment(w->xb + (size_t)i * S, src + k * stride, c->dims, c->nch, L, &rng);
            else
                memcpy(w->xb + (size_t)i * S, src + k * stride, S * sizeof(float));
            w->yb[i] = cls[k];
        }
        gt_model_zero_grad(m);
        if ((rc = gt_model_forward(m, w->xb, NULL, b, 1, w->logits))) {
            gt_error_set(err, rc, "classifier: forward failed at step %ld", s + 1);
            goto out;
        }
        double loss = gt_loss_softmax_ce(w->dlogits, w->logits, w->yb, b, K, 1.0f);
        int right = 0;
        for (int i = 0; i < b; i++)
            right += argmax(w->logits + (size_t)i * K, K) == w->yb[i];
        if (!isfinite(loss)) {
            rc = gt_error_set(err, GT_ENUMERIC,
                              "classifier: training diverged at step %ld (the loss is not "
                              "finite)", s + 1);
            goto out;
        }
        gt_model_backward(m, w->dlogits, NULL);
        if (!isfinite(gt_sumsq(gt_model_grads(m), gt_model_nparams(m)))) {
            rc = gt_error_set(err, GT_ENUMERIC,
                              "classifier: training diverged at step %ld (a gradient is not "
                              "finite)", s + 1);
            goto out;
        }
        gt_model_step(m, &oc);
        hl[s] = (float)loss;
        ha[s] = (float)right / (float)b;
        sum_loss += hl[s];
        sum_acc += ha[s];
        if (s >= AVG_STEPS) {
            sum_loss -= hl[s - AVG_STEPS];
            sum_acc -= ha[s - AVG_STEPS];
        }
        if (progress) {
            const long navg = s + 1 < AVG_STEPS ? s + 1 : AVG_STEPS;
            gt_classifier_progress p = {.step = s + 1, .steps = t->steps, .loss = hl[s],
                                        .accuracy = ha[s], .loss_avg = sum_loss / (double)navg,
                                        .accuracy_avg = sum_acc / (double)navg};
            progress(ctx, &p);
        }
    }
    free(clf->hist_loss);
    free(clf->hist_acc);
    clf->hist_loss = hl;
    clf->hist_acc = ha;
    hl = ha = NULL;
    clf->steps = t->steps;
    clf->seed = t->seed;
out:
    sampler_free(&smp);
    free(feat);
    free(hl);
    free(ha);
    return rc;
}

/* ------------------------------------------------------------ prediction */

int gt_classifier_predict(gt_classifier *clf, const float *x, size_t n, int *out_class,
                          float *out_probs)
{
    const int K = clf->cfg.nclasses;
    const size_t xs = gt_classifier_sample_size(&clf->cfg), b = (size_t)clf->cfg.batch;
    float *logits = clf->work->logits;
    for (size_t at = 0; at < n; at += b) {
        size_t m = n - at < b ? n - at : b;
        int rc = gt_model_infer(clf->model, net_input(clf, x + at * xs, m), NULL, (int)m, logits);
        if (rc)
            return rc;
        for (size_t i = 0; i < m; i++) {
            const float *z = logits + i * (size_t)K;
            if (out_class)
                out_class[at + i] = argmax(z, K);
            if (out_probs) {
                float *p = out_probs + (at + i) * (size_t)K, mx = z[argmax(z, K)];
                double sum = 0;
                for (int j = 0; j < K; j++)
                    sum += exp((double)z[j] - mx);
                for (int j = 0; j < K; j++)
                    p[j] = (float)(exp((double)z[j] - mx) / sum);
            }
        }
    }
    return GT_OK;
}
