/*
 * Convolution and transposed convolution as batched GEMMs.
 *
 * A chunk of whole samples is unfolded into col and multiplied in one
 * cblas_sgemm whose output is a column block of the channel-major result
 * viewed as a (channels, N * positions) matrix, so no reordering is needed
 * after the GEMM.  The chunk is as many samples as col_cap holds: with
 * gt_conv_scratch(g, N) floats the whole batch is one GEMM.  A 1x1, stride 1,
 * unpadded kernel needs no unfolding at all and multiplies the tensor in
 * place.  The DCGANs' 2D k4 s2 p1 layers go to their Winograd form
 * (winograd2d.h) when the scratch holds it.
 */
#include "gantry/kernels.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>

#include <cblas.h>

#include "conv_internal.h"
#include "im2col.h"
#include "winograd2d.h"

/* Channels below this many values are summed/biased without a parallel region. */
#define PAR_MIN_WORK (1 << 15)

static int is_identity(const gt_conv_geom *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 &&
           g->pw == 0;
}

/* A convolution unfolds its input over the output grid. */
static gt__patch conv_patch(const gt_conv_geom *g)
{
    gt__patch p = {g->cin, g->hin, g->win, g->hout, g->wout,
                   g->kh,  g->kw,  g->sh,  g->sw,   g->ph, g->pw};
    return p;
}

/* A transposed convolution folds into its output over the input grid. */
static gt__patch convt_patch(const gt_conv_geom *g)
{
    gt__patch p = {g->cout, g->hout, g->wout, g->hin, g->win,
                   g->kh,   g->kw,   g->sh,   g->sw,  g->ph, g->pw};
    return p;
}

static size_t conv_per_sample(const gt_conv_geom *g)
{
    return (size_t)g->cin * g->kh * g->kw * g->hout * g->wout;
}

static size_t convt_per_sample(const gt_conv_geom *g)
{
    return (size_t)g->cout * g->kh * g->kw * g->hin * g->win;
}

static int64_t conv_out_size(int in, int k, int s, int p)
{
    int64_t span = (int64_t)in + 2 * (int64_t)p - k;
    return span < 0 ? -1 : span / s + 1;
}

static int64_t convt_out_size(int in, int k, int s, int p)
{
    return ((int64_t)in - 1) * s - 2 * (int64_t)p + k;
}

int gt_conv_geom_resolve(gt_conv_geom *g, int transposed)
{
    if (g->cin <= 0 || g->cout <= 0 || g->hin <= 0 || g->win <= 0 ||
        g->kh <= 0 || g->kw <= 0 || g->sh <= 0 || g->sw <= 0 || g->ph < 0 ||
        g->pw < 0 || g->ph >= g->kh || g->pw >= g->kw)
        return -1;
    int64_t ho, wo;
    if (transposed) {
        ho = convt_out_size(g->hin, g->kh, g->sh, g->ph);
        wo = convt_out_size(g->win, g->kw, g->sw, g->pw);
    } else {
        ho = conv_out_size(g->hin, g->kh, g->sh, g->ph);
        wo = conv_out_size(g->win, g->kw, g->sw, g->pw);
    }
    if (ho <= 0 || wo <= 0)
        return -1;
    /* GEMM dimensions are ints: one sample's worth of every matrix must fit. */
    int64_t taps = (int64_t)g->kh * g->kw;
    if (ho * wo > INT_MAX || (int64_t)g->hin * g->win > INT_MAX ||
        (int64_t)g->cin * taps > INT_MAX || (int64_t)g->cout * taps > INT_MAX ||
        (int64_t)g->cin * g->hin * g->win > INT_MAX ||
        (int64_t)g->cout * ho * wo > INT_MAX)
        return -1;
    g->hout = (int)ho;
    g->wout = (int)wo;
    return 0;
}

/* Which kind of layer g describes, read off the geometry (both if either
 * reading fits). */
static void kinds(const gt_conv_geom *g, int *conv, int *convt)
{
    *conv = conv_out_size(g->hin, g->kh, g->sh, g->ph) == g->hout &&
            conv_out_size(g->win, g->kw, g->sw, g->pw) == g->wout;
    *convt = convt_out_size(g->hin, g->kh, g->sh, g->ph) == g->hout &&
             convt_out_size(g->win, g->kw, g->sw, g->pw) == g->wout;
    if (!*conv && !*convt)
        *conv = *convt = 1;
}

