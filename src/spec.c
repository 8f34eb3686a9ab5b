/* The model spec language: parse text into layers, and write it back. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/model.h"
#include "model_internal.h"

#define MAX_TOKENS 16

typedef struct line_ctx {
    int lineno;
    char *tok[MAX_TOKENS];
    int ntok;
} line_ctx;

static int bad(gt_error *err, const line_ctx *c, const char *what)
{
    return gt_error_set(err, GT_EINVAL, "model spec line %d: %s", c->lineno, what);
}

/* Every size in a spec is at most this, so that products of a few of them
 * (parameter counts, activation sizes) cannot overflow size_t. */
#define GT_SPEC_MAX (1L << 24)

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < -GT_SPEC_MAX || v > GT_SPEC_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

/* "A" or "AxB" (or "AxBxC" when three is set) into up to 3 ints; returns the
 * count of numbers read, or -1. */
static int parse_dims(const char *s, int *v, int max)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(buf, "x", &save); p; p = strtok_r(NULL, "x", &save)) {
        if (n == max || parse_int(p, &v[n]) < 0 || v[n] < 0)
            return -1;
        n++;
    }
    return n;
}

/* kK / sS / pP option: one or two numbers (HxW); a single number is used
 * for width, and for height too when the input is 2D. */
static int parse_pair(const char *s, int twod, int *h, int *w, int dflt_h)
{
    int v[2];
    int n = parse_dims(s, v, 2);
    if (n == 1) {
        *w = v[0];
        *h = twod ? v[0] : dflt_h;
        return 0;
    }
    if (n == 2) {
        *h = v[0];
        *w = v[1];
        return 0;
    }
    return -1;
}

static int parse_layer(gt_model *m, line_ctx *c, gt_error *err)
{
    const char *kw = c->tok[0];
    gt_layer_kind kind = GT_LAYER_KIND_COUNT;
    for (int k = 0; k < GT_LAYER_KIND_COUNT; k++)
        if (strcmp(kw, gt_layer_kind_name((gt_layer_kind)k)) == 0)
            kind = (gt_layer_kind)k;
    if (strcmp(kw, "batchnorm") == 0)
        kind = GT_LAYER_BATCHNORM;
    if (kind == GT_LAYER_KIND_COUNT) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown layer '%.40s'", kw);
        return bad(err, c, msg);
    }
    gt_layer_desc d = gt_layer_desc_default(kind);
    gt_shape in = gt_model_nlayers(m) ? gt_model_layer_output(m, gt_model_nlayers(m) - 1)
                                      : gt_model_input_shape(m);
    int twod = in.h > 1;
    int i = 1;
    switch (kind) {
    case GT_LAYER_DENSE:
    case GT_LAYER_CONV:
    case GT_LAYER_CONVT:
        if (c->ntok < 2 || parse_int(c->tok[1], &d.units) < 0 || d.units <= 0)
            return bad(err, c, "expected a positive size after the layer name");
        i = 2;
        if (kind != GT_LAYER_DENSE) {
            d.kh = d.kw = 0;
        }
        for (; i < c->ntok; i++) {
            const char *t = c->tok[i];
            if (strcmp(t, "nobias") == 0)
                d.bias = 0;
            else if (strcmp(t, "sn") == 0)
                d.spectral = 1;
            else if (kind != GT_LAYER_DENSE && t[0] == 'k' && parse_pair(t + 1, twod, &d.kh, &d.kw, 1) == 0)
                ;
            else if (kind != GT_LAYER_DENSE && t[0] == 's' && parse_pair(t + 1, twod, &d.sh, &d.sw, 1) == 0)
                ;
            else if (kind != GT_LAYER_DENSE && t[0] == 'p' && parse_pair(t + 1, twod, &d.ph, &d.pw, 0) == 0)
                ;
            else {
                char msg[128];
                snprintf(msg, sizeof msg, "unknown option '%.40s' for %s", t, kw);
                return bad(err, c, msg);
            }
        }
        if (kind != GT_LAYER_DENSE && (d.kh <= 0 || d.kw <= 0))
            return bad(err, c, "a convolution needs a kernel size, e.g. k4");
        return gt_model_add(m, &d, err);
    case GT_LAYER_BATCHNORM:
        for (; i < c->ntok; i++) {
            if (strcmp(c->tok[i], "noaffine") == 0)
                d.affine = 0;
            else if (strcmp(c->tok[i], "momentum") == 0 && i + 1 < c->ntok &&
                     parse_float(c->tok[i + 1], &d.alpha) == 0)
                i++;
            else if (strcmp(c->tok[i], "eps") == 0 && i + 1 < c->ntok &&
                     parse_float(c->tok[i + 1], &d.eps) == 0)
                i++;
            else
                return bad(err, c, "bn takes [momentum M] [eps E] [noaffine]");
        }
        return gt_model_add(m, &d, err);
    case GT_LAYER_LRELU:
    case GT_LAYER_DROPOUT:
        if (c->ntok > 2 || (c->ntok == 2 && parse_float(c->tok[1], &d.alpha) < 0))
            return bad(err, c, kind == GT_LAYER_LRELU ? "lrelu takes one slope" : "dropout takes one probability");
        if (kind == GT_LAYER_DROPOUT && c->ntok != 2)
            return bad(err, c, "dropout needs a probability, e.g. dropout 0.3");
        return gt_model_add(m, &d, err);
    case GT_LAYER_SCALE:
        if (c->ntok != 2 || parse_float(c->tok[1], &d.alpha) < 0)
            return bad(err, c, "scale needs a factor, e.g. scale 4");
        return gt_model_add(m, &d, err);
    case GT_LAYER_RESHAPE: {
        int v[3];
        int n = c->ntok == 2 ? parse_dims(c->tok[1], v, 3) : -1;
        if (n == 2)
            d.shape = (gt_shape){v[0], 1, v[1]};
        else if (n == 3)
            d.shape = (gt_shape){v[0], v[1], v[2]};
        else
            return bad(err, c, "reshape needs CxL or CxHxW");
        return gt_model_add(m, &d, err);
    }
    case GT_LAYER_UPSAMPLE:
        if (c->ntok == 2 && parse_pair(c->tok[1], twod, &d.fh, &d.fw, 1) == 0)
            return gt_model_add(m, &d, err);
        if (c->ntok == 1)
            d.fh = twod ? 2 : 1;
        else
            return bad(err, c, "upsample takes a factor, e.g. upsample 2");
        return gt_model_add(m, &d, err);
    case GT_LAYER_LABEL:
        if (c->ntok == 2 && strcmp(c->tok[1], "onehot") == 0)
            d.units = 0;
        else if (c->ntok == 3 && strcmp(c->tok[1], "embed") == 0 &&
                 parse_int(c->tok[2], &d.units) == 0 && d.units > 0)
            ;
        else
            return bad(err, c, "label takes 'onehot' or 'embed E'");
        return gt_model_add(m, &d, err);
    default:
        if (c->ntok != 1) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s takes no options", kw);
            return bad(err, c, msg);
        }
        return gt_model_add(m, &d, err);
    }
}

