/*
 * F(4, 2) Winograd inference of the 1D k4 s2 p1 convolution (winograd.h).
 *
 * A 2-tap correlation y[i] = g0 d[i] + g1 d[i + 1], four outputs from the
 * five inputs d0..d4 of a tile:  y = AT ((G g) . (BT d)), with
 *   BT d: 2d0 - d1 - 2d2 + d3,  -2d1 - d2 + d3,  2d1 - 3d2 + d3,  d3 - d1,
 *         2d1 - d2 - 2d3 + d4
 *   G g:  g0 / 2,  -(g0 + g1) / 2,  (g1 - g0) / 6,  (g0 + 2 g1) / 6,  g1
 *   AT m: m0 + m1 + m2 + m3,  m1 - m2 + 2 m3,  m1 + m2 + 4 m3,
 *         m1 - m2 + 8 m3 + m4
 * (interpolation points 0, 1, -1, 2 and infinity).  Over channels the
 * products become one GEMM per point a: M_a (cout, tiles) = U_a (cout,
 * 2 cin) V_a (2 cin, tiles).
 *
 * The convolution, xp = the input padded by one zero on the left:
 *   y[o, i] = sum_c,k w[o, c, k] xp[c, 2i + k]
 *           = sum_(c, f) sum_t w[o, c, 2t + f] xp[c, 2(i + t) + f]
 * is a 2-tap correlation over the 2 cin channels (c, f) of u[(c, f), j] =
 * xp[c, 2j + f]: the tile of outputs 4q..4q+3 reads xp[c, 8q + 2r + f],
 * r = 0..4.  A channel's tiles of all the samples of a chunk are one run of
 * columns, transformed four at a time (4x4 transposes of SSE vectors).
 */
#include "winograd.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include <cblas.h>

#define NPT 5  /* transform points */
#define TILE 4 /* outputs per tile */

int gt__wino_fits(const gt_conv_geom *g)
{
    /* An input length that makes whole tiles (a multiple of 8).  Thin
     * layers (a sample's one channel in, or out) gain nothing: their GEMMs
     * are too narrow to run at speed either way. */
    return g->hin == 1 && g->hout == 1 && g->kh == 1 && g->sh == 1 && g->ph == 0 &&
           g->kw == 4 && g->sw == 2 && g->pw == 1 && g->cin >= 4 && g->cout >= 4 &&
           g->win % (2 * TILE) == 0 && 2 * g->wout == g->win;
}

size_t gt__wino_weights_size(const gt_conv_geom *g)
{
    return 2 * NPT * (size_t)g->cin * (size_t)g->cout;
}

/* Tiles of 4 outputs per sample. */
static size_t tiles(const gt_conv_geom *g)
{
    return (size_t)g->wout / TILE;
}

size_t gt__wino_scratch(const gt_conv_geom *g)
{
    /* V: NPT matrices (2 cin, tiles), M: NPT (cout, tiles), and a channel's
     * padded input (pad_rows). */
    return NPT * tiles(g) * (2 * (size_t)g->cin + (size_t)g->cout) + (size_t)g->win + 2 * TILE;
}

static void gfilter(float *u, size_t stride, float g0, float g1)
{
    u[0] = 0.5f * g0;
    u[stride] = -0.5f * (g0 + g1);
    u[2 * stride] = (g1 - g0) / 6.0f;
    u[3 * stride] = (g0 + 2.0f * g1) / 6.0f;
    u[4 * stride] = g1;
}

void gt__wino_weights(float *u, const float *weight, const gt_conv_geom *g)
{
    /* U_a (cout, 2 cin), column 2c + f: taps w[o, c, f] and w[o, c, 2 + f]. */
    const size_t ci = (size_t)g->cin, co = (size_t)g->cout, per = co * 2 * ci;
    for (size_t o = 0; o < co; o++)
        for (size_t c = 0; c < ci; c++) {
            const float *w = weight + (o * ci + c) * 4;
            for (size_t f = 0; f < 2; f++)
                gfilter(u + o * 2 * ci + 2 * c + f, per, w[f], w[2 + f]);
        }
}

/* Four floats, and 4x4 transposes of them (GCC / clang vector extensions:
 * SSE shuffles on x86-64, whatever the target has elsewhere). */
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
#if defined(__clang__)
#define SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, (v4i){i, j, k, l})
#endif

