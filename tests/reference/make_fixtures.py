#!/usr/bin/python3
"""PyTorch reference fixtures for Gantry's parity tests.

Usage (Debian's interpreter, which has python3-torch 1.13 and numpy):

    /usr/bin/python3 tests/reference/make_fixtures.py tests/fixtures

Writes one file per case, tests/fixtures/<case>.gtfx, in the format read by
tests/testutil.c:

    "GTFX"  u32 version (1)  u32 count, then per array:
    u32 name_len, name bytes, u32 ndim, u32 dims[ndim], float32 data[prod(dims)]
    (everything little-endian, data row-major / C order).

Arrays are in PyTorch's own layouts (NCHW, NCL, (N, F) for dense layers,
weights as PyTorch stores them); the C tests convert activations to the
engine's channel-major layout.  Inputs come from fixed seeds (each case has
a torch.Generator seeded with the CRC-32 of its name); everything except gan_adam_steps is
computed in float64 (module.double()) and stored as float32.  The output is
deterministic: rerunning gives byte-identical files.

Backward passes use L = sum(dout * out) for a stored random dout, so every
d<name> array is dL/d<name>.

Cases and arrays
----------------
conv1d_<geom>      Conv1d, x (N,Cin,L), weight (Cout,Cin,K), bias (Cout),
                   dout/out (N,Cout,Lout), dx, dweight, dbias, and
                   geom = [kh, kw, sh, sw, ph, pw] (kh = sh = 1, ph = 0 in 1D).
                   Geometries: k4s2p1, k3s1p0, k5s2p2 (odd L), k1s1p0, k4s1p0.
convt1d_<geom>     ConvTranspose1d (output_padding 0), same arrays with
                   weight (Cin,Cout,K).  Geometries: k4s2p1, k4s1p0 (from L = 1,
                   a generator's first layer), k3s1p1, k5s2p2.
conv2d_<geom>      Conv2d, x (N,Cin,H,W), weight (Cout,Cin,KH,KW), arrays as
                   conv1d.  Geometries: k4s2p1, k3s1p1, k5s2p2 (odd sizes),
                   k3x2s21p10 (kernel (3,2), stride (2,1), padding (1,0)).
convt2d_<geom>     ConvTranspose2d, weight (Cin,Cout,KH,KW); geometries as
                   conv2d.
linear_bias        Linear: x (N,F), weight (O,F), bias (O), dout/out (N,O),
linear_nobias      dx, dweight, dbias (linear_nobias has no bias/dbias).
bn1d, bn2d, bn1d_nc
                   BatchNorm1d on (N,C,L), BatchNorm2d on (N,C,H,W) and
                   BatchNorm1d on (N,C) (dense), momentum 0.1, eps 1e-5:
                   x, gamma, beta, running_mean0, running_var0 (before),
                   out (training forward), batch_mean, batch_rstd
                   (1/sqrt(biased var + eps)), running_mean1, running_var1
                   (after the training forward), dout, dx, dgamma, dbeta, and
                   eval_out (eval forward of the same x with the updated
                   running statistics).
act_relu, act_lrelu (slope 0.2), act_tanh, act_sigmoid, act_scale (the scale
                   layer, x times 4.5)
                   x, out, dout, dx (any shape; elementwise, stored flat).
upsample1d         nn.Upsample(scale_factor=2, nearest) on x (N,C,L):
                   x, out (N,C,2L), dout, dx.
upsample2d         the same on x (N,C,H,W): out (N,C,2H,2W).
flatten            x (N,C,H,W), out = x.view(N,-1) (N,C*H*W), dout, dx.
sn_conv1d          spectral_norm(Conv1d(3,4,4,2,1)) and
sn_linear          spectral_norm(Linear(6,5)), one power iteration, training
                   mode: x, weight (= weight_orig), bias, u0, v0 (the unit
                   vectors set into weight_u/weight_v before the forward), u, v,
                   sigma (1 element) and wn (normalised weight) after one
                   training forward, out, dout, dx, dwn (dL/d wn),
                   dweight (dL/d weight_orig), dbias.
loss_bce           binary_cross_entropy_with_logits (mean) of x (includes
                   +-50, +-100, +-20, 0): loss_t1, dx_t1, loss_t0, dx_t0, loss_t09,
                   dx_t09 for constant targets 1, 0, 0.9; targets (per value)
                   with loss_tv, dx_tv.
loss_hinge         loss_real = mean(relu(1 - x)), dx_real, loss_fake =
                   mean(relu(1 + x)), dx_fake.
loss_wgan          loss_real = -mean(x) (sign -1), dx_real, loss_fake =
                   mean(x) (sign +1), dx_fake.
loss_mse, loss_l1  x, y, loss = mean((x-y)^2) / mean(|x-y|), dx.
optim_adam_gan     Adam(lr 2e-4, betas (0.5, 0.999)),
optim_adam_wd      Adam(lr 1e-3, betas (0.9, 0.999), weight_decay 0.01),
optim_sgd_momentum SGD(lr 0.1, momentum 0.9),
optim_sgd          SGD(lr 0.1):
                   cfg = [lr, beta1 (SGD: momentum), beta2, eps, weight_decay],
                   p0 (the initial vector), grad1..grad5 (the gradient given
                   at step t), p1..p5 (parameters after step t).
gan_adam_steps     (float32 throughout, like the engine) a small 1D DCGAN,
                   batch 4, latent 8, window 32:
                     G = Linear(8,32), BatchNorm1d(32), ReLU, Unflatten(1,(2,16)),
                         ConvTranspose1d(2,1,4,2,1), Tanh
                     D = Conv1d(1,8,4,2,1), LeakyReLU(0.2), Conv1d(8,16,4,2,1),
                         BatchNorm1d(16), LeakyReLU(0.2), Flatten,
                         Linear(128,1)
                   torch.manual_seed(0), build G then D, then the DCGAN init
                   (G.apply, then D.apply: conv/linear weights N(0, 0.02),
                   biases 0, BN gamma N(1, 0.02), beta 0).  Adam(lr 2e-4,
                   betas (0.5, 0.999)) for each net.  Both nets stay in train
                   mode.  Step s = 1..3:
                     D.zero_grad(); errD_real = bce(D(real_s), 1); backward
                     fake = G(z_s); errD_fake = bce(D(fake.detach()), 0); backward
                     optD.step()
                     G.zero_grad(); errG = bce(D(fake), 1); backward; optG.step()
                   So D's BN running stats are updated by three forwards per
                   step (real, fake, fake again with the updated D) and G's by
                   one.  Arrays:
                     g_params0, d_params0   flat initial parameters, order of
                                            net.parameters(): per layer weight
                                            then bias, BN gamma then beta
                     g_buffers0, d_buffers0 BN running_mean then running_var
                                            per BN layer (0s and 1s)
                     z1..z3 (4,8), real1..real3 (4,1,32) (sine waves + noise)
                     fake1..fake3 (4,1,32)  G(z_s) before G's update
                     loss_d_real1..3, loss_d_fake1..3, loss_g1..3  (1 element)
                     g_params1..3, d_params1..3, g_buffers1..3, d_buffers1..3
                                            after step s
                     g_params_noisy, d_params_noisy, g_buffers_noisy,
                     d_buffers_noisy        1.0 where the value is NOT
                                            reproducible in float32, else 0
                   The noisy entries: G's Linear bias (g_params[256:288]) and
                   D's second conv bias (d_params[552:568]) feed a training
                   BatchNorm, so their true gradient is exactly 0 and what
                   float32 computes is rounding noise (~1e-9, near Adam's
                   eps 1e-8); Adam turns it into steps of up to ~lr each way.
                   The following BN's running_mean inherits that noise.
                   Replayed in float64, these entries differ from the stored
                   float32 ones by up to 6e-4 (params) and 2e-4 (buffers)
                   after 3 steps; everything else agrees to ~2e-7 (losses and
                   fake to ~1e-7).  Compare the noisy entries only loosely
                   (|diff| <= 2 * lr * s for params, e.g.).
"""

