/*
 * F(4x4, 2x2) Winograd form of the 2D k4 s2 p1 convolution and its
 * transpose, forward and backward (winograd2d.h).
 *
 * Polyphase form.  With xp the big image padded by one zero on each side,
 * the convolution y[o, i, j] = sum_c,ky,kx w[o, c, ky, kx] xp[c, 2i + ky,
 * 2j + kx] is, over the phases ph = (py, px) and the taps (dy, dx) of
 * ky = 2 dy + py, kx = 2 dx + px, a stride-1 2x2 correlation over the 4 cb
 * channels (ph, c) of xp[c, 2a + py, 2b + px].  Its 4x4 output tile (qy, qx)
 * reads rows and columns 8q + 2r + p, r = 0..4, of xp.
 *
 * F(4, 2) along each axis (points 0, 1, -1, 2 and infinity, as in
 * src/winograd.c):
 *   BT d: 2d0 - d1 - 2d2 + d3,  -2d1 - d2 + d3,  2d1 - 3d2 + d3,  d3 - d1,
 *         2d1 - d2 - 2d3 + d4
 *   G g:  g0 / 2,  -(g0 + g1) / 2,  (g1 - g0) / 6,  (g0 + 2 g1) / 6,  g1
 *   AT m: m0 + m1 + m2 + m3,  m1 - m2 + 2 m3,  m1 + m2 + 4 m3,
 *         m1 - m2 + 8 m3 + m4
 * and in 2D: V = BT d B per tile and channel, U = G w GT per filter, and for
 * each of the 25 points xi one GEMM over channels, M_xi (cs, tiles) = U_xi
 * (cs, 4 cb) V_xi (4 cb, tiles); the output tile is AT M A.  Everything
 * else is the transposes: a transposed convolution is V_xi = U_xi^T M_xi
 * with M = A y AT from its (small) input and B V BT folded into its output;
 * input gradients likewise; the weight gradient is dU_xi = dM_xi V_xi^T,
 * taken back through GT . G.
 *
 * Layouts: V_xi is (4 cb, tiles) with row ph * cb + c, M_xi is (cs, tiles),
 * U_xi is (cs, 4 cb); a tile column is (qy, qx, sample), sample fastest.
 * Each channel's chunk of samples is first turned to position-major
 * ([y][x][sample]), so that every transform is a loop over the samples of a
 * chunk with fixed coefficients: long, unit-stride, vectorised loops however
 * small the image.  Channels are spread over threads, each with its own
 * buffers (a lane); every channel is computed the same way whichever thread
 * takes it, so results do not depend on the thread count beyond the GEMMs'.
 */
#include "winograd2d.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#define NPT 5     /* transform points per axis */
#define NXI 25    /* NPT * NPT: GEMMs per pass */
#define LANES 8   /* per-thread buffer sets in the scratch */

typedef struct w2 {
    int cb, hb, wb; /* big side */
    int cs, hs, ws; /* small side */
    int qy, qx;     /* tiles per sample, each way */
    size_t K;       /* 4 cb: GEMM depth on the big side */
    size_t tps;     /* tiles per sample */
} w2;

static w2 w2_of(const gt_conv_geom *g, int transposed)
{
    w2 s;
    if (transposed) {
        s.cs = g->cin, s.hs = g->hin, s.ws = g->win;
        s.cb = g->cout, s.hb = g->hout, s.wb = g->wout;
    } else {
        s.cb = g->cin, s.hb = g->hin, s.wb = g->win;
        s.cs = g->cout, s.hs = g->hout, s.ws = g->wout;
    }
    s.qy = s.hs / 4;
    s.qx = s.ws / 4;
    s.K = 4 * (size_t)s.cb;
    s.tps = (size_t)s.qy * s.qx;
    return s;
}

