#!/usr/bin/python3
"""Translate a Gantry model spec (include/gantry/model.h) into PyTorch.

    from torch_spec import build
    net = build(spec_text)          # a GantrySequential (an nn.Sequential)
    y = net(x)                      # x: (N, C, L), (N, C, H, W) or (N, F)

The translation follows the engine's shape rules exactly:

- A per-sample shape is (c, h, w) as in Gantry; "input F" is a vector
  (F, 1, 1), "input CxL" is (C, 1, L), "input CxHxW" is (C, H, W).
- The model is 2D (Conv2d, BatchNorm2d, ...) when any shape has h > 1 or any
  layer has a kernel, stride, padding or upsampling factor in h other than
  the 1D defaults; otherwise 1D (Conv1d, BatchNorm1d, ...).
- Vectors travel as (N, F).  A vector feeding a convolution, a transposed
  convolution, an upsampling or a label layer is viewed as (N, F, 1) in 1D
  or (N, F, 1, 1) in 2D, as Gantry treats a vector (c, h=1, w=1): so a
  generator's "input 100" then "convt 256 k4 s1 p0" is a ConvTranspose1d on
  length 1, and with "k4x4" a ConvTranspose2d on 1x1.
- Batch norm on a vector is BatchNorm1d on (N, F), per feature, as Gantry.
- "label" layers need the class of each sample: call net.set_labels(labels)
  before the forward pass (a LongTensor of N class indices).

Parameters: Gantry's flat parameter order is per layer, weight then bias
(bn: gamma then beta; label embed: the (K, E) table), which for plain layers
is also torch's parameters() order.  net.gantry_params() returns the tensors
in Gantry's order whatever torch does (spectral norm puts weight_orig after
the bias), and
net.gantry_buffers() the non-trained buffers in Gantry's order (bn: running
mean then var; sn: u then v).  load_flat()/flat() copy to and from one flat
array in that order.
"""

import torch
import torch.nn as nn


class SpecError(ValueError):
    pass


# --------------------------------------------------------------------- parse

def _dims(text, maxn):
    parts = text.split("x")
    if not 1 <= len(parts) <= maxn:
        raise SpecError("bad size %r" % text)
    try:
        v = [int(p) for p in parts]
    except ValueError:
        raise SpecError("bad size %r" % text) from None
    if any(x < 0 for x in v):
        raise SpecError("bad size %r" % text)
    return v


def _pair(text, twod, dflt_h):
    """kK / sS / pP value: one number is the width (and height in 2D)."""
    v = _dims(text, 2)
    if len(v) == 1:
        return (v[0] if twod else dflt_h, v[0])
    return (v[0], v[1])