static int parse_input(gt_model **out, line_ctx *c, gt_error *err)
{
    int v[3], nclasses = 0;
    int n = c->ntok >= 2 ? parse_dims(c->tok[1], v, 3) : -1;
    gt_shape s;
    if (n == 1)
        s = (gt_shape){v[0], 1, 1};
    else if (n == 2)
        s = (gt_shape){v[0], 1, v[1]};
    else if (n == 3)
        s = (gt_shape){v[0], v[1], v[2]};
    else
        return bad(err, c, "input needs a shape: F, CxL or CxHxW");
    if (c->ntok == 4 && strcmp(c->tok[2], "classes") == 0) {
        if (parse_int(c->tok[3], &nclasses) < 0 || nclasses < 0)
            return bad(err, c, "classes needs a count");
    } else if (c->ntok != 2) {
        return bad(err, c, "input takes a shape and optionally 'classes K'");
    }
    if (s.c <= 0 || s.h <= 0 || s.w <= 0)
        return bad(err, c, "input sizes must be positive");
    return gt_model_create(out, s, nclasses, err);
}

int gt_model_parse(gt_model **out, const char *spec, gt_error *err)
{
    *out = NULL;
    gt_model *m = NULL;
    char *text = strdup(spec ? spec : "");
    if (!text)
        return gt_error_set(err, GT_ENOMEM, "out of memory");
    int rc = GT_OK, lineno = 0;
    char *save = NULL;
    /* Lines end at '\n' or ';' (each counts as a line in messages). */
    char *p = text;
    while (rc == GT_OK && p && *p) {
        char *end = p + strcspn(p, "\n;");
        char saved = *end;
        *end = 0;
        lineno += 1;
        char *hash = strchr(p, '#');
        if (hash)
            *hash = 0;
        line_ctx c = {.lineno = lineno, .ntok = 0};
        for (char *t = strtok_r(p, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
            if (c.ntok == MAX_TOKENS) {
                rc = bad(err, &c, "too many words");
                break;
            }
            c.tok[c.ntok++] = t;
        }
        if (rc == GT_OK && c.ntok > 0) {
            for (char *q = c.tok[0]; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            if (strcmp(c.tok[0], "input") == 0) {
                rc = m ? bad(err, &c, "'input' given twice") : parse_input(&m, &c, err);
            } else if (!m) {
                rc = bad(err, &c, "the spec must start with 'input SHAPE'");
            } else {
                rc = parse_layer(m, &c, err);
                if (rc < 0 && err && strncmp(err->msg, "model spec line", 15) != 0) {
                    char inner[sizeof err->msg];
                    snprintf(inner, sizeof inner, "%s", err->msg);
                    gt_error_set(err, rc, "model spec line %d: %s", lineno, inner);
                }
            }
        }
        p = saved ? end + 1 : NULL;
    }
    free(text);
    if (rc == GT_OK && (!m || gt_model_nlayers(m) == 0))
        rc = gt_error_set(err, GT_EINVAL, "model spec has no %s", m ? "layers" : "'input' line");
    if (rc < 0) {
        gt_model_free(m);
        return rc;
    }
    *out = m;
    return GT_OK;
}

/* Append to buf like snprintf, tracking the length needed. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = *len < cap ? buf + *len : NULL;
    int k = vsnprintf(dst, dst ? cap - *len : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        *len += (size_t)k;
}

/* The shortest text that reads back as the same float. */
static void put_float(char *buf, size_t cap, size_t *len, const char *prefix, float v)
{
    char tmp[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(tmp, sizeof tmp, "%.*g", digits, (double)v);
        if (strtof(tmp, NULL) == v)
            break;
    }
    put(buf, cap, len, "%s%s", prefix, tmp);
}

/* One number reads back as (default, w) on a 1D input, so write both
 * whenever the height differs from that. */
static void put_pair(char *buf, size_t cap, size_t *len, char key, int h, int w, int twod,
                     int dflt_h)
{
    if (twod || h != dflt_h)
        put(buf, cap, len, " %c%dx%d", key, h, w);
    else
        put(buf, cap, len, " %c%d", key, w);
}

size_t gt_model_spec(const gt_model *m, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap)
        buf[0] = 0;
    gt_shape s = m->input;
    if (s.h == 1 && s.w == 1)
        put(buf, cap, &len, "input %d", s.c);
    else if (s.h == 1)
        put(buf, cap, &len, "input %dx%d", s.c, s.w);
    else
        put(buf, cap, &len, "input %dx%dx%d", s.c, s.h, s.w);
    if (m->nclasses)
        put(buf, cap, &len, " classes %d", m->nclasses);
    put(buf, cap, &len, "\n");
    for (int i = 0; i < m->nlayers; i++) {
        const gt__layer *L = &m->layers[i];
        const gt_layer_desc *d = &L->d;
        int twod = L->in.h > 1;
        put(buf, cap, &len, "%s", gt_layer_kind_name(d->kind));
        switch (d->kind) {
        case GT_LAYER_DENSE:
        case GT_LAYER_CONV:
        case GT_LAYER_CONVT:
            put(buf, cap, &len, " %d", d->units);
            if (d->kind != GT_LAYER_DENSE) {
                put_pair(buf, cap, &len, 'k', d->kh, d->kw, twod, 1);
                put_pair(buf, cap, &len, 's', d->sh, d->sw, twod, 1);
                put_pair(buf, cap, &len, 'p', d->ph, d->pw, twod, 0);
            }
            if (!d->bias)
                put(buf, cap, &len, " nobias");
            if (d->spectral)
                put(buf, cap, &len, " sn");
            break;
        case GT_LAYER_BATCHNORM: {
            gt_layer_desc dflt = gt_layer_desc_default(GT_LAYER_BATCHNORM);
            if (d->alpha != dflt.alpha)
                put_float(buf, cap, &len, " momentum ", d->alpha);
            if (d->eps != dflt.eps)
                put_float(buf, cap, &len, " eps ", d->eps);
            if (!d->affine)
                put(buf, cap, &len, " noaffine");
            break;
        }
        case GT_LAYER_LRELU:
        case GT_LAYER_DROPOUT:
        case GT_LAYER_SCALE:
            put_float(buf, cap, &len, " ", d->alpha);
            break;
        case GT_LAYER_RESHAPE:
            if (d->shape.h == 1)
                put(buf, cap, &len, " %dx%d", d->shape.c, d->shape.w);
            else
                put(buf, cap, &len, " %dx%dx%d", d->shape.c, d->shape.h, d->shape.w);
            break;
        case GT_LAYER_UPSAMPLE:
            if (twod || d->fh != 1)
                put(buf, cap, &len, " %dx%d", d->fh, d->fw);
            else
                put(buf, cap, &len, " %d", d->fw);
            break;
        case GT_LAYER_LABEL:
            if (d->units > 0)
                put(buf, cap, &len, " embed %d", d->units);
            else
                put(buf, cap, &len, " onehot");
            break;
        default:
            break;
        }
        put(buf, cap, &len, "\n");
    }
    return len;
}
