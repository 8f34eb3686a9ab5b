/* The proof that the engine learns: a small 1D DCGAN trained on windows of
 * two tones with random phases must generate windows whose power spectra
 * peak at the same two frequencies. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"
#include "testutil.h"

enum { WINDOW = 64, BATCH = 32, NSAMPLES = 256, NBINS = WINDOW / 2 + 1 };

static void train_and_check(gt_gan_loss loss, int steps)
{
    char gs[8192], ds[8192];
    gt_error err = {0};
    /* One thread: the run is small, and a busy machine makes spinning
     * thread pools slow. */
    gt_threads_set(1);
    gt_preset_cfg pc = gt_preset_default(1, WINDOW, 1);
    pc.nz = 32;
    pc.max_width = 128;
    pc.spectral = loss == GT_GAN_HINGE;
    ck_assert_int_eq(gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err), GT_OK);
    gt_model *g = NULL, *d = NULL;
    ck_assert_int_eq(gt_model_parse(&g, gs, &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(g, BATCH, &err), GT_OK);
    ck_assert_int_eq(gt_model_parse(&d, ds, &err), GT_OK);
    ck_assert_int_eq(gt_model_finalize(d, BATCH, &err), GT_OK);
    gt_model_init(g, GT_INIT_DCGAN, 1);
    gt_model_init(d, GT_INIT_DCGAN, 2);
    gt_gan_cfg cfg = gt_gan_cfg_default();
    cfg.loss = loss;
    gt_gan gan;
    ck_assert_int_eq(gt_gan_init(&gan, g, d, &cfg, 3, &err), GT_OK);

    const float cycles[2] = {4, 11}, amps[2] = {0.6f, 0.3f};
    gt_rng r;
    gt_rng_seed(&r, 4);
    float *real = malloc(sizeof(float) * NSAMPLES * WINDOW);
    float *fake = malloc(sizeof(float) * NSAMPLES * WINDOW);
    float psd_real[NBINS], psd_fake[NBINS], psd_init[NBINS];

    /* Before training the generator's spectrum does not show the tones. */
    for (int i = 0; i < NSAMPLES; i += BATCH)
        ck_assert_int_eq(gt_gan_generate(&gan, NULL, NULL, BATCH, fake + i * WINDOW), GT_OK);
    ck_assert_int_eq(gt_power_spectrum_mean(psd_init, fake, NSAMPLES, WINDOW, &err), GT_OK);

    gt_gan_stats st = {0};
    for (int s = 0; s < steps; s++) {
        gt_sim_tones(real, BATCH, WINDOW, cycles, amps, 2, 0.05f, &r);
        ck_assert_int_eq(gt_gan_step(&gan, real, NULL, NULL, BATCH, &st), GT_OK);
    }
    gt_sim_tones(real, NSAMPLES, WINDOW, cycles, amps, 2, 0.05f, &r);
    for (int i = 0; i < NSAMPLES; i += BATCH)
        ck_assert_int_eq(gt_gan_generate(&gan, NULL, NULL, BATCH, fake + i * WINDOW), GT_OK);
    ck_assert_int_eq(gt_power_spectrum_mean(psd_real, real, NSAMPLES, WINDOW, &err), GT_OK);
    ck_assert_int_eq(gt_power_spectrum_mean(psd_fake, fake, NSAMPLES, WINDOW, &err), GT_OK);

    int pr[2], pf[2];
    ck_assert_int_eq(gt_spectrum_peaks(psd_real, NBINS, 2, pr), 2);
    ck_assert_int_eq(pr[0], 4);
    ck_assert_int_eq(pr[1], 11);
    ck_assert_int_eq(gt_spectrum_peaks(psd_fake, NBINS, 2, pf), 2);
    ck_assert_msg(pf[0] == 4 && pf[1] == 11,
                  "%s: generated spectra peak at %d and %d, not 4 and 11", gt_gan_loss_name(loss),
                  pf[0], pf[1]);
    /* The tones carry most of the generated power, which the untrained
     * generator's did not. */
    double tot = 0, tones = 0, tot0 = 0, tones0 = 0;
    for (int k = 1; k < NBINS; k++) {
        tot += psd_fake[k];
        tot0 += psd_init[k];
    }
    for (int k = 3; k <= 5; k++) {
        tones += psd_fake[k];
        tones0 += psd_init[k];
    }
    for (int k = 10; k <= 12; k++) {
        tones += psd_fake[k];
        tones0 += psd_init[k];
    }
    ck_assert_msg(tones / tot > 0.6, "%s: tones hold only %.2f of generated power",
                  gt_gan_loss_name(loss), tones / tot);
    ck_assert_msg(tones0 / tot0 < 0.5, "untrained generator already holds %.2f", tones0 / tot0);
    /* And the stronger tone stays stronger (amplitude 0.6 vs 0.3). */
    ck_assert_msg(psd_fake[4] > psd_fake[11], "tone powers inverted: %g <= %g", psd_fake[4],
                  psd_fake[11]);
    free(real);
    free(fake);
    gt_gan_free(&gan);
    gt_model_free(g);
    gt_model_free(d);
}

START_TEST(dcgan_bce_learns_two_tones)
{
    train_and_check(GT_GAN_BCE, 2500);
}
END_TEST

START_TEST(dcgan_hinge_sn_learns_two_tones)
{
    train_and_check(GT_GAN_HINGE, 2500);
}
END_TEST

GTT_SUITE(gt_test_learn_suite)
{
    Suite *s = suite_create("learn");
    TCase *tc = tcase_create("gan");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, dcgan_bce_learns_two_tones);
    tcase_add_test(tc, dcgan_hinge_sn_learns_two_tones);
    suite_add_tcase(s, tc);
    return s;
}
