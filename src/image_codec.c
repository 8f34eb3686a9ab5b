/*
 * Image files: PNG and JPEG decoding (libpng, libjpeg) and PNG writing.
 *
 * A file is read whole into memory and decoded from there, so that running
 * out of bytes is always noticed ("truncated"), whatever the codec would do
 * at the end of a stream.  Both libraries report errors through handlers
 * that longjmp back here with their message; their warnings are swallowed,
 * except libjpeg's corrupt-data warnings (it would otherwise fill the rest
 * of a damaged image with grey and carry on), which are errors here.
 *
 * setjmp discipline: everything a decoder changes after its setjmp lives in
 * a context struct reached through a pointer (never in the setjmp caller's
 * own automatic variables), so nothing is indeterminate after a longjmp.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "gantry/image.h"
#include "gantry/tmpfile.h"

/* Largest image decoded (pixels per channel) and largest file read. */
#define MAX_PIXELS ((size_t)1 << 28)
#define MAX_FILE ((size_t)1 << 30)

int gt_image_is_image_path(const char *path)
{
    if (!path)
        return 0;
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || dot[-1] == '/')
        return 0;
    return !strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg");
}

/* The whole file into *data (malloc'd), *len its size. */
static int read_whole(const char *path, uint8_t **data, size_t *len, gt_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return gt_error_set(err, GT_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = GT_OK;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) {
            if (ferror(fp))
                rc = gt_error_set(err, GT_EIO, "%s: read error", path);
            break;
        }
        if (cap >= MAX_FILE) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: larger than %zu MiB: not read as an image",
                              path, MAX_FILE >> 20);
            break;
        }
        uint8_t *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    fclose(fp);
    if (!buf)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return GT_OK;
}

/* ---------------------------------------------------------------- decode */

/* A decoded file: interleaved 8-bit pixels, c = 1 or 3. */
typedef struct decoded {
    int w, h, c;
    uint8_t *pix;
} decoded;

/* The decoders' shared state (see the setjmp note above). */
typedef struct decoder {
    const uint8_t *data;
    size_t len, pos;
    int truncated;    /* ran out of bytes */
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
    decoded out;
    png_bytep *rows;  /* PNG */
    struct jpeg_decompress_struct jd;
    struct jpeg_error_mgr jerr;
} decoder;

