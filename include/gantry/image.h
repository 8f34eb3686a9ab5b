/*
 * gantry/image.h - inspection images: decoding PNG and JPEG (libpng,
 * libjpeg), writing PNG, resizing, centre-cropping, cutting into patches,
 * and sample grids.
 *
 * An image in memory is 8-bit, channel-major (planar): channel c's rows are
 * pix[c * h * w .. ), row-major, with 1 (grey) or 3 (RGB) channels.  Planar
 * is what the networks take (C, H, W); files are converted on read/write.
 *
 * Errors name the file and what was wrong: "a.jpg: not a PNG or JPEG file",
 * "b.png: truncated (libpng: ...)", "c.jpg: 16-bit PNG is not supported"...
 * Decoders never print (libpng/libjpeg warnings are swallowed) and never
 * exit (their error handlers longjmp back).
 */
#ifndef GANTRY_IMAGE_H
#define GANTRY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_image {
    int w, h, c;  /* c: 1 or 3 */
    uint8_t *pix; /* c * h * w, planar */
} gt_image;

/* A zeroed image (NULL when out of memory or a size is not positive). */
gt_image *gt_image_new(int w, int h, int c);
void gt_image_free(gt_image *im); /* im may be NULL */

/* 1 if the path names a file we read as an image (by extension:
 * .png, .jpg, .jpeg, any case). */
int gt_image_is_image_path(const char *path);

/*
 * Decode a PNG or JPEG file (chosen by its magic bytes, not its name).
 * channels: 0 keeps the file's (grey, grey+alpha -> 1; RGB, RGBA, palette
 * -> 3; alpha dropped), 1 converts to grey (ITU-R 601 luma, rounded), 3 to
 * RGB (grey replicated).  16-bit PNGs are reduced to 8 bits (rounded).
 * Returns GT_EIO (cannot open), GT_EFORMAT (not an image, truncated,
 * corrupt: libjpeg's corrupt-data warnings count as errors here; CMYK
 * JPEGs are not supported), with a message naming the file.  *out is NULL
 * on failure.
 */
int gt_image_read(gt_image **out, const char *path, int channels, gt_error *err);

/* Write an 8-bit PNG (grey or RGB) through a temporary file renamed into
 * place (an existing file is replaced only at the end). */
int gt_image_write_png(const gt_image *im, const char *path, gt_error *err);

/* Resample to w x h with area averaging when shrinking and bilinear
 * interpolation when enlarging (per axis). */
int gt_image_resize(const gt_image *src, int w, int h, gt_image **out, gt_error *err);

/* The centred size x size square: the shorter side is scaled to `size`
 * (gt_image_resize), then the longer one is cropped around its centre. */
int gt_image_fit_crop(const gt_image *src, int size, gt_image **out, gt_error *err);

/* Copy the w x h region at (x, y) (inside src). */
int gt_image_crop(const gt_image *src, int x, int y, int w, int h, gt_image **out,
                  gt_error *err);

/*
 * Patches of size x size covering the image on a grid with stride `size`
 * (no overlap); when the image's side is not a multiple of size, the last
 * patch of the row/column is moved back to end at the border (it overlaps
 * its neighbour) so every pixel is covered.  Images smaller than size on a
 * side give no patch on that axis (*n = 0).  xs, ys (may be NULL) get the
 * patches' top-left corners; they are malloc'd, as is *patches (n images,
 * row by row; free with gt_image_list_free).
 */
int gt_image_tile(const gt_image *src, int size, gt_image ***patches, int **xs, int **ys, int *n,
                  gt_error *err);
void gt_image_list_free(gt_image **v, int n);

/*
 * A grid of n images (all w x h x c alike, else GT_ESHAPE) in `cols`
 * columns (n when fewer), row by row, with a `pad`-pixel border of value
 * `bg` around and between them: image i's top-left corner is at
 * x = pad + (i % cols) * (w + pad), y = pad + (i / cols) * (h + pad).
 */
int gt_image_grid(gt_image *const *v, int n, int cols, int pad, uint8_t bg, gt_image **out,
                  gt_error *err);

/* float <-> 8-bit: f = u / 127.5 - 1 (to [-1, 1], the tanh range) and back,
 * u = round((f + 1) * 127.5) clamped to [0, 255]. */
void gt_image_to_float(const uint8_t *u, size_t n, float *f);
void gt_image_from_float(const float *f, size_t n, uint8_t *u);

#ifdef __cplusplus
}
#endif
#endif