static inline v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

static inline void transpose4(v4f r[4])
{
    const v4f t0 = SHUFFLE(r[0], r[1], 0, 4, 1, 5), t1 = SHUFFLE(r[0], r[1], 2, 6, 3, 7),
              t2 = SHUFFLE(r[2], r[3], 0, 4, 1, 5), t3 = SHUFFLE(r[2], r[3], 2, 6, 3, 7);
    r[0] = SHUFFLE(t0, t2, 0, 1, 4, 5);
    r[1] = SHUFFLE(t0, t2, 2, 3, 6, 7);
    r[2] = SHUFFLE(t1, t3, 0, 1, 4, 5);
    r[3] = SHUFFLE(t1, t3, 2, 3, 6, 7);
}

/* BT d of four tiles at once (lane t: tile t), into v_a[0..3] for the
 * NPT rows v, v + ld, ... */
static inline void tiles_in(float *v, size_t ld, v4f d0, v4f d1, v4f d2, v4f d3, v4f d4)
{
    const v4f two = {2, 2, 2, 2}, three = {3, 3, 3, 3};
    store4(v, two * (d0 - d2) + (d3 - d1));
    store4(v + ld, d3 - d2 - two * d1);
    store4(v + 2 * ld, two * d1 - three * d2 + d3);
    store4(v + 3 * ld, d3 - d1);
    store4(v + 4 * ld, two * (d1 - d3) + (d4 - d2));
}

/* The same for one tile. */
static inline void tile_in(float *v, size_t ld, const float d[5])
{
    v[0] = 2.0f * (d[0] - d[2]) + (d[3] - d[1]);
    v[ld] = d[3] - d[2] - 2.0f * d[1];
    v[2 * ld] = 2.0f * d[1] - 3.0f * d[2] + d[3];
    v[3 * ld] = d[3] - d[1];
    v[4 * ld] = 2.0f * (d[1] - d[3]) + (d[4] - d[2]);
}

/*
 * One channel's m samples of n inputs (x, back to back), each padded as
 * the convolution reads it, into P: segment s (n + 8 floats) is xp_s[t] =
 * x_s[t - 1] (through f if any), a zero before and 7 zeros after, so that
 * every tile of every sample reads inside its own segment.
 */
static void pad_rows(float *P, const float *x, size_t n, int m, const gt__chan_map *f)
{
    for (int s = 0; s < m; s++) {
        float *p = P + (size_t)s * (n + 2 * TILE);
        const float *xs = x + (size_t)s * n;
        p[0] = 0.0f;
        if (f)
            gt__chan_map_run(p + 1, xs, n, 1, f);
        else
            memcpy(p + 1, xs, n * sizeof *p);
        memset(p + 1 + n, 0, (2 * TILE - 1) * sizeof *p);
    }
}

/*
 * V of one channel from its padded rows P (q tiles a sample): tile i = s q
 * + j of phase f reads d_r = xp_s[8j + 2r + f], into v (phase 0) or v1
 * (phase 1) at column i.  Four tiles at a time: lane t of stream k after
 * the transposes is tile i + t's xp_s[8j + k], k = 0..11.
 */
static void input_tiles(float *v, float *v1, size_t ld, const float *P, size_t q, int m)
{
    const size_t seg = 2 * TILE * (q + 1), all = (size_t)m * q;
    size_t s = 0, j = 0, i = 0;
    for (; i + 4 <= all; i += 4) {
        v4f st[12];
        for (int t = 0; t < 4; t++) {
            const float *p = P + s * seg + 2 * TILE * j;
            st[t] = load4(p);
            st[4 + t] = load4(p + 4);
            st[8 + t] = load4(p + 8);
            if (++j == q)
                j = 0, s++;
        }
        transpose4(st);
        transpose4(st + 4);
        transpose4(st + 8);
        tiles_in(v + i, ld, st[0], st[2], st[4], st[6], st[8]);
        tiles_in(v1 + i, ld, st[1], st[3], st[5], st[7], st[9]);
    }
    for (; i < all; i++) {
        const float *p = P + s * seg + 2 * TILE * j;
        for (int f = 0; f < 2; f++) {
            const float d[5] = {p[f], p[2 + f], p[4 + f], p[6 + f], p[8 + f]};
            tile_in((f ? v1 : v) + i, ld, d);
        }
        if (++j == q)
            j = 0, s++;
    }
}