def parse(spec):
    """Spec text -> (input shape (c, h, w), nclasses, [layer dicts]).

    Each layer dict has 'kind', 'in' and 'out' shapes and its options, with
    the same defaults and shape rules as Gantry's parser."""
    lines = []
    for raw in spec.replace(";", "\n").split("\n"):
        line = raw.split("#", 1)[0].split()
        if line:
            lines.append(line)
    if not lines or lines[0][0].lower() != "input":
        raise SpecError("the spec must start with 'input SHAPE'")
    first = lines[0]
    v = _dims(first[1], 3) if len(first) >= 2 else None
    if v is None:
        raise SpecError("input needs a shape")
    shape = {1: lambda: (v[0], 1, 1), 2: lambda: (v[0], 1, v[1]),
             3: lambda: (v[0], v[1], v[2])}[len(v)]()
    nclasses = 0
    if len(first) == 4 and first[2] == "classes":
        nclasses = int(first[3])
    elif len(first) != 2:
        raise SpecError("input takes a shape and optionally 'classes K'")
    inp = shape
    layers = []
    for toks in lines[1:]:
        kw = toks[0].lower()
        if kw == "batchnorm":
            kw = "bn"
        c, h, w = shape
        twod = h > 1
        L = {"kind": kw, "in": shape}
        if kw in ("dense", "conv", "convt"):
            L["units"] = int(toks[1])
            L["bias"] = True
            L["sn"] = False
            L["k"], L["s"], L["p"] = (1, 1), (1, 1), (0, 0)
            have_k = False
            for t in toks[2:]:
                if t == "nobias":
                    L["bias"] = False
                elif t == "sn":
                    L["sn"] = True
                elif kw != "dense" and t[0] == "k":
                    L["k"] = _pair(t[1:], twod, 1)
                    have_k = True
                elif kw != "dense" and t[0] == "s":
                    L["s"] = _pair(t[1:], twod, 1)
                elif kw != "dense" and t[0] == "p":
                    L["p"] = _pair(t[1:], twod, 0)
                else:
                    raise SpecError("unknown option %r for %s" % (t, kw))
            if kw == "convt" and L["sn"]:
                raise SpecError("spectral normalisation is for dense and conv layers")
            if kw == "dense":
                if h != 1 or w != 1:
                    raise SpecError("dense needs a vector input; add 'flatten'")
                shape = (L["units"], 1, 1)
            else:
                if not have_k:
                    raise SpecError("a convolution needs a kernel size")
                (kh, kw_), (sh, sw), (ph, pw) = L["k"], L["s"], L["p"]
                if kw == "conv":
                    ho = (h + 2 * ph - kh) // sh + 1
                    wo = (w + 2 * pw - kw_) // sw + 1
                else:
                    ho = (h - 1) * sh - 2 * ph + kh
                    wo = (w - 1) * sw - 2 * pw + kw_
                if ho <= 0 or wo <= 0:
                    raise SpecError("%s does not fit input %s" % (" ".join(toks), shape))
                shape = (L["units"], ho, wo)
        elif kw == "bn":
            L["momentum"], L["eps"], L["affine"] = 0.1, 1e-5, True
            i = 1
            while i < len(toks):
                if toks[i] == "noaffine":
                    L["affine"] = False
                elif toks[i] == "momentum":
                    L["momentum"] = float(toks[i + 1])
                    i += 1
                elif toks[i] == "eps":
                    L["eps"] = float(toks[i + 1])
                    i += 1
                else:
                    raise SpecError("bn takes [momentum M] [eps E] [noaffine]")
                i += 1
        elif kw == "lrelu":
            L["slope"] = float(toks[1]) if len(toks) > 1 else 0.2
        elif kw == "dropout":
            L["p"] = float(toks[1])
        elif kw in ("relu", "tanh", "sigmoid"):
            pass
        elif kw == "flatten":
            shape = (c * h * w, 1, 1)
        elif kw == "reshape":
            v = _dims(toks[1], 3)
            shape = (v[0], 1, v[1]) if len(v) == 2 else tuple(v)
            if shape[0] * shape[1] * shape[2] != c * h * w or h != 1 or w != 1:
                raise SpecError("cannot reshape %s into %s" % ((c, h, w), shape))
        elif kw == "upsample":
            L["f"] = _pair(toks[1], twod, 1) if len(toks) > 1 else ((2 if twod else 1), 2)
            shape = (c, h * L["f"][0], w * L["f"][1])
        elif kw == "label":
            if nclasses <= 0:
                raise SpecError("label needs 'classes K' on the input line")
            L["embed"] = int(toks[2]) if toks[1] == "embed" else 0
            shape = (c + (L["embed"] or nclasses), h, w)
        else:
            raise SpecError("unknown layer %r" % kw)
        L["out"] = shape
        layers.append(L)
    return inp, nclasses, layers


def is_2d(inp, layers):
    if inp[1] > 1:
        return True
    for L in layers:
        if L["out"][1] > 1:
            return True
        if L["kind"] in ("conv", "convt") and (L["k"][0] != 1 or L["s"][0] != 1 or L["p"][0] != 0):
            return True
        if L["kind"] == "upsample" and L["f"][0] != 1:
            return True
    return False