static void fail_jump(decoder *d, const char *msg)
{
    snprintf(d->msg, sizeof d->msg, "%s", msg);
    longjmp(d->jmp, 1);
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    fail_jump(png_get_error_ptr(png), msg);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    decoder *d = png_get_io_ptr(png);
    if (n > d->len - d->pos) {
        d->truncated = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(out, d->data + d->pos, n);
    d->pos += n;
}

/* Decode a PNG into d->out; 0, or -1 with d->msg. */
static int decode_png(decoder *d)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, png_on_error,
                                             png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(d->msg, sizeof d->msg, "out of memory");
        return -1;
    }
    if (setjmp(d->jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, d, png_read_mem);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, ctype;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
    if ((size_t)w * h > MAX_PIXELS)
        png_error(png, "image too large");
    if (depth == 16)
        png_set_scale_16(png);
    png_set_expand(png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_strip_alpha(png); /* grey+alpha stays grey */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    d->out.w = (int)w;
    d->out.h = (int)h;
    d->out.c = png_get_channels(png, info);
    if ((d->out.c != 1 && d->out.c != 3) || png_get_rowbytes(png, info) != (size_t)w * d->out.c)
        png_error(png, "unexpected pixel layout");
    d->out.pix = malloc((size_t)w * h * (size_t)d->out.c);
    d->rows = malloc(h * sizeof *d->rows);
    if (!d->out.pix || !d->rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        d->rows[y] = d->out.pix + (size_t)y * w * (size_t)d->out.c;
    png_read_image(png, d->rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

static void jpeg_on_error(j_common_ptr cinfo)
{
    decoder *d = cinfo->client_data;
    char msg[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, msg);
    fail_jump(d, msg);
}

/* Trace messages and harmless warnings are dropped; the corrupt-data ones
 * end the decoding. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
        code == JWRN_ARITH_BAD_CODE || code == JWRN_MUST_RESYNC) {
        decoder *d = cinfo->client_data;
        d->truncated = code == JWRN_JPEG_EOF;
        jpeg_on_error(cinfo);
    }
}

static void jpeg_on_output(j_common_ptr cinfo)
{
    (void)cinfo;
}

/* Decode a JPEG into d->out; 0, or -1 with d->msg. */
static int decode_jpeg(decoder *d)
{
    d->jd.err = jpeg_std_error(&d->jerr);
    d->jerr.error_exit = jpeg_on_error;
    d->jerr.emit_message = jpeg_on_message;
    d->jerr.output_message = jpeg_on_output;
    d->jd.client_data = d;
    if (setjmp(d->jmp)) {
        jpeg_destroy_decompress(&d->jd);
        return -1;
    }
    jpeg_create_decompress(&d->jd);
    jpeg_mem_src(&d->jd, d->data, (unsigned long)d->len);
    jpeg_read_header(&d->jd, TRUE);
    if (d->jd.jpeg_color_space == JCS_CMYK || d->jd.jpeg_color_space == JCS_YCCK)
        fail_jump(d, "CMYK JPEG is not supported");
    d->jd.out_color_space = d->jd.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    if ((size_t)d->jd.image_width * d->jd.image_height > MAX_PIXELS)
        fail_jump(d, "image too large");
    jpeg_start_decompress(&d->jd);
    d->out.w = (int)d->jd.output_width;
    d->out.h = (int)d->jd.output_height;
    d->out.c = d->jd.output_components;
    if (d->out.c != 1 && d->out.c != 3)
        fail_jump(d, "unexpected pixel layout");
    const size_t stride = (size_t)d->out.w * (size_t)d->out.c;
    if (!(d->out.pix = malloc(stride * (size_t)d->out.h)))
        fail_jump(d, "out of memory");
    while (d->jd.output_scanline < d->jd.output_height) {
        JSAMPROW row = d->out.pix + stride * d->jd.output_scanline;
        if (jpeg_read_scanlines(&d->jd, &row, 1) != 1)
            fail_jump(d, "no more scanlines");
    }
    jpeg_finish_decompress(&d->jd);
    jpeg_destroy_decompress(&d->jd);
    return 0;
}

/* Interleaved fc-channel pixels into a planar image of c channels. */
static void to_planar(const decoded *in, gt_image *im)
{
    const size_t n = (size_t)in->w * (size_t)in->h;
    const uint8_t *s = in->pix;
    uint8_t *p = im->pix;
    if (in->c == 1) {
        for (int k = 0; k < im->c; k++)
            memcpy(p + (size_t)k * n, s, n);
    } else if (im->c == 3) {
        for (size_t i = 0; i < n; i++) {
            p[i] = s[3 * i];
            p[n + i] = s[3 * i + 1];
            p[2 * n + i] = s[3 * i + 2];
        }
    } else { /* ITU-R 601 luma, rounded */
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)((299u * s[3 * i] + 587u * s[3 * i + 1] + 114u * s[3 * i + 2] + 500u) /
                             1000u);
    }
}

int gt_image_read(gt_image **out, const char *path, int channels, gt_error *err)
{
    *out = NULL;
    if (!path || (channels != 0 && channels != 1 && channels != 3))
        return gt_error_set(err, GT_EINVAL, "gt_image_read: invalid arguments");
    uint8_t *data;
    size_t len;
    int rc = read_whole(path, &data, &len, err);
    if (rc < 0)
        return rc;
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int is_png = len >= 8 && !memcmp(data, png_magic, 8);
    int is_jpeg = len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
    if (!is_png && !is_jpeg) {
        free(data);
        return gt_error_set(err, GT_EFORMAT, "%s: not a PNG or JPEG file%s", path,
                            len ? "" : " (empty)");
    }
    decoder *d = calloc(1, sizeof *d);
    if (!d) {
        free(data);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    }
    d->data = data;
    d->len = len;
    if ((is_png ? decode_png(d) : decode_jpeg(d)) < 0) {
        const char *lib = is_png ? "libpng" : "libjpeg";
        if (!strcmp(d->msg, "out of memory"))
            rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
        else if (d->truncated)
            rc = gt_error_set(err, GT_EFORMAT, "%s: truncated (%s: %s)", path, lib, d->msg);
        else
            rc = gt_error_set(err, GT_EFORMAT, "%s: corrupt or unsupported %s (%s: %s)", path,
                              is_png ? "PNG" : "JPEG", lib, d->msg);
    } else {
        gt_image *im = gt_image_new(d->out.w, d->out.h, channels ? channels : d->out.c);
        if (!im) {
            rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
        } else {
            to_planar(&d->out, im);
            *out = im;
        }
    }
    free(d->out.pix);
    free(d->rows);
    free(d);
    free(data);
    return rc;
}

/* ----------------------------------------------------------------- write */

typedef struct encoder {
    const gt_image *im;
    FILE *fp;
    uint8_t *row; /* one interleaved row */
    jmp_buf jmp;
    char msg[256];
} encoder;

static void png_on_write_error(png_structp png, png_const_charp msg)
{
    encoder *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    longjmp(e->jmp, 1);
}

/* Encode e->im into e->fp; 0 or -1 with e->msg. */
static int encode_png(encoder *e)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, png_on_write_error,
                                              png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(e->msg, sizeof e->msg, "out of memory");
        return -1;
    }
    if (setjmp(e->jmp)) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    const gt_image *im = e->im;
    const size_t n = (size_t)im->w * (size_t)im->h;
    png_init_io(png, e->fp);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8,
                 im->c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++) {
        const uint8_t *src = im->pix + (size_t)y * im->w;
        for (int x = 0; x < im->w; x++)
            for (int k = 0; k < im->c; k++)
                e->row[(size_t)x * im->c + k] = src[(size_t)k * n + x];
        png_write_row(png, e->row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int gt_image_write_png(const gt_image *im, const char *path, gt_error *err)
{
    if (!im || !path || !*path || im->w < 1 || im->h < 1 || (im->c != 1 && im->c != 3) ||
        !im->pix)
        return gt_error_set(err, GT_EINVAL, "%s: not an image to write",
                            path && *path ? path : "gt_image_write_png");
    encoder *e = calloc(1, sizeof *e);
    if (!e || !(e->row = malloc((size_t)im->w * (size_t)im->c))) {
        if (e)
            free(e);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    }
    e->im = im;
    char *tmp = NULL;
    int rc = GT_OK, fd = gt_tmpfile_create(path, &tmp);
    if (fd < 0) {
        rc = gt_error_set(err, GT_EIO, "%s: cannot create a temporary file beside it: %s", path,
                          strerror(errno));
        goto out;
    }
    if (!(e->fp = fdopen(fd, "wb"))) {
        rc = gt_error_set(err, GT_EIO, "%s: %s", tmp, strerror(errno));
        close(fd);
        goto out;
    }
    if (encode_png(e) < 0) {
        rc = gt_error_set(err, !strcmp(e->msg, "out of memory") ? GT_ENOMEM : GT_EIO,
                          "%s: cannot write the PNG (libpng: %s)", path, e->msg);
    }
    int bad = fflush(e->fp) != 0 || ferror(e->fp);
    int e1 = errno;
    if (fclose(e->fp) != 0 && !bad) {
        bad = 1;
        e1 = errno;
    }
    const char *what = "";
    if (rc == GT_OK && bad)
        rc = gt_error_set(err, GT_EIO, "%s: cannot write %s: %s", path, tmp, strerror(e1));
    else if (rc == GT_OK && gt_tmpfile_commit(tmp, path, &what) < 0)
        rc = gt_error_set(err, GT_EIO, "%s: cannot %s %s: %s", path, what, tmp, strerror(errno));
    if (rc == GT_OK) {
        free(tmp);
        tmp = NULL;
    }
out:
    if (tmp) {
        remove(tmp);
        free(tmp);
    }
    free(e->row);
    free(e);
    return rc;
}