size_t gt__conv_im2col_scratch(const gt_conv_geom *g, int n)
{
    if (n <= 0 || is_identity(g))
        return 0;
    /* The signature does not say which kind of layer g describes: sizing for
     * both kinds would cost up to cout/cin times the memory (16x-32x for the
     * first and last layers of the 1D GANs). */
    int conv, convt;
    kinds(g, &conv, &convt);
    size_t a = conv ? conv_per_sample(g) : 0;
    size_t b = convt ? convt_per_sample(g) : 0;
    return (a > b ? a : b) * (size_t)n;
}

size_t gt_conv_scratch(const gt_conv_geom *g, int n)
{
    size_t need = gt__conv_im2col_scratch(g, n);
    if (n <= 0)
        return need;
    /* The Winograd form (winograd2d.h) where it applies: the kernels take it
     * whenever the scratch holds it. */
    int conv, convt;
    kinds(g, &conv, &convt);
    size_t wa = conv ? gt__wino2_scratch(g, 0, n) : 0;
    size_t wb = convt ? gt__wino2_scratch(g, 1, n) : 0;
    size_t w = wa > wb ? wa : wb;
    return w > need ? w : need;
}

/* Whole samples per chunk; 0 only for a caller bug (col_cap below
 * gt_conv_scratch(g, 1)), where the kernels stop rather than overrun col. */
static int chunk_size(size_t per_sample, size_t col_cap, int N)
{
    assert(col_cap >= per_sample && "col_cap below gt_conv_scratch(g, 1)");
    size_t k = col_cap / per_sample;
    return k >= (size_t)N ? N : (int)k;
}

/* Row-major C = alpha A B + beta C with A (M, K) or its transpose. */
static void gemm(int ta, int tb, int M, int N, int K, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                beta, C, ldc);
}

/* Rows c of out (row stride ld) get bias[c] in their first m entries, for the
 * GEMM to add into (beta = 1): no second pass over the output for the bias. */
static void fill_bias(float *out, size_t ld, const float *bias, int C, size_t m)
{
    // out is (C, ld), of which (C, m) is written
#pragma omp parallel for schedule(static) if (C * m >= PAR_MIN_WORK)
    for (int c = 0; c < C; c++) {
        float *o = out + c * ld;
        const float b = bias[c];
#pragma omp simd
        for (size_t i = 0; i < m; i++)
            o[i] = b;
    }
}

/* dbias[c] += sum of dout's row c, in double with eight fixed lanes: long
 * rows stay accurate, the loop is not latency-bound, and the order is fixed. */
static void add_row_sums(float *dbias, const float *dout, int C, size_t m)
{
    // dout is (C, m)
#pragma omp parallel for schedule(static) if (C * m >= PAR_MIN_WORK)
    for (int c = 0; c < C; c++) {
        const float *d = dout + c * m;
        double s[8] = {0};
        size_t i = 0;
        for (; i + 8 <= m; i += 8)
            for (int l = 0; l < 8; l++)
                s[l] += d[i + l];
        for (; i < m; i++)
            s[0] += d[i];
        double t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        dbias[c] += (float)t;
    }
}

void gt_conv_forward(float *out, const float *inp, const float *weight,
                     const float *bias, float *col, size_t col_cap,
                     const gt_conv_geom *g, int N)
{
    if (gt__wino2_fits(g, 0) &&
        gt__wino2_conv_forward(out, inp, weight, bias, col, col_cap, g, N) == 0)
        return;
    gt__conv_forward_mapped(out, inp, weight, bias, col, col_cap, g, N, NULL, NULL);
}