int gt__wino2_fits(const gt_conv_geom *g, int transposed)
{
    if (g->kh != 4 || g->kw != 4 || g->sh != 2 || g->sw != 2 || g->ph != 1 || g->pw != 1)
        return 0;
    const w2 s = w2_of(g, transposed);
    return s.hb == 2 * s.hs && s.wb == 2 * s.ws && s.hs % 4 == 0 && s.ws % 4 == 0 &&
           s.hs > 0 && s.ws > 0 && s.cb >= 8 && s.cs >= 8;
}

/* A lane: the filter buffers (26 cb floats) and, per sample, the padded
 * big plane and ten rows of row-transformed tiles. */
static size_t lane_fixed(const w2 *s)
{
    return 26 * (size_t)s->cb;
}

static size_t lane_per(const w2 *s)
{
    return (size_t)(s->hb + 2) * (s->wb + 2) + 100 * (size_t)s->qx;
}

/* Whatever the chunk: U, dU and the lanes' filter buffers. */
static size_t fixed_size(const w2 *s)
{
    return 2 * NXI * (size_t)s->cs * s->K + LANES * lane_fixed(s);
}

/* Per sample of a chunk: V, M and the lanes' planes. */
static size_t per_sample(const w2 *s)
{
    return NXI * s->tps * (s->K + (size_t)s->cs) + LANES * lane_per(s);
}

size_t gt__wino2_scratch(const gt_conv_geom *g, int transposed, int n)
{
    if (!gt__wino2_fits(g, transposed) || n <= 0)
        return 0;
    const w2 s = w2_of(g, transposed);
    return fixed_size(&s) + (size_t)n * per_sample(&s);
}

/* ------------------------------------------------------ the transforms
 * Each maps NPT (or 2, or 4) rows of len floats at in, in + is, ... to the
 * rows at out, out + os, ...; rows never overlap. */

static void bt5(float *o, size_t os, const float *d, size_t ds, size_t len)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        const float d0 = d[i], d1 = d[ds + i], d2 = d[2 * ds + i], d3 = d[3 * ds + i],
                    d4 = d[4 * ds + i];
        o[i] = 2.0f * (d0 - d2) + (d3 - d1);
        o[os + i] = d3 - d2 - 2.0f * d1;
        o[2 * os + i] = 2.0f * d1 - 3.0f * d2 + d3;
        o[3 * os + i] = d3 - d1;
        o[4 * os + i] = 2.0f * (d1 - d3) + (d4 - d2);
    }
}

/* B v, the transpose of bt5, written to d, or added to it when acc. */
static void b5(float *d, size_t ds, const float *v, size_t vs, size_t len, int acc)
{
#define B5_ROWS                                                                         \
    const float v0 = v[i], v1 = v[vs + i], v2 = v[2 * vs + i], v3 = v[3 * vs + i],       \
                v4 = v[4 * vs + i];                                                      \
    const float e0 = 2.0f * v0, e1 = 2.0f * (v2 - v1 + v4) - v0 - v3,                   \
                e2 = -(2.0f * v0 + v1 + 3.0f * v2 + v4),                                 \
                e3 = v0 + v1 + v2 + v3 - 2.0f * v4, e4 = v4
    if (acc) {
#pragma omp simd
        for (size_t i = 0; i < len; i++) {
            B5_ROWS;
            d[i] += e0;
            d[ds + i] += e1;
            d[2 * ds + i] += e2;
            d[3 * ds + i] += e3;
            d[4 * ds + i] += e4;
        }
    } else {
#pragma omp simd
        for (size_t i = 0; i < len; i++) {
            B5_ROWS;
            d[i] = e0;
            d[ds + i] = e1;
            d[2 * ds + i] = e2;
            d[3 * ds + i] = e3;
            d[4 * ds + i] = e4;
        }
    }
#undef B5_ROWS
}

static void at4(float *y, size_t ys, const float *m, size_t ms, size_t len)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        const float m0 = m[i], m1 = m[ms + i], m2 = m[2 * ms + i], m3 = m[3 * ms + i],
                    m4 = m[4 * ms + i];
        const float s = m1 + m2, d = m1 - m2;
        y[i] = m0 + s + m3;
        y[ys + i] = d + 2.0f * m3;
        y[2 * ys + i] = s + 4.0f * m3;
        y[3 * ys + i] = d + 8.0f * m3 + m4;
    }
}

