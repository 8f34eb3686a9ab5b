/* Bearing defect frequencies against the orders CWRU publishes for its
 * bearings (their "BSF" is 2 x the ball spin frequency). */
#include <math.h>
#include <string.h>

#include "gantry/bearing.h"
#include "testutil.h"

static void expect_orders(const char *preset, double ftf, double bpfo, double bpfi, double bsf2)
{
    gt_bearing b;
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_msg(gt_bearing_preset(preset, &b, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_bearing_frequencies(&b, 1.0, &f, &err), GT_OK);
    ck_assert_msg(fabs(f.ftf - ftf) < 1e-3, "%s FTF %.5f, CWRU %.5f", preset, f.ftf, ftf);
    ck_assert_msg(fabs(f.bpfo - bpfo) < 1e-3, "%s BPFO %.5f, CWRU %.5f", preset, f.bpfo, bpfo);
    ck_assert_msg(fabs(f.bpfi - bpfi) < 1e-3, "%s BPFI %.5f, CWRU %.5f", preset, f.bpfi, bpfi);
    ck_assert_msg(fabs(2 * f.bsf - bsf2) < 1e-3, "%s 2xBSF %.5f, CWRU %.5f", preset, 2 * f.bsf,
                  bsf2);
    /* Frequencies scale with shaft speed. */
    gt_bearing_freqs g;
    ck_assert_int_eq(gt_bearing_frequencies(&b, 1797.0 / 60.0, &g, &err), GT_OK);
    ck_assert(fabs(g.bpfi - f.bpfi * 1797.0 / 60.0) < 1e-9);
}

START_TEST(cwru_published_orders)
{
    expect_orders("6205-2RS", 0.39828, 3.5848, 5.4152, 4.7135);
    expect_orders("6203-2rs", 0.3817, 3.0530, 4.9469, 3.9874);
}
END_TEST

START_TEST(identities_and_contact_angle)
{
    gt_bearing b = {"x", 12, 1.0, 5.0, 0.0};
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_int_eq(gt_bearing_frequencies(&b, 10.0, &f, &err), GT_OK);
    /* BPFO + BPFI = n fr and BPFO = n FTF, whatever the geometry. */
    ck_assert(fabs(f.bpfo + f.bpfi - 120.0) < 1e-9);
    ck_assert(fabs(f.bpfo - 12 * f.ftf) < 1e-9);
    /* A contact angle shrinks d/D cos(phi): the outer-race rate rises. */
    gt_bearing_freqs a;
    b.contact_deg = 40;
    ck_assert_int_eq(gt_bearing_frequencies(&b, 10.0, &a, &err), GT_OK);
    ck_assert(a.bpfo > f.bpfo && a.bpfi < f.bpfi);
    double r = 0.2 * cos(40 * 3.14159265358979323846 / 180);
    ck_assert(fabs(a.bsf - 5.0 * 10 / 2.0 * (1 - r * r)) < 1e-9);
}
END_TEST

START_TEST(refuses_impossible_input)
{
    gt_bearing b = {"x", 9, 2.0, 1.0, 0.0};
    gt_bearing_freqs f;
    gt_error err = {0};
    ck_assert_int_eq(gt_bearing_frequencies(&b, 10.0, &f, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "impossible bearing geometry") != NULL, "%s", err.msg);
    b = (gt_bearing){"x", 0, 0.3, 1.5, 0.0};
    ck_assert_int_eq(gt_bearing_frequencies(&b, 10.0, &f, &err), GT_EINVAL);
    b = (gt_bearing){"x", 9, 0.3, 1.5, 90.0};
    ck_assert_int_eq(gt_bearing_frequencies(&b, 10.0, &f, &err), GT_EINVAL);
    b = (gt_bearing){"x", 9, 0.3, 1.5, 0.0};
    ck_assert_int_eq(gt_bearing_frequencies(&b, 0.0, &f, &err), GT_EINVAL);
    ck_assert_int_eq(gt_bearing_frequencies(&b, NAN, &f, &err), GT_EINVAL);
    ck_assert_int_eq(gt_bearing_preset("6206", &b, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "6205-2RS") != NULL, "known names not listed: %s", err.msg);
    const char *const *names = gt_bearing_preset_names();
    int n = 0;
    for (; names[n]; n++)
        ck_assert_int_eq(gt_bearing_preset(names[n], &b, &err), GT_OK);
    ck_assert_int_eq(n, 2);
}
END_TEST

GTT_SUITE(gt_test_bearing_suite)
{
    Suite *s = suite_create("bearing");
    TCase *tc = tcase_create("frequencies");
    tcase_add_test(tc, cwru_published_orders);
    tcase_add_test(tc, identities_and_contact_angle);
    tcase_add_test(tc, refuses_impossible_input);
    suite_add_tcase(s, tc);
    return s;
}
