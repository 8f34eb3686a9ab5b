/* Images (gantry/image.h): PNG and JPEG files in and out, damaged files
 * named, resampling, crops, patches, grids and the float conversion. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "gantry/image.h"
#include "imgutil.h"
#include "testutil.h"

static int same_pixels(const gt_image *a, const gt_image *b)
{
    return a->w == b->w && a->h == b->h && a->c == b->c &&
           !memcmp(a->pix, b->pix, (size_t)a->w * (size_t)a->h * (size_t)a->c);
}

static uint8_t px(const gt_image *im, int c, int x, int y)
{
    return im->pix[((size_t)c * im->h + y) * im->w + x];
}

START_TEST(png_round_trip_is_bit_exact)
{
    char *d = gtt_tmpdir(), p[512];
    snprintf(p, sizeof p, "%s/a.png", d);
    gt_error err = {0};
    for (int c = 1; c <= 3; c += 2) {
        gt_image *im = gtt_image_pattern(37, 23, c, 11 + (uint64_t)c, 40), *back = NULL;
        gtt_write_png(p, im); /* the second time over an existing file */
        ck_assert_msg(gt_image_read(&back, p, 0, &err) == GT_OK, "%s", err.msg);
        ck_assert_msg(same_pixels(im, back), "%d channels: pixels differ after a round trip", c);
        gt_image_free(back);
        /* converted on reading: grey replicated, RGB to rounded 601 luma */
        ck_assert_msg(gt_image_read(&back, p, 4 - c, &err) == GT_OK, "%s", err.msg);
        ck_assert_int_eq(back->c, 4 - c);
        for (int y = 0; y < im->h; y++)
            for (int x = 0; x < im->w; x++) {
                if (c == 1) {
                    for (int k = 0; k < 3; k++)
                        ck_assert_uint_eq(px(back, k, x, y), px(im, 0, x, y));
                } else {
                    double l = 0.299 * px(im, 0, x, y) + 0.587 * px(im, 1, x, y) +
                               0.114 * px(im, 2, x, y);
                    ck_assert_msg(fabs(px(back, 0, x, y) - l) <= 0.5 + 1e-9,
                                  "luma at %d,%d: %d for %.3f", x, y, px(back, 0, x, y), l);
                }
            }
        gt_image_free(back);
        gt_image_free(im);
    }
    ck_assert_int_eq(gtt_count_tmp_files(d), 0);
    /* the name does not decide the format: a PNG called .jpg reads */
    char q[600];
    snprintf(q, sizeof q, "%s/really-a-png.jpg", d);
    ck_assert_int_eq(rename(p, q), 0);
    gt_image *back = NULL;
    ck_assert_msg(gt_image_read(&back, q, 0, &err) == GT_OK, "%s", err.msg);
    gt_image_free(back);
    /* a write that cannot happen leaves nothing */
    snprintf(q, sizeof q, "%s/no/such/dir/x.png", d);
    gt_image *im = gtt_image_pattern(4, 4, 1, 1, 0);
    ck_assert_int_eq(gt_image_write_png(im, q, &err), GT_EIO);
    ck_assert_msg(strstr(err.msg, "x.png"), "%s", err.msg);
    gt_image_free(im);
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* PNG's other colour types, depths and Adam7 come in as grey or RGB. */
START_TEST(png_colour_types_decode)
{
    enum { W = 9, H = 7 };
    char *d = gtt_tmpdir(), p[512];
    snprintf(p, sizeof p, "%s/t.png", d);
    gt_error err = {0};
    gt_image *src = gtt_image_pattern(W, H, 3, 17, 50), *back = NULL;
    const size_t n = W * H;
    uint8_t rows[W * H * 8];
    static const struct {
        int ctype, depth, interlace, want_c;
    } cases[] = {
        {PNG_COLOR_TYPE_GRAY, 16, 0, 1}, {PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 1},
        {PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 3}, {PNG_COLOR_TYPE_RGB, 8, 1, 3},
        {PNG_COLOR_TYPE_RGB, 16, 1, 3}, {PNG_COLOR_TYPE_PALETTE, 8, 0, 3},
        {PNG_COLOR_TYPE_GRAY, 1, 0, 1},
    };
    const uint8_t pal[4 * 3] = {0, 0, 0, 255, 0, 0, 10, 200, 30, 90, 90, 250};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int ct = cases[t].ctype, bits = cases[t].depth;
        uint8_t *r = rows;
        memset(rows, 0, sizeof rows);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                const size_t i = (size_t)y * W + x;
                const uint8_t R = src->pix[i], G = src->pix[n + i], B = src->pix[2 * n + i];
                if (ct == PNG_COLOR_TYPE_GRAY && bits == 1) {
                    r = rows + (size_t)y * ((W + 7) / 8);
                    r[x / 8] |= (uint8_t)((R > 127) << (7 - x % 8));
                } else if (ct == PNG_COLOR_TYPE_PALETTE) {
                    *r++ = (uint8_t)(i % 4);
                } else {
                    const uint8_t v[4] = {R, G, B, (uint8_t)(255 - R)};
                    int k = ct == PNG_COLOR_TYPE_GRAY ? 1 : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                            : ct == PNG_COLOR_TYPE_RGB ? 3 : 4;
                    for (int j = 0; j < k; j++) {
                        uint8_t u = ct == PNG_COLOR_TYPE_GRAY_ALPHA && j == 1 ? v[3] : v[j];
                        *r++ = u; /* 16-bit: u * 257, big-endian */
                        if (bits == 16)
                            *r++ = u;
                    }
                }
            }
        gtt_write_png_raw(p, W, H, ct, bits, cases[t].interlace, rows, pal,
                          ct == PNG_COLOR_TYPE_PALETTE ? 4 : 0);
        ck_assert_msg(gt_image_read(&back, p, 0, &err) == GT_OK, "case %zu: %s", t, err.msg);
        ck_assert_int_eq(back->c, cases[t].want_c);
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < back->c; k++) {
                uint8_t want = ct == PNG_COLOR_TYPE_PALETTE ? pal[3 * (i % 4) + (size_t)k]
                               : ct == PNG_COLOR_TYPE_GRAY && bits == 1 ? (src->pix[i] > 127) * 255
                               : ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA
                                   ? src->pix[i]
                                   : src->pix[(size_t)k * n + i];
                ck_assert_msg(back->pix[(size_t)k * n + i] == want, "case %zu: pixel %zu "
                              "channel %d is %d, not %d", t, i, k, back->pix[(size_t)k * n + i],
                              want);
            }
        gt_image_free(back);
    }
    gt_image_free(src);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(jpeg_decodes_close_to_its_source)
{
    char *d = gtt_tmpdir(), p[512];
    snprintf(p, sizeof p, "%s/a.jpg", d);
    gt_error err = {0};
    for (int c = 1; c <= 3; c += 2) {
        gt_image *im = gtt_image_pattern(48, 40, c, 5, 0), *back = NULL;
        gtt_write_jpeg(p, im, 100);
        ck_assert_msg(gt_image_read(&back, p, 0, &err) == GT_OK, "%s", err.msg);
        ck_assert_int_eq(back->c, c);
        ck_assert(back->w == im->w && back->h == im->h);
        const size_t n = (size_t)im->w * (size_t)im->h * (size_t)c;
        double sum = 0;
        int worst = 0;
        for (size_t i = 0; i < n; i++) {
            int e = abs((int)back->pix[i] - (int)im->pix[i]);
            sum += e;
            worst = e > worst ? e : worst;
        }
        ck_assert_msg(sum / (double)n < 1.0 && worst <= 4,
                      "%d channels: mean error %.3f, worst %d", c, sum / (double)n, worst);
        gt_image_free(back);
        gt_image_free(im);
    }
    gtt_rmdir(d);
    free(d);
}
END_TEST

