/*
 * gantry/kernels.h - the engine's layer kernels: plain functions over flat
 * float arrays, outputs first, shapes last.  The model (gantry/model.h) calls
 * them; tests and advanced users may call them directly.
 *
 * Layout.  Activations are channel-major, "CNHW": element (c, n, h, w) of a
 * batch of n samples with C channels and H x W positions lives at
 *     ((c * N + n) * H + h) * W + w.
 * A 1D signal is H = 1.  A batch of feature vectors (dense layers) is the same
 * layout with H = W = 1, i.e. an (F, N) matrix.  Channel-major layout lets a
 * whole batch go through one GEMM and keeps each channel's values contiguous
 * for batch normalisation.  Weights use PyTorch's layouts (noted per layer).
 *
 * Gradients.  A backward function OVERWRITES the input gradient (dinp) and
 * ADDS INTO parameter gradients (dweight, dbias, dgamma, dbeta), so that a
 * model zeroes parameter gradients once per step.  dinp, dweight and dbias
 * may each be NULL when the caller does not need them (the first layer's
 * input gradient; the weight gradients of a discriminator the generator
 * back-propagates through), and that work is then skipped.
 *
 * Kernels never allocate.  Scratch memory is passed in; its required size is
 * given by the matching *_scratch function.
 */
#ifndef GANTRY_KERNELS_H
#define GANTRY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- dense */
/*
 * out (O, N) = weight (O, F) . inp (F, N) + bias (O)     [bias may be NULL]
 */
void gt_dense_forward(float *out, const float *inp, const float *weight,
                      const float *bias, int F, int O, int N);
/* dinp (F, N) = weight^T . dout;  dweight += dout . inp^T;  dbias += sum_n dout */
void gt_dense_backward(float *dinp, float *dweight, float *dbias,
                       const float *dout, const float *inp,
                       const float *weight, int F, int O, int N);

/* ---------------------------------------------------------- convolution */
/*
 * Geometry of a 2D convolution or transposed convolution; 1D is hin = hout =
 * kh = sh = 1, ph = 0.  For a convolution:
 *     hout = (hin + 2 ph - kh) / sh + 1            (likewise w)
 * weight (cout, cin, kh, kw).  For a transposed convolution (PyTorch's
 * ConvTranspose, output_padding 0):
 *     hout = (hin - 1) sh - 2 ph + kh               (likewise w)
 * weight (cin, cout, kh, kw).
 */
typedef struct gt_conv_geom {
    int cin, hin, win;
    int cout, hout, wout;
    int kh, kw;
    int sh, sw;
    int ph, pw;
} gt_conv_geom;

/*
 * Fill hout/wout from the other fields.  transposed selects the transposed
 * formula.  Returns 0, or -1 if the geometry is impossible (non-positive size,
 * padding >= kernel, ...).
 */
int gt_conv_geom_resolve(gt_conv_geom *g, int transposed);

/*
 * Floats of scratch ("col") that gt_conv_* and gt_convt_* need for a batch of
 * n when at most `cap` floats are available: the kernels process the batch in
 * chunks of whole samples, so any size >= gt_conv_scratch(g, 1) works, and
 * gt_conv_scratch(g, n) lets the whole batch go through one GEMM.  For the
 * 2D stride-2 4x4 layers with padding 1 and 8 or more channels a side (the
 * DCGANs'), it covers their Winograd form, which the kernels take whenever
 * col_cap holds it for one sample (with less they keep im2col); its size
 * has a part that does not grow with n.
 * Same value for conv and transposed conv of the same geometry.  It is 0
 * for 1x1 kernels with stride 1 and no padding, which need no unfolding.
 */
size_t gt_conv_scratch(const gt_conv_geom *g, int n);

/* out (cout, N, hout, wout) = conv(inp (cin, N, hin, win)) + bias */
void gt_conv_forward(float *out, const float *inp, const float *weight,
                     const float *bias, float *col, size_t col_cap,
                     const gt_conv_geom *g, int N);
void gt_conv_backward(float *dinp, float *dweight, float *dbias,
                      const float *dout, const float *inp, const float *weight,
                      float *col, size_t col_cap, const gt_conv_geom *g, int N);

/* Transposed convolution: out (cout, N, hout, wout), inp (cin, N, hin, win),
 * weight (cin, cout, kh, kw), bias (cout). */
void gt_convt_forward(float *out, const float *inp, const float *weight,
                      const float *bias, float *col, size_t col_cap,
                      const gt_conv_geom *g, int N);
void gt_convt_backward(float *dinp, float *dweight, float *dbias,
                       const float *dout, const float *inp,
                       const float *weight, float *col, size_t col_cap,
                       const gt_conv_geom *g, int N);

/* ------------------------------------------------- batch normalisation */
/*
 * Per-channel normalisation over M = N * H * W values (contiguous per channel
 * in CNHW layout).  Training: batch statistics; mean/rstd (C) are saved for
 * backward; running_mean/running_var (C) are updated as in PyTorch
 * (running = (1 - momentum) running + momentum * batch, with the unbiased
 * variance).  Inference (train = 0): running statistics; mean/rstd are
 * filled from them.  eps as in PyTorch (1e-5).  gamma/beta may be NULL (no
 * affine transform); running_mean/running_var may be NULL (no running
 * statistics: training skips the update, inference uses the batch's).
 */