void gt__conv_forward_mapped(float *out, const float *inp, const float *weight,
                             const float *bias, float *col, size_t col_cap,
                             const gt_conv_geom *g, int N, const gt__pointwise *pre,
                             const gt__pointwise *post)
{
    // inp is (cin, N, hin, win); weight is (cout, cin*kh*kw); out is (cout, N, hout, wout)
    const int K = g->cin * g->kh * g->kw;
    const size_t hwi = (size_t)g->hin * g->win, hwo = (size_t)g->hout * g->wout;
    if (N <= 0)
        return;
    assert((size_t)N * hwo <= INT_MAX && (size_t)N * hwi <= INT_MAX);
    const int ldi = (int)(N * hwi), ldo = (int)(N * hwo);
    const float beta = bias ? 1.0f : 0.0f;
    if (is_identity(g)) {
        assert(!pre && "an unfolding-free convolution has no gather to map");
        if (bias)
            fill_bias(out, (size_t)ldo, bias, g->cout, (size_t)ldo);
        gemm(0, 0, g->cout, ldo, K, weight, K, inp, ldi, beta, out, ldo);
        if (post)
            gt__pointwise_apply(out, out, (size_t)ldo, g->cout, (size_t)ldo, post);
        return;
    }
    const gt__patch p = conv_patch(g);
    const int nc = chunk_size(conv_per_sample(g), col_cap, N);
    if (nc == 0)
        return;
    for (int n0 = 0; n0 < N; n0 += nc) {
        const int m = n0 + nc <= N ? nc : N - n0;
        const int cols = (int)(m * hwo);
        // col is (cin*kh*kw, m*hout*wout)
        gt__im2col(col, inp + n0 * hwi, (size_t)ldi, &p, m, pre);
        if (bias)
            fill_bias(out + n0 * hwo, (size_t)ldo, bias, g->cout, (size_t)cols);
        gemm(0, 0, g->cout, cols, K, weight, K, col, cols, beta, out + n0 * hwo, ldo);
        if (post)
            gt__pointwise_apply(out + n0 * hwo, out + n0 * hwo, (size_t)ldo, g->cout,
                                (size_t)cols, post);
    }
}

void gt_conv_backward(float *dinp, float *dweight, float *dbias,
                      const float *dout, const float *inp, const float *weight,
                      float *col, size_t col_cap, const gt_conv_geom *g, int N)
{
    // dout is (cout, N, hout, wout); inp, dinp are (cin, N, hin, win);
    // weight, dweight are (cout, cin*kh*kw)
    const int K = g->cin * g->kh * g->kw;
    const size_t hwi = (size_t)g->hin * g->win, hwo = (size_t)g->hout * g->wout;
    if (N <= 0)
        return;
    assert((size_t)N * hwo <= INT_MAX && (size_t)N * hwi <= INT_MAX);
    const int ldi = (int)(N * hwi), ldo = (int)(N * hwo);
    if (dbias)
        add_row_sums(dbias, dout, g->cout, (size_t)ldo);
    if (gt__wino2_fits(g, 0) && gt__wino2_conv_backward(dinp, dweight, dout, inp, weight, col,
                                                        col_cap, g, N) == 0)
        return;
    if (is_identity(g)) {
        if (dweight)
            gemm(0, 1, g->cout, K, ldo, dout, ldo, inp, ldi, 1.0f, dweight, K);
        if (dinp)
            gemm(1, 0, K, ldo, g->cout, weight, K, dout, ldo, 0.0f, dinp, ldi);
        return;
    }
    if (!dweight && !dinp)
        return;
    const gt__patch p = conv_patch(g);
    const int nc = chunk_size(conv_per_sample(g), col_cap, N);
    if (nc == 0)
        return;
    for (int n0 = 0; n0 < N; n0 += nc) {
        const int m = n0 + nc <= N ? nc : N - n0;
        const int cols = (int)(m * hwo);
        const float *dout_c = dout + n0 * hwo;
        if (dweight) {
            // col is (cin*kh*kw, m*hout*wout)
            gt__im2col(col, inp + n0 * hwi, (size_t)ldi, &p, m, NULL);
            gemm(0, 1, g->cout, K, cols, dout_c, ldo, col, cols, 1.0f, dweight, K);
        }
        if (dinp) {
            /* col is free again: it now holds the patch gradients. */
            gemm(1, 0, K, cols, g->cout, weight, K, dout_c, ldo, 0.0f, col, cols);
            gt__col2im(dinp + n0 * hwi, (size_t)ldi, col, NULL, &p, m, NULL);
        }
    }
}

void gt_convt_forward(float *out, const float *inp, const float *weight,
                      const float *bias, float *col, size_t col_cap,
                      const gt_conv_geom *g, int N)
{
    if (gt__wino2_fits(g, 1) &&
        gt__wino2_convt_forward(out, inp, weight, bias, col, col_cap, g, N) == 0)
        return;
    gt__convt_forward_mapped(out, inp, weight, bias, col, col_cap, g, N, NULL);
}