/* A file cut short, a damaged one, text called .jpg: GT_EFORMAT naming
 * the file; a missing one: GT_EIO. */
START_TEST(damaged_files_are_refused_by_name)
{
    char *d = gtt_tmpdir(), png[512], jpg[512], txt[512], miss[512];
    snprintf(png, sizeof png, "%s/cut.png", d);
    snprintf(jpg, sizeof jpg, "%s/cut.jpg", d);
    snprintf(txt, sizeof txt, "%s/notes.jpg", d);
    snprintf(miss, sizeof miss, "%s/missing.png", d);
    gt_image *im = gtt_image_pattern(64, 48, 3, 3, 30), *back = (gt_image *)1;
    gt_error err = {0};
    gtt_write_png(png, im);
    gtt_write_jpeg(jpg, im, 90);
    gtt_truncate_file(png, gtt_file_size(png) / 2);
    gtt_truncate_file(jpg, gtt_file_size(jpg) / 2);
    gtt_write_file(txt, "time,value\n1,2\n");
    const char *cut[] = {png, jpg};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(gt_image_read(&back, cut[i], 0, &err), GT_EFORMAT);
        ck_assert_ptr_null(back);
        ck_assert_msg(strstr(err.msg, cut[i]) && strstr(err.msg, "truncated"), "%s", err.msg);
    }
    ck_assert_int_eq(gt_image_read(&back, txt, 0, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, txt) && strstr(err.msg, "not a PNG or JPEG"), "%s", err.msg);
    ck_assert_int_eq(gt_image_read(&back, miss, 0, &err), GT_EIO);
    ck_assert_msg(strstr(err.msg, miss), "%s", err.msg);
    /* a PNG whose image data is damaged (a byte of the last chunk but one,
     * IDAT, flipped: its checksum fails) */
    gtt_write_png(png, im);
    long n = gtt_file_size(png);
    FILE *f = fopen(png, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, n - 12 - 8, SEEK_SET), 0);
    int b = fgetc(f);
    ck_assert_int_eq(fseek(f, n - 12 - 8, SEEK_SET), 0);
    fputc(b ^ 0x55, f);
    fclose(f);
    ck_assert_int_eq(gt_image_read(&back, png, 0, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, png), "%s", err.msg);
    /* only the end marker of a JPEG missing: still truncated */
    gtt_write_jpeg(jpg, im, 90);
    gtt_truncate_file(jpg, gtt_file_size(jpg) - 2);
    ck_assert_int_eq(gt_image_read(&back, jpg, 0, &err), GT_EFORMAT);
    ck_assert_msg(strstr(err.msg, jpg), "%s", err.msg);
    gt_image_free(im);
    gtt_rmdir(d);
    free(d);
}
END_TEST

