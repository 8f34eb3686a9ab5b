/* A model: a sequence of layers over flat parameter arrays. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/kernels.h"
#include "gantry/model.h"
#include "conv_internal.h"
#include "model_internal.h"
#include "winograd.h"
#include "winograd2d.h"

/* Convolution scratch is capped (in floats); larger batches run in chunks. */
#define GT_COL_CAP ((size_t)32 << 20)

static const char *const kind_names[] = {
    "dense", "conv",    "convt",   "bn",      "relu",     "lrelu", "tanh",
    "sigmoid", "dropout", "flatten", "reshape", "upsample", "label", "scale",
};
static_assert(sizeof kind_names / sizeof kind_names[0] == GT_LAYER_KIND_COUNT,
              "every layer kind needs a name");

const char *gt_layer_kind_name(gt_layer_kind kind)
{
    return (unsigned)kind < GT_LAYER_KIND_COUNT ? kind_names[kind] : "?";
}

float *gt__alloc_floats(size_t n)
{
    if (n > SIZE_MAX / (2 * sizeof(float)))
        return NULL;
    size_t bytes = ((n ? n : 1) * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void gt__free_floats(float *p)
{
    free(p);
}

gt_layer_desc gt_layer_desc_default(gt_layer_kind kind)
{
    gt_layer_desc d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.kh = d.kw = 1;
    d.sh = d.sw = 1;
    d.bias = 1;
    d.affine = 1;
    d.fh = d.fw = 1;
    switch (kind) {
    case GT_LAYER_LRELU: d.alpha = 0.2f; break;
    case GT_LAYER_BATCHNORM: d.alpha = 0.1f; d.eps = 1e-5f; break;
    case GT_LAYER_DROPOUT: d.alpha = 0.5f; break;
    case GT_LAYER_SCALE: d.alpha = 1.0f; break;
    case GT_LAYER_UPSAMPLE: d.fh = d.fw = 2; break;
    default: break;
    }
    return d;
}

int gt_model_create(gt_model **out, gt_shape input, int nclasses, gt_error *err)
{
    *out = NULL;
    if (input.c <= 0 || input.h <= 0 || input.w <= 0 || nclasses < 0)
        return gt_error_set(err, GT_EINVAL, "invalid input shape %dx%dx%d",
                            input.c, input.h, input.w);
    gt_model *m = calloc(1, sizeof *m);
    if (!m)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    m->input = input;
    m->nclasses = nclasses;
    gt_rng_seed(&m->drop_rng, 0);
    *out = m;
    return GT_OK;
}

static gt_shape current_shape(const gt_model *m)
{
    return m->nlayers ? m->layers[m->nlayers - 1].out : m->input;
}

/* Shape inference and validation of one layer on input shape `in`. */
static int layer_setup(gt__layer *L, gt_shape in, int nclasses, int index,
                       gt_error *err)
{
    const gt_layer_desc *d = &L->d;
    L->in = in;
    L->out = in;
    const char *name = gt_layer_kind_name(d->kind);
    switch (d->kind) {
    case GT_LAYER_DENSE:
        if (in.h != 1 || in.w != 1)
            return gt_error_set(err, GT_ESHAPE,
                                "layer %d (dense): input is %dx%dx%d, not a vector; add 'flatten' first",
                                index, in.c, in.h, in.w);
        if (d->units <= 0)
            return gt_error_set(err, GT_EINVAL, "layer %d (dense): needs a positive size", index);
        L->out = (gt_shape){d->units, 1, 1};
        return GT_OK;
    case GT_LAYER_CONV:
    case GT_LAYER_CONVT: {
        if (d->units <= 0)
            return gt_error_set(err, GT_EINVAL, "layer %d (%s): needs a positive channel count",
                                index, name);
        gt_conv_geom g = {.cin = in.c, .hin = in.h, .win = in.w, .cout = d->units,
                          .kh = d->kh, .kw = d->kw, .sh = d->sh, .sw = d->sw,
                          .ph = d->ph, .pw = d->pw};
        if (gt_conv_geom_resolve(&g, d->kind == GT_LAYER_CONVT) < 0) {
            if (in.h == 1 && d->kh == 1 && d->sh == 1 && d->ph == 0)
                return gt_error_set(err, GT_ESHAPE,
                                    "layer %d (%s): kernel %d stride %d padding %d does not fit input %dx%d "
                                    "(padding must be below the kernel size, the output at least 1 long, "
                                    "one sample's matrices under 2^31 values)",
                                    index, name, d->kw, d->sw, d->pw, in.c, in.w);
            return gt_error_set(err, GT_ESHAPE,
                                "layer %d (%s): kernel %dx%d stride %dx%d padding %dx%d does not fit input %dx%dx%d "
                                "(padding must be below the kernel size, the output at least 1x1, "
                                "one sample's matrices under 2^31 values)",
                                index, name, d->kh, d->kw, d->sh, d->sw, d->ph, d->pw, in.c, in.h,
                                in.w);
        }
        if (d->spectral && d->kind == GT_LAYER_CONVT)
            return gt_error_set(err, GT_EINVAL,
                                "layer %d (convt): spectral normalisation is for discriminator layers (dense, conv)",
                                index);
        L->geom = g;
        L->out = (gt_shape){g.cout, g.hout, g.wout};
        return GT_OK;
    }
    case GT_LAYER_BATCHNORM:
        if (d->alpha < 0 || d->alpha > 1 || !(d->eps > 0))
            return gt_error_set(err, GT_EINVAL, "layer %d (bn): momentum must be in [0,1] and eps > 0",
                                index);
        return GT_OK;
    case GT_LAYER_RELU:
    case GT_LAYER_TANH:
    case GT_LAYER_SIGMOID:
        return GT_OK;
    case GT_LAYER_LRELU:
        if (!(d->alpha >= 0))
            return gt_error_set(err, GT_EINVAL, "layer %d (lrelu): slope must be >= 0", index);
        return GT_OK;
    case GT_LAYER_DROPOUT:
        if (!(d->alpha >= 0 && d->alpha < 1))
            return gt_error_set(err, GT_EINVAL, "layer %d (dropout): p must be in [0, 1)", index);
        return GT_OK;
    case GT_LAYER_SCALE:
        if (!isfinite(d->alpha) || d->alpha == 0.0f)
            return gt_error_set(err, GT_EINVAL, "layer %d (scale): the factor must be finite and "
                                "not 0", index);
        return GT_OK;
    case GT_LAYER_FLATTEN:
        L->out = (gt_shape){in.c * in.h * in.w, 1, 1};
        return GT_OK;
    case GT_LAYER_RESHAPE: {
        gt_shape s = d->shape;
        if (s.c <= 0 || s.h <= 0 || s.w <= 0 || gt__shape_size(s) != gt__shape_size(in) ||
            in.h != 1 || in.w != 1)
            return gt_error_set(err, GT_ESHAPE,
                                "layer %d (reshape): cannot reshape %dx%dx%d into %dx%dx%d (input must be a vector of the same size)",
                                index, in.c, in.h, in.w, s.c, s.h, s.w);
        L->out = s;
        return GT_OK;
    }
    case GT_LAYER_UPSAMPLE:
        if (d->fh <= 0 || d->fw <= 0 || (in.h == 1 && d->fh != 1))
            return gt_error_set(err, GT_EINVAL, "layer %d (upsample): bad factor %dx%d", index,
                                d->fh, d->fw);
        L->out = (gt_shape){in.c, in.h * d->fh, in.w * d->fw};
        return GT_OK;
    case GT_LAYER_LABEL:
        if (nclasses <= 0)
            return gt_error_set(err, GT_EINVAL,
                                "layer %d (label): the model has no classes (add 'classes K' to the input line)",
                                index);
        L->out = (gt_shape){in.c + (d->units > 0 ? d->units : nclasses), in.h, in.w};
        return GT_OK;
    default:
        return gt_error_set(err, GT_EINVAL, "layer %d: unknown kind %d", index, (int)d->kind);
    }
}

int gt_model_add(gt_model *m, const gt_layer_desc *d, gt_error *err)
{
    if (m->finalized)
        return gt_error_set(err, GT_EINVAL, "model is finalized; cannot add layers");
    gt__layer L;
    memset(&L, 0, sizeof L);
    L.d = *d;
    int rc = layer_setup(&L, current_shape(m), m->nclasses, m->nlayers + 1, err);
    if (rc < 0)
        return rc;
    if (m->nlayers == m->cap) {
        int cap = m->cap ? 2 * m->cap : 16;
        gt__layer *p = realloc(m->layers, (size_t)cap * sizeof *p);
        if (!p)
            return gt_error_set(err, GT_ENOMEM, "out of memory");
        m->layers = p;
        m->cap = cap;
    }
    m->layers[m->nlayers++] = L;
    return GT_OK;
}

/* Parameter and buffer counts of a layer, fixing its offsets. */
static void layer_layout(gt__layer *L, int nclasses, size_t *np, size_t *nb)
{
    const gt_layer_desc *d = &L->d;
    L->w_off = *np;
    L->w_n = L->b_n = 0;
    L->buf_off = *nb;
    switch (d->kind) {
    case GT_LAYER_DENSE:
        L->w_n = (size_t)L->out.c * L->in.c;
        L->b_n = d->bias ? (size_t)L->out.c : 0;
        L->sn_rows = L->out.c;
        L->sn_cols = L->in.c;
        break;
    case GT_LAYER_CONV:
    case GT_LAYER_CONVT:
        L->w_n = (size_t)L->geom.cin * L->geom.cout * L->geom.kh * L->geom.kw;
        L->b_n = d->bias ? (size_t)L->geom.cout : 0;
        L->sn_rows = L->geom.cout;
        L->sn_cols = L->geom.cin * L->geom.kh * L->geom.kw;
        break;
    case GT_LAYER_BATCHNORM:
        if (d->affine)
            L->w_n = L->b_n = (size_t)L->in.c;
        *nb += 2 * (size_t)L->in.c;
        break;
    case GT_LAYER_LABEL:
        if (d->units > 0)
            L->w_n = (size_t)nclasses * d->units;
        break;
    default:
        break;
    }
    L->b_off = L->w_off + L->w_n;
    *np += L->w_n + L->b_n;
    if (d->spectral)
        *nb += (size_t)L->sn_rows + L->sn_cols;
}

int gt_model_finalize(gt_model *m, int max_batch, gt_error *err)
{
    if (m->finalized)
        return gt_error_set(err, GT_EINVAL, "model already finalized");
    if (m->nlayers == 0)
        return gt_error_set(err, GT_EINVAL, "model has no layers");
    if (max_batch <= 0)
        return gt_error_set(err, GT_EINVAL, "batch size must be positive");
    size_t np = 0, nb = 0, maxact = gt__shape_size(m->input) * (size_t)max_batch;
    size_t col = 0, nmap = 0, nwino = 0;
    for (int i = 0; i < m->nlayers; i++) {
        gt__layer *L = &m->layers[i];
        layer_layout(L, m->nclasses, &np, &nb);
        L->map_off = nmap;
        L->wino = L->d.kind == GT_LAYER_CONV && gt__wino_fits(&L->geom);
        L->wino_off = nwino;
        if (L->wino)
            nwino += gt__wino_weights_size(&L->geom);
        if (L->d.kind == GT_LAYER_BATCHNORM)
            nmap += 3 * (size_t)L->in.c;
        size_t a = gt__shape_size(L->out) * (size_t)max_batch;
        if (a > maxact)
            maxact = a;
        if (L->d.kind == GT_LAYER_CONV || L->d.kind == GT_LAYER_CONVT) {
            size_t one = gt__conv_im2col_scratch(&L->geom, 1);
            if (L->wino) {
                size_t w = gt__wino_scratch(&L->geom);
                one = w > one ? w : one;
            }
            size_t need = one * (size_t)max_batch;
            if (need > GT_COL_CAP)
                need = one > GT_COL_CAP ? one : GT_COL_CAP;
            /* The 2D Winograd form (winograd2d.h) where one sample's worth
             * fits the cap: with less scratch the kernels keep im2col. */
            const int t = L->d.kind == GT_LAYER_CONVT;
            size_t w1 = gt__wino2_scratch(&L->geom, t, 1);
            if (w1 && w1 <= GT_COL_CAP) {
                size_t wn = gt__wino2_scratch(&L->geom, t, max_batch);
                wn = wn > GT_COL_CAP ? GT_COL_CAP : wn;
                need = wn > need ? wn : need;
            }
            if (need > col)
                col = need;
        }
    }
    m->nparams = np;
    m->nbuffers = nb;
    m->max_batch = max_batch;
    float *block = gt__alloc_floats(4 * (np ? np : 1));
    m->buffers = gt__alloc_floats(nb);
    m->in_act = gt__alloc_floats(gt__shape_size(m->input) * (size_t)max_batch);
    m->gbuf[0] = gt__alloc_floats(maxact);
    m->gbuf[1] = gt__alloc_floats(maxact);
    m->col = gt__alloc_floats(col);
    m->col_cap = col;
    m->imap = gt__alloc_floats(nmap);
    m->wino = nwino ? gt__alloc_floats(nwino) : NULL;
    m->wino_gen = (unsigned long)-1;
    m->labels = calloc((size_t)max_batch, sizeof *m->labels);
    int ok = block && m->buffers && m->in_act && m->gbuf[0] && m->gbuf[1] && m->col &&
             m->imap && (!nwino || m->wino) && m->labels;
    size_t stride = np ? np : 1;
    m->params = block;
    if (block) {
        m->grads = block + stride;
        m->m1 = block + 2 * stride;
        m->m2 = block + 3 * stride;
    }
    for (int i = 0; ok && i < m->nlayers; i++) {
        gt__layer *L = &m->layers[i];
        L->act = gt__alloc_floats(gt__shape_size(L->out) * (size_t)max_batch);
        size_t aux = 0;
        if (L->d.kind == GT_LAYER_BATCHNORM)
            aux = 2 * (size_t)L->in.c;
        else if (L->d.kind == GT_LAYER_DROPOUT)
            aux = gt__shape_size(L->out) * (size_t)max_batch;
        if (L->d.spectral)
            aux = 2 * L->w_n;
        L->aux = aux ? gt__alloc_floats(aux) : NULL;
        ok = L->act && (!aux || L->aux);
    }
    m->finalized = 1;
    if (!ok)
        return gt_error_set(err, GT_ENOMEM, "out of memory allocating the model for batch %d",
                            max_batch);
    gt_model_init(m, GT_INIT_DCGAN, 0);
    return GT_OK;
}

void gt_model_free(gt_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nlayers; i++) {
        gt__free_floats(m->layers[i].act);
        gt__free_floats(m->layers[i].aux);
    }
    free(m->layers);
    gt__free_floats(m->params);
    gt__free_floats(m->buffers);
    gt__free_floats(m->in_act);
    gt__free_floats(m->gbuf[0]);
    gt__free_floats(m->gbuf[1]);
    gt__free_floats(m->col);
    gt__free_floats(m->imap);
    gt__free_floats(m->wino);
    free(m->labels);
    free(m);
}

gt_shape gt_model_input_shape(const gt_model *m) { return m->input; }
gt_shape gt_model_output_shape(const gt_model *m) { return current_shape(m); }
int gt_model_nclasses(const gt_model *m) { return m->nclasses; }
int gt_model_nlayers(const gt_model *m) { return m->nlayers; }
int gt_model_max_batch(const gt_model *m) { return m->max_batch; }
size_t gt_model_nparams(const gt_model *m) { return m->nparams; }
/* The caller may write the parameters: derived copies are stale. */
float *gt_model_params(gt_model *m)
{
    m->pgen++;
    return m->params;
}
float *gt_model_grads(gt_model *m) { return m->grads; }
float *gt_model_moment1(gt_model *m) { return m->m1; }
float *gt_model_moment2(gt_model *m) { return m->m2; }
long *gt_model_step_count(gt_model *m) { return &m->t; }
size_t gt_model_nbuffers(const gt_model *m) { return m->nbuffers; }
float *gt_model_buffers(gt_model *m) { return m->buffers; }

const gt_layer_desc *gt_model_layer(const gt_model *m, int i)
{
    return i >= 0 && i < m->nlayers ? &m->layers[i].d : NULL;
}

gt_shape gt_model_layer_output(const gt_model *m, int i)
{
    return i >= 0 && i < m->nlayers ? m->layers[i].out : (gt_shape){0, 0, 0};
}

size_t gt_model_layer_nparams(const gt_model *m, int i)
{
    return i >= 0 && i < m->nlayers ? m->layers[i].w_n + m->layers[i].b_n : 0;
}

double gt_model_flops(const gt_model *m, int n)
{
    double f = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gt__layer *L = &m->layers[i];
        const gt_conv_geom *g = &L->geom;
        switch (L->d.kind) {
        case GT_LAYER_DENSE:
            f += 2.0 * L->in.c * L->out.c;
            break;
        case GT_LAYER_CONV:
            f += 2.0 * g->cout * g->cin * g->kh * g->kw * g->hout * g->wout;
            break;
        case GT_LAYER_CONVT:
            f += 2.0 * g->cout * g->cin * g->kh * g->kw * g->hin * g->win;
            break;
        default:
            break;
        }
    }
    return f * n;
}

