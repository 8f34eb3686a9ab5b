/*
 * gantry/tsgan.h - the time-series GAN: a 1D DCGAN (generator G, critic D)
 * on windows of sensor channels, optionally conditioned on classes, with an
 * encoder E that maps a window back to the latent space, and the anomaly
 * scores built from them.  The same machinery, with cfg.dims = 2, is the
 * image GAN behind `gantry dcgan`: samples are then square images of
 * nch x window x window (the 2D DCGAN preset, or the seed's Keras model),
 * and everything said of windows below holds for images, except the
 * per-sample mapping of gt_tsgan_score_signal, which is 1D only.
 *
 * Training, in two phases (f-AnoGAN, Schlegl et al. 2019):
 *   1. the GAN: gt_tsgan_train_gan, critic_steps D updates per G update;
 *   2. the encoder, with G and D frozen: gt_tsgan_train_encoder minimises
 *      the "izi" loss mean (x - G(E(x)))^2 over real windows.
 * The encoder never disturbs the GAN's training (TadGAN's joint cycle
 * training couples three more losses and a second critic and costs about
 * four times the GAN's steps); f-AnoGAN's encoder is cheap and can be
 * retrained on its own.
 *
 * Scores of a window x (higher = more anomalous):
 *   critic(x)  = -D(x), D's raw output (the logit for bce);
 *   recon(x,t) = mean over channels of (x - G(E(x)))^2 at time t.
 * gt_tsgan_score_signal maps them onto every sample of a signal (the mean
 * over the windows covering it), smooths each with a centred moving mean
 * over `smooth` samples, and combines them with the calibration fitted on
 * the training data's smoothed values:
 *   score = alpha |critic - c_center| / c_scale
 *         + (1 - alpha) (recon - r_center) / r_scale,
 * centers and scales the median and IQR / 1.349 over the training signal's
 * samples (the critic counts both ways, as TadGAN's |z|: a window unlike
 * anything seen can push D either way).  Standardising the smoothed values
 * keeps alpha the weight it says: a sample's squared residual spreads about
 * 20 times wider than its mean over a vibration window, and standardised
 * unsmoothed it left the critic most of the say.  A sample's score depends
 * on the data within a window and a half of it only, not on how much data
 * was scored.
 */
#ifndef GANTRY_TSGAN_H
#define GANTRY_TSGAN_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/features.h"
#include "gantry/gan.h"
#include "gantry/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format of a trained time-series GAN: a GT_MODEL_FORMAT file whose
 * root attribute kind is "tsgan". */
#define GT_TSGAN_KIND "tsgan"
/* ... and of an image GAN (cfg.dims = 2). */
#define GT_DCGAN_KIND "dcgan"

/* The architecture of G, D and E (see gantry/preset.h). */
typedef enum gt_tsgan_arch {
    GT_TSGAN_DCGAN = 0, /* the DCGAN preset (1D or 2D) */
    GT_TSGAN_SEED = 1   /* the seed's Keras model (2D, side 7, 14 or 28) */
} gt_tsgan_arch;
/* "dcgan", "seed". */
const char *gt_tsgan_arch_name(gt_tsgan_arch a);
int gt_tsgan_arch_parse(const char *s, gt_tsgan_arch *out);

typedef struct gt_tsgan_cfg {
    int dims;         /* 1: windows of nch x window (default); 2: images of
                       * nch x window x window */
    gt_tsgan_arch arch; /* default GT_TSGAN_DCGAN */
    int window;       /* samples per window (image side): a power of two
                       * >= 16, or 7, 14, 28 for the seed's model */
    int nch;          /* channels */
    int nclasses;     /* 0: unconditional */
    int nz;           /* latent size (default 32) */
    int width;        /* D's first width (default 32) */
    int max_width;    /* cap (default 256) */
    gt_gan_loss loss; /* bce (default), wgan, hinge (D gets spectral norm) */
    int batch;        /* default 64 */
    int critic_steps; /* D updates per G update (default 1; wgan 5) */
    float lr_g, lr_d, lr_e; /* Adam learning rates (2e-4, 2e-4, 1e-3) */
    float alpha;      /* weight of the critic in the score (default 0.5) */
    float spectral;   /* weight of spectral moment matching in G's loss
                       * (gantry/spec_match.h; default 0: none; 1D only) */
    int d_shift;      /* translate what D sees by up to this many positions
                       * (gt_gan_cfg.shift; default 0: none) */
    float d_gain;     /* D's input is multiplied by this, a `scale` layer at
                       * the head of D (default 1: none; see gt_tsgan_d_gain) */
    uint64_t seed;
} gt_tsgan_cfg;