/* A y, the transpose of at4. */
static void a5(float *m, size_t ms, const float *y, size_t ys, size_t len)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        const float y0 = y[i], y1 = y[ys + i], y2 = y[2 * ys + i], y3 = y[3 * ys + i];
        m[i] = y0;
        m[ms + i] = (y0 + y2) + (y1 + y3);
        m[2 * ms + i] = (y0 + y2) - (y1 + y3);
        m[3 * ms + i] = y0 + 2.0f * y1 + 4.0f * y2 + 8.0f * y3;
        m[4 * ms + i] = y3;
    }
}

static void g5(float *u, size_t us, const float *g, size_t gs, size_t len)
{
    const float sixth = 1.0f / 6.0f; /* a product, not a division per value */
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        const float g0 = g[i], g1 = g[gs + i];
        u[i] = 0.5f * g0;
        u[us + i] = -0.5f * (g0 + g1);
        u[2 * us + i] = (g1 - g0) * sixth;
        u[3 * us + i] = (g0 + 2.0f * g1) * sixth;
        u[4 * us + i] = g1;
    }
}

/* GT u, the transpose of g5. */
static void gt2(float *g, size_t gs, const float *u, size_t us, size_t len)
{
    const float sixth = 1.0f / 6.0f;
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        const float u0 = u[i], u1 = u[us + i], u2 = u[2 * us + i], u3 = u[3 * us + i],
                    u4 = u[4 * us + i];
        g[i] = 0.5f * (u0 - u1) + (u3 - u2) * sixth;
        g[gs + i] = (u2 + 2.0f * u3) * sixth - 0.5f * u1 + u4;
    }
}

/* ------------------------------------------------------ planes */

/* t[((y + p) (w + 2p) + x + p) m + s] = x_s[y, x] for the m images of
 * h x w floats back to back at x; with p = 1 the frame is zeroed. */
static void plane_in(float *t, const float *x, int h, int w, int p, int m)
{
    const size_t tw = (size_t)w + 2 * p, hw = (size_t)h * w, sm = (size_t)m;
    if (p) {
        memset(t, 0, tw * sm * sizeof *t);
        memset(t + (size_t)(h + 1) * tw * sm, 0, tw * sm * sizeof *t);
        for (int y = 0; y < h; y++) {
            memset(t + (size_t)(y + 1) * tw * sm, 0, sm * sizeof *t);
            memset(t + ((size_t)(y + 1) * tw + w + 1) * sm, 0, sm * sizeof *t);
        }
    }
    for (int s = 0; s < m; s++) {
        const float *xs = x + (size_t)s * hw;
        for (int y = 0; y < h; y++) {
            float *row = t + ((size_t)(y + p) * tw + p) * sm + s;
            const float *src = xs + (size_t)y * w;
            for (int i = 0; i < w; i++)
                row[(size_t)i * sm] = src[i];
        }
    }
}

/* x_s[y, x] = b + t[...]: the inverse of plane_in. */
static void plane_out(float *x, const float *t, int h, int w, int p, int m, float b)
{
    const size_t tw = (size_t)w + 2 * p, hw = (size_t)h * w, sm = (size_t)m;
    for (int s = 0; s < m; s++) {
        float *xs = x + (size_t)s * hw;
        for (int y = 0; y < h; y++) {
            const float *row = t + ((size_t)(y + p) * tw + p) * sm + s;
            float *dst = xs + (size_t)y * w;
            for (int i = 0; i < w; i++)
                dst[i] = b + row[(size_t)i * sm];
        }
    }
}

/* ------------------------------------------------------ one pass */

