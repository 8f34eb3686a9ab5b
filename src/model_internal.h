/* The model's insides, shared by model.c, spec.c and the model file code. */
#ifndef GANTRY_MODEL_INTERNAL_H
#define GANTRY_MODEL_INTERNAL_H

#include "gantry/kernels.h"
#include "gantry/model.h"
#include "gantry/rng.h"

typedef struct gt__layer {
    gt_layer_desc d;
    gt_shape in, out;
    gt_conv_geom geom;   /* conv / convt */
    size_t w_off, w_n;   /* weight, bn gamma or label table, in params */
    size_t b_off, b_n;   /* bias or bn beta, in params */
    size_t buf_off;      /* bn: running mean then var; sn: u then v */
    int sn_rows, sn_cols;
    float sigma;         /* sn: the last forward's sigma */
    float *act;          /* output (out.c, N, out.h, out.w) */
    float *aux;          /* bn: mean, rstd; dropout: mask; sn: wn, dwn */
} gt__layer;

struct gt_model {
    gt_shape input;
    int nclasses;
    int nlayers, cap;
    gt__layer *layers;
    int finalized, max_batch;
    size_t nparams, nbuffers;
    float *params, *grads, *m1, *m2; /* one block, four parallel arrays */
    long t;
    float *buffers;
    float *in_act;                   /* the input, channel-major */
    float *gbuf[2];                  /* ping-pong gradient buffers */
    float *col;                      /* convolution scratch */
    size_t col_cap;
    int *labels;
    int n, last_train;
    gt_rng drop_rng;
};

/* Elements of one sample of a shape. */
static inline size_t gt__shape_size(gt_shape s)
{
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* 64-byte aligned, zeroed floats; gt__free_floats releases them. */
float *gt__alloc_floats(size_t n);
void gt__free_floats(float *p);

#endif
