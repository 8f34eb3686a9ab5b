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
    size_t map_off;      /* bn: its inference map (mean, scale, shift) in imap */
    int wino;            /* conv inferred by Winograd (winograd.h) */
    size_t wino_off;     /* its transformed weights in m->wino */
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
    float *gbuf[2];                  /* ping-pong gradient buffers (inference:
                                        activations, src/infer.c) */
    float *col;                      /* convolution scratch */
    size_t col_cap;
    float *imap;                     /* batch norms' inference maps (src/infer.c) */
    float *wino;                     /* Winograd-transformed weights (src/infer.c) */
    unsigned long pgen;              /* bumped whenever params may change ... */
    unsigned long wino_gen;          /* ... and the pgen wino was made at */
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

/* (n, C, HW) <-> (C, n, HW) */
void gt__to_channel_major(float *dst, const float *src, int n, int C, size_t HW);
void gt__to_sample_major(float *dst, const float *src, int n, int C, size_t HW);

/* Check n and the labels of a forward pass and copy the labels to m->labels:
 * GT_OK or GT_EINVAL. */
int gt__model_take_input(gt_model *m, const int *labels, int n);

/* The weight layer L computes with: its own, or (spectral normalisation) the
 * normalised copy it writes into L->aux. */
const float *gt__layer_weight(gt_model *m, gt__layer *L, int train);

/*
 * Forward of one layer over n samples, in (channel-major) to out; labels are
 * the n samples' classes (label layers).  Conv and dense layers use m->col
 * and, with spectral normalisation, write L->aux; batch norm writes L->aux
 * and (train) the running statistics; dropout (train) draws from m->drop_rng.
 * The other kinds touch nothing but out, so calls on disjoint buffers may run
 * concurrently.
 */
void gt__layer_forward(gt_model *m, gt__layer *L, const float *in, float *out,
                       const int *labels, int n, int train);

#endif