typedef struct pass {
    const w2 *s;
    int m;          /* samples in the chunk */
    size_t T;       /* tile columns: m tps */
    float *U, *dU;  /* NXI (cs, K) */
    float *V;       /* NXI (K, T) */
    float *M;       /* NXI (cs, T) */
    float *lanes;   /* LANES of lane floats */
    size_t lane;
} pass;

static int nlanes(void)
{
    if (omp_in_parallel())
        return 1;
    int t = omp_get_max_threads();
    return t < LANES ? t : LANES;
}

static float *lane_of(const pass *p)
{
    return p->lanes + (size_t)omp_get_thread_num() * p->lane;
}

/* Scratch carved for chunks of m samples; 0 if col_cap cannot hold one. */
static int carve(pass *p, const w2 *s, float *col, size_t col_cap, int N)
{
    const size_t fixed = fixed_size(s), per = per_sample(s);
    if (N <= 0 || col_cap < fixed + per)
        return 0;
    size_t k = (col_cap - fixed) / per;
    int m = k >= (size_t)N ? N : (int)k;
    assert((size_t)m * s->tps <= INT_MAX);
    const size_t uk = NXI * (size_t)s->cs * s->K, T = (size_t)m * s->tps;
    p->s = s;
    p->m = m;
    p->T = T;
    p->U = col;
    p->dU = col + uk;
    p->V = p->dU + uk;
    p->M = p->V + NXI * s->K * T;
    p->lanes = p->M + NXI * (size_t)s->cs * T;
    p->lane = lane_fixed(s) + (size_t)m * lane_per(s);
    return m;
}

/* U from the weight (cs, cb, 4, 4). */
static void filter_fwd(const pass *p, const float *weight)
{
    const w2 *s = p->s;
    const size_t cb = (size_t)s->cb, xs = (size_t)s->cs * s->K;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int o = 0; o < s->cs; o++) {
        float *wt = lane_of(p), *t1 = wt + 16 * cb; /* wt[tap][c]; t1[dy][xi_x][c] */
        const float *w = weight + (size_t)o * cb * 16;
        for (size_t c = 0; c < cb; c++)
            for (int k = 0; k < 16; k++)
                wt[k * cb + c] = w[c * 16 + k];
        for (int py = 0; py < 2; py++)
            for (int px = 0; px < 2; px++) {
                for (int dy = 0; dy < 2; dy++)
                    g5(t1 + dy * 5 * cb, cb, wt + ((2 * dy + py) * 4 + px) * cb, 2 * cb, cb);
                float *u = p->U + (size_t)o * s->K + (size_t)(2 * py + px) * cb;
                for (int xx = 0; xx < NPT; xx++)
                    g5(u + xx * xs, NPT * xs, t1 + xx * cb, 5 * cb, cb);
            }
    }
}

/* weight gradient (cs, cb, 4, 4) += the filter transform's transpose of dU. */
static void filter_bwd(const pass *p, float *dweight)
{
    const w2 *s = p->s;
    const size_t cb = (size_t)s->cb, xs = (size_t)s->cs * s->K;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int o = 0; o < s->cs; o++) {
        float *wt = lane_of(p), *t1 = wt + 16 * cb;
        for (int py = 0; py < 2; py++)
            for (int px = 0; px < 2; px++) {
                const float *du = p->dU + (size_t)o * s->K + (size_t)(2 * py + px) * cb;
                for (int xx = 0; xx < NPT; xx++)
                    gt2(t1 + xx * cb, 5 * cb, du + xx * xs, NPT * xs, cb);
                for (int dy = 0; dy < 2; dy++)
                    gt2(wt + ((2 * dy + py) * 4 + px) * cb, 2 * cb, t1 + dy * 5 * cb, cb, cb);
            }
        float *dw = dweight + (size_t)o * cb * 16;
        for (size_t c = 0; c < cb; c++)
            for (int k = 0; k < 16; k++)
                dw[c * 16 + k] += wt[k * cb + c];
    }
}