void gt_model_seed_dropout(gt_model *m, uint64_t seed)
{
    gt_rng_seed(&m->drop_rng, seed ^ 0x64726f706f7574ULL);
}

void gt_model_init(gt_model *m, gt_init_kind kind, uint64_t seed)
{
    gt_rng r;
    gt_rng_seed(&r, seed);
    m->pgen++;
    for (int i = 0; i < m->nlayers; i++) {
        gt__layer *L = &m->layers[i];
        float *w = m->params + L->w_off, *b = m->params + L->b_off;
        double fan_in = 1, fan_out = 1;
        switch (L->d.kind) {
        case GT_LAYER_DENSE:
            fan_in = L->in.c;
            fan_out = L->out.c;
            break;
        case GT_LAYER_CONV:
            fan_in = (double)L->geom.cin * L->geom.kh * L->geom.kw;
            fan_out = (double)L->geom.cout * L->geom.kh * L->geom.kw;
            break;
        case GT_LAYER_CONVT: /* PyTorch's fan_in for a (cin, cout, k) weight */
            fan_in = (double)L->geom.cout * L->geom.kh * L->geom.kw;
            fan_out = (double)L->geom.cin * L->geom.kh * L->geom.kw;
            break;
        case GT_LAYER_BATCHNORM:
            if (L->d.affine) {
                if (kind == GT_INIT_DCGAN)
                    gt_rng_fill_normal(&r, w, L->w_n, 1.0f, 0.02f);
                else
                    for (size_t k = 0; k < L->w_n; k++)
                        w[k] = 1.0f;
                memset(b, 0, L->b_n * sizeof *b);
            }
            for (int c = 0; c < L->in.c; c++) {
                m->buffers[L->buf_off + c] = 0.0f;
                m->buffers[L->buf_off + L->in.c + c] = 1.0f;
            }
            continue;
        case GT_LAYER_LABEL:
            gt_rng_fill_normal(&r, w, L->w_n, 0.0f, 1.0f); /* as nn.Embedding */
            continue;
        default:
            continue;
        }
        if (kind == GT_INIT_DCGAN)
            gt_rng_fill_normal(&r, w, L->w_n, 0.0f, 0.02f);
        else if (kind == GT_INIT_HE)
            gt_rng_fill_normal(&r, w, L->w_n, 0.0f, (float)sqrt(2.0 / fan_in));
        else {
            float a = (float)sqrt(6.0 / (fan_in + fan_out));
            gt_rng_fill_uniform(&r, w, L->w_n, -a, a);
        }
        memset(b, 0, L->b_n * sizeof *b);
        if (L->d.spectral) {
            float *u = m->buffers + L->buf_off;
            float *v = u + L->sn_rows;
            gt_rng_fill_normal(&r, u, (size_t)L->sn_rows, 0.0f, 1.0f);
            gt_rng_fill_normal(&r, v, (size_t)L->sn_cols, 0.0f, 1.0f);
            /* Settle u, v on the initial weight (15 power iterations, as
             * torch's parametrizations.spectral_norm does when registered),
             * so that the first training step already divides by an
             * accurate sigma. */
            gt_spectral_norm_forward(L->aux, u, v, w, L->sn_rows, L->sn_cols, 15, 1);
        }
    }
    size_t np = m->nparams;
    memset(m->grads, 0, np * sizeof(float));
    memset(m->m1, 0, np * sizeof(float));
    memset(m->m2, 0, np * sizeof(float));
    m->t = 0;
    gt_model_seed_dropout(m, seed);
}

