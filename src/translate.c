/* Translation of samples along their last axis (gantry/kernels.h). */
#include <string.h>

#include "gantry/kernels.h"

/* dst[j] = src[j - s], zero outside [0, L). */
static void move_row(float *dst, const float *src, int L, int s)
{
    if (s >= L || s <= -L) {
        memset(dst, 0, (size_t)L * sizeof *dst);
    } else if (s >= 0) {
        memset(dst, 0, (size_t)s * sizeof *dst);
        memcpy(dst + s, src, (size_t)(L - s) * sizeof *dst);
    } else {
        memcpy(dst, src - s, (size_t)(L + s) * sizeof *dst);
        memset(dst + L + s, 0, (size_t)(-s) * sizeof *dst);
    }
}

void gt_translate_forward(float *out, const float *x, int n, int R, int L, const int *shift)
{
    const size_t row = (size_t)L, per = (size_t)R * row;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < R; r++)
            move_row(out + (size_t)i * per + (size_t)r * row, x + (size_t)i * per + (size_t)r * row,
                     L, shift[i]);
}

void gt_translate_backward(float *dx, const float *dout, int n, int R, int L, const int *shift)
{
    const size_t row = (size_t)L, per = (size_t)R * row;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < R; r++)
            move_row(dx + (size_t)i * per + (size_t)r * row,
                     dout + (size_t)i * per + (size_t)r * row, L, -shift[i]);
}