void gt_batchnorm_forward(float *out, float *mean, float *rstd,
                          const float *inp, const float *gamma,
                          const float *beta, float *running_mean,
                          float *running_var, int C, int M, float momentum,
                          float eps, int train);
/* Backward of the training-mode forward (batch statistics). */
void gt_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                           const float *dout, const float *inp,
                           const float *mean, const float *rstd,
                           const float *gamma, int C, int M);

/* ---------------------------------------------------------- activations */
/* Elementwise over n values.  Backward takes the forward's output (out) or
 * input (inp) as noted. */
void gt_relu_forward(float *out, const float *inp, size_t n);
void gt_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
void gt_lrelu_forward(float *out, const float *inp, size_t n, float slope);
void gt_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope);
void gt_tanh_forward(float *out, const float *inp, size_t n);
void gt_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void gt_sigmoid_forward(float *out, const float *inp, size_t n);
void gt_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);
/* out = k * inp, the `scale` layer; its backward is the same map of dout. */
void gt_scale_forward(float *out, const float *inp, size_t n, float k);

/*
 * Inverted dropout: out = inp * mask, mask[i] = 0 with probability p and
 * 1/(1-p) otherwise, drawn from rng (advanced).  train = 0 copies inp and
 * leaves the mask untouched.
 */
void gt_dropout_forward(float *out, float *mask, const float *inp, size_t n,
                        float p, gt_rng *rng, int train);
void gt_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n);

/* --------------------------------------------------- layout and shape */
/*
 * Flatten: CNHW (C, N, HW) -> (C*HW, N), feature index c*HW + hw, as
 * PyTorch's x.view(N, -1) orders it.  Unflatten is its inverse (a reshape of
 * a feature vector into C x H x W).  Each is the other's backward.
 */
void gt_flatten_forward(float *out, const float *inp, int C, int N, int HW);
void gt_unflatten_forward(float *out, const float *inp, int C, int N, int HW);

/* Nearest-neighbour upsampling by integer factors fh, fw:
 * (C, N, H, W) -> (C, N, H*fh, W*fw).  Backward sums each block. */
void gt_upsample_forward(float *out, const float *inp, int C, int N, int H,
                         int W, int fh, int fw);
void gt_upsample_backward(float *dinp, const float *dout, int C, int N, int H,
                          int W, int fh, int fw);

/*
 * Translation of samples along their last axis (DiffAugment's translation):
 * x (n, R, L), sample-major, R rows of L values each; sample i moves by
 * shift[i] (positive: later), out[i, r, j] = x[i, r, j - shift[i]], zero
 * where j - shift[i] falls outside [0, L).  Backward is its adjoint: dx[i,
 * r, k] = dout[i, r, k + shift[i]], zero outside.  out and x (dx and dout)
 * must not overlap.
 */
void gt_translate_forward(float *out, const float *x, int n, int R, int L, const int *shift);
void gt_translate_backward(float *dx, const float *dout, int n, int R, int L, const int *shift);

/*
 * Class conditioning by concatenation: out (C + E, N, HW) holds inp's C
 * channels followed by E label channels, constant over HW.  With table ==
 * NULL the label channels are one-hot (E = number of classes); otherwise
 * they are the learnable embedding table[labels[n] * E + e], table (K, E).
 * Backward copies the first C channels' gradient into dinp and adds the
 * label channels' gradient (summed over HW) into dtable (if not NULL).
 */
void gt_label_concat_forward(float *out, const float *inp, const int *labels,
                             const float *table, int C, int E, int N, int HW);
void gt_label_concat_backward(float *dinp, float *dtable, const float *dout,
                              const int *labels, int C, int E, int N, int HW);

/* ---------------------------------------------- spectral normalisation */
/*
 * Spectral normalisation (Miyato et al. 2018) of a weight viewed as a matrix
 * (rows, cols), rows = its first dimension in PyTorch's layout (dense: O,
 * conv: cout; cols = everything else), as torch.nn.utils.spectral_norm does
 * for dense and convolution layers:
 *     repeat iters times: v = normalize(W^T u), u = normalize(W v)
 *     sigma = u^T W v,  wn = W / sigma
 * (normalize(x) = x / max(||x||, 1e-12)).  u (rows) and v (cols) persist
 * between calls; train = 0 uses them without iterating.  Writes wn
 * (rows * cols) and returns sigma.
 */
float gt_spectral_norm_forward(float *wn, float *u, float *v,
                               const float *w, int rows, int cols, int iters,
                               int train);
/*
 * Backward through wn = W / sigma(W) with u, v held fixed, as PyTorch does:
 *     dW += (dwn - (sum(dwn .* wn)) u v^T) / sigma
 */
void gt_spectral_norm_backward(float *dw, const float *dwn, const float *wn,
                               const float *u, const float *v, float sigma,
                               int rows, int cols);

#ifdef __cplusplus
}
#endif
#endif