/* V from the chunk's big images (channel stride ld, first sample at x). */
static void big_fwd(const pass *p, const float *x, size_t ld)
{
    const w2 *s = p->s;
    const size_t m = (size_t)p->m, tw = (size_t)s->wb + 2, RL = 10 * (size_t)s->qx * m,
                 vld = s->K * p->T;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int c = 0; c < s->cb; c++) {
        float *xt = lane_of(p) + lane_fixed(s), *R = xt + (size_t)(s->hb + 2) * tw * m;
        plane_in(xt, x + (size_t)c * ld, s->hb, s->wb, 1, p->m);
        for (int qy = 0; qy < s->qy; qy++) {
            /* R[rr][qx][px][xi_x][s]: row 8 qy + rr of xp transformed along x. */
            for (int rr = 0; rr < 10; rr++) {
                const float *row = xt + (size_t)(8 * qy + rr) * tw * m;
                for (int qx = 0; qx < s->qx; qx++)
                    for (int px = 0; px < 2; px++)
                        bt5(R + rr * RL + (size_t)(qx * 2 + px) * 5 * m, m,
                            row + (size_t)(8 * qx + px) * m, 2 * m, m);
            }
            for (int py = 0; py < 2; py++)
                for (int qx = 0; qx < s->qx; qx++)
                    for (int px = 0; px < 2; px++) {
                        float *v = p->V + ((size_t)(2 * py + px) * s->cb + c) * p->T +
                                   ((size_t)qy * s->qx + qx) * m;
                        for (int xx = 0; xx < NPT; xx++)
                            bt5(v + xx * vld, NPT * vld,
                                R + py * RL + ((size_t)(qx * 2 + px) * 5 + xx) * m, 2 * RL, m);
                    }
        }
    }
}

/* The chunk's big images (+ bias) from V, the transpose of big_fwd. */
static void big_bwd(const pass *p, float *x, size_t ld, const float *bias)
{
    const w2 *s = p->s;
    const size_t m = (size_t)p->m, tw = (size_t)s->wb + 2, RL = 10 * (size_t)s->qx * m,
                 vld = s->K * p->T, plane = (size_t)(s->hb + 2) * tw * m;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int c = 0; c < s->cb; c++) {
        float *xt = lane_of(p) + lane_fixed(s), *R = xt + plane;
        memset(xt, 0, plane * sizeof *xt);
        for (int qy = 0; qy < s->qy; qy++) {
            for (int py = 0; py < 2; py++)
                for (int qx = 0; qx < s->qx; qx++)
                    for (int px = 0; px < 2; px++) {
                        const float *v = p->V + ((size_t)(2 * py + px) * s->cb + c) * p->T +
                                         ((size_t)qy * s->qx + qx) * m;
                        for (int xx = 0; xx < NPT; xx++)
                            b5(R + py * RL + ((size_t)(qx * 2 + px) * 5 + xx) * m, 2 * RL,
                               v + xx * vld, NPT * vld, m, 0);
                    }
            /* Neighbouring tiles share two rows and two columns: add. */
            for (int rr = 0; rr < 10; rr++) {
                float *row = xt + (size_t)(8 * qy + rr) * tw * m;
                for (int qx = 0; qx < s->qx; qx++)
                    for (int px = 0; px < 2; px++)
                        b5(row + (size_t)(8 * qx + px) * m, 2 * m,
                           R + rr * RL + (size_t)(qx * 2 + px) * 5 * m, m, m, 1);
            }
        }
        plane_out(x + (size_t)c * ld, xt, s->hb, s->wb, 1, p->m, bias ? bias[c] : 0.0f);
    }
}