void gt__convt_forward_mapped(float *out, const float *inp, const float *weight,
                              const float *bias, float *col, size_t col_cap,
                              const gt_conv_geom *g, int N, const gt__pointwise *post)
{
    // inp is (cin, N, hin, win); weight is (cin, cout*kh*kw); out is (cout, N, hout, wout)
    const int Kt = g->cout * g->kh * g->kw;
    const size_t hwi = (size_t)g->hin * g->win, hwo = (size_t)g->hout * g->wout;
    if (N <= 0)
        return;
    assert((size_t)N * hwo <= INT_MAX && (size_t)N * hwi <= INT_MAX);
    const int ldi = (int)(N * hwi), ldo = (int)(N * hwo);
    if (is_identity(g)) {
        if (bias)
            fill_bias(out, (size_t)ldo, bias, g->cout, (size_t)ldo);
        gemm(1, 0, g->cout, ldo, g->cin, weight, Kt, inp, ldi, bias ? 1.0f : 0.0f, out, ldo);
        if (post)
            gt__pointwise_apply(out, out, (size_t)ldo, g->cout, (size_t)ldo, post);
        return;
    }
    const gt__patch p = convt_patch(g);
    const int nc = chunk_size(convt_per_sample(g), col_cap, N);
    if (nc == 0)
        return;
    for (int n0 = 0; n0 < N; n0 += nc) {
        const int m = n0 + nc <= N ? nc : N - n0;
        const int cols = (int)(m * hwi);
        // col is (cout*kh*kw, m*hin*win)
        gemm(1, 0, Kt, cols, g->cin, weight, Kt, inp + n0 * hwi, ldi, 0.0f, col, cols);
        /* The fold starts from the bias instead of zero, and maps each block
         * of the output while it is in cache. */
        gt__col2im(out + n0 * hwo, (size_t)ldo, col, bias, &p, m, post);
    }
}

void gt_convt_backward(float *dinp, float *dweight, float *dbias,
                       const float *dout, const float *inp,
                       const float *weight, float *col, size_t col_cap,
                       const gt_conv_geom *g, int N)
{
    // dout is (cout, N, hout, wout); inp, dinp are (cin, N, hin, win);
    // weight, dweight are (cin, cout*kh*kw)
    const int Kt = g->cout * g->kh * g->kw;
    const size_t hwi = (size_t)g->hin * g->win, hwo = (size_t)g->hout * g->wout;
    if (N <= 0)
        return;
    assert((size_t)N * hwo <= INT_MAX && (size_t)N * hwi <= INT_MAX);
    const int ldi = (int)(N * hwi), ldo = (int)(N * hwo);
    if (dbias)
        add_row_sums(dbias, dout, g->cout, (size_t)ldo);
    if (gt__wino2_fits(g, 1) && gt__wino2_convt_backward(dinp, dweight, dout, inp, weight, col,
                                                         col_cap, g, N) == 0)
        return;
    if (is_identity(g)) {
        if (dinp)
            gemm(0, 0, g->cin, ldi, Kt, weight, Kt, dout, ldo, 0.0f, dinp, ldi);
        if (dweight)
            gemm(0, 1, g->cin, Kt, ldi, inp, ldi, dout, ldo, 1.0f, dweight, Kt);
        return;
    }
    if (!dweight && !dinp)
        return;
    const gt__patch p = convt_patch(g);
    const int nc = chunk_size(convt_per_sample(g), col_cap, N);
    if (nc == 0)
        return;
    for (int n0 = 0; n0 < N; n0 += nc) {
        const int m = n0 + nc <= N ? nc : N - n0;
        const int cols = (int)(m * hwi);
        // col is (cout*kh*kw, m*hin*win): the output gradient unfolded over the input grid
        gt__im2col(col, dout + n0 * hwo, (size_t)ldo, &p, m, NULL);
        if (dinp)
            gemm(0, 0, g->cin, cols, Kt, weight, Kt, col, cols, 0.0f,
                 dinp + n0 * hwi, ldi);
        if (dweight)
            gemm(0, 1, g->cin, Kt, cols, inp + n0 * hwi, ldi, col, cols, 1.0f,
                 dweight, Kt);
    }
}
