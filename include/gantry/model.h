/*
 * gantry/model.h - a model is a sequence of layers.
 *
 * Build one from a short text spec or layer by layer, then finalize it for a
 * largest batch size; finalize lays out four parallel flat arrays of one
 * length (parameters, gradients, and the optimiser's two moments), a flat
 * array of non-trained buffers (batch-norm running statistics, spectral-norm
 * vectors), and every activation buffer.  Forward, backward and the optimiser
 * step then never allocate.
 *
 *     gt_error err;
 *     gt_model *d;
 *     if (gt_model_parse(&d, "input 1x256\n"
 *                            "conv 16 k4 s2 p1\nlrelu 0.2\n"
 *                            "conv 32 k4 s2 p1\nbn\nlrelu 0.2\n"
 *                            "flatten\ndense 1", &err) < 0 ||
 *         gt_model_finalize(d, 64, &err) < 0)
 *         fprintf(stderr, "%s\n", err.msg);
 *     gt_model_init(d, GT_INIT_DCGAN, 42);
 *     gt_model_zero_grad(d);
 *     gt_model_forward(d, x, NULL, 64, 1, logits);   // x is (64, 1, 256)
 *     ... loss gradient dlogits ...
 *     gt_model_backward(d, dlogits, NULL);
 *     gt_model_step(d, &cfg);
 *
 * The spec language, one layer per line (or separated by ';'; '#' starts a
 * comment).  Sizes are output channels or units; k/s/p take one number or
 * HxW for 2D; options in any order:
 *     input CxL | CxHxW | F  [classes K]  first line: per-sample input shape
 *     dense N [nobias] [sn]
 *     conv N kK [sS] [pP] [nobias] [sn]         s defaults to 1, p to 0
 *     convt N kK [sS] [pP] [nobias]             transposed convolution
 *     bn [momentum M] [eps E] [noaffine]        batch normalisation
 *     relu | lrelu [SLOPE] | tanh | sigmoid     (lrelu slope defaults to 0.2)
 *     dropout P
 *     flatten                                   C x H x W -> C*H*W
 *     reshape CxL | CxHxW                       a vector into channels
 *     upsample F | FhxFw                        nearest neighbour
 *     label onehot | label embed E              append class channels
 *     scale K                                   multiply by the constant K
 * `sn` applies spectral normalisation to the layer's weight.  Data enter and
 * leave forward/backward in the ordinary sample-major layout (N, C, H, W).
 */
#ifndef GANTRY_MODEL_H
#define GANTRY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_layer_kind {
    GT_LAYER_DENSE,
    GT_LAYER_CONV,
    GT_LAYER_CONVT,
    GT_LAYER_BATCHNORM,
    GT_LAYER_RELU,
    GT_LAYER_LRELU,
    GT_LAYER_TANH,
    GT_LAYER_SIGMOID,
    GT_LAYER_DROPOUT,
    GT_LAYER_FLATTEN,
    GT_LAYER_RESHAPE,
    GT_LAYER_UPSAMPLE,
    GT_LAYER_LABEL,
    GT_LAYER_SCALE,
    GT_LAYER_KIND_COUNT
} gt_layer_kind;

/* The spec keyword of a layer kind ("dense", "conv", ...). */
const char *gt_layer_kind_name(gt_layer_kind kind);

/* Per-sample shape: channels x height x width.  1D signals have h = 1, a
 * feature vector h = w = 1. */
typedef struct gt_shape {
    int c, h, w;
} gt_shape;

/* What defines a layer; gt_layer_desc_default() fills the defaults. */
typedef struct gt_layer_desc {
    gt_layer_kind kind;
    int units;      /* dense: outputs; conv/convt: output channels;
                       label: embedding size (0 = one-hot) */
    int kh, kw;     /* kernel */
    int sh, sw;     /* stride */
    int ph, pw;     /* padding */
    int bias;       /* dense/conv/convt: 1 = with bias (default) */
    int spectral;   /* dense/conv: spectral normalisation of the weight */
    int affine;     /* bn: learnable gamma/beta (default 1) */
    float alpha;    /* lrelu: slope; dropout: probability; bn: momentum;
                       scale: the factor */
    float eps;      /* bn: epsilon (1e-5) */
    gt_shape shape; /* reshape: target shape */
    int fh, fw;     /* upsample factors */
} gt_layer_desc;

gt_layer_desc gt_layer_desc_default(gt_layer_kind kind);

typedef struct gt_model gt_model;

/* An empty model taking samples of shape `input`; nclasses > 0 allows label
 * layers (labels are then passed to forward). */
int gt_model_create(gt_model **out, gt_shape input, int nclasses,
                    gt_error *err);
/* Append a layer; checks that it fits the current output shape. */
int gt_model_add(gt_model *m, const gt_layer_desc *d, gt_error *err);
/* Create from a text spec (see above).  Errors name the line. */
int gt_model_parse(gt_model **out, const char *spec, gt_error *err);
/* The canonical spec text of m (what gt_model_parse reads back to the same
 * model).  Returns the length it needs (excluding NUL), writes at most cap. */
