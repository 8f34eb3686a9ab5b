/* The bearing simulator: each fault shows at its own defect frequency in
 * the envelope spectrum, a healthy bearing at none; seeded; run to failure
 * grows. */
#include <math.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

enum { N = 6 * 12000 };

static void families(const float *x, double shaft_hz, double p[3])
{
    float acc[GTT_ENV_SEG / 2 + 1];
    gtt_mean_envelope(acc, x, N, 12000.0, 0, 0);
    gt_bearing b;
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_int_eq(gt_bearing_preset("6205-2RS", &b, &err), GT_OK);
    ck_assert_int_eq(gt_bearing_frequencies(&b, shaft_hz, &f, &err), GT_OK);
    p[0] = gtt_prominence(acc, 12000.0, f.bpfi);
    p[1] = gtt_prominence(acc, 12000.0, f.bpfo);
    p[2] = gtt_prominence(acc, 12000.0, f.bsf); /* harmonics 1-3: 2 x BSF too */
}

START_TEST(each_fault_at_its_frequency)
{
    static float x[N];
    gt_error err = {0};
    for (int fault = 0; fault < GT_FAULT_COUNT; fault++) {
        gt_sim_bearing_cfg c = gt_sim_bearing_default((gt_fault)fault);
        ck_assert_int_eq(gt_sim_bearing(x, N, &c, 5, &err), GT_OK);
        double p[3];
        families(x, c.shaft_hz, p);
        if (fault == GT_FAULT_NONE) {
            for (int j = 0; j < 3; j++)
                ck_assert_msg(p[j] < 10, "normal: family %d stands %.1f x above the median", j,
                              p[j]);
            continue;
        }
        int mine = fault == GT_FAULT_INNER ? 0 : fault == GT_FAULT_OUTER ? 1 : 2;
        for (int j = 0; j < 3; j++)
            if (j != mine)
                ck_assert_msg(p[mine] > p[j], "%s: own family %.1f not above family %d's %.1f",
                              gt_fault_name((gt_fault)fault), p[mine], j, p[j]);
        ck_assert_msg(p[mine] > 50, "%s: own family only %.1f x the median",
                      gt_fault_name((gt_fault)fault), p[mine]);
    }
}
END_TEST

START_TEST(seeded_and_run_to_failure)
{
    static float a[N], b[N];
    gt_error err = {0};
    gt_sim_bearing_cfg c = gt_sim_bearing_default(GT_FAULT_OUTER);
    ck_assert_int_eq(gt_sim_bearing(a, N, &c, 1, &err), GT_OK);
    ck_assert_int_eq(gt_sim_bearing(b, N, &c, 1, &err), GT_OK);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert_int_eq(gt_sim_bearing(b, N, &c, 2, &err), GT_OK);
    ck_assert(memcmp(a, b, sizeof a) != 0);

    c.severity = 0.1;
    c.severity_end = 3.0;
    ck_assert_int_eq(gt_sim_bearing(a, N, &c, 1, &err), GT_OK);
    double first = 0, last = 0;
    for (int i = 0; i < N / 10; i++) {
        first += (double)a[i] * a[i];
        last += (double)a[N - 1 - i] * a[N - 1 - i];
    }
    ck_assert_msg(last > 9 * first, "run to failure: energy grew only %.1fx", last / first);

    c.resonance_hz = 7000; /* above Nyquist at 12 kHz */
    ck_assert_int_eq(gt_sim_bearing(a, N, &c, 1, &err), GT_EINVAL);
    gt_fault fl;
    ck_assert_int_eq(gt_fault_parse("cage", &fl, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "inner_race") != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_fault_parse("ball", &fl, &err), GT_OK);
    ck_assert_int_eq(fl, GT_FAULT_BALL);
}
END_TEST

GTT_SUITE(gt_test_sim_suite)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("bearing");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, each_fault_at_its_frequency);
    tcase_add_test(tc, seeded_and_run_to_failure);
    suite_add_tcase(s, tc);
    return s;
}