START_TEST(resize_keeps_constants_and_averages_areas)
{
    gt_error err = {0};
    gt_image *k = gt_image_new(37, 29, 3), *r = NULL;
    memset(k->pix, 173, 37 * 29 * 3);
    const int to[][2] = {{10, 7}, {37, 29}, {80, 50}, {1, 1}, {36, 90}};
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        ck_assert_msg(gt_image_resize(k, to[i][0], to[i][1], &r, &err) == GT_OK, "%s", err.msg);
        ck_assert(r->w == to[i][0] && r->h == to[i][1] && r->c == 3);
        for (size_t j = 0; j < (size_t)r->w * r->h * 3; j++)
            ck_assert_msg(r->pix[j] == 173, "to %dx%d: pixel %zu is %d", r->w, r->h, j, r->pix[j]);
        gt_image_free(r);
    }
    gt_image_free(k);
    /* a checkerboard halved: every output pixel is the mean of its 2x2 */
    const int lo = 10, hi = 250;
    gt_image *cb = gt_image_new(8, 6, 1);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
            cb->pix[y * 8 + x] = (uint8_t)((x + y) % 2 ? hi : lo);
    ck_assert_int_eq(gt_image_resize(cb, 4, 3, &r, &err), GT_OK);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(r->pix[i], (2 * lo + 2 * hi) / 4);
    gt_image_free(r);
    gt_image_free(cb);
    /* enlarging interpolates: from a 2-pixel ramp, monotone, ends kept */
    gt_image *ramp = gt_image_new(2, 1, 1);
    ramp->pix[0] = 0;
    ramp->pix[1] = 200;
    ck_assert_int_eq(gt_image_resize(ramp, 9, 3, &r, &err), GT_OK);
    for (int y = 0; y < 3; y++) {
        ck_assert_int_eq(px(r, 0, 0, y), 0);
        ck_assert_int_eq(px(r, 0, 8, y), 200);
        for (int x = 1; x < 9; x++)
            ck_assert_int_ge(px(r, 0, x, y), px(r, 0, x - 1, y));
    }
    ck_assert(px(r, 0, 4, 0) > 0 && px(r, 0, 4, 0) < 200);
    gt_image_free(r);
    gt_image_free(ramp);
    ck_assert_int_eq(gt_image_resize(NULL, 4, 4, &r, &err), GT_EINVAL);
}
END_TEST