void gt__to_channel_major(float *dst, const float *src, int n, int C, size_t HW)
{
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)c * n + i) * HW, src + ((size_t)i * C + c) * HW,
                   HW * sizeof(float));
}

void gt__to_sample_major(float *dst, const float *src, int n, int C, size_t HW)
{
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)i * C + c) * HW, src + ((size_t)c * n + i) * HW,
                   HW * sizeof(float));
}

/* The weight a layer computes with: the spectrally normalised copy or its own. */
const float *gt__layer_weight(gt_model *m, gt__layer *L, int train)
{
    float *w = m->params + L->w_off;
    if (!L->d.spectral)
        return w;
    float *u = m->buffers + L->buf_off;
    L->sigma = gt_spectral_norm_forward(L->aux, u, u + L->sn_rows, w, L->sn_rows, L->sn_cols,
                                        1, train);
    return L->aux;
}

void gt__layer_forward(gt_model *m, gt__layer *L, const float *in, float *out,
                       const int *labels, int n, int train)
{
    const gt_layer_desc *d = &L->d;
    size_t count = gt__shape_size(L->out) * (size_t)n;
    size_t hw_in = (size_t)L->in.h * L->in.w;
    const float *bias = L->b_n ? m->params + L->b_off : NULL;
    switch (d->kind) {
    case GT_LAYER_DENSE:
        gt_dense_forward(out, in, gt__layer_weight(m, L, train), bias, L->in.c, L->out.c, n);
        break;
    case GT_LAYER_CONV:
        gt_conv_forward(out, in, gt__layer_weight(m, L, train), bias, m->col, m->col_cap,
                        &L->geom, n);
        break;
    case GT_LAYER_CONVT:
        gt_convt_forward(out, in, m->params + L->w_off, bias, m->col, m->col_cap, &L->geom, n);
        break;
    case GT_LAYER_BATCHNORM:
        gt_batchnorm_forward(out, L->aux, L->aux + L->in.c, in,
                             d->affine ? m->params + L->w_off : NULL, d->affine ? bias : NULL,
                             m->buffers + L->buf_off, m->buffers + L->buf_off + L->in.c,
                             L->in.c, (int)(hw_in * n), d->alpha, d->eps, train);
        break;
    case GT_LAYER_RELU: gt_relu_forward(out, in, count); break;
    case GT_LAYER_LRELU: gt_lrelu_forward(out, in, count, d->alpha); break;
    case GT_LAYER_TANH: gt_tanh_forward(out, in, count); break;
    case GT_LAYER_SIGMOID: gt_sigmoid_forward(out, in, count); break;
    case GT_LAYER_DROPOUT:
        gt_dropout_forward(out, L->aux, in, count, d->alpha, &m->drop_rng, train);
        break;
    case GT_LAYER_SCALE: gt_scale_forward(out, in, count, d->alpha); break;
    case GT_LAYER_FLATTEN: gt_flatten_forward(out, in, L->in.c, n, (int)hw_in); break;
    case GT_LAYER_RESHAPE:
        gt_unflatten_forward(out, in, L->out.c, n, L->out.h * L->out.w);
        break;
    case GT_LAYER_UPSAMPLE:
        gt_upsample_forward(out, in, L->in.c, n, L->in.h, L->in.w, d->fh, d->fw);
        break;
    case GT_LAYER_LABEL:
        gt_label_concat_forward(out, in, labels, d->units > 0 ? m->params + L->w_off : NULL,
                                L->in.c, L->out.c - L->in.c, n, (int)hw_in);
        break;
    default:
        assert(0 && "unknown layer kind");
    }
}

