/* Test helpers for images: deterministic pictures, and JPEG files written
 * with libjpeg directly (not through the code under test). */
#ifndef GANTRY_IMGUTIL_H
#define GANTRY_IMGUTIL_H

#include <stdint.h>

#include "gantry/image.h"

/* A w x h x c image of smooth gradients plus a seeded texture of amplitude
 * `noise` (0: none), planar; fails the test if out of memory. */
gt_image *gtt_image_pattern(int w, int h, int c, uint64_t seed, int noise);
/* Write im as a baseline JPEG at `quality` without chroma subsampling. */
void gtt_write_jpeg(const char *path, const gt_image *im, int quality);
/* Write a PNG with libpng directly: w x h pixels of PNG colour type
 * `ctype` at `depth` bits, rows interleaved as PNG stores them (16-bit
 * samples big-endian, sub-byte ones packed), `npal` RGB palette entries,
 * Adam7-interlaced if asked. */
void gtt_write_png_raw(const char *path, int w, int h, int ctype, int depth, int interlace,
                       const uint8_t *rows, const uint8_t *palette, int npal);
/* Write im as PNG through the library (fails the test on error). */
void gtt_write_png(const char *path, const gt_image *im);
/* Cut the file at path to `keep` bytes. */
void gtt_truncate_file(const char *path, long keep);
/* Size of the file at path in bytes. */
long gtt_file_size(const char *path);

#endif