gt_tsgan_cfg gt_tsgan_cfg_default(int window, int nch);
/*
 * The d_gain for training data x (nwin samples of gt_tsgan_sample_size(c)
 * values): for the hinge loss 1 / (the data's root mean square), else 1.
 * A spectrally normalised critic (no bias, gain at most 1 per layer) can
 * move its output by little more than its input moves, and the hinge loss
 * asks for outputs beyond +-1: on windows of RMS 0.1-0.3 it sinks towards 0
 * for real and generated windows alike and the generator's gradient goes
 * with it (measured: the demo's normal recording, both at 0.0 by step 640).
 * Scaled to unit RMS it keeps them apart, as on images in [-1, 1].
 */
float gt_tsgan_d_gain(const gt_tsgan_cfg *c, const float *x, size_t nwin);
/* Values per sample (nch * window^dims) and positions per channel
 * (window^dims: what a reconstruction error is averaged over). */
size_t gt_tsgan_sample_size(const gt_tsgan_cfg *c);
size_t gt_tsgan_positions(const gt_tsgan_cfg *c);

/* Per-step history (appended by training). */
typedef struct gt_tsgan_history {
    size_t n, cap;
    float *loss_d, *loss_g, *d_real, *d_fake;
    size_t enc_n, enc_cap;
    float *loss_e;
} gt_tsgan_history;

typedef struct gt_tsgan {
    gt_tsgan_cfg cfg;
    gt_model *g, *d, *e;
    gt_gan gan;
    gt_rng data_rng;         /* batch selection */
    long gan_steps, enc_steps;
    gt_tsgan_history hist;
    /* What the model was trained on (set by the caller before saving). */
    char *channels, *units;  /* comma lists */
    char *classes;           /* comma list, "" when unconditional */
    double rate_hz;
    int hop, score_hop;      /* training windows' hop; scoring's default */
    int smooth;              /* centred moving mean of the score over this
                              * many samples (0 or 1: none) */
    gt_norm_method norm;
    float *center, *scale;   /* normalisation statistics: nch, or with
                              * norm_by_class one row of nch per class */
    int norm_by_class;       /* (class-major, in the order of classes) */
    /* Score calibration (gt_tsgan_calibrate). */
    int calibrated;
    float c_center, c_scale, r_center, r_scale;
    float *ref;              /* reference scores (training), sorted */
    size_t nref;
    /* scratch for batches */
    float *xb, *zb, *xr, *cb;
    int *lb;
    struct gt_spec_match *spec; /* cfg.spectral's targets (training only) */
} gt_tsgan;

/* Build G, D and E for cfg (randomly initialised from cfg.seed); the
 * metadata fields are zero/NULL.  Errors name the bad setting. */
int gt_tsgan_create(gt_tsgan **out, const gt_tsgan_cfg *cfg, gt_error *err);
void gt_tsgan_free(gt_tsgan *t);
/* Set the metadata (copied). center/scale: nch values. */
int gt_tsgan_set_meta(gt_tsgan *t, const char *channels, const char *units, const char *classes,
                      double rate_hz, gt_norm_method norm, const float *center,
                      const float *scale, gt_error *err);

/* Statistics per class instead (after set_meta, on a conditional model):
 * center/scale hold nclasses rows of nch, in the order of t->classes.  Each
 * class's windows are normalised with its own row for training, scoring and
 * calibration, and synthesis undoes the row of the class generated, so that
 * classes whose amplitudes differ by 10x all use the generator's range. */
int gt_tsgan_set_class_norm(gt_tsgan *t, const float *center, const float *scale,
                            gt_error *err);
/* The nch statistics class cls (an index into classes) is normalised with;
 * cls is ignored unless norm_by_class. */
