#include <math.h>

#include "gantry/rng.h"
#include "testutil.h"

START_TEST(same_seed_same_stream)
{
    gt_rng a, b, c;
    gt_rng_seed(&a, 42);
    gt_rng_seed(&b, 42);
    gt_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gt_rng_next(&a);
        ck_assert_uint_eq(x, gt_rng_next(&b));
        differ += x != gt_rng_next(&c);
    }
    ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(normal_moments)
{
    gt_rng r;
    gt_rng_seed(&r, 7);
    enum { N = 200001 };
    static float x[N];
    gt_rng_fill_normal(&r, x, N, 1.0f, 2.0f);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++)
        s += x[i];
    double mean = s / N;
    for (int i = 0; i < N; i++)
        s2 += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(s2 / (N - 1));
    ck_assert_msg(fabs(mean - 1.0) < 0.02, "mean %g", mean);
    ck_assert_msg(fabs(sd - 2.0) < 0.02, "sd %g", sd);
}
END_TEST

START_TEST(uniform_range_and_below)
{
    gt_rng r;
    gt_rng_seed(&r, 0);
    int hist[10] = {0};
    for (int i = 0; i < 100000; i++) {
        float u = gt_rng_uniform(&r);
        ck_assert(u >= 0.0f && u < 1.0f);
        uint32_t k = gt_rng_below(&r, 10);
        ck_assert_uint_lt(k, 10);
        hist[k]++;
    }
    for (int k = 0; k < 10; k++)
        ck_assert_msg(hist[k] > 9500 && hist[k] < 10500, "bucket %d: %d", k, hist[k]);
}
END_TEST

GTT_SUITE(gt_test_rng_suite)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, same_seed_same_stream);
    tcase_add_test(tc, normal_moments);
    tcase_add_test(tc, uniform_range_and_below);
    suite_add_tcase(s, tc);
    return s;
}