/* AT m + bias of four tiles (lane t: tile t) from the NPT rows m, m + ld,
 * ...: the four outputs, each over the four tiles. */
static inline void tiles_out(v4f y[4], const float *m, size_t ld, v4f b)
{
    const v4f two = {2, 2, 2, 2}, four = {4, 4, 4, 4}, eight = {8, 8, 8, 8};
    const v4f m0 = load4(m), m1 = load4(m + ld), m2 = load4(m + 2 * ld), m3 = load4(m + 3 * ld),
              m4 = load4(m + 4 * ld);
    const v4f s = m1 + m2, d = m1 - m2;
    y[0] = m0 + s + m3 + b;
    y[1] = d + two * m3 + b;
    y[2] = s + four * m3 + b;
    y[3] = d + eight * m3 + m4 + b;
}

/* The same for one tile. */
static inline void tile_out(float y[4], const float *m, size_t ld, float b)
{
    const float s = m[ld] + m[2 * ld], d = m[ld] - m[2 * ld];
    y[0] = m[0] + s + m[3 * ld] + b;
    y[1] = d + 2.0f * m[3 * ld] + b;
    y[2] = s + 4.0f * m[3 * ld] + b;
    y[3] = d + 8.0f * m[3 * ld] + m[4 * ld] + b;
}

/* A convolution's output row (n tiles of 4) from the NPT rows m, ... */
static void conv_out(float *out, const float *m, size_t ld, size_t n, float b)
{
    const v4f bb = {b, b, b, b};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f y[4];
        tiles_out(y, m + i, ld, bb);
        transpose4(y); /* y[t]: tile i + t's four outputs */
        for (int t = 0; t < 4; t++)
            store4(out + 4 * (i + (size_t)t), y[t]);
    }
    for (; i < n; i++)
        tile_out(out + 4 * i, m + i, ld, b);
}

static void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C,
                N);
}

static int chunk(size_t per, size_t cap, int N)
{
    assert(cap >= per && "scratch below gt__wino_scratch(g, 1)");
    size_t k = cap / per;
    return k >= (size_t)N ? N : (int)k;
}

void gt__wino_conv_forward(float *out, const float *inp, const float *u, const float *bias,
                           float *col, size_t col_cap, const gt_conv_geom *g, int N,
                           const gt__pointwise *pre, const gt__pointwise *post)
{
    const int ci = g->cin, co = g->cout;
    const size_t li = (size_t)g->win, lo = (size_t)g->wout, Q = tiles(g);
    const size_t ldi = (size_t)N * li, ldo = (size_t)N * lo;
    const int nc = N > 0 ? chunk(gt__wino_scratch(g), col_cap, N) : 0;
    for (int n0 = 0; nc > 0 && n0 < N; n0 += nc) {
        const int m = n0 + nc <= N ? nc : N - n0;
        const size_t cols = (size_t)m * Q;
        assert(cols <= INT_MAX);
        /* V_a: (2 cin, cols), row 2c + phase; M_a: (cout, cols). */
        const size_t vld = 2 * (size_t)ci * cols, mld = (size_t)co * cols;
        float *V = col, *M = V + NPT * vld, *P = M + NPT * mld;
        for (int c = 0; c < ci; c++) {
            gt__chan_map f;
            if (pre)
                f = gt__pointwise_chan(pre, c);
            pad_rows(P, inp + (size_t)c * ldi + (size_t)n0 * li, li, m, pre ? &f : NULL);
            float *v = V + (size_t)(2 * c) * cols;
            input_tiles(v, v + cols, vld, P, Q, m);
        }
        for (int a = 0; a < NPT; a++)
            gemm(co, (int)cols, 2 * ci, u + (size_t)a * co * 2 * ci, V + (size_t)a * vld,
                 M + (size_t)a * mld);
        for (int o = 0; o < co; o++) {
            float *y = out + (size_t)o * ldo + (size_t)n0 * lo;
            conv_out(y, M + (size_t)o * cols, mld, cols, bias ? bias[o] : 0.0f);
            if (post) {
                gt__chan_map f = gt__pointwise_chan(post, o);
                gt__chan_map_run(y, y, (size_t)m * lo, 1, &f);
            }
        }
    }
}