/* The chunk's small images (+ bias) from M: AT M A per tile. */
static void small_fwd(const pass *p, float *y, size_t ld, const float *bias)
{
    const w2 *s = p->s;
    const size_t m = (size_t)p->m, mld = (size_t)s->cs * p->T, ws = (size_t)s->ws;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int o = 0; o < s->cs; o++) {
        float *yt = lane_of(p) + lane_fixed(s), *Z = yt + (size_t)s->hs * ws * m;
        for (int qy = 0; qy < s->qy; qy++)
            for (int qx = 0; qx < s->qx; qx++) {
                const float *mm = p->M + (size_t)o * p->T + ((size_t)qy * s->qx + qx) * m;
                /* Z[xi_y][b][s] */
                for (int yy = 0; yy < NPT; yy++)
                    at4(Z + yy * 4 * m, m, mm + (size_t)yy * NPT * mld, mld, m);
                for (int b = 0; b < 4; b++)
                    at4(yt + ((size_t)4 * qy * ws + 4 * qx + b) * m, ws * m, Z + b * m, 4 * m,
                        m);
            }
        plane_out(y + (size_t)o * ld, yt, s->hs, s->ws, 0, p->m, bias ? bias[o] : 0.0f);
    }
}

/* M from the chunk's small images: A y AT per tile, the transpose of
 * small_fwd. */
static void small_bwd(const pass *p, const float *y, size_t ld)
{
    const w2 *s = p->s;
    const size_t m = (size_t)p->m, mld = (size_t)s->cs * p->T, ws = (size_t)s->ws;
#pragma omp parallel for num_threads(nlanes()) schedule(static)
    for (int o = 0; o < s->cs; o++) {
        float *yt = lane_of(p) + lane_fixed(s), *Z = yt + (size_t)s->hs * ws * m;
        plane_in(yt, y + (size_t)o * ld, s->hs, s->ws, 0, p->m);
        for (int qy = 0; qy < s->qy; qy++)
            for (int qx = 0; qx < s->qx; qx++) {
                float *mm = p->M + (size_t)o * p->T + ((size_t)qy * s->qx + qx) * m;
                /* Z[a][xi_x][s] */
                for (int a = 0; a < 4; a++)
                    a5(Z + a * 5 * m, m, yt + ((size_t)(4 * qy + a) * ws + 4 * qx) * m, m, m);
                for (int xx = 0; xx < NPT; xx++)
                    a5(mm + xx * mld, NPT * mld, Z + xx * m, 5 * m, m);
            }
    }
}

/* ------------------------------------------------------ the GEMMs */

/* Per point: M = U V. */
static void gemm_uv(const pass *p)
{
    const int cs = p->s->cs, K = (int)p->s->K, T = (int)p->T;
    for (int a = 0; a < NXI; a++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cs, T, K, 1.0f,
                    p->U + (size_t)a * cs * K, K, p->V + (size_t)a * K * T, T, 0.0f,
                    p->M + (size_t)a * cs * T, T);
}

/* Per point: V = U^T M. */
static void gemm_utm(const pass *p)
{
    const int cs = p->s->cs, K = (int)p->s->K, T = (int)p->T;
    for (int a = 0; a < NXI; a++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, T, cs, 1.0f,
                    p->U + (size_t)a * cs * K, K, p->M + (size_t)a * cs * T, T, 0.0f,
                    p->V + (size_t)a * K * T, T);
}

/* Per point: dU (+)= M V^T. */
static void gemm_mvt(const pass *p, int first)
{
    const int cs = p->s->cs, K = (int)p->s->K, T = (int)p->T;
    for (int a = 0; a < NXI; a++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cs, K, T, 1.0f,
                    p->M + (size_t)a * cs * T, T, p->V + (size_t)a * K * T, T,
                    first ? 0.0f : 1.0f, p->dU + (size_t)a * cs * K, K);
}

/* ------------------------------------------------------ the kernels */

/* What one kernel reads and writes: tensors of the whole batch. */
typedef struct io {
    const float *x, *dy;   /* input, output gradient */
    float *y, *dx, *dw;    /* output, input gradient, weight gradient (adds) */
    const float *bias;
} io;

/* One chunk of samples from n0 on; hwb and hws: floats per sample and
 * channel on the big and the small side, N the batch. */
typedef void chunk_fn(const pass *p, const io *a, int n0, size_t hwb, size_t hws, int N);

