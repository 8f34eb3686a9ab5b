/*
 * Inference: gt_model_infer computes what gt_model_forward(train = 0)
 * computes, free of what forward keeps for backward.
 *
 * - Batch norm (running statistics) and the relu / leaky relu after it are
 *   one per-channel map (pointwise.h), applied where the data pass anyway:
 *   in the gather of the next convolution, which then reads the previous
 *   convolution's raw output (a discriminator's activations are never
 *   written), else in the fold of a transposed convolution or right after
 *   the GEMM of a convolution or dense layer.  Same operations, same bits.
 * - The 1D k4 s2 p1 convolutions of the DCGAN discriminators and encoders
 *   (at least 4 channels in and out) run as Winograd F(4, 2) on their
 *   polyphase form (winograd.h): 5/8 of the multiply-adds, results within
 *   rounding (about 1e-6 of the largest output) of forward's.  Their
 *   transformed weights are kept and remade when the parameters may have
 *   changed (m->pgen: optimiser steps, initialisation, gt_model_params).
 * - Activations live in two ping-pong buffers (the model's gradient
 *   buffers, idle at inference) instead of one buffer per layer; the input
 *   is read, and the output written, in place where the sample-major and
 *   channel-major layouts coincide (one channel, or one sample); dropout is
 *   the identity and is skipped.
 * - The samples are split over the threads, each running the whole network
 *   on its share with single-threaded kernels (at inference no layer mixes
 *   samples), rather than every layer splitting its own work: no barrier
 *   per layer, and each thread's data stay in its own caches.  The split
 *   depends on the thread count only, so a thread count gives the same bits
 *   on every run.
 */
#include <omp.h>
#include <stdint.h>
#include <string.h>

#include "conv_internal.h"
#include "gantry/kernels.h"
#include "gantry/model.h"
#include "model_internal.h"
#include "pointwise.h"
#include "winograd.h"

/* One thread's share of the batch and its slices of the scratch. */
typedef struct chunk {
    const float *x;  /* (n, C, H, W) */
    const int *labels;
    float *y;        /* (n, C', H', W') */
    int n;
    int y_direct;    /* write the last layer's output straight into y */
    float *buf[2];   /* ping-pong activations */
    float *col;      /* convolution scratch */
    size_t col_cap;
} chunk;

/* Where the current tensor lives. */
enum { IN_X = -1, IN_Y = -2 };

static int skip_dropout(const gt_model *m, int i)
{
    while (i < m->nlayers && m->layers[i].d.kind == GT_LAYER_DROPOUT)
        i++;
    return i;
}

/*
 * Layers from i on that make a per-channel map: [bn] [relu | lrelu], with
 * dropouts (the identity here) anywhere among them.  Returns the first layer
 * after them; *on says whether there was any.
 */
static int take_map(gt_model *m, int i, gt__pointwise *pw, int *on)
{
    memset(pw, 0, sizeof *pw);
    *on = 0;
    i = skip_dropout(m, i);
    if (i < m->nlayers && m->layers[i].d.kind == GT_LAYER_BATCHNORM) {
        const gt__layer *L = &m->layers[i];
        const float *map = m->imap + L->map_off;
        pw->mean = map;
        pw->scale = map + L->in.c;
        pw->shift = map + 2 * (size_t)L->in.c;
        *on = 1;
        i = skip_dropout(m, i + 1);
    }
    if (i < m->nlayers && (m->layers[i].d.kind == GT_LAYER_RELU ||
                           m->layers[i].d.kind == GT_LAYER_LRELU)) {
        pw->act = m->layers[i].d.kind == GT_LAYER_RELU ? GT__ACT_RELU : GT__ACT_LRELU;
        pw->slope = m->layers[i].d.alpha;
        *on = 1;
        i = skip_dropout(m, i + 1);
    }
    return i;
}

/* A convolution that unfolds its input, so can map it on the way. */
static int gathers(const gt_model *m, int i)
{
    return i < m->nlayers && m->layers[i].d.kind == GT_LAYER_CONV &&
           gt__conv_im2col_scratch(&m->layers[i].geom, 1) > 0;
}

