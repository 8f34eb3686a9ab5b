/* In-place vectorised log1p (the kernel is in fastlog.h). */
#include "fastlog.h"

#include "gantry/features.h"

GT__SIMD_CLONES void gt_log1p_inplace(float *x, size_t n)
{
    /* omp simd: -O2's very cheap cost model would not vectorise a loop of
     * unknown trip count. */
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        x[i] = gt__log1pf(x[i]);
}
