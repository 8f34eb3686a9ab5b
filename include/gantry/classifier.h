/*
 * gantry/classifier.h - the downstream maintenance model: a small CNN that
 * tells fault classes apart from windows of sensor data (1D) or from
 * inspection images (2D).
 *
 * The 1D network (cfg.dims = 1, gt_classifier_cfg_default) takes C channels
 * x L values, L the window (raw input) or window / 2 (spectrum input):
 *     conv W k7 s2 p3 + bn + relu                        L -> ceil(L / 2)
 *     conv 2W k5 s2 p2 + bn + relu, widths doubling up to max_width, each
 *         halving the length, until the length is at most 8
 *     flatten, dropout, dense K                          K class logits
 * The 2D network (cfg.dims = 2, gt_classifier_cfg_default_2d) takes square
 * images of C channels x S x S, S = cfg.window (any side from 16 to 4096):
 *     conv W k5x5 s2x2 p2x2 + bn + relu                  S -> ceil(S / 2)
 *     conv 2W k5x5 s2x2 p2x2 + bn + relu, widths doubling up to max_width,
 *         each halving the side, until the side is at most 4
 *     flatten, dropout, dense K
 * (64 x 64: four convolutions, 32, 16, 8, 4; 32 x 32: three.)  Both are
 * trained with softmax cross-entropy (gt_loss_softmax_ce) and Adam.
 *
 * Windows reach train and predict already cut and normalised (see
 * gantry/dataset.h), sample-major (n, C, window); images likewise as
 * (n, C, S, S) floats, normally gt_image_to_float's [-1, 1] (gantry/image.h).
 * With spectrum input (1D only) the classifier turns each channel's window
 * into log1p |rfft(hann * x)|, keeps bins 0 .. window/2 - 1 and
 * standardises every (channel, bin) with a mean and standard deviation
 * fitted by gt_classifier_train (kept in the model).
 *
 * The classifier also carries what the windows went through (channel names,
 * hop, rate, the channel normalisation), so that a saved model scores new
 * data the way it was trained; the library stores those, the caller applies
 * them.
 *
 *     gt_classifier_cfg c = gt_classifier_cfg_default(ds.nch, ds.win, ds.nclasses);
 *     gt_classifier *clf;
 *     gt_classifier_create(&clf, &c, ds.classes, ds.channels, &err);
 *     gt_classifier_train_cfg t = gt_classifier_train_default();
 *     t.steps = 500;
 *     gt_classifier_train(clf, ds.x, ds.cls, ds.nwin, &t, NULL, NULL, &err);
 *     gt_classifier_predict(clf, x, n, predicted, NULL);
 *     gt_classifier_save(clf, "clf.h5", &err);
 *     gt_classifier_free(clf);
 *
 * Training is deterministic for a seed and a thread count.  The featurizer
 * behind spectrum input plans FFTs with FFTW at create and load (not thread
 * safe: see gantry/features.h) and sizes its scratch for gt_threads_get()
 * threads at that moment.
 */
#ifndef GANTRY_CLASSIFIER_H
#define GANTRY_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/features.h"
#include "gantry/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* root attribute `kind` of a classifier's model file */
#define GT_CLASSIFIER_KIND "classifier"

typedef enum gt_clf_input {
    GT_CLF_RAW = 0,     /* the normalised window */
    GT_CLF_SPECTRUM = 1 /* log1p spectrum, bins 0 .. window/2 - 1, standardised */
} gt_clf_input;
/* "raw", "spectrum". */
const char *gt_clf_input_name(gt_clf_input in);
/* GT_EINVAL with a message naming the choices. */
int gt_clf_input_parse(const char *s, gt_clf_input *out, gt_error *err);

typedef struct gt_classifier_cfg {
    int dims;           /* 1: windows of nch x window (default); 2: square
                         * images of nch x window x window */
    int nch;            /* channels, >= 1 */
    int window;         /* samples per window, >= 32; images: the side, >= 16 */
    gt_clf_input input; /* 1D only: images take raw pixels */
    int nclasses;       /* >= 2 */
    int width;          /* the first convolution's width (8) */
    int max_width;      /* cap on the widths (64) */
    float dropout;      /* before the dense layer, 0 <= p < 1 (0.3; 0: none) */
    int batch;          /* the largest batch, for training and predicting (64) */
} gt_classifier_cfg;

/* 1D, raw input and the defaults above. */
gt_classifier_cfg gt_classifier_cfg_default(int nch, int window, int nclasses);
/* The same for images of channels x size x size (dims 2). */
gt_classifier_cfg gt_classifier_cfg_default_2d(int channels, int size, int nclasses);
/* The network's input length per channel (its side, for images): window,
 * or window / 2 for spectrum input. */
int gt_classifier_input_len(const gt_classifier_cfg *c);
/* Values per sample given to train and predict: nch * window, or
 * nch * window * window for images. */
size_t gt_classifier_sample_size(const gt_classifier_cfg *c);
/* Write the network's spec (gantry/model.h).  Returns GT_OK, or GT_EINVAL
 * naming the field that cannot work (or a spec longer than cap). */
int gt_classifier_spec(const gt_classifier_cfg *c, char *buf, size_t cap, gt_error *err);

typedef struct gt_classifier_work gt_classifier_work;