/* Patches cover every pixel; the last of a row or column is moved back to
 * the border; each holds the source pixels at its corner. */
START_TEST(tiles_cover_the_image)
{
    gt_error err = {0};
    const int sizes[][3] = {{150, 100, 64}, {128, 64, 32}, {64, 65, 64}, {50, 100, 64}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const int W = sizes[t][0], H = sizes[t][1], S = sizes[t][2];
        gt_image *im = gtt_image_pattern(W, H, 3, 7, 60), **p = NULL;
        int *xs, *ys, n;
        ck_assert_msg(gt_image_tile(im, S, &p, &xs, &ys, &n, &err) == GT_OK, "%s", err.msg);
        const int kx = W < S ? 0 : (W + S - 1) / S, ky = H < S ? 0 : (H + S - 1) / S;
        ck_assert_int_eq(n, kx * ky);
        int *cover = calloc((size_t)W * H, sizeof *cover);
        for (int i = 0; i < n; i++) {
            ck_assert(p[i]->w == S && p[i]->h == S && p[i]->c == 3);
            ck_assert(xs[i] >= 0 && ys[i] >= 0 && xs[i] + S <= W && ys[i] + S <= H);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < S; y++)
                    for (int x = 0; x < S; x++)
                        ck_assert(px(p[i], c, x, y) == px(im, c, xs[i] + x, ys[i] + y));
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    cover[(ys[i] + y) * W + xs[i] + x]++;
        }
        for (int i = 0; n && i < W * H; i++) {
            ck_assert_msg(cover[i] >= 1, "%dx%d/%d: pixel %d,%d not covered", W, H, S, i % W,
                          i / W);
            if (W % S == 0 && H % S == 0)
                ck_assert_int_eq(cover[i], 1); /* no overlap when it fits */
        }
        free(cover);
        gt_image_list_free(p, n);
        free(xs);
        free(ys);
        gt_image_free(im);
    }
}
END_TEST

START_TEST(fit_crop_keeps_the_centre)
{
    gt_error err = {0};
    for (int tall = 0; tall < 2; tall++) {
        /* thirds of 0, 200, 50 along the long side (180 x 60 or 60 x 180) */
        const int W = tall ? 60 : 180, H = tall ? 180 : 60;
        gt_image *im = gt_image_new(W, H, 1), *r = NULL;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int t = (tall ? y : x) / 60;
                im->pix[y * W + x] = (uint8_t)(t == 0 ? 0 : t == 1 ? 200 : 50);
            }
        ck_assert_msg(gt_image_fit_crop(im, 30, &r, &err) == GT_OK, "%s", err.msg);
        ck_assert(r->w == 30 && r->h == 30 && r->c == 1);
        for (int i = 0; i < 900; i++)
            ck_assert_msg(r->pix[i] == 200, "tall %d: pixel %d is %d", tall, i, r->pix[i]);
        gt_image_free(r);
        gt_image_free(im);
    }
    /* a crop outside the image is refused */
    gt_image *im = gt_image_new(10, 10, 1), *r = NULL;
    ck_assert_int_eq(gt_image_crop(im, 5, 5, 6, 2, &r, &err), GT_EINVAL);
    ck_assert_int_eq(gt_image_crop(im, 5, 5, 5, 5, &r, &err), GT_OK);
    gt_image_free(r);
    gt_image_free(im);
}
END_TEST