import math
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DT = torch.float64


# ------------------------------------------------------------------ writer

def write_fixture(path, arrays):
    """arrays: list of (name, tensor or array); written in that order."""
    out = bytearray()
    out += b"GTFX"
    out += struct.pack("<II", 1, len(arrays))
    seen = set()
    for name, value in arrays:
        assert name not in seen, name
        seen.add(name)
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(value, dtype=np.float64)).astype("<f4")
        if a.ndim == 0:
            a = a.reshape(1)
        assert np.all(np.isfinite(a)), name
        nb = name.encode("ascii")
        assert 0 < len(nb) < 64
        out += struct.pack("<I", len(nb)) + nb
        out += struct.pack("<I", a.ndim)
        for d in a.shape:
            out += struct.pack("<I", d)
        out += a.tobytes(order="C")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(bytes(out))
    os.replace(tmp, path)
    return len(out)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Ctx:
    """Per-case random source."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.g, dtype=DT) * scale

    def uniform(self, *shape, lo=-1.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=self.g, dtype=DT)


def backward_arrays(out, dout, named):
    """Backprop L = sum(dout * out); returns [(d<name>, grad)] for named leaves."""
    grads = torch.autograd.grad((out * dout).sum(), [t for _, t in named])
    return [("d" + n, g) for (n, _), g in zip(named, grads)]


# --------------------------------------------------------------- convolutions

def conv_case(ctx, dim, transposed, n, cin, cout, size, k, s, p):
    """size/k/s/p: ints (1D) or pairs (2D)."""
    if dim == 1:
        size, k, s, p = (size,), (k,), (s,), (p,)
    x = ctx.randn(n, cin, *size).requires_grad_(True)
    fan = cin * math.prod(k)
    wscale = 1.0 / math.sqrt(fan)
    if transposed:
        weight = ctx.randn(cin, cout, *k, scale=wscale)
    else:
        weight = ctx.randn(cout, cin, *k, scale=wscale)
    weight.requires_grad_(True)
    bias = ctx.randn(cout, scale=0.5).requires_grad_(True)
    fn = {(1, False): F.conv1d, (1, True): F.conv_transpose1d,
          (2, False): F.conv2d, (2, True): F.conv_transpose2d}[(dim, transposed)]
    out = fn(x, weight, bias, stride=s, padding=p)
    dout = ctx.randn(*out.shape)
    if dim == 1:
        geom = [1, k[0], 1, s[0], 0, p[0]]
    else:
        geom = [k[0], k[1], s[0], s[1], p[0], p[1]]
    arrays = [("geom", torch.tensor(geom, dtype=DT)), ("x", x), ("weight", weight),
              ("bias", bias), ("dout", dout), ("out", out)]
    arrays += backward_arrays(out, dout, [("x", x), ("weight", weight), ("bias", bias)])
    return arrays


CONV1D = [  # name, n, cin, cout, L, k, s, p
    ("k4s2p1", 2, 3, 4, 16, 4, 2, 1),
    ("k3s1p0", 2, 3, 5, 12, 3, 1, 0),
    ("k5s2p2", 3, 2, 4, 15, 5, 2, 2),
    ("k1s1p0", 2, 4, 3, 9, 1, 1, 0),
    ("k4s1p0", 2, 3, 2, 10, 4, 1, 0),
]
CONVT1D = [
    ("k4s2p1", 2, 4, 3, 8, 4, 2, 1),
    ("k4s1p0", 3, 8, 4, 1, 4, 1, 0),
    ("k3s1p1", 2, 3, 4, 10, 3, 1, 1),
    ("k5s2p2", 2, 3, 2, 7, 5, 2, 2),
]
CONV2D = [  # name, n, cin, cout, (H,W), k, s, p
    ("k4s2p1", 2, 2, 3, (8, 8), (4, 4), (2, 2), (1, 1)),
    ("k3s1p1", 2, 3, 2, (6, 5), (3, 3), (1, 1), (1, 1)),
    ("k5s2p2", 2, 2, 3, (9, 7), (5, 5), (2, 2), (2, 2)),
    ("k3x2s21p10", 2, 2, 3, (8, 6), (3, 2), (2, 1), (1, 0)),
]
CONVT2D = [
    ("k4s2p1", 2, 3, 2, (4, 4), (4, 4), (2, 2), (1, 1)),
    ("k3s1p1", 2, 2, 3, (5, 6), (3, 3), (1, 1), (1, 1)),
    ("k5s2p2", 2, 2, 3, (5, 4), (5, 5), (2, 2), (2, 2)),
    ("k3x2s21p10", 2, 3, 2, (4, 5), (3, 2), (2, 1), (1, 0)),
]


def _conv_family(prefix, table, dim, transposed):
    for row in table:
        def make(ctx, row=row):
            _, n, cin, cout, size, k, s, p = row
            return conv_case(ctx, dim, transposed, n, cin, cout, size, k, s, p)
        make.case_name = prefix + "_" + row[0]
        CASES.append(make)


_conv_family("conv1d", CONV1D, 1, False)
_conv_family("convt1d", CONVT1D, 1, True)
_conv_family("conv2d", CONV2D, 2, False)
_conv_family("convt2d", CONVT2D, 2, True)


# ---------------------------------------------------------------- dense

def linear_case(ctx, with_bias):
    n, f, o = 3, 7, 5
    x = ctx.randn(n, f).requires_grad_(True)
    weight = ctx.randn(o, f, scale=1.0 / math.sqrt(f)).requires_grad_(True)
    arrays = [("x", x), ("weight", weight)]
    leaves = [("x", x), ("weight", weight)]
    bias = None
    if with_bias:
        bias = ctx.randn(o, scale=0.5).requires_grad_(True)
        arrays.append(("bias", bias))
        leaves.append(("bias", bias))
    out = F.linear(x, weight, bias)
    dout = ctx.randn(*out.shape)
    arrays += [("dout", dout), ("out", out)]
    arrays += backward_arrays(out, dout, leaves)
    return arrays


@case
def linear_bias(ctx):
    return linear_case(ctx, True)


@case
def linear_nobias(ctx):
    return linear_case(ctx, False)


# ---------------------------------------------------------- batch norm

def bn_case(ctx, shape):
    c = shape[1]
    bn = (nn.BatchNorm2d(c) if len(shape) == 4 else nn.BatchNorm1d(c)).double()
    x = (ctx.randn(*shape, scale=1.5) + 0.7).requires_grad_(True)
    with torch.no_grad():
        bn.weight.copy_(1.0 + ctx.randn(c, scale=0.3))
        bn.bias.copy_(ctx.randn(c, scale=0.3))
        bn.running_mean.copy_(ctx.randn(c, scale=0.2))
        bn.running_var.copy_(ctx.uniform(c, lo=0.5, hi=1.5))
    arrays = [("x", x), ("gamma", bn.weight), ("beta", bn.bias),
              ("running_mean0", bn.running_mean.clone()),
              ("running_var0", bn.running_var.clone())]
    bn.train()
    out = bn(x)
    dims = [d for d in range(len(shape)) if d != 1]
    bmean = x.detach().mean(dim=dims)
    bvar = x.detach().var(dim=dims, unbiased=False)
    dout = ctx.randn(*out.shape)
    arrays += [("out", out), ("batch_mean", bmean),
               ("batch_rstd", 1.0 / torch.sqrt(bvar + bn.eps)),
               ("running_mean1", bn.running_mean.clone()),
               ("running_var1", bn.running_var.clone()), ("dout", dout)]
    dx, dgamma, dbeta = torch.autograd.grad((out * dout).sum(), [x, bn.weight, bn.bias])
    arrays += [("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta)]
    bn.eval()
    with torch.no_grad():
        arrays.append(("eval_out", bn(x)))
    return arrays


@case
def bn1d(ctx):
    return bn_case(ctx, (4, 3, 10))


@case
def bn2d(ctx):
    return bn_case(ctx, (3, 4, 5, 6))


@case
def bn1d_nc(ctx):
    return bn_case(ctx, (6, 5))


# ---------------------------------------------------------- activations

def act_case(ctx, fn):
    x = ctx.randn(3, 4, 7, scale=2.0).requires_grad_(True)
    out = fn(x)
    dout = ctx.randn(*out.shape)
    return [("x", x), ("out", out), ("dout", dout)] + backward_arrays(out, dout, [("x", x)])


@case
def act_relu(ctx):
    return act_case(ctx, F.relu)


@case
def act_lrelu(ctx):
    return act_case(ctx, lambda t: F.leaky_relu(t, 0.2))


@case
def act_tanh(ctx):
    return act_case(ctx, torch.tanh)


@case
def act_sigmoid(ctx):
    return act_case(ctx, torch.sigmoid)


@case
def act_scale(ctx):
    return act_case(ctx, lambda t: 4.5 * t)


# ------------------------------------------------------- layout and shape

def upsample_case(ctx, shape):
    x = ctx.randn(*shape).requires_grad_(True)
    out = nn.Upsample(scale_factor=2, mode="nearest")(x)
    dout = ctx.randn(*out.shape)
    return [("x", x), ("out", out), ("dout", dout)] + backward_arrays(out, dout, [("x", x)])


@case
def upsample1d(ctx):
    return upsample_case(ctx, (2, 3, 5))


@case
def upsample2d(ctx):
    return upsample_case(ctx, (2, 3, 4, 3))


@case
def flatten(ctx):
    x = ctx.randn(3, 4, 2, 5).requires_grad_(True)
    out = x.view(x.shape[0], -1)
    dout = ctx.randn(*out.shape)
    return [("x", x), ("out", out), ("dout", dout)] + backward_arrays(out, dout, [("x", x)])


# ------------------------------------------------- spectral normalisation

def sn_case(ctx, module, xshape):
    module = module.double()
    with torch.no_grad():
        module.weight.copy_(ctx.randn(*module.weight.shape, scale=0.4))
        module.bias.copy_(ctx.randn(*module.bias.shape, scale=0.3))
    module = nn.utils.spectral_norm(module)  # n_power_iterations=1, eps=1e-12
    rows = module.weight_orig.shape[0]
    cols = module.weight_orig.numel() // rows
    u0 = F.normalize(ctx.randn(rows), dim=0)
    v0 = F.normalize(ctx.randn(cols), dim=0)
    with torch.no_grad():
        module.weight_u.copy_(u0)
        module.weight_v.copy_(v0)
    x = ctx.randn(*xshape).requires_grad_(True)
    arrays = [("x", x), ("weight", module.weight_orig.detach().clone()),
              ("bias", module.bias), ("u0", u0), ("v0", v0)]
    module.train()
    out = module(x)
    wn = module.weight  # set by the pre-hook: weight_orig / sigma
    wmat = module.weight_orig.detach().reshape(rows, cols)
    sigma = torch.dot(module.weight_u, torch.mv(wmat, module.weight_v))
    dout = ctx.randn(*out.shape)
    dx, dwn, dweight, dbias = torch.autograd.grad(
        (out * dout).sum(), [x, wn, module.weight_orig, module.bias])
    arrays += [("u", module.weight_u), ("v", module.weight_v),
               ("sigma", sigma.reshape(1)), ("wn", wn), ("out", out),
               ("dout", dout), ("dx", dx), ("dwn", dwn), ("dweight", dweight),
               ("dbias", dbias)]
    return arrays


@case
def sn_conv1d(ctx):
    return sn_case(ctx, nn.Conv1d(3, 4, 4, 2, 1), (2, 3, 12))


@case
def sn_linear(ctx):
    return sn_case(ctx, nn.Linear(6, 5), (3, 6))


# ------------------------------------------------------------------ losses

def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss, [x])
    return g


@case
def loss_bce(ctx):
    x = torch.cat([torch.tensor([50.0, -50.0, 100.0, -100.0, 20.0, -20.0, 0.0], dtype=DT),
                   ctx.randn(9, scale=3.0)]).requires_grad_(True)
    arrays = [("x", x)]
    for tag, t in (("t1", 1.0), ("t0", 0.0), ("t09", 0.9)):
        loss = F.binary_cross_entropy_with_logits(x, torch.full_like(x, t))
        arrays += [("loss_" + tag, loss.reshape(1)), ("dx_" + tag, grad_of(loss, x))]
    targets = ctx.uniform(x.numel(), lo=0.0, hi=1.0)
    targets[:2] = torch.tensor([0.0, 1.0], dtype=DT)  # worst case at +-50
    loss = F.binary_cross_entropy_with_logits(x, targets)
    arrays += [("targets", targets), ("loss_tv", loss.reshape(1)),
               ("dx_tv", grad_of(loss, x))]
    return arrays


def _away_from(x, points, gap=0.05):
    """Nudge values off the kinks of piecewise-linear losses."""
    for p in points:
        near = (x - p).abs() < gap
        x = torch.where(near, p + torch.sign(x - p + 1e-30) * gap * 2, x)
    return x


@case
def loss_hinge(ctx):
    x = _away_from(ctx.randn(16, scale=1.5), [1.0, -1.0]).requires_grad_(True)
    lr = F.relu(1.0 - x).mean()
    lf = F.relu(1.0 + x).mean()
    return [("x", x), ("loss_real", lr.reshape(1)), ("dx_real", grad_of(lr, x)),
            ("loss_fake", lf.reshape(1)), ("dx_fake", grad_of(lf, x))]


@case
def loss_wgan(ctx):
    x = ctx.randn(16, scale=2.0).requires_grad_(True)
    lr = -x.mean()
    lf = x.mean()
    return [("x", x), ("loss_real", lr.reshape(1)), ("dx_real", grad_of(lr, x)),
            ("loss_fake", lf.reshape(1)), ("dx_fake", grad_of(lf, x))]


@case
def loss_mse(ctx):
    x = ctx.randn(20).requires_grad_(True)
    y = ctx.randn(20)
    loss = F.mse_loss(x, y)
    return [("x", x), ("y", y), ("loss", loss.reshape(1)), ("dx", grad_of(loss, x))]


@case
def loss_l1(ctx):
    y = ctx.randn(20)
    x = (y + _away_from(ctx.randn(20), [0.0])).requires_grad_(True)
    loss = F.l1_loss(x, y)
    return [("x", x), ("y", y), ("loss", loss.reshape(1)), ("dx", grad_of(loss, x))]


def spec_match_loss(x, cls, target, eps, L):
    """gantry/spec_match.h's loss of windows x (n, C, L) of classes cls
    against log targets (K, C, nb) and eps (K, C); classes without windows
    left out."""
    h = torch.hann_window(L, periodic=True, dtype=DT)
    p = torch.fft.rfft(x * h, dim=-1).abs() ** 2 / L
    terms, total = 0, 0.0
    for k in range(target.shape[0]):
        m = cls == k
        if not bool(m.any()):
            continue
        pk = p[m].mean(dim=0)
        total = total + ((torch.log(pk + eps[k][:, None]) - target[k]) ** 2).sum()
        terms += pk.numel()
    return total / terms


@case
def loss_spec_match(ctx):
    L, C, K = 32, 2, 3
    real = ctx.randn(9, C, L)
    real[:, 1] *= 3.0
    rcls = torch.tensor([0, 1, 0, 1, 1, 0, 0, 1, 0])  # class 2: no real windows
    h = torch.hann_window(L, periodic=True, dtype=DT)
    pr = torch.fft.rfft(real * h, dim=-1).abs() ** 2 / L
    target = torch.zeros(K, C, L // 2 + 1, dtype=DT)
    eps = torch.ones(K, C, dtype=DT)
    for k in range(2):
        t = pr[rcls == k].mean(dim=0)
        eps[k] = 1e-6 * t.mean(dim=-1)
        target[k] = torch.log(t + eps[k][:, None])
    x = ctx.randn(5, C, L, scale=0.7).requires_grad_(True)
    xcls = torch.tensor([1, 0, 2, 1, 1])
    loss = spec_match_loss(x, xcls, target[:2], eps[:2], L)
    return [("real", real), ("real_cls", rcls.to(DT)), ("x", x), ("x_cls", xcls.to(DT)),
            ("loss", loss.reshape(1)), ("dx", grad_of(loss, x))]


# --------------------------------------------------------------- optimisers

def optim_case(ctx, make_opt, cfg):
    n = 12
    p = nn.Parameter(ctx.randn(n))
    opt = make_opt([p])
    arrays = [("cfg", torch.tensor(cfg, dtype=DT)), ("p0", p.detach().clone())]
    for t in range(1, 6):
        g = ctx.randn(n, scale=0.5) + 0.1 * t
        p.grad = g.clone()
        opt.step()
        arrays += [("grad%d" % t, g), ("p%d" % t, p.detach().clone())]
    return arrays


@case
def optim_adam_gan(ctx):
    return optim_case(ctx, lambda ps: torch.optim.Adam(ps, lr=2e-4, betas=(0.5, 0.999)),
                      [2e-4, 0.5, 0.999, 1e-8, 0.0])


@case
def optim_adam_wd(ctx):
    return optim_case(ctx, lambda ps: torch.optim.Adam(ps, lr=1e-3, betas=(0.9, 0.999),
                                                       weight_decay=0.01),
                      [1e-3, 0.9, 0.999, 1e-8, 0.01])


@case
def optim_sgd_momentum(ctx):
    return optim_case(ctx, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                      [0.1, 0.9, 0.0, 0.0, 0.0])


@case
def optim_sgd(ctx):
    return optim_case(ctx, lambda ps: torch.optim.SGD(ps, lr=0.1),
                      [0.1, 0.0, 0.0, 0.0, 0.0])


# ----------------------------------------------------- whole GAN steps

def dcgan_init(m):
    if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm1d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def flat_params(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def noisy_masks(net):
    """1.0 for the bias of a dense/conv layer that feeds a training-mode
    BatchNorm directly (its true gradient is exactly 0: the batch mean removes
    it), and for that BatchNorm's running_mean; (params mask, buffers mask)."""
    pmask, bmask = [], []
    mods = list(net)
    for i, m in enumerate(mods):
        feeds_bn = i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm1d)
        for name, p in m.named_parameters(recurse=False):
            pmask.append(torch.full((p.numel(),), 1.0 if feeds_bn and name == "bias" else 0.0))
        if isinstance(m, nn.BatchNorm1d):
            prev_bias = i > 0 and getattr(mods[i - 1], "bias", None) is not None
            bmask += [torch.full((m.num_features,), 1.0 if prev_bias else 0.0),
                      torch.zeros(m.num_features)]
    return torch.cat(pmask), torch.cat(bmask)