void gt_tsgan_norm_row(const gt_tsgan *t, int cls, const float **center, const float **scale);

/* Called after every step with the step number (1-based, of this call) and
 * its statistics (for the encoder only loss_g is set: the izi loss);
 * return nonzero to stop early (training then returns GT_OK). */
typedef int (*gt_tsgan_progress)(void *ctx, long step, const gt_gan_stats *st);

/*
 * Train the GAN for `steps` generator steps on nwin windows x (nwin, nch,
 * window), classes cls (nwin, may be NULL when unconditional).  Batches
 * are drawn with replacement by data_rng: the same seed, data and thread
 * count give the same model.  Returns GT_ENUMERIC with a message naming
 * the step when a loss or gradient goes non-finite, or when the
 * discriminator collapses (bce or hinge: D's mean loss below 1e-3 over the
 * last 200 steps: D tells real from generated perfectly and G no longer
 * learns).  The caller should then not save the models as a result.
 */
int gt_tsgan_train_gan(gt_tsgan *t, const float *x, const int *cls, size_t nwin, long steps,
                       gt_tsgan_progress cb, void *ctx, gt_error *err);
/* Train the encoder for `steps` steps (G and D frozen). */
int gt_tsgan_train_encoder(gt_tsgan *t, const float *x, const int *cls, size_t nwin, long steps,
                           gt_tsgan_progress cb, void *ctx, gt_error *err);

/*
 * Score n <= cfg.batch windows x: critic[i] = -D(x_i); when recon is not
 * NULL, recon gets n * positions values, the mean over channels of the
 * squared residual at each time (pixel); xr (may be NULL) the
 * reconstructions (n, sample size).  cls: class per window (NULL: 0).
 */
int gt_tsgan_score_windows(gt_tsgan *t, const float *x, const int *cls, int n, float *critic,
                           float *recon, float *xr);

/*
 * Per-sample scores of one normalised signal sig (nch, n channel-major),
 * bad (n, may be NULL) marking unusable samples: windows every hop samples
 * (plus one ending at the last sample), those touching a bad sample left
 * out.  critic_s and recon_s (n each, may be NULL) get the per-sample
 * means smoothed over t->smooth samples, score (n) the combined score
 * (needs calibration).  Samples no window covers get NaN.  Allocates
 * scratch; GT_EINVAL (message) when the signal is shorter than a window.
 */
int gt_tsgan_score_signal(gt_tsgan *t, const float *sig, const uint8_t *bad, size_t n, int cls,
                          size_t hop, float *critic_s, float *recon_s, float *score,
                          gt_error *err);

/*
 * Whole-sample scores of n windows or images x (any n; batched inside):
 * critic[i] = -D(x_i), recon[i] = the mean squared residual of x_i over
 * all its values, and, when score is not NULL (needs calibration), the
 * combined score of the two as gt_tsgan_score_signal combines them.  Any
 * output may be NULL.  Allocates scratch.
 */
int gt_tsgan_score_samples(gt_tsgan *t, const float *x, const int *cls, size_t n, float *critic,
                           float *recon, float *score, gt_error *err);
/* The combined score of a critic and a reconstruction value (calibrated
 * model). */
float gt_tsgan_combine(const gt_tsgan *t, float critic, float recon);
/* Fit the calibration from per-sample critic and recon values of training
 * data (NaN left out), and keep up to 20000 of the combined scores as the
 * reference for quantile thresholds. */
int gt_tsgan_calibrate(gt_tsgan *t, const float *critic_s, const float *recon_s, size_t n,
                       gt_error *err);

/* Generate n <= cfg.batch windows of class cls (ignored when
 * unconditional) from latents z (n * nz, or NULL: drawn from rng). */
int gt_tsgan_generate(gt_tsgan *t, const float *z, int cls, int n, gt_rng *rng, float *out);

/* Save everything (models with optimiser state, config, metadata,
 * calibration, history, the data rng) to path via a temporary file. */
int gt_tsgan_save(const gt_tsgan *t, const char *path, gt_error *err);
/* Load a saved model; refuses files of another kind. */
int gt_tsgan_load(gt_tsgan **out, const char *path, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