# ----------------------------------------------------------------- modules

class View(nn.Module):
    """x.view(N, *shape)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return "shape=%s" % (self.shape,)


class LabelConcat(nn.Module):
    """Append class channels (one-hot, or a learnable embedding (K, E)),
    constant over positions; labels come from set_labels()."""

    def __init__(self, nclasses, embed):
        super().__init__()
        self.nclasses = nclasses
        self.embed = nn.Embedding(nclasses, embed) if embed else None
        self.labels = None

    def forward(self, x):
        if self.labels is None:
            raise RuntimeError("LabelConcat: call set_labels() first")
        if self.embed is not None:
            e = self.embed(self.labels)
        else:
            e = nn.functional.one_hot(self.labels, self.nclasses).to(x.dtype)
        e = e.reshape(e.shape[0], e.shape[1], *([1] * (x.dim() - 2)))
        return torch.cat([x, e.expand(-1, -1, *x.shape[2:])], dim=1)


class GantrySequential(nn.Sequential):
    """nn.Sequential plus Gantry's parameter and buffer order."""

    def set_labels(self, labels):
        for m in self.modules():
            if isinstance(m, LabelConcat):
                m.labels = labels

    def gantry_params(self):
        return list(self._gt_params)

    def gantry_inert_mask(self):
        """A bool per flat parameter: True for biases right before batch norm
        (gradient 0 up to rounding)."""
        return torch.cat([torch.full((t.numel(),), bool(f)) for t, f in
                          zip(self._gt_params, self._gt_inert)]) if self._gt_params \
            else torch.zeros(0, dtype=torch.bool)

    def gantry_buffers(self):
        return list(self._gt_buffers)

    def flat(self, buffers=False):
        ts = self.gantry_buffers() if buffers else self.gantry_params()
        if not ts:
            return torch.zeros(0)
        return torch.cat([t.detach().reshape(-1) for t in ts])

    @torch.no_grad()
    def load_flat(self, flat, buffers=False):
        flat = torch.as_tensor(flat).reshape(-1)
        off = 0
        for t in (self.gantry_buffers() if buffers else self.gantry_params()):
            n = t.numel()
            if off + n > flat.numel():
                raise ValueError("flat array too short")
            t.copy_(flat[off:off + n].reshape(t.shape).to(t.dtype))
            off += n
        if off != flat.numel():
            raise ValueError("flat array has %d values, model needs %d" % (flat.numel(), off))


def _sn(module):
    """Spectral normalisation as Gantry does it: torch.nn.utils.spectral_norm
    (one power iteration per training forward: v = normalize(W^T u), then
    u = normalize(W v)).  Not torch.nn.utils.parametrizations.spectral_norm,
    which iterates u first and so drifts from Gantry within a few steps.
    Gantry also settles u and v with 15 iterations at initialisation, which
    this function does not; load Gantry's buffers to compare."""
    return nn.utils.spectral_norm(module, n_power_iterations=1)


def _weight(m):
    """A layer's trained weight (weight_orig under spectral norm)."""
    return m.weight_orig if hasattr(m, "weight_orig") else m.weight