int gt__model_take_input(gt_model *m, const int *labels, int n)
{
    if (!m->finalized || n <= 0 || n > m->max_batch)
        return GT_EINVAL;
    if (m->nclasses > 0) {
        for (int i = 0; labels && i < n; i++)
            if (labels[i] < 0 || labels[i] >= m->nclasses)
                return GT_EINVAL;
        if (labels)
            memcpy(m->labels, labels, (size_t)n * sizeof *labels);
        else
            for (int i = 0; i < m->nlayers; i++)
                if (m->layers[i].d.kind == GT_LAYER_LABEL)
                    return GT_EINVAL;
    }
    return GT_OK;
}

int gt_model_forward(gt_model *m, const float *x, const int *labels, int n, int train, float *y)
{
    int rc = gt__model_take_input(m, labels, n);
    if (rc < 0)
        return rc;
    gt__to_channel_major(m->in_act, x, n, m->input.c, (size_t)m->input.h * m->input.w);
    const float *in = m->in_act;
    for (int i = 0; i < m->nlayers; i++) {
        gt__layer_forward(m, &m->layers[i], in, m->layers[i].act, m->labels, n, train);
        in = m->layers[i].act;
    }
    m->n = n;
    m->last_train = train;
    if (y) {
        gt_shape o = current_shape(m);
        gt__to_sample_major(y, in, n, o.c, (size_t)o.h * o.w);
    }
    return GT_OK;
}