/* The weight a layer computes with; prepare() has normalised it. */
static const float *weight_of(const gt_model *m, const gt__layer *L)
{
    return L->d.spectral ? L->aux : m->params + L->w_off;
}

/* What every thread reads: the batch norms' maps, the spectrally
 * normalised weights (as gt_model_forward(train = 0) computes them) and the
 * Winograd-transformed weights (remade when the parameters may have
 * changed, and always from a spectrally normalised weight). */
static void prepare(gt_model *m)
{
    const int fresh = m->wino_gen != m->pgen;
    m->wino_gen = m->pgen;
    for (int i = 0; i < m->nlayers; i++) {
        gt__layer *L = &m->layers[i];
        const gt_layer_desc *d = &L->d;
        if (d->spectral)
            gt__layer_weight(m, L, 0);
        if (L->wino && (fresh || d->spectral))
            gt__wino_weights(m->wino + L->wino_off, weight_of(m, L), &L->geom);
        if (d->kind != GT_LAYER_BATCHNORM)
            continue;
        float *map = m->imap + L->map_off;
        const int C = L->in.c;
        const float *gamma = d->affine ? m->params + L->w_off : NULL;
        const float *beta = d->affine && L->b_n ? m->params + L->b_off : NULL;
        const float *stats = m->buffers + L->buf_off;
        gt__batchnorm_map(map, map + C, map + 2 * (size_t)C, gamma, beta, stats, stats + C, C,
                          d->eps);
    }
}

/* The network on one chunk. */
static void run_chunk(gt_model *m, const chunk *ck)
{
    const int n = ck->n;
    gt_shape s = m->input;
    const float *cur = ck->x;
    int where = IN_X;
    if (s.c > 1 && n > 1) {
        gt__to_channel_major(ck->buf[0], ck->x, n, s.c, (size_t)s.h * s.w);
        cur = ck->buf[0];
        where = 0;
    }
    gt__pointwise pend; /* a map cur still has to go through */
    int has_pend = 0;
    int i = skip_dropout(m, 0);
    while (i < m->nlayers) {
        gt__layer *L = &m->layers[i];
        const gt_layer_kind kind = L->d.kind;
        const int head = kind == GT_LAYER_DENSE || kind == GT_LAYER_CONV ||
                         kind == GT_LAYER_CONVT;
        gt__pointwise post;
        int has_post;
        int next = take_map(m, head ? i + 1 : i, &post, &has_post);
        if (!head && !has_post)
            next = skip_dropout(m, i + 1);
        const size_t M = (size_t)n * s.h * s.w;
        const int gather = gathers(m, i);
        if (has_pend && !gather) {
            /* Nothing here can take the map on the way: apply it. */
            float *dst = where >= 0 ? ck->buf[where] : ck->buf[0];
            gt__pointwise_apply(dst, cur, M, s.c, M, &pend);
            cur = dst;
            where = dst == ck->buf[0] ? 0 : 1;
            has_pend = 0;
        }
        const int defer = has_post && gathers(m, next);
        const int last = next >= m->nlayers;
        /* The output buffer: y for the last layer where it can, else the
         * buffer cur is not in (elementwise maps work in place). */
        const int to = last && ck->y_direct ? IN_Y : where == 0 ? 1 : 0;
        float *dst = to == IN_Y ? ck->y : ck->buf[to];
        const gt__pointwise *pre = has_pend ? &pend : NULL;
        const gt__pointwise *pw = has_post && !defer ? &post : NULL;
        const float *bias = L->b_n ? m->params + L->b_off : NULL;
        gt_shape o = L->out;
        if (!head && !has_post) {
            gt__layer_forward(m, L, cur, dst, ck->labels, n, 0);
        } else if (!head) {
            /* A batch norm and / or activation on their own. */
            if (defer) {
                pend = post;
                has_pend = 1;
                i = next;
                continue;
            }
            if (where >= 0 && to != IN_Y)
                dst = ck->buf[where];
            gt__pointwise_apply(dst, cur, M, s.c, M, &post);
        } else if (kind == GT_LAYER_DENSE) {
            gt_dense_forward(dst, cur, weight_of(m, L), bias, L->in.c, o.c, n);
            if (pw)
                gt__pointwise_apply(dst, dst, (size_t)n, o.c, (size_t)n, pw);
        } else if (kind == GT_LAYER_CONV) {
            if (L->wino)
                gt__wino_conv_forward(dst, cur, m->wino + L->wino_off, bias, ck->col,
                                      ck->col_cap, &L->geom, n, pre, pw);
            else
                gt__conv_forward_mapped(dst, cur, weight_of(m, L), bias, ck->col, ck->col_cap,
                                        &L->geom, n, pre, pw);
            has_pend = 0;
        } else {
            gt__convt_forward_mapped(dst, cur, weight_of(m, L), bias, ck->col, ck->col_cap,
                                     &L->geom, n, pw);
        }
        if (defer) {
            pend = post;
            has_pend = 1;
        }
        cur = dst;
        where = to == IN_Y ? IN_Y : dst == ck->buf[0] ? 0 : 1;
        /* A standalone map keeps the shape; every other step ends at layer
         * next - 1, whose output shape cur now has. */
        s = m->layers[next - 1].out;
        i = next;
    }
    if (where != IN_Y)
        gt__to_sample_major(ck->y, cur, n, s.c, (size_t)s.h * s.w);
}