def build(spec):
    """Spec text -> GantrySequential taking (N, *input shape) (any view of
    N samples of the input size) and returning Gantry's output layout."""
    inp, nclasses, layers = parse(spec)
    twod = is_2d(inp, layers)

    def spatial(shape):
        c, h, w = shape
        return (c, h, w) if twod else (c, w)

    mods, params, buffers = [], [], []
    vec = inp[1] == 1 and inp[2] == 1
    # Accept any (N, ...) holding the right number of values.
    mods.append(View(inp[0]) if vec else View(*spatial(inp)))

    def need_spatial(shape):
        nonlocal vec
        if vec:
            mods.append(View(*spatial(shape)))
            vec = False

    # Per parameter tensor: is it a bias right before batch norm?  Batch norm
    # removes any per-channel constant, so such a bias's gradient is 0 up to
    # rounding, and Adam moves it by a rounding-determined amount.
    inert = []
    for li, L in enumerate(layers):
        k = L["kind"]
        cin = L["in"][0]
        before_bn = li + 1 < len(layers) and layers[li + 1]["kind"] == "bn"
        if k == "dense":
            if not vec:
                mods.append(View(cin))
                vec = True
            m = nn.Linear(cin, L["units"], bias=L["bias"])
        elif k in ("conv", "convt"):
            need_spatial(L["in"])
            (kh, kw), (sh, sw), (ph, pw) = L["k"], L["s"], L["p"]
            if twod:
                cls = nn.Conv2d if k == "conv" else nn.ConvTranspose2d
                m = cls(cin, L["units"], (kh, kw), (sh, sw), (ph, pw), bias=L["bias"])
            else:
                if kh != 1 or sh != 1 or ph != 0:
                    raise SpecError("1D model with a 2D kernel")
                cls = nn.Conv1d if k == "conv" else nn.ConvTranspose1d
                m = cls(cin, L["units"], kw, sw, pw, bias=L["bias"])
        elif k == "bn":
            cls = nn.BatchNorm2d if (twod and not vec) else nn.BatchNorm1d
            m = cls(cin, eps=L["eps"], momentum=L["momentum"], affine=L["affine"])
        elif k == "relu":
            m = nn.ReLU()
        elif k == "lrelu":
            m = nn.LeakyReLU(L["slope"])
        elif k == "tanh":
            m = nn.Tanh()
        elif k == "sigmoid":
            m = nn.Sigmoid()
        elif k == "dropout":
            m = nn.Dropout(L["p"])
        elif k == "flatten":
            m = nn.Flatten()
            vec = True
        elif k == "reshape":
            m = View(*spatial(L["out"]))
            vec = False
        elif k == "upsample":
            need_spatial(L["in"])
            fh, fw = L["f"]
            m = nn.Upsample(scale_factor=(float(fh), float(fw)) if twod else float(fw),
                            mode="nearest")
        elif k == "label":
            m = LabelConcat(nclasses, L["embed"])
        else:
            raise SpecError("unknown layer %r" % k)

        # Gantry's order: weight then bias; buffers: bn running mean, var;
        # sn u then v.
        if k in ("dense", "conv", "convt"):
            if L["sn"]:
                m = _sn(m)
                params.append(m.weight_orig)
                buffers += [m.weight_u, m.weight_v]
            else:
                params.append(m.weight)
            inert.append(False)
            if m.bias is not None:
                params.append(m.bias)
                inert.append(before_bn)
        elif k == "bn":
            if L["affine"]:
                params += [m.weight, m.bias]
                inert += [False, False]
            buffers += [m.running_mean, m.running_var]
        elif k == "label" and m.embed is not None:
            params.append(m.embed.weight)
            inert.append(False)
        mods.append(m)
    net = GantrySequential(*mods)
    net._gt_params = params
    net._gt_inert = inert
    net._gt_buffers = buffers
    net.input_shape = inp
    net.output_shape = layers[-1]["out"] if layers else inp
    net.twod = twod
    net.nclasses = nclasses
    return net


def init_dcgan(net, gen=None):
    """The DCGAN example's weights_init: conv/linear weights N(0, 0.02), bn
    gamma N(1, 0.02), biases 0 (Gantry's GT_INIT_DCGAN)."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                              nn.Linear)):
                _weight(m).normal_(0.0, 0.02, generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
                m.weight.normal_(1.0, 0.02, generator=gen)
                m.bias.zero_()


if __name__ == "__main__":
    import sys
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    net = build(text)
    print(net)
    print("parameters:", sum(p.numel() for p in net.gantry_params()))
