/* Unfolding images into patch columns and folding them back (see im2col.h). */
#include "im2col.h"

#include <omp.h>
#include <string.h>

#include "pointwise.h"
#include "simd_clones.h"

/* Below this many column entries a parallel region costs more than it saves. */
#define PAR_MIN_WORK (1 << 15)

static void fill(float *x, size_t n, float v)
{
    if (v == 0.0f) {
        memset(x, 0, n * sizeof *x);
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

/*
 * Patch-grid indices g in [lo, hi) whose tap k lands inside an image of size
 * n: 0 <= g*s - p + k < n.  Computed once per tap and block of samples, which
 * keeps the bounds tests and divisions out of the inner loops.
 */
static void tap_range(int k, int n, int m, int s, int p, int *lo, int *hi)
{
    int a = p - k;
    int b = n - 1 + p - k;
    int l = a > 0 ? (a + s - 1) / s : 0;
    int h = b >= 0 ? b / s + 1 : 0;
    if (h > m)
        h = m;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

/*
 * d[x] = f(row[x0 + x*sw]) for x in [lo, hi), zero elsewhere in [0, ow); f is
 * the identity when NULL.  Runs are short (4 to 512 in the GANs), so the zero
 * edges are plain loops rather than memset calls, and strides 1 and 2 get
 * loops with a constant stride that the compiler vectorises.
 */
static inline void gather_run(float *restrict d, const float *restrict row, int x0,
                              int lo, int hi, int ow, int sw, const gt__chan_map *f)
{
    for (int x = 0; x < lo; x++)
        d[x] = 0.0f;
    /* From the first tap inside the image: row + x0 itself may lie before it. */
    const float *r = row + x0 + lo * sw;
    float *dd = d + lo;
    const int n = hi - lo;
    if (f) {
        if (n > 0)
            gt__chan_map_run(dd, r, (size_t)n, sw, f);
    } else if (sw == 1) {
#pragma omp simd
        for (int i = 0; i < n; i++)
            dd[i] = r[i];
    } else if (sw == 2) {
#pragma omp simd
        for (int i = 0; i < n; i++)
            dd[i] = r[2 * i];
    } else {
        for (int i = 0; i < n; i++)
            dd[i] = r[i * sw];
    }
    for (int x = hi; x < ow; x++)
        d[x] = 0.0f;
}

/* row[x0 + x*sw] += s[x] for x in [lo, hi); the targets are distinct. */
static inline void scatter_run(float *restrict row, const float *restrict s, int x0,
                               int lo, int hi, int sw)
{
    float *r = row + x0 + lo * sw;
    const float *ss = s + lo;
    const int n = hi - lo;
    if (sw == 1) {
#pragma omp simd
        for (int i = 0; i < n; i++)
            r[i] += ss[i];
    } else if (sw == 2) {
#pragma omp simd
        for (int i = 0; i < n; i++)
            r[2 * i] += ss[i];
    } else {
        for (int i = 0; i < n; i++)
            r[i * sw] += ss[i];
    }
}

/*
 * 1D images whose samples are exactly sw patch steps apart (w == sw * ow, as
 * in every "k = 2p + s" layer, e.g. k4 s2 p1): a tap's column row over the
 * whole block is then one strided run across sample boundaries,
 *     crow[q] = img[x0 + sw * q],
 * and only the few entries per sample that fall in the padding need zeroing
 * afterwards.  This keeps the short rows of deep layers (ow = 4..16) from
 * paying per-sample loop overhead.
 */
/* Image values per tile of fold_block_1d (all phases together). */
#define FOLD_TILE 2048

static int runs_across_samples(const gt__patch *p)
{
    return p->h == 1 && p->kh == 1 && p->oh == 1 && p->w == p->sw * p->ow &&
           p->sw <= FOLD_TILE / 2;
}

static void unfold_block_1d(float *col, size_t ldcol, const float *img, const gt__patch *p,
                            int j0, int j1, const gt__chan_map *f)
{
    const int ow = p->ow;
    for (int kj = 0; kj < p->kw; kj++) {
        int xlo, xhi;
        tap_range(kj, p->w, ow, p->sw, p->pw, &xlo, &xhi);
        float *crow = col + (size_t)kj * ldcol;
        if (xlo >= xhi) {
            memset(crow + (size_t)j0 * ow, 0, (size_t)(j1 - j0) * ow * sizeof *crow);
            continue;
        }
        /* Entries from the first valid one of sample j0 to the last valid one
         * of sample j1 - 1; every source index lies inside the block. */
        const size_t q0 = (size_t)j0 * ow + xlo, q1 = (size_t)(j1 - 1) * ow + xhi;
        gather_run(crow + q0, img + (size_t)p->sw * q0 + (kj - p->pw), 0, 0,
                   (int)(q1 - q0), (int)(q1 - q0), p->sw, f);
        for (int j = j0; j < j1; j++) {
            float *d = crow + (size_t)j * ow;
            for (int x = 0; x < xlo; x++)
                d[x] = 0.0f;
            for (int x = xhi; x < ow; x++)
                d[x] = 0.0f;
        }
    }
}

/*
 * The fold of unfold_block_1d, written as a gather: image position
 * X = sw * q + r (phase r) receives, from each tap kj with
 * r + pw - kj = sw * d, the entry crow_kj[q + d], so each phase is a sum of
 * a few shifted contiguous column rows.  A tile of FOLD_TILE image values is
 * summed phase by phase in a small buffer, mapped (f, if not NULL) and
 * written once, interleaved.  Near a sample's ends a shift reaches into the
 * neighbour sample (or past the block): those few positions per sample are
 * summed again from the taps inside the sample only.  Every position gets
 * v plus its taps in increasing kj, the order of fold_block.
 */

/*
 * Phase r's acc[q - qb] for q in [qb, qe) at position ql of each sample:
 * v plus the taps kj = k0, k0 + sw, ... (shifts d0, d0 - 1, ...) that read
 * inside the sample, in increasing kj.
 */
static void fold_zone(float *acc, const float *col, size_t ldcol, float v, const gt__patch *p,
                      int k0, int d0, int ql, long qb, long qe)
{
    const int ow = p->ow;
    const long jlo = qb > ql ? (qb - ql + ow - 1) / ow : 0;
    const long jhi = qe > ql ? (qe - ql + ow - 1) / ow : 0;
    for (long j = jlo; j < jhi; j++) {
        const float *c = col + j * ow + ql;
        float sum = v;
        for (int kj = k0, d = d0; kj < p->kw; kj += p->sw, d--)
            if (ql + d >= 0 && ql + d < ow)
                sum += c[kj * ldcol + d];
        acc[j * ow + ql - qb] = sum;
    }
}

GT__SIMD_CLONES static void fold_block_1d(float *img, const float *col, size_t ldcol,
                                          float v, const gt__patch *p, int j0, int j1,
                                          const gt__chan_map *f)
{
    const int sw = p->sw, kw = p->kw, ow = p->ow;
    const long QB = FOLD_TILE / sw, Q0 = (long)j0 * ow, Q1 = (long)j1 * ow;
    float acc[FOLD_TILE];
    for (long qb = Q0; qb < Q1; qb += QB) {
        const long qe = qb + QB < Q1 ? qb + QB : Q1;
        const int len = (int)(qe - qb);
        for (int r = 0; r < sw; r++) {
            float *a = acc + r * QB;
#pragma omp simd
            for (int i = 0; i < len; i++)
                a[i] = v;
            /* Phase r's taps: r + pw - kj = sw * d. */
            const int k0 = (r + p->pw) % sw, d0 = (r + p->pw) / sw;
            int dmin = 0, dmax = 0;
            for (int kj = k0, d = d0; kj < kw; kj += sw, d--) {
                dmin = d < dmin ? d : dmin;
                dmax = d > dmax ? d : dmax;
                /* q and q + d both inside the block */
                const long lo = qb > Q0 - d ? qb : Q0 - d, hi = qe < Q1 - d ? qe : Q1 - d;
                const float *src = col + kj * ldcol + (lo + d);
                float *dst = a + (lo - qb);
#pragma omp simd
                for (long i = 0; i < hi - lo; i++)
                    dst[i] += src[i];
            }
            /* Per sample, q < -dmin and q >= ow - dmax: again, valid taps only. */
            const int zh = -dmin < ow ? -dmin : ow, zt = ow - dmax > zh ? ow - dmax : zh;
            for (int ql = 0; ql < zh; ql++)
                fold_zone(a, col, ldcol, v, p, k0, d0, ql, qb, qe);
            for (int ql = zt; ql < ow; ql++)
                fold_zone(a, col, ldcol, v, p, k0, d0, ql, qb, qe);
            if (f)
                gt__chan_map_run(a, a, (size_t)len, 1, f);
        }
        float *o = img + (size_t)sw * qb;
        if (sw == 2) {
            const float *a0 = acc, *a1 = acc + QB;
#pragma omp simd
            for (int i = 0; i < len; i++) {
                o[2 * i] = a0[i];
                o[2 * i + 1] = a1[i];
            }
        } else {
            for (int r = 0; r < sw; r++)
                for (int i = 0; i < len; i++)
                    o[(size_t)sw * i + r] = acc[r * QB + i];
        }
    }
}

/*
 * One channel, samples [j0, j1): img is the channel's sample 0, col its first
 * of kh*kw rows.  Taps outermost so that each tap's ranges serve every sample
 * of the block.
 */
static void unfold_block(float *col, size_t ldcol, const float *img, const gt__patch *p,
                         int j0, int j1, const gt__chan_map *f)
{
    const int w = p->w, oh = p->oh, ow = p->ow;
    const size_t hw = (size_t)p->h * w, ohw = (size_t)oh * ow;
    for (int ki = 0; ki < p->kh; ki++) {
        int ylo, yhi;
        tap_range(ki, p->h, oh, p->sh, p->ph, &ylo, &yhi);
        for (int kj = 0; kj < p->kw; kj++) {
            int xlo, xhi;
            tap_range(kj, w, ow, p->sw, p->pw, &xlo, &xhi);
            const int x0 = kj - p->pw;
            float *crow = col + (size_t)(ki * p->kw + kj) * ldcol;
            for (int j = j0; j < j1; j++) {
                float *d = crow + j * ohw;
                const float *s = img + j * hw;
                if (ylo > 0)
                    memset(d, 0, (size_t)ylo * ow * sizeof *d);
                for (int y = ylo; y < yhi; y++)
                    gather_run(d + (size_t)y * ow, s + (size_t)(y * p->sh - p->ph + ki) * w,
                               x0, xlo, xhi, ow, p->sw, f);
                if (yhi < oh)
                    memset(d + (size_t)yhi * ow, 0, (size_t)(oh - yhi) * ow * sizeof *d);
            }
        }
    }
}

/*
 * A single patch covering the whole unpadded image (the last layer of a
 * discriminator, the first of a generator: kernel = image, output 1x1): the
 * column rows are the images transposed, col[t][j] = img[j][t].  Done as a
 * transposition, not as runs of length 1.
 */
static int whole_image(const gt__patch *p)
{
    return p->oh == 1 && p->ow == 1 && p->kh == p->h && p->kw == p->w && p->ph == 0 &&
           p->pw == 0;
}

static void unfold_block_whole(float *col, size_t ldcol, const float *img, const gt__patch *p,
                               int j0, int j1, const gt__chan_map *f)
{
    const size_t hw = (size_t)p->h * p->w;
    for (int j = j0; j < j1; j++)
        for (size_t t = 0; t < hw; t++)
            col[t * ldcol + j] = img[j * hw + t];
    if (f)
        for (size_t t = 0; t < hw; t++)
            gt__chan_map_run(col + t * ldcol + j0, col + t * ldcol + j0, (size_t)(j1 - j0), 1,
                             f);
}

/* Its fold: every image value receives exactly one column entry. */
static void fold_block_whole(float *img, const float *col, size_t ldcol, float v,
                             const gt__patch *p, int j0, int j1)
{
    const size_t hw = (size_t)p->h * p->w;
    for (int j = j0; j < j1; j++)
        for (size_t t = 0; t < hw; t++)
            img[j * hw + t] = v + col[t * ldcol + j];
}

/* The adjoint of unfold_block, overwriting the block's images with v plus
 * the fold.  Each image value receives its taps in (ki, kj) order whatever
 * the blocking. */
static void fold_block(float *img, const float *col, size_t ldcol, float v,
                       const gt__patch *p, int j0, int j1)
{
    const int w = p->w, ow = p->ow;
    const size_t hw = (size_t)p->h * w, ohw = (size_t)p->oh * ow;
    fill(img + j0 * hw, (size_t)(j1 - j0) * hw, v);
    for (int ki = 0; ki < p->kh; ki++) {
        int ylo, yhi;
        tap_range(ki, p->h, p->oh, p->sh, p->ph, &ylo, &yhi);
        for (int kj = 0; kj < p->kw; kj++) {
            int xlo, xhi;
            tap_range(kj, w, ow, p->sw, p->pw, &xlo, &xhi);
            const int x0 = kj - p->pw;
            const float *crow = col + (size_t)(ki * p->kw + kj) * ldcol;
            for (int j = j0; j < j1; j++) {
                float *d = img + j * hw;
                const float *s = crow + j * ohw;
                for (int y = ylo; y < yhi; y++)
                    scatter_run(d + (size_t)(y * p->sh - p->ph + ki) * w, s + (size_t)y * ow,
                                x0, xlo, xhi, p->sw);
            }
        }
    }
}

/*
 * Work is split into (channel, block of samples) tasks: whole channels when
 * there are enough of them, smaller sample blocks when there are few (a
 * one-channel first layer).  Tasks own disjoint column rows and images, so
 * the result does not depend on the split or the schedule.
 */
static int blocks_per_channel(int C, int nc, size_t work)
{
    if (work < PAR_MIN_WORK)
        return 1;
    int want = 4 * omp_get_max_threads();
    int b = (want + C - 1) / C;
    return b < nc ? b : nc;
}

/* How a chunk's (channel, block of samples) tasks are laid out; im2col and
 * col2im share it, so each channel block is one thread's, in a fixed order. */
typedef struct block_plan {
    size_t ldcol, rows, work;
    int nb, bs, tasks, across, whole;
} block_plan;

static block_plan plan_blocks(const gt__patch *p, int nc)
{
    block_plan b;
    b.ldcol = (size_t)nc * p->oh * p->ow;
    b.rows = (size_t)p->kh * p->kw;
    b.work = (size_t)p->c * b.rows * b.ldcol;
    b.nb = blocks_per_channel(p->c, nc, b.work);
    b.bs = (nc + b.nb - 1) / b.nb;
    b.tasks = p->c * b.nb;
    b.across = runs_across_samples(p);
    b.whole = whole_image(p);
    return b;
}

/* Task t's channel and sample range [j0, j1); 0 when the range is empty. */
static int task_range(const block_plan *b, int t, int nc, int *c, int *j0, int *j1)
{
    *c = t / b->nb;
    *j0 = (t % b->nb) * b->bs;
    *j1 = *j0 + b->bs < nc ? *j0 + b->bs : nc;
    return *j0 < *j1;
}

void gt__im2col(float *col, const float *img, size_t cstride, const gt__patch *p, int nc,
                const gt__pointwise *pre)
{
    // img is (c, N, h, w) from the chunk's first sample; col is (c*kh*kw, nc*oh*ow)
    const block_plan b = plan_blocks(p, nc);
#pragma omp parallel for schedule(static) if (b.work >= PAR_MIN_WORK)
    for (int t = 0; t < b.tasks; t++) {
        int c, j0, j1;
        if (!task_range(&b, t, nc, &c, &j0, &j1))
            continue;
        float *cc = col + c * b.rows * b.ldcol;
        const gt__chan_map f = pre ? gt__pointwise_chan(pre, c) : (gt__chan_map){0};
        const gt__chan_map *fp = pre ? &f : NULL;
        if (b.whole)
            unfold_block_whole(cc, b.ldcol, img + c * cstride, p, j0, j1, fp);
        else if (b.across)
            unfold_block_1d(cc, b.ldcol, img + c * cstride, p, j0, j1, fp);
        else
            unfold_block(cc, b.ldcol, img + c * cstride, p, j0, j1, fp);
    }
}

void gt__col2im(float *img, size_t cstride, const float *col, const float *init,
                const gt__patch *p, int nc, const gt__pointwise *post)
{
    // col is (c*kh*kw, nc*oh*ow); img is (c, N, h, w) from the chunk's first sample
    const block_plan b = plan_blocks(p, nc);
#pragma omp parallel for schedule(static) if (b.work >= PAR_MIN_WORK)
    for (int t = 0; t < b.tasks; t++) {
        int c, j0, j1;
        if (!task_range(&b, t, nc, &c, &j0, &j1))
            continue;
        const float v = init ? init[c] : 0.0f;
        const float *cc = col + c * b.rows * b.ldcol;
        const gt__chan_map f = post ? gt__pointwise_chan(post, c) : (gt__chan_map){0};
        if (b.whole)
            fold_block_whole(img + c * cstride, cc, b.ldcol, v, p, j0, j1);
        else if (b.across)
            fold_block_1d(img + c * cstride, cc, b.ldcol, v, p, j0, j1, post ? &f : NULL);
        else
            fold_block(img + c * cstride, cc, b.ldcol, v, p, j0, j1);
        if (post && !b.across) {
            /* The block is still in cache: map it in place. */
            const size_t hw = (size_t)p->h * p->w;
            float *d = img + c * cstride + (size_t)j0 * hw;
            gt__chan_map_run(d, d, (size_t)(j1 - j0) * hw, 1, &f);
        }
    }
}