START_TEST(grid_places_images_in_rows)
{
    gt_error err = {0};
    const int n = 5, cols = 2, w = 4, h = 3, pad = 1;
    const uint8_t bg = 7;
    gt_image *v[5], *g = NULL;
    for (int i = 0; i < n; i++) {
        v[i] = gt_image_new(w, h, 3);
        for (int k = 0; k < 3; k++)
            memset(v[i]->pix + k * w * h, 20 * i + k + 10, (size_t)(w * h));
    }
    ck_assert_msg(gt_image_grid(v, n, cols, pad, bg, &g, &err) == GT_OK, "%s", err.msg);
    const int rows = (n + cols - 1) / cols;
    ck_assert_int_eq(g->w, cols * (w + pad) + pad);
    ck_assert_int_eq(g->h, rows * (h + pad) + pad);
    int *owner = malloc((size_t)g->w * g->h * sizeof *owner);
    for (int i = 0; i < g->w * g->h; i++)
        owner[i] = -1;
    for (int i = 0; i < n; i++) {
        int x0 = pad + (i % cols) * (w + pad), y0 = pad + (i / cols) * (h + pad);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                owner[(y0 + y) * g->w + x0 + x] = i;
    }
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < g->h; y++)
            for (int x = 0; x < g->w; x++) {
                int o = owner[y * g->w + x];
                ck_assert_int_eq(px(g, k, x, y), o < 0 ? bg : 20 * o + k + 10);
            }
    free(owner);
    gt_image_free(g);
    /* images of different sizes do not make a grid */
    gt_image *odd = gt_image_new(w + 1, h, 3), *two[2] = {v[0], odd};
    ck_assert_int_eq(gt_image_grid(two, 2, 2, 1, 0, &g, &err), GT_ESHAPE);
    gt_image_free(odd);
    for (int i = 0; i < n; i++)
        gt_image_free(v[i]);
}
END_TEST

START_TEST(float_conversion_round_trips)
{
    uint8_t u[256], back[256];
    float f[256];
    for (int i = 0; i < 256; i++)
        u[i] = (uint8_t)i;
    gt_image_to_float(u, 256, f);
    ck_assert_float_eq(f[0], -1.0f);
    ck_assert_float_eq(f[255], 1.0f);
    for (int i = 1; i < 256; i++)
        ck_assert(f[i] > f[i - 1]);
    gt_image_from_float(f, 256, back);
    ck_assert_mem_eq(back, u, 256);
    const float odd[4] = {-3.0f, 7.0f, NAN, INFINITY};
    uint8_t o[4];
    gt_image_from_float(odd, 4, o);
    ck_assert(o[0] == 0 && o[1] == 255 && o[2] == 0 && o[3] == 255);
}
END_TEST

START_TEST(image_paths_by_extension)
{
    ck_assert(gt_image_is_image_path("a.png") && gt_image_is_image_path("dir/B.JPG") &&
              gt_image_is_image_path("c.Jpeg"));
    ck_assert(!gt_image_is_image_path("a.png.txt") && !gt_image_is_image_path("png") &&
              !gt_image_is_image_path("dir.png/file") && !gt_image_is_image_path(".png") &&
              !gt_image_is_image_path("a.gif"));
}
END_TEST

GTT_SUITE(gt_test_image_suite)
{
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("image");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, png_round_trip_is_bit_exact);
    tcase_add_test(tc, png_colour_types_decode);
    tcase_add_test(tc, jpeg_decodes_close_to_its_source);
    tcase_add_test(tc, damaged_files_are_refused_by_name);
    tcase_add_test(tc, resize_keeps_constants_and_averages_areas);
    tcase_add_test(tc, tiles_cover_the_image);
    tcase_add_test(tc, fit_crop_keeps_the_centre);
    tcase_add_test(tc, grid_places_images_in_rows);
    tcase_add_test(tc, float_conversion_round_trips);
    tcase_add_test(tc, image_paths_by_extension);
    suite_add_tcase(s, tc);
    return s;
}
