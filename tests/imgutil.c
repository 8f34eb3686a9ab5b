/* Test helpers for images (tests/imgutil.h). */
#include "imgutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "gantry/rng.h"

gt_image *gtt_image_pattern(int w, int h, int c, uint64_t seed, int noise)
{
    gt_image *im = gt_image_new(w, h, c);
    ck_assert_ptr_nonnull(im);
    gt_rng rng;
    gt_rng_seed(&rng, seed);
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = 40 + (150 * x) / (w > 1 ? w - 1 : 1) + (50 * y) / (h > 1 ? h - 1 : 1) -
                        25 * k;
                if (noise)
                    v += (int)(gt_rng_next(&rng) % (uint64_t)(2 * noise + 1)) - noise;
                im->pix[((size_t)k * h + y) * w + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return im;
}

void gtt_write_jpeg(const char *path, const gt_image *im, int quality)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    struct jpeg_compress_struct cj;
    struct jpeg_error_mgr jerr;
    cj.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cj);
    jpeg_stdio_dest(&cj, f);
    cj.image_width = (JDIMENSION)im->w;
    cj.image_height = (JDIMENSION)im->h;
    cj.input_components = im->c;
    cj.in_color_space = im->c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cj);
    jpeg_set_quality(&cj, quality, TRUE);
    for (int k = 0; k < cj.num_components; k++)
        cj.comp_info[k].h_samp_factor = cj.comp_info[k].v_samp_factor = 1;
    jpeg_start_compress(&cj, TRUE);
    unsigned char *row = malloc((size_t)im->w * (size_t)im->c);
    ck_assert_ptr_nonnull(row);
    const size_t n = (size_t)im->w * (size_t)im->h;
    for (int y = 0; y < im->h; y++) {
        for (int x = 0; x < im->w; x++)
            for (int k = 0; k < im->c; k++)
                row[x * im->c + k] = im->pix[(size_t)k * n + (size_t)y * im->w + x];
        JSAMPROW r = row;
        jpeg_write_scanlines(&cj, &r, 1);
    }
    jpeg_finish_compress(&cj);
    jpeg_destroy_compress(&cj);
    free(row);
    ck_assert_int_eq(fclose(f), 0);
}

void gtt_write_png_raw(const char *path, int w, int h, int ctype, int depth, int interlace,
                       const uint8_t *rows, const uint8_t *palette, int npal)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(png && info);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color pal[256];
    for (int i = 0; i < npal; i++)
        pal[i] = (png_color){palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]};
    if (npal)
        png_set_PLTE(png, info, pal, npal);
    png_write_info(png, info);
    const size_t stride = png_get_rowbytes(png, info);
    png_bytep *rp = malloc((size_t)h * sizeof *rp);
    ck_assert_ptr_nonnull(rp);
    for (int y = 0; y < h; y++)
        rp[y] = (png_bytep)rows + (size_t)y * stride;
    png_write_image(png, rp);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rp);
    ck_assert_int_eq(fclose(f), 0);
}

void gtt_write_png(const char *path, const gt_image *im)
{
    gt_error err = {0};
    ck_assert_msg(gt_image_write_png(im, path, &err) == GT_OK, "%s", err.msg);
}

void gtt_truncate_file(const char *path, long keep)
{
    ck_assert_int_eq(truncate(path, keep), 0);
}

long gtt_file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (long)st.st_size;
}
