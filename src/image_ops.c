/*
 * Images in memory: allocation, resampling (area averaging down, bilinear
 * up, per axis), crops, patches, sample grids and the float conversion the
 * networks use.  Layout and contracts in gantry/image.h.
 *
 * Resampling is separable: per axis a table of taps (first source index,
 * count, weights) is built once, then the kernel runs a horizontal pass
 * into a float buffer and a vertical one into the output.  The kernel
 * allocates nothing: its buffers come from gt_image_resize.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/image.h"

gt_image *gt_image_new(int w, int h, int c)
{
    if (w < 1 || h < 1 || c < 1 || (size_t)w * (size_t)h > ((size_t)1 << 40) / (size_t)c)
        return NULL;
    gt_image *im = malloc(sizeof *im);
    if (!im)
        return NULL;
    im->w = w;
    im->h = h;
    im->c = c;
    if (!(im->pix = calloc((size_t)w * (size_t)h * (size_t)c, 1))) {
        free(im);
        return NULL;
    }
    return im;
}

void gt_image_free(gt_image *im)
{
    if (!im)
        return;
    free(im->pix);
    free(im);
}

void gt_image_list_free(gt_image **v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        gt_image_free(v[i]);
    free(v);
}

static int valid(const gt_image *im)
{
    return im && im->pix && im->w > 0 && im->h > 0 && (im->c == 1 || im->c == 3);
}

/* -------------------------------------------------------------- resizing */

/* The taps of one axis, n source pixels -> m output pixels: output j is
 * sum_k w[j * max + k] * src[start[j] + k] for k < count[j]. */
typedef struct axis {
    int max;
    int *start, *count;
    float *w;
} axis;

static int axis_max_taps(int n, int m)
{
    return m < n ? (n + m - 1) / m + 1 : 2;
}

static void axis_fill(axis *a, int n, int m)
{
    const double scale = (double)n / (double)m;
    for (int j = 0; j < m; j++) {
        float *w = a->w + (size_t)j * a->max;
        if (m == n) {
            a->start[j] = j;
            a->count[j] = 1;
            w[0] = 1;
        } else if (m < n) { /* area: the source span [j, j + 1) * scale */
            double lo = j * scale, hi = (j + 1) * scale, sum = 0;
            int i0 = (int)floor(lo), i1 = (int)ceil(hi);
            if (i1 > n)
                i1 = n;
            if (i1 - i0 > a->max) /* cannot happen; keeps the table safe */
                i1 = i0 + a->max;
            a->start[j] = i0;
            a->count[j] = i1 - i0;
            for (int i = i0; i < i1; i++) {
                double o = fmin(hi, i + 1.0) - fmax(lo, (double)i);
                w[i - i0] = (float)(o > 0 ? o : 0);
                sum += w[i - i0];
            }
            for (int k = 0; k < i1 - i0; k++)
                w[k] = (float)(w[k] / sum);
        } else { /* bilinear between pixel centres, clamped at the borders */
            double x = (j + 0.5) * scale - 0.5;
            if (x < 0)
                x = 0;
            int i0 = (int)floor(x);
            if (i0 >= n - 1) {
                a->start[j] = n - 1;
                a->count[j] = 1;
                w[0] = 1;
            } else {
                float f = (float)(x - i0);
                a->start[j] = i0;
                a->count[j] = 2;
                w[0] = 1 - f;
                w[1] = f;
            }
        }
    }
}

static uint8_t to_u8(float v)
{
    v += 0.5f;
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
}

/* One plane: src (sw x sh) -> dst (dw x dh); tmp holds sh * dw floats,
 * acc dw. */
static void resample_plane(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh,
                           const axis *ax, const axis *ay, float *tmp, float *acc)
{
    for (int y = 0; y < sh; y++) {
        const uint8_t *row = src + (size_t)y * sw;
        float *out = tmp + (size_t)y * dw;
        for (int x = 0; x < dw; x++) {
            const float *w = ax->w + (size_t)x * ax->max;
            const uint8_t *s = row + ax->start[x];
            float v = 0;
            for (int k = 0; k < ax->count[x]; k++)
                v += w[k] * s[k];
            out[x] = v;
        }
    }
    for (int y = 0; y < dh; y++) {
        const float *w = ay->w + (size_t)y * ay->max;
        for (int x = 0; x < dw; x++)
            acc[x] = 0;
        for (int k = 0; k < ay->count[y]; k++) {
            const float *r = tmp + (size_t)(ay->start[y] + k) * dw;
            const float wk = w[k];
            for (int x = 0; x < dw; x++)
                acc[x] += wk * r[x];
        }
        uint8_t *o = dst + (size_t)y * dw;
        for (int x = 0; x < dw; x++)
            o[x] = to_u8(acc[x]);
    }
}

