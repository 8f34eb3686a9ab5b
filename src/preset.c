/* Architecture presets written as model specs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gantry/preset.h"

gt_preset_cfg gt_preset_default(int dims, int size, int channels)
{
    gt_preset_cfg c;
    memset(&c, 0, sizeof c);
    c.dims = dims;
    c.size = size;
    c.channels = channels;
    c.nz = 100;
    c.width = dims == 2 ? 64 : 16;
    c.max_width = dims == 2 ? 512 : 256;
    return c;
}

/* A growing spec in a caller's buffer; overflow is remembered. */
typedef struct spec_buf {
    char *p;
    size_t cap, len;
} spec_buf;

__attribute__((format(printf, 2, 3)))
static void add(spec_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = b->len < b->cap ? b->p + b->len : NULL;
    int k = vsnprintf(dst, dst ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->len += (size_t)k;
}

static void begin(spec_buf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    if (cap)
        p[0] = 0;
}

static int finish(spec_buf *g, spec_buf *d, gt_error *err)
{
    if (g->len >= g->cap || d->len >= d->cap)
        return gt_error_set(err, GT_EINVAL, "preset spec does not fit the buffer");
    return GT_OK;
}

static int width_at(const gt_preset_cfg *c, int i)
{
    long w = (long)c->width << i;
    return w > c->max_width ? c->max_width : (int)w;
}

/* Sample shape and kernel text for 1D or 2D. */
static void put_shape(spec_buf *b, const gt_preset_cfg *c, int size)
{
    if (c->dims == 2)
        add(b, "%dx%dx%d", c->channels, size, size);
    else
        add(b, "%dx%d", c->channels, size);
}

/* G's input: the latent vector, with one-hot classes when conditional. */
static void add_latent_input(spec_buf *g, const gt_preset_cfg *c)
{
    add(g, "input %d", c->nz);
    if (c->nclasses)
        add(g, " classes %d\nlabel onehot", c->nclasses);
    add(g, "\n");
}

/* D's input: a sample, with one-hot class channels when conditional. */
static void add_sample_input(spec_buf *d, const gt_preset_cfg *c)
{
    add(d, "input ");
    put_shape(d, c, c->size);
    if (c->nclasses)
        add(d, " classes %d\nlabel onehot", c->nclasses);
    add(d, "\n");
}

static int check_common(const gt_preset_cfg *c, gt_error *err)
{
    if (c->dims != 1 && c->dims != 2)
        return gt_error_set(err, GT_EINVAL, "preset dims must be 1 or 2, not %d", c->dims);
    if (c->channels <= 0 || c->nz <= 0 || c->width <= 0 || c->max_width < c->width ||
        c->nclasses < 0)
        return gt_error_set(err, GT_EINVAL,
                            "preset needs positive channels, latent size and widths");
    return GT_OK;
}

int gt_preset_dcgan(const gt_preset_cfg *c, char *gspec, size_t gcap, char *dspec, size_t dcap,
                    gt_error *err)
{
    int rc = check_common(c, err);
    if (rc < 0)
        return rc;
    if (c->size < 16 || (c->size & (c->size - 1)) != 0 || c->size > 65536)
        return gt_error_set(err, GT_EINVAL,
                            "dcgan preset needs a power-of-two size from 16 up, not %d", c->size);
    int nlayers = 0; /* stride-2 layers between size 4 and the sample */
    for (int s = c->size; s > 4; s /= 2)
        nlayers++;
    const char *k4 = c->dims == 2 ? "k4x4" : "k4";
    const char *s2p1 = c->dims == 2 ? "s2x2 p1x1" : "s2 p1";
    spec_buf g, d;
    begin(&g, gspec, gcap);
    begin(&d, dspec, dcap);

    /* Generator: latent (nz, 1, 1) -> size 4 -> ... -> size. */
    add_latent_input(&g, c);
    add(&g, "convt %d %s s1 p0 nobias\nbn\nrelu\n", width_at(c, nlayers - 1), k4);
    for (int i = nlayers - 2; i >= 0; i--)
        add(&g, "convt %d %s %s nobias\nbn\nrelu\n", width_at(c, i), k4, s2p1);
    add(&g, "convt %d %s %s nobias\ntanh\n", c->channels, k4, s2p1);

    /* Discriminator: sample -> size/2 -> ... -> 4 -> one logit. */
    add_sample_input(&d, c);
    for (int i = 0; i < nlayers; i++) {
        add(&d, "conv %d %s %s nobias%s\n", width_at(c, i), k4, s2p1, c->spectral ? " sn" : "");
        if (i > 0 && !c->spectral)
            add(&d, "bn\n");
        add(&d, "lrelu 0.2\n");
    }
    add(&d, "conv 1 %s s1 p0 nobias%s\n", k4, c->spectral ? " sn" : "");
    return finish(&g, &d, err);
}

int gt_preset_seed(const gt_preset_cfg *c, char *gspec, size_t gcap, char *dspec, size_t dcap,
                   gt_error *err)
{
    int rc = check_common(c, err);
    if (rc < 0)
        return rc;
    int ups = -1;
    for (int u = 0, s = 7; u < 8; u++, s *= 2)
        if (s == c->size)
            ups = u;
    if (c->dims != 2 || ups < 0 || ups > 2)
        return gt_error_set(err, GT_EINVAL,
                            "the seed preset makes 2D images of side 7, 14 or 28, not %d",
                            c->size);
    spec_buf g, d;
    begin(&g, gspec, gcap);
    begin(&d, dspec, dcap);
    add_latent_input(&g, c);
    add(&g, "dense %d\nlrelu 0.2\nreshape 128x7x7\n", 128 * 7 * 7);
    if (ups > 0)
        add(&g, "upsample 2x2\n");
    add(&g, "conv 64 k5x5 p2x2\nlrelu 0.2\n");
    if (ups > 1)
        add(&g, "upsample 2x2\n");
    add(&g, "conv %d k5x5 p2x2\ntanh\n", c->channels);

    add_sample_input(&d, c);
    add(&d, "conv 64 k5x5 s2x2 p2x2%s\nlrelu 0.2\n", c->spectral ? " sn" : "");
    add(&d, "conv 128 k5x5 s2x2 p2x2%s\nlrelu 0.2\nflatten\ndense 1%s\n",
        c->spectral ? " sn" : "", c->spectral ? " sn" : "");
    return finish(&g, &d, err);
}