static int overlap(const float *a, size_t na, const float *b, size_t nb)
{
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a0 < b0 + nb * sizeof(float) && b0 < a0 + na * sizeof(float);
}

int gt_model_infer(gt_model *m, const float *x, const int *labels, int n, float *y)
{
    if (!y)
        return GT_EINVAL;
    int rc = gt__model_take_input(m, labels, n);
    if (rc < 0)
        return rc;
    /* From here on the layers' buffers do not hold this pass: no backward. */
    m->n = 0;
    m->last_train = 0;
    prepare(m);
    const gt_shape so = m->nlayers ? m->layers[m->nlayers - 1].out : m->input;
    const size_t in_size = gt__shape_size(m->input), out_size = gt__shape_size(so);
    /* Per sample: the largest activation, the most convolution scratch. */
    size_t act = in_size, colper = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gt__layer *L = &m->layers[i];
        size_t a = gt__shape_size(L->out);
        act = a > act ? a : act;
        if (L->d.kind == GT_LAYER_CONV || L->d.kind == GT_LAYER_CONVT) {
            size_t c = gt__conv_im2col_scratch(&L->geom, 1);
            if (L->wino) {
                size_t w = gt__wino_scratch(&L->geom);
                c = w > c ? w : c;
            }
            colper = c > colper ? c : colper;
        }
    }
    const int apart = !overlap(x, (size_t)n * in_size, y, (size_t)n * out_size);
    int T = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (T > n || !apart)
        T = T > n ? n : 1;
    /* Each thread needs scratch for one sample at least. */
    const int whole = m->col_cap >= colper * (size_t)n;
    if (T > 1 && !whole && m->col_cap / (size_t)T < colper)
        T = 1;
    const int y_direct = apart && (so.c == 1 || n == 1);
#pragma omp parallel num_threads(T) if (T > 1)
    for (int t = omp_get_thread_num(); t < T; t += omp_get_num_threads()) {
        const int i0 = (int)((long)n * t / T), i1 = (int)((long)n * (t + 1) / T);
        chunk ck = {x + (size_t)i0 * in_size,
                    m->labels + i0,
                    y + (size_t)i0 * out_size,
                    i1 - i0,
                    y_direct,
                    {m->gbuf[0] + (size_t)i0 * act, m->gbuf[1] + (size_t)i0 * act},
                    NULL,
                    0};
        if (whole) {
            ck.col = m->col + (size_t)i0 * colper;
            ck.col_cap = (size_t)(i1 - i0) * colper;
        } else {
            ck.col = m->col + (size_t)t * (m->col_cap / (size_t)T);
            ck.col_cap = m->col_cap / (size_t)T;
        }
        if (i1 > i0)
            run_chunk(m, &ck);
    }
    return GT_OK;
}