size_t gt_model_spec(const gt_model *m, char *buf, size_t cap);
/* Allocate parameters, gradients, optimiser moments, buffers and
 * activations for batches of up to max_batch samples.  Parameters start as
 * gt_model_init(m, GT_INIT_DCGAN, 0) sets them; call gt_model_init for
 * another scheme or seed.  Layers cannot be added afterwards. */
int gt_model_finalize(gt_model *m, int max_batch, gt_error *err);
void gt_model_free(gt_model *m);

/* --- introspection */
gt_shape gt_model_input_shape(const gt_model *m);
gt_shape gt_model_output_shape(const gt_model *m);
int gt_model_nclasses(const gt_model *m);
int gt_model_nlayers(const gt_model *m);
const gt_layer_desc *gt_model_layer(const gt_model *m, int i);
gt_shape gt_model_layer_output(const gt_model *m, int i);
/* Trained parameters of layer i (valid after finalize). */
size_t gt_model_layer_nparams(const gt_model *m, int i);
int gt_model_max_batch(const gt_model *m);
/* Multiply-add FLOPs (x2) of one forward pass of n samples: convolutions
 * and dense layers only. */
double gt_model_flops(const gt_model *m, int n);

/* --- the flat arrays (valid after finalize) */
size_t gt_model_nparams(const gt_model *m);
/* The parameters, writable: gt_model_infer remakes what it derives from
 * them on its next call. */
float *gt_model_params(gt_model *m);
float *gt_model_grads(gt_model *m);
/* Optimiser state: the moments (m1, m2) and the step count t. */
float *gt_model_moment1(gt_model *m);
float *gt_model_moment2(gt_model *m);
long *gt_model_step_count(gt_model *m);
size_t gt_model_nbuffers(const gt_model *m);
float *gt_model_buffers(gt_model *m);

typedef enum gt_init_kind {
    GT_INIT_DCGAN,  /* weights N(0, 0.02), bn gamma N(1, 0.02), biases 0 */
    GT_INIT_HE,     /* weights N(0, 2 / fan_in) */
    GT_INIT_XAVIER, /* weights U(+-sqrt(6 / (fan_in + fan_out))) */
    GT_INIT_COUNT
} gt_init_kind;

/* (Re)initialise parameters and buffers from a seed; zeroes gradients and
 * optimiser state. */
void gt_model_init(gt_model *m, gt_init_kind kind, uint64_t seed);

/* --- running */
/*
 * Forward n <= max_batch samples x (n, C, H, W).  labels (n class indices)
 * are required when the model has label layers, otherwise ignored.  train:
 * batch statistics, dropout and spectral-norm power iteration on.  If y is
 * not NULL the output is written there as (n, C', H', W').
 * Returns GT_OK, or GT_EINVAL for a bad n or missing/out-of-range labels.
 */
int gt_model_forward(gt_model *m, const float *x, const int *labels, int n,
                     int train, float *y);
/*
 * Inference: what gt_model_forward(m, x, labels, n, 0, y) computes, faster:
 * batch norm and the activation after it are fused into the neighbouring
 * convolutions, 1D k4 s2 p1 convolutions of 4 or more channels in and
 * out run as Winograd F(4, 2) (5/8 of the multiply-adds), layer outputs are
 * not kept, and the samples are split over the threads.  Results agree
 * with forward's within rounding (about 1e-6 of the largest output with
 * Winograd layers; forward's bits at one thread without them).  The same
 * thread count gives the same bits run after run.
 * y (n, C', H', W') is required; it may overlap x (then the path is
 * slower).  The layers' buffers then hold no pass: gt_model_backward and
 * gt_model_backward_input refuse (GT_EINVAL) and gt_model_output is NULL
 * until the next gt_model_forward.  Returns GT_OK, or GT_EINVAL as
 * gt_model_forward does, or for y NULL.
 */
int gt_model_infer(gt_model *m, const float *x, const int *labels, int n, float *y);
/* The last forward's output, channel-major (C', n, H', W'); NULL before the
 * first forward and after gt_model_infer. */
const float *gt_model_output(const gt_model *m);
/*
 * Backward of the last forward (which must have been in train mode) given
 * dy (n, C', H', W').  Adds into the parameter gradients; writes dx
 * (n, C, H, W) if not NULL.
 */
int gt_model_backward(gt_model *m, const float *dy, float *dx);
/* Backward that computes only dx, leaving parameter gradients untouched
 * (the generator's step back-propagates through the discriminator).  It
 * also follows an inference forward (train = 0), differentiating what that
 * computed (batch norm with its running statistics, no dropout): the
 * encoder trains through a frozen generator so. */
int gt_model_backward_input(gt_model *m, const float *dy, float *dx);
void gt_model_zero_grad(gt_model *m);
/* One optimiser step on all parameters (increments the step count). */
void gt_model_step(gt_model *m, const gt_optim_cfg *cfg);

/* Set the dropout stream's seed (also set by gt_model_init). */
void gt_model_seed_dropout(gt_model *m, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