typedef struct gt_classifier {
    gt_classifier_cfg cfg;
    gt_model *model;       /* finalized for cfg.batch */
    char **classes;        /* cfg.nclasses names (class i is logit i) */
    char **channels;       /* cfg.nch names */
    /* How the windows were made (stored and read back; set by the caller,
     * not used by the library): */
    int hop;               /* default: window */
    double rate_hz;        /* default 0: unknown */
    gt_norm_method norm;   /* default GT_NORM_NONE */
    float *center, *scale; /* cfg.nch channel statistics (default 0 and 1) */
    /* Spectrum input: cfg.nch * input_len standardisation statistics, fitted
     * by train; NULL for raw input. */
    float *feat_center, *feat_scale;
    /* The last training (or the loaded file's): per step, the batch's loss
     * and accuracy (training mode). */
    long steps;
    float *hist_loss, *hist_acc;
    uint64_t seed;
    gt_classifier_work *work; /* scratch */
} gt_classifier;

/* A classifier with an initialised, untrained network.  classes and
 * channels (cfg.nclasses and cfg.nch names, copied) must be non-empty,
 * without commas, and distinct. */
int gt_classifier_create(gt_classifier **out, const gt_classifier_cfg *c, char *const *classes,
                         char *const *channels, gt_error *err);
void gt_classifier_free(gt_classifier *clf);

typedef struct gt_classifier_train_cfg {
    long steps;          /* optimiser steps, >= 1 */
    int batch;           /* <= the classifier's cfg.batch */
    float lr;            /* Adam, betas (0.9, 0.999): 1e-3 */
    float weight_decay;  /* 0 */
    uint64_t seed;       /* initialisation, batches, dropout */
    int balanced;        /* 1 (default): each sample of a batch comes from a
                          * class drawn uniformly among those with windows,
                          * so that scarce classes weigh as much as common
                          * ones; 0: shuffled passes over all windows.  Either
                          * way the windows of a pool are visited in a
                          * shuffled order, reshuffled when used up. */
    int shift;           /* 1 (default): raw input windows are rotated by a
                          * random offset (all channels alike) each time they
                          * enter a batch, so that the network cannot learn
                          * where in the window things happen; spectrum input
                          * ignores it.  Images (square, so that every
                          * symmetry keeps their shape) are instead flipped
                          * horizontally, flipped vertically and transposed,
                          * each with probability 1/2 (all channels alike):
                          * one of the 8 flips and quarter-turn rotations,
                          * each equally likely, drawn from the seed */
    int finetune;        /* 0 (default): initialise the network from the
                          * seed first; 1: go on from its weights (e.g. a
                          * loaded model, to fine-tune it on other data),
                          * keeping the spectrum statistics it has; Adam
                          * starts from the state the model holds (none for
                          * a loaded file) */
} gt_classifier_train_cfg;

/* 500 steps, batch 64, lr 1e-3, no weight decay, seed 1, balanced, shift,
 * not fine-tuning. */
gt_classifier_train_cfg gt_classifier_train_default(void);

/* What the progress callback gets after every step. */
typedef struct gt_classifier_progress {
    long step, steps;              /* steps done (1 ..), in all */
    double loss, accuracy;         /* this step's batch */
    double loss_avg, accuracy_avg; /* over the last (up to) 50 steps */
} gt_classifier_progress;
typedef void (*gt_classifier_progress_fn)(void *ctx, const gt_classifier_progress *p);

/*
 * (Re)initialise the network from t->seed (unless t->finetune) and train
 * it on n windows x (n, nch, window), normalised, with classes cls[i] in
 * [0, nclasses).  (Images: n x (n, nch, window, window).)  Fits the
 * spectrum statistics first (spectrum input, unless t->finetune).  Fills
 * the history (this training's steps only).
 * progress (may be NULL) is called after each step.  GT_EINVAL for n = 0,
 * a class out of range or a bad configuration; GT_ENUMERIC when the loss or
 * a gradient stops being finite (the step is named); GT_ENOMEM.
 */
int gt_classifier_train(gt_classifier *clf, const float *x, const int *cls, size_t n,
                        const gt_classifier_train_cfg *t, gt_classifier_progress_fn progress,
                        void *ctx, gt_error *err);

/*
 * Classify n windows x (n, nch, window) (images: (n, nch, window, window)),
 * normalised as in training: the network in inference mode (running
 * batch-norm statistics, no dropout).
 * out_class (n, may be NULL) gets the most probable class, out_probs
 * (n * nclasses, may be NULL) the softmax probabilities.  A window holding
 * NaN gets NaN probabilities (and class 0).  Returns GT_OK.
 */
int gt_classifier_predict(gt_classifier *clf, const float *x, size_t n, int *out_class,
                          float *out_probs);

/*
 * Save to a model file (format GT_MODEL_FORMAT, through a temporary file:
 * see gantry/h5.h), replacing an existing one.  The file holds the group
 * `classifier` (gt_h5_write_model, without the optimiser state), root
 * attributes kind = "classifier", dims, window, hop, input, channels and
 * classes (comma lists), normalize, rate_hz, steps, seed, width, max_width,
 * dropout, datasets norm/center and norm/scale (nch), feature/center and
 * feature/scale (nch x input_len, spectrum input only), history/loss and
 * history/accuracy (steps).
 */
int gt_classifier_save(const gt_classifier *clf, const char *path, gt_error *err);
/* Read one back, ready to predict (for batches of up to 64).  Refuses a
 * model file of another kind, saying what it holds.  A file without dims
 * (written before images) is 1D. */
int gt_classifier_load(gt_classifier **out, const char *path, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