static int axis_alloc(axis *a, int n, int m)
{
    a->max = axis_max_taps(n, m);
    a->start = malloc((size_t)m * sizeof(int));
    a->count = malloc((size_t)m * sizeof(int));
    a->w = malloc((size_t)m * (size_t)a->max * sizeof(float));
    if (!a->start || !a->count || !a->w)
        return -1;
    axis_fill(a, n, m);
    return 0;
}

static void axis_free(axis *a)
{
    free(a->start);
    free(a->count);
    free(a->w);
}

int gt_image_resize(const gt_image *src, int w, int h, gt_image **out, gt_error *err)
{
    *out = NULL;
    if (!valid(src) || w < 1 || h < 1)
        return gt_error_set(err, GT_EINVAL, "gt_image_resize: invalid arguments (to %d x %d)",
                            w, h);
    axis ax = {0}, ay = {0};
    gt_image *im = gt_image_new(w, h, src->c);
    float *tmp = malloc((size_t)src->h * (size_t)w * sizeof(float));
    float *acc = malloc((size_t)w * sizeof(float));
    int rc = GT_OK;
    if (!im || !tmp || !acc || axis_alloc(&ax, src->w, w) < 0 || axis_alloc(&ay, src->h, h) < 0) {
        rc = gt_error_set(err, GT_ENOMEM, "out of memory resizing %d x %d to %d x %d", src->w,
                          src->h, w, h);
        gt_image_free(im);
    } else {
        const size_t sp = (size_t)src->w * (size_t)src->h, dp = (size_t)w * (size_t)h;
        for (int c = 0; c < src->c; c++)
            resample_plane(src->pix + (size_t)c * sp, src->w, src->h, im->pix + (size_t)c * dp,
                           w, h, &ax, &ay, tmp, acc);
        *out = im;
    }
    axis_free(&ax);
    axis_free(&ay);
    free(tmp);
    free(acc);
    return rc;
}

/* ------------------------------------------------------- crops, patches */

int gt_image_crop(const gt_image *src, int x, int y, int w, int h, gt_image **out,
                  gt_error *err)
{
    *out = NULL;
    if (!valid(src) || w < 1 || h < 1 || x < 0 || y < 0 || x > src->w - w || y > src->h - h)
        return gt_error_set(err, GT_EINVAL,
                            "crop %d x %d at (%d, %d) is not inside the %d x %d image", w, h, x,
                            y, src ? src->w : 0, src ? src->h : 0);
    gt_image *im = gt_image_new(w, h, src->c);
    if (!im)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    const size_t sp = (size_t)src->w * (size_t)src->h, dp = (size_t)w * (size_t)h;
    for (int c = 0; c < src->c; c++)
        for (int r = 0; r < h; r++)
            memcpy(im->pix + c * dp + (size_t)r * w,
                   src->pix + c * sp + (size_t)(y + r) * src->w + x, (size_t)w);
    *out = im;
    return GT_OK;
}

int gt_image_fit_crop(const gt_image *src, int size, gt_image **out, gt_error *err)
{
    *out = NULL;
    if (!valid(src) || size < 1)
        return gt_error_set(err, GT_EINVAL, "gt_image_fit_crop: invalid arguments (size %d)",
                            size);
    int w = size, h = size;
    if (src->w < src->h)
        h = (int)lround((double)src->h * size / src->w);
    else
        w = (int)lround((double)src->w * size / src->h);
    w = w < size ? size : w;
    h = h < size ? size : h;
    gt_image *r;
    int rc = gt_image_resize(src, w, h, &r, err);
    if (rc < 0)
        return rc;
    rc = gt_image_crop(r, (w - size) / 2, (h - size) / 2, size, size, out, err);
    gt_image_free(r);
    return rc;
}

/* Patch corners along one axis of n pixels (pos may be NULL): the count. */
static int tile_axis(int n, int size, int *pos)
{
    if (n < size)
        return 0;
    int k = (n + size - 1) / size;
    for (int i = 0; pos && i < k; i++)
        pos[i] = i < k - 1 ? i * size : n - size;
    return k;
}

