/* The fault classifier: a small 1D CNN on the engine, its training loop
 * (class-balanced batches, softmax cross-entropy, Adam), prediction and its
 * model file. */
#include "gantry/classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/h5.h"
#include "gantry/loss.h"
#include "gantry/names.h"
#include "gantry/rng.h"

/* Batches of a loaded classifier. */
#define LOAD_BATCH 64
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
    gt_classifier_cfg c = {.nch = nch, .window = window, .input = GT_CLF_RAW,
                           .nclasses = nclasses, .width = 8, .max_width = 64,
                           .dropout = 0.3f, .batch = 64};
    return c;
}

int gt_classifier_input_len(const gt_classifier_cfg *c)
{
    return c->input == GT_CLF_SPECTRUM ? c->window / 2 : c->window;
}

static int check_cfg(const gt_classifier_cfg *c, gt_error *err)
{
    if (c->nch < 1)
        return gt_error_set(err, GT_EINVAL, "classifier: %d channels (need at least 1)", c->nch);
    if (c->window < 32)
        return gt_error_set(err, GT_EINVAL, "classifier: window %d is too short (at least 32)",
                            c->window);
    if ((unsigned)c->input > GT_CLF_SPECTRUM)
        return gt_error_set(err, GT_EINVAL, "classifier: unknown input %d", (int)c->input);
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

int gt_classifier_spec(const gt_classifier_cfg *c, char *buf, size_t cap, gt_error *err)
{
    int rc = check_cfg(c, err);
    if (rc)
        return rc;
    int len = gt_classifier_input_len(c), width = c->width;
    size_t at = 0;
#define EMIT(...)                                                                   \
    do {                                                                            \
        int n_ = snprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, __VA_ARGS__); \
        at += (size_t)n_;                                                           \
    } while (0)
    EMIT("input %dx%d\n", c->nch, len);
    EMIT("conv %d k7 s2 p3 nobias\nbn\nrelu\n", width);
    len = (len + 1) / 2;
    while (len > 8) {
        width = 2 * width < c->max_width ? 2 * width : c->max_width;
        EMIT("conv %d k5 s2 p2 nobias\nbn\nrelu\n", width);
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

/* Everything but the model. */
static int clf_alloc(gt_classifier **out, const gt_classifier_cfg *c, char *const *classes,
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
    const size_t L = (size_t)gt_classifier_input_len(c);
    gt_classifier_work *w = clf->work = calloc(1, sizeof *w);
    clf->center = calloc(nch, sizeof(float));
    clf->scale = malloc(nch * sizeof(float));
    if (w) {
        w->xb = malloc(b * nch * L * sizeof(float));
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
        rc = clf_alloc(&clf, c, classes, channels, err);
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
static int fit_spectra(gt_classifier *clf, const float *x, size_t n, float **out, gt_error *err)
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
    /* Features with statistics 0 and 1 (as set at create), batch by batch. */
    for (size_t i = 0; i < F; i++) {
        clf->feat_center[i] = 0.0f;
        clf->feat_scale[i] = 1.0f;
    }
    for (size_t at = 0; at < n; at += b) {
        size_t m = n - at < b ? n - at : b;
        memcpy(feat + at * F, net_input(clf, x + at * nch * win, m), m * F * sizeof(float));
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
    const size_t L = (size_t)gt_classifier_input_len(c), S = (size_t)c->nch * L;
    const size_t xs = (size_t)c->nch * (size_t)c->window;
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
    if (c->input == GT_CLF_SPECTRUM && (rc = fit_spectra(clf, x, n, &feat, err)))
        goto out;
    const float *src = feat ? feat : x;
    const size_t stride = feat ? S : xs;

    gt_model *m = clf->model;
    gt_model_init(m, GT_INIT_HE, t->seed * 2 + 2);
    const gt_optim_cfg oc = {.kind = GT_OPTIM_ADAM, .lr = t->lr, .beta1 = 0.9f, .beta2 = 0.999f,
                             .eps = 1e-8f, .weight_decay = t->weight_decay};
    const int b = t->batch, shift = t->shift && c->input == GT_CLF_RAW;
    double sum_loss = 0, sum_acc = 0;
    for (long s = 0; s < t->steps; s++) {
        for (int i = 0; i < b; i++) {
            size_t k = sampler_next(&smp, &rng);
            float *dst = w->xb + (size_t)i * S;
            const float *from = src + k * stride;
            if (shift) {
                /* rotate every channel by one random offset */
                size_t off = gt_rng_below(&rng, (uint32_t)L);
                for (int ch = 0; ch < c->nch; ch++) {
                    memcpy(dst + (size_t)ch * L, from + (size_t)ch * L + off,
                           (L - off) * sizeof(float));
                    memcpy(dst + (size_t)ch * L + (L - off), from + (size_t)ch * L,
                           off * sizeof(float));
                }
            } else {
                memcpy(dst, from, S * sizeof(float));
            }
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
    const size_t xs = (size_t)clf->cfg.nch * (size_t)clf->cfg.window, b = (size_t)clf->cfg.batch;
    float *logits = clf->work->logits;
    for (size_t at = 0; at < n; at += b) {
        size_t m = n - at < b ? n - at : b;
        int rc = gt_model_forward(clf->model, net_input(clf, x + at * xs, m), NULL, (int)m, 0,
                                  logits);
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

/* ---------------------------------------------------------------- files */

static int write_all(const gt_classifier *clf, gt_h5 *f, gt_error *err)
{
    const gt_classifier_cfg *c = &clf->cfg;
    char *chans = gt_names_join(clf->channels, c->nch), *classes = gt_names_join(clf->classes,
                                                                            c->nclasses);
    const size_t nch = (size_t)c->nch, L = (size_t)gt_classifier_input_len(c);
    const size_t d1[1] = {nch}, d2[2] = {nch, L}, dh[1] = {(size_t)clf->steps};
    int rc = chans && classes ? GT_OK : gt_error_set(err, GT_ENOMEM, "out of memory");
    if (!rc) rc = gt_h5_write_model(f, "classifier", clf->model, 0, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "kind", GT_CLASSIFIER_KIND, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "window", c->window, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "hop", clf->hop, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "input", gt_clf_input_name(c->input), err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "channels", chans, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "classes", classes, err);
    if (!rc) rc = gt_h5_write_attr_str(f, "/", "normalize", gt_norm_name(clf->norm), err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "rate_hz", clf->rate_hz, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "steps", (double)clf->steps, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "seed", (double)clf->seed, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "width", c->width, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "max_width", c->max_width, err);
    if (!rc) rc = gt_h5_write_attr_double(f, "/", "dropout", c->dropout, err);
    if (!rc) rc = gt_h5_write_floats(f, "norm/center", clf->center, 1, d1, err);
    if (!rc) rc = gt_h5_write_floats(f, "norm/scale", clf->scale, 1, d1, err);
    if (!rc && clf->feat_center)
        rc = gt_h5_write_floats(f, "feature/center", clf->feat_center, 2, d2, err);
    if (!rc && clf->feat_scale)
        rc = gt_h5_write_floats(f, "feature/scale", clf->feat_scale, 2, d2, err);
    /* (an untrained classifier has an empty history) */
    float none = 0;
    if (!rc)
        rc = gt_h5_write_floats(f, "history/loss", clf->hist_loss ? clf->hist_loss : &none, 1,
                                dh, err);
    if (!rc)
        rc = gt_h5_write_floats(f, "history/accuracy", clf->hist_acc ? clf->hist_acc : &none, 1,
                                dh, err);
    free(chans);
    free(classes);
    return rc;
}

int gt_classifier_save(const gt_classifier *clf, const char *path, gt_error *err)
{
    gt_h5 *f;
    int rc = gt_h5_create(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, GT_MODEL_FORMAT_MINOR,
                          err);
    if (rc)
        return rc;
    if ((rc = write_all(clf, f, err))) {
        gt_h5_abort(f);
        return rc;
    }
    return gt_h5_commit(f, err);
}

/* A float dataset of exactly n values into dst. */
static int read_exact(gt_h5 *f, const char *path, const char *file, float *dst, size_t n,
                      gt_error *err)
{
    float *v = NULL;
    size_t got = 0;
    int rc = gt_h5_read_floats(f, path, &v, &got, NULL, NULL, err);
    if (!rc && got != n)
        rc = gt_error_set(err, GT_ESHAPE, "%s: /%s has %zu values, the classifier needs %zu",
                          file, path, got, n);
    if (!rc)
        memcpy(dst, v, n * sizeof(float));
    free(v);
    return rc;
}

static int read_int_attr(gt_h5 *f, const char *file, const char *name, int lo, int *out,
                         gt_error *err)
{
    double v;
    int rc = gt_h5_read_attr_double(f, "/", name, &v, err);
    if (rc)
        return rc;
    if (!(v >= lo && v <= 1e9) || v != floor(v))
        return gt_error_set(err, GT_EFORMAT, "%s: attribute %s is %g", file, name, v);
    *out = (int)v;
    return GT_OK;
}

static int read_all(gt_classifier **out, gt_h5 *f, const char *path, gt_error *err)
{
    char *kind = NULL, *input = NULL, *chans = NULL, *classes = NULL, *norm = NULL;
    char **chan_v = NULL, **cls_v = NULL;
    int nch = 0, ncls = 0, hop = 0;
    double dropout = 0, rate = 0, steps = 0, seed = 0;
    gt_classifier_cfg c = gt_classifier_cfg_default(1, 32, 2);
    gt_classifier *clf = NULL;
    gt_model *m = NULL;
    gt_error e2 = {0};
    int rc = gt_h5_read_attr_str(f, "/", "kind", &kind, err);
    if (!rc && strcmp(kind, GT_CLASSIFIER_KIND))
        rc = gt_error_set(err, GT_EFORMAT, "%s: holds a %s model, not a classifier", path, kind);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "input", &input, err);
    if (!rc && gt_clf_input_parse(input, &c.input, &e2))
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute input: %s", path, e2.msg);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "channels", &chans, err);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "classes", &classes, err);
    if (!rc) rc = gt_h5_read_attr_str(f, "/", "normalize", &norm, err);
    if (!rc) rc = read_int_attr(f, path, "window", 32, &c.window, err);
    if (!rc) rc = read_int_attr(f, path, "hop", 1, &hop, err);
    if (!rc) rc = read_int_attr(f, path, "width", 1, &c.width, err);
    if (!rc) rc = read_int_attr(f, path, "max_width", 1, &c.max_width, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "dropout", &dropout, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "rate_hz", &rate, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "steps", &steps, err);
    if (!rc) rc = gt_h5_read_attr_double(f, "/", "seed", &seed, err);
    if (!rc && (gt_names_split(chans, &chan_v, &nch) || gt_names_split(classes, &cls_v, &ncls)))
        rc = gt_error_set(err, GT_ENOMEM, "out of memory");
    if (!rc) {
        c.nch = nch;
        c.nclasses = ncls;
        c.dropout = (float)dropout;
        c.batch = LOAD_BATCH;
        rc = clf_alloc(&clf, &c, cls_v, chan_v, err);
    }
    if (!rc && gt_norm_parse(norm, &clf->norm, &e2))
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute normalize: %s", path, e2.msg);
    if (!rc) rc = gt_h5_read_model(f, "classifier", LOAD_BATCH, &m, err);
    if (!rc) {
        gt_shape in = gt_model_input_shape(m), o = gt_model_output_shape(m);
        const int L = gt_classifier_input_len(&c);
        if (in.c != nch || in.h != 1 || in.w != L || o.c * o.h * o.w != ncls)
            rc = gt_error_set(err, GT_ESHAPE,
                              "%s: the network takes %dx%d and gives %d values; the file's "
                              "attributes say %dx%d and %d classes",
                              path, in.c, in.w, o.c * o.h * o.w, nch, L, ncls);
    }
    if (!rc) {
        clf->model = m;
        m = NULL;
        clf->hop = hop;
        clf->rate_hz = rate;
        clf->steps = steps >= 0 ? (long)steps : 0;
        clf->seed = seed >= 0 ? (uint64_t)seed : 0;
        const size_t L = (size_t)gt_classifier_input_len(&c);
        clf->hist_loss = malloc(((size_t)clf->steps + 1) * sizeof(float));
        clf->hist_acc = malloc(((size_t)clf->steps + 1) * sizeof(float));
        if (!clf->hist_loss || !clf->hist_acc)
            rc = gt_error_set(err, GT_ENOMEM, "out of memory");
        if (!rc) rc = read_exact(f, "norm/center", path, clf->center, (size_t)nch, err);
        if (!rc) rc = read_exact(f, "norm/scale", path, clf->scale, (size_t)nch, err);
        if (!rc && clf->feat_center)
            rc = read_exact(f, "feature/center", path, clf->feat_center, (size_t)nch * L, err);
        if (!rc && clf->feat_scale)
            rc = read_exact(f, "feature/scale", path, clf->feat_scale, (size_t)nch * L, err);
        if (!rc)
            rc = read_exact(f, "history/loss", path, clf->hist_loss, (size_t)clf->steps, err);
        if (!rc)
            rc = read_exact(f, "history/accuracy", path, clf->hist_acc, (size_t)clf->steps, err);
    }
    free(kind);
    free(input);
    free(chans);
    free(classes);
    free(norm);
    gt_names_free(chan_v, nch);
    gt_names_free(cls_v, ncls);
    gt_model_free(m);
    if (rc) {
        gt_classifier_free(clf);
        clf = NULL;
    }
    *out = clf;
    return rc;
}

int gt_classifier_load(gt_classifier **out, const char *path, gt_error *err)
{
    gt_h5 *f;
    *out = NULL;
    int rc = gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, err);
    if (rc)
        return rc;
    rc = read_all(out, f, path, err);
    gt_h5_close(f);
    return rc;
}