def flat_buffers(net):
    parts = []
    for m in net.modules():
        if isinstance(m, nn.BatchNorm1d):
            parts += [m.running_mean.detach().flatten(), m.running_var.detach().flatten()]
    return torch.cat(parts)


@case
def gan_adam_steps(ctx):
    f32 = torch.float32
    batch, latent, window = 4, 8, 32
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(latent, 32), nn.BatchNorm1d(32), nn.ReLU(),
                      nn.Unflatten(1, (2, 16)), nn.ConvTranspose1d(2, 1, 4, 2, 1),
                      nn.Tanh())
    D = nn.Sequential(nn.Conv1d(1, 8, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv1d(8, 16, 4, 2, 1), nn.BatchNorm1d(16),
                      nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(16 * 8, 1))
    G.apply(dcgan_init)
    D.apply(dcgan_init)
    G.train()
    D.train()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    arrays = [("g_params0", flat_params(G)), ("d_params0", flat_params(D)),
              ("g_buffers0", flat_buffers(G)), ("d_buffers0", flat_buffers(D))]
    (gpm, gbm), (dpm, dbm) = noisy_masks(G), noisy_masks(D)
    assert gpm.numel() == arrays[0][1].numel() and dpm.numel() == arrays[1][1].numel()
    arrays += [("g_params_noisy", gpm), ("d_params_noisy", dpm),
               ("g_buffers_noisy", gbm), ("d_buffers_noisy", dbm)]
    t = torch.arange(window, dtype=f32)
    for s in range(1, 4):
        z = torch.randn(batch, latent, generator=ctx.g, dtype=f32)
        freq = 0.05 + 0.1 * torch.rand(batch, 1, 1, generator=ctx.g, dtype=f32)
        phase = 2 * math.pi * torch.rand(batch, 1, 1, generator=ctx.g, dtype=f32)
        noise = 0.1 * torch.randn(batch, 1, window, generator=ctx.g, dtype=f32)
        real = 0.8 * torch.sin(2 * math.pi * freq * t + phase) + noise
        arrays += [("z%d" % s, z), ("real%d" % s, real)]

        D.zero_grad()
        out = D(real).view(-1)
        err_real = bce(out, torch.ones_like(out))
        err_real.backward()
        fake = G(z)
        out = D(fake.detach()).view(-1)
        err_fake = bce(out, torch.zeros_like(out))
        err_fake.backward()
        optD.step()

        G.zero_grad()
        out = D(fake).view(-1)
        err_g = bce(out, torch.ones_like(out))
        err_g.backward()
        optG.step()

        arrays += [("fake%d" % s, fake), ("loss_d_real%d" % s, err_real.reshape(1)),
                   ("loss_d_fake%d" % s, err_fake.reshape(1)),
                   ("loss_g%d" % s, err_g.reshape(1)),
                   ("g_params%d" % s, flat_params(G)), ("d_params%d" % s, flat_params(D)),
                   ("g_buffers%d" % s, flat_buffers(G)),
                   ("d_buffers%d" % s, flat_buffers(D))]
    return arrays


# -------------------------------------------------------------------- main

def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s OUTDIR\n" % argv[0])
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)  # reproducible float32 reductions
    total = 0
    for fn in CASES:
        name = getattr(fn, "case_name", fn.__name__)
        arrays = fn(Ctx(zlib.crc32(name.encode("ascii"))))
        total += write_fixture(os.path.join(outdir, name + ".gtfx"), arrays)
    print("wrote %d fixtures (%d bytes) to %s" % (len(CASES), total, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