int gt_image_tile(const gt_image *src, int size, gt_image ***patches, int **xs, int **ys, int *n,
                  gt_error *err)
{
    *patches = NULL;
    *n = 0;
    if (xs)
        *xs = NULL;
    if (ys)
        *ys = NULL;
    if (!valid(src) || size < 1)
        return gt_error_set(err, GT_EINVAL, "gt_image_tile: invalid arguments (size %d)", size);
    const int kx = tile_axis(src->w, size, NULL), ky = tile_axis(src->h, size, NULL);
    const int count = kx * ky;
    int *px = malloc((size_t)(kx + 1) * sizeof(int)), *py = malloc((size_t)(ky + 1) * sizeof(int));
    gt_image **v = calloc((size_t)count + 1, sizeof *v);
    int *vx = malloc(((size_t)count + 1) * sizeof(int)), *vy = malloc(((size_t)count + 1) * sizeof(int));
    int rc = px && py && v && vx && vy ? GT_OK : gt_error_set(err, GT_ENOMEM, "out of memory");
    if (rc == GT_OK) {
        tile_axis(src->w, size, px);
        tile_axis(src->h, size, py);
    }
    for (int j = 0, i = 0; rc == GT_OK && j < ky; j++)
        for (int k = 0; rc == GT_OK && k < kx; k++, i++) {
            vx[i] = px[k];
            vy[i] = py[j];
            rc = gt_image_crop(src, px[k], py[j], size, size, &v[i], err);
        }
    free(px);
    free(py);
    if (rc < 0) {
        gt_image_list_free(v, count);
        free(vx);
        free(vy);
        return rc;
    }
    *patches = v;
    *n = count;
    if (xs)
        *xs = vx;
    else
        free(vx);
    if (ys)
        *ys = vy;
    else
        free(vy);
    return GT_OK;
}

int gt_image_grid(gt_image *const *v, int n, int cols, int pad, uint8_t bg, gt_image **out,
                  gt_error *err)
{
    *out = NULL;
    if (!v || n < 1 || cols < 1 || pad < 0 || !valid(v[0]))
        return gt_error_set(err, GT_EINVAL, "gt_image_grid: invalid arguments (%d images, %d "
                            "columns)", n, cols);
    const int w = v[0]->w, h = v[0]->h, c = v[0]->c;
    for (int i = 1; i < n; i++)
        if (!valid(v[i]) || v[i]->w != w || v[i]->h != h || v[i]->c != c)
            return gt_error_set(err, GT_ESHAPE, "grid: image %d is not %d x %d x %d like the "
                                "first", i, c, w, h);
    if (cols > n)
        cols = n;
    const int rows = (n + cols - 1) / cols;
    const long gw = (long)cols * (w + pad) + pad, gh = (long)rows * (h + pad) + pad;
    gt_image *g = gw <= 1 << 20 && gh <= 1 << 20 ? gt_image_new((int)gw, (int)gh, c) : NULL;
    if (!g)
        return gt_error_set(err, GT_ENOMEM, "out of memory for a %ld x %ld grid", gw, gh);
    const size_t gp = (size_t)gw * (size_t)gh, ip = (size_t)w * (size_t)h;
    memset(g->pix, bg, gp * (size_t)c);
    for (int i = 0; i < n; i++) {
        const size_t x0 = (size_t)(i % cols) * (size_t)(w + pad) + (size_t)pad;
        const size_t y0 = (size_t)(i / cols) * (size_t)(h + pad) + (size_t)pad;
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                memcpy(g->pix + k * gp + (y0 + (size_t)y) * (size_t)gw + x0,
                       v[i]->pix + k * ip + (size_t)y * w, (size_t)w);
    }
    *out = g;
    return GT_OK;
}

/* ------------------------------------------------------------ as floats */

void gt_image_to_float(const uint8_t *u, size_t n, float *f)
{
    for (size_t i = 0; i < n; i++)
        f[i] = (float)u[i] / 127.5f - 1.0f;
}

void gt_image_from_float(const float *f, size_t n, uint8_t *u)
{
    for (size_t i = 0; i < n; i++) {
        float v = (f[i] + 1.0f) * 127.5f;
        u[i] = v >= 0 ? to_u8(v) : 0; /* NaN too */
    }
}