const float *gt_model_output(const gt_model *m)
{
    /* n is 0 before the first forward and after gt_model_infer. */
    return m->nlayers && m->n > 0 ? m->layers[m->nlayers - 1].act : NULL;
}

/* Backward of one layer: din (may be NULL) from dout; parameter gradients
 * are added unless `params` is 0. */
static void layer_backward(gt_model *m, gt__layer *L, const float *in, const float *dout,
                           float *din, int n, int params)
{
    const gt_layer_desc *d = &L->d;
    size_t count = gt__shape_size(L->out) * (size_t)n;
    size_t hw_in = (size_t)L->in.h * L->in.w;
    float *dw = params ? m->grads + L->w_off : NULL;
    float *db = params && L->b_n ? m->grads + L->b_off : NULL;
    const float *w = d->spectral ? L->aux : m->params + L->w_off;
    float *dwn = NULL;
    if (d->spectral && dw) {
        /* The kernel's weight gradient is w.r.t. the normalised weight. */
        dwn = L->aux + L->w_n;
        memset(dwn, 0, L->w_n * sizeof *dwn);
    }
    float *kdw = dwn ? dwn : dw;
    switch (d->kind) {
    case GT_LAYER_DENSE:
        gt_dense_backward(din, kdw, db, dout, in, w, L->in.c, L->out.c, n);
        break;
    case GT_LAYER_CONV:
        gt_conv_backward(din, kdw, db, dout, in, w, m->col, m->col_cap, &L->geom, n);
        break;
    case GT_LAYER_CONVT:
        gt_convt_backward(din, kdw, db, dout, in, w, m->col, m->col_cap, &L->geom, n);
        break;
    case GT_LAYER_BATCHNORM:
        if (!m->last_train) {
            /* Inference normalises with the running statistics: an affine
             * map per channel, din = gamma * rstd * dout (input only). */
            if (din)
                for (int c = 0; c < L->in.c; c++) {
                    float a = (d->affine ? m->params[L->w_off + c] : 1.0f) * L->aux[L->in.c + c];
                    size_t M = hw_in * (size_t)n;
                    for (size_t i = 0; i < M; i++)
                        din[c * M + i] = a * dout[c * M + i];
                }
            break;
        }
        gt_batchnorm_backward(din, d->affine ? dw : NULL, d->affine ? db : NULL, dout, in,
                              L->aux, L->aux + L->in.c, d->affine ? m->params + L->w_off : NULL,
                              L->in.c, (int)(hw_in * n));
        break;
    case GT_LAYER_RELU:
        if (din) gt_relu_backward(din, dout, L->act, count);
        break;
    case GT_LAYER_LRELU:
        if (din) gt_lrelu_backward(din, dout, in, count, d->alpha);
        break;
    case GT_LAYER_TANH:
        if (din) gt_tanh_backward(din, dout, L->act, count);
        break;
    case GT_LAYER_SIGMOID:
        if (din) gt_sigmoid_backward(din, dout, L->act, count);
        break;
    case GT_LAYER_DROPOUT:
        if (din && !m->last_train) memcpy(din, dout, count * sizeof *din);
        else if (din) gt_dropout_backward(din, dout, L->aux, count);
        break;
    case GT_LAYER_SCALE:
        if (din) gt_scale_forward(din, dout, count, d->alpha);
        break;
    case GT_LAYER_FLATTEN:
        if (din) gt_unflatten_forward(din, dout, L->in.c, n, (int)hw_in);
        break;
    case GT_LAYER_RESHAPE:
        if (din) gt_flatten_forward(din, dout, L->out.c, n, L->out.h * L->out.w);
        break;
    case GT_LAYER_UPSAMPLE:
        if (din) gt_upsample_backward(din, dout, L->in.c, n, L->in.h, L->in.w, d->fh, d->fw);
        break;
    case GT_LAYER_LABEL:
        gt_label_concat_backward(din, d->units > 0 ? dw : NULL, dout, m->labels, L->in.c,
                                 L->out.c - L->in.c, n, (int)hw_in);
        break;
    default:
        assert(0 && "unknown layer kind");
    }
    if (dwn) {
        float *u = m->buffers + L->buf_off;
        gt_spectral_norm_backward(dw, dwn, L->aux, u, u + L->sn_rows, L->sigma, L->sn_rows,
                                  L->sn_cols);
    }
}