static void conv_fwd_chunk(const pass *p, const io *a, int n0, size_t hwb, size_t hws, int N)
{
    big_fwd(p, a->x + n0 * hwb, N * hwb);
    gemm_uv(p);
    small_fwd(p, a->y + n0 * hws, N * hws, a->bias);
}

static void conv_bwd_chunk(const pass *p, const io *a, int n0, size_t hwb, size_t hws, int N)
{
    small_bwd(p, a->dy + n0 * hws, N * hws);
    if (a->dw) {
        big_fwd(p, a->x + n0 * hwb, N * hwb);
        gemm_mvt(p, n0 == 0);
    }
    if (a->dx) {
        gemm_utm(p);
        big_bwd(p, a->dx + n0 * hwb, N * hwb, NULL);
    }
}

static void convt_fwd_chunk(const pass *p, const io *a, int n0, size_t hwb, size_t hws, int N)
{
    small_bwd(p, a->x + n0 * hws, N * hws);
    gemm_utm(p);
    big_bwd(p, a->y + n0 * hwb, N * hwb, a->bias);
}

static void convt_bwd_chunk(const pass *p, const io *a, int n0, size_t hwb, size_t hws, int N)
{
    big_fwd(p, a->dy + n0 * hwb, N * hwb);
    if (a->dx) {
        gemm_uv(p);
        small_fwd(p, a->dx + n0 * hws, N * hws, NULL);
    }
    if (a->dw) {
        small_bwd(p, a->x + n0 * hws, N * hws);
        gemm_mvt(p, n0 == 0);
    }
}

/* U from weight when the chunks need it, the chunks, then the weight
 * gradient. */
static int drive(const gt_conv_geom *g, int transposed, float *col, size_t col_cap, int N,
                 const float *weight, const io *a, chunk_fn *fn)
{
    const w2 s = w2_of(g, transposed);
    pass p;
    const int nc = carve(&p, &s, col, col_cap, N);
    if (!nc)
        return -1;
    const size_t hwb = (size_t)s.hb * s.wb, hws = (size_t)s.hs * s.ws;
    if (weight)
        filter_fwd(&p, weight);
    for (int n0 = 0; n0 < N; n0 += nc) {
        /* The last chunk may be shorter: U and dU stay where they are. */
        carve(&p, &s, col, col_cap, N - n0 < nc ? N - n0 : nc);
        fn(&p, a, n0, hwb, hws, N);
    }
    if (a->dw)
        filter_bwd(&p, a->dw);
    return 0;
}

int gt__wino2_conv_forward(float *out, const float *inp, const float *weight,
                           const float *bias, float *col, size_t col_cap,
                           const gt_conv_geom *g, int N)
{
    const io a = {.x = inp, .y = out, .bias = bias};
    return drive(g, 0, col, col_cap, N, weight, &a, conv_fwd_chunk);
}

int gt__wino2_conv_backward(float *dinp, float *dweight, const float *dout,
                            const float *inp, const float *weight, float *col,
                            size_t col_cap, const gt_conv_geom *g, int N)
{
    const io a = {.x = inp, .dy = dout, .dx = dinp, .dw = dweight};
    if (!dinp && !dweight)
        return 0;
    return drive(g, 0, col, col_cap, N, dinp ? weight : NULL, &a, conv_bwd_chunk);
}

int gt__wino2_convt_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *col, size_t col_cap,
                            const gt_conv_geom *g, int N)
{
    const io a = {.x = inp, .y = out, .bias = bias};
    return drive(g, 1, col, col_cap, N, weight, &a, convt_fwd_chunk);
}

int gt__wino2_convt_backward(float *dinp, float *dweight, const float *dout,
                             const float *inp, const float *weight, float *col,
                             size_t col_cap, const gt_conv_geom *g, int N)
{
    const io a = {.x = inp, .dy = dout, .dx = dinp, .dw = dweight};
    if (!dinp && !dweight)
        return 0;
    return drive(g, 1, col, col_cap, N, dinp ? weight : NULL, &a, convt_bwd_chunk);
}