static int backward(gt_model *m, const float *dy, float *dx, int params)
{
    /* After an inference forward only dx is defined (no parameter
     * gradients: batch norm used its running statistics). */
    if (!m->finalized || m->n <= 0 || (!m->last_train && params))
        return GT_EINVAL;
    int n = m->n;
    gt_shape o = current_shape(m);
    gt__to_channel_major(m->gbuf[0], dy, n, o.c, (size_t)o.h * o.w);
    int cur = 0;
    for (int i = m->nlayers - 1; i >= 0; i--) {
        gt__layer *L = &m->layers[i];
        const float *in = i ? m->layers[i - 1].act : m->in_act;
        float *din = (i > 0 || dx) ? m->gbuf[1 - cur] : NULL;
        layer_backward(m, L, in, m->gbuf[cur], din, n, params);
        cur = 1 - cur;
    }
    if (dx)
        gt__to_sample_major(dx, m->gbuf[cur], n, m->input.c, (size_t)m->input.h * m->input.w);
    return GT_OK;
}

int gt_model_backward(gt_model *m, const float *dy, float *dx)
{
    return backward(m, dy, dx, 1);
}

int gt_model_backward_input(gt_model *m, const float *dy, float *dx)
{
    return backward(m, dy, dx, 0);
}

void gt_model_zero_grad(gt_model *m)
{
    memset(m->grads, 0, m->nparams * sizeof(float));
}

void gt_model_step(gt_model *m, const gt_optim_cfg *cfg)
{
    m->t++;
    m->pgen++;
    if (cfg->kind == GT_OPTIM_SGD)
        gt_sgd_step(m->params, m->grads, m->m1, m->nparams, cfg, m->t);
    else
        gt_adam_step(m->params, m->grads, m->m1, m->m2, m->nparams, cfg, m->t);
}
