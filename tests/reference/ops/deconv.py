# SPDX-License-Identifier: MIT
"""Transposed convolution (ConvTranspose2d/3d), 2-D and 3-D: stride, padding (also
asymmetric), output padding, dilation, groups, bias.

Transposed convolution is linear in each input, so finite differences are exact up to
rounding."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def deconv_ref(x, w, b, rank, stride, pad_lo, pad_hi, out_pad, dilation, groups):
    """PyTorch's transposed convolution; asymmetric padding crops an unpadded result (the
    padding removes rows from each end of the full output)."""
    fn = F.conv_transpose2d if rank == 2 else F.conv_transpose3d
    if pad_lo == pad_hi:
        return fn(x, w, b, stride, pad_lo, out_pad, groups, dilation)
    y = fn(x, w, b, stride, 0, out_pad, groups, dilation)
    box = [slice(None), slice(None)] + [slice(lo, y.shape[2 + i] - hi)
                                        for i, (lo, hi) in enumerate(zip(pad_lo, pad_hi))]
    return y[tuple(box)]


def make_case(name, x_shape, w_shape, bias=True, stride=1, pad=0, pad_hi=None, out_pad=0,
              dilation=1, groups=1, chain=None):
    """A deconv case; scalars apply to every spatial dim. chain: the weight shape of a second
    stride-2 kernel-2 deconv applied to the first's output (channels-last input and dy)."""
    rank = len(x_shape) - 2
    per_dim = lambda v: list(v) if isinstance(v, (list, tuple)) else [v] * rank
    attrs = {"rank": rank, "stride": per_dim(stride), "pad_lo": per_dim(pad),
             "pad_hi": per_dim(pad if pad_hi is None else pad_hi), "out_pad": per_dim(out_pad),
             "dilation": per_dim(dilation), "groups": groups, "bias": bias,
             "chain": chain is not None}
    inputs = {"x": torch.randn(x_shape), "w": torch.randn(w_shape) * 0.5}
    if bias:
        inputs["b"] = torch.randn(w_shape[1] * groups)
    if chain is not None:
        inputs["w2"] = torch.randn(chain) * 0.5

    def fn(x, w, b=None, w2=None):
        y = deconv_ref(x, w, b, rank, attrs["stride"], attrs["pad_lo"], attrs["pad_hi"],
                       attrs["out_pad"], attrs["dilation"], groups)
        return y if w2 is None else deconv_ref(y, w2, None, rank, [2] * rank, [0] * rank,
                                               [0] * rank, [0] * rank, [1] * rank, 1)

    return Case(name, attrs, inputs, fn)


def cases():
    # 2-D
    yield make_case("U-Net up: stride 2, kernel 4, pad 1, bias", (1, 4, 5, 6), (4, 3, 4, 4),
                    stride=2, pad=1)
    yield make_case("stride 2, kernel 2, batch 2", (2, 4, 3, 3), (4, 2, 2, 2), bias=False,
                    stride=2)
    yield make_case("out_pad 1, kernel 3, no bias", (2, 3, 4, 5), (3, 2, 3, 3), bias=False,
                    stride=2, pad=1, out_pad=1)
    yield make_case("groups 2", (1, 4, 4, 4), (4, 3, 3, 3), stride=2, pad=1, groups=2)
    yield make_case("asymmetric padding, stride (2,1)", (1, 3, 4, 5), (3, 2, 3, 3),
                    stride=[2, 1], pad=[1, 0], pad_hi=[0, 2])
    yield make_case("dilation 2, out_pad 1 at stride 1", (1, 2, 5, 4), (2, 3, 3, 3),
                    pad=1, out_pad=1, dilation=2)
    yield make_case("odd sizes, stride 3, out_pad 2", (1, 2, 3, 5), (2, 2, 3, 2), bias=False,
                    stride=3, pad=[1, 0], out_pad=[2, 1])
    yield make_case("1x1 stride 1", (2, 5, 3, 4), (5, 3, 1, 1))
    yield make_case("chain of two", (1, 3, 3, 4), (3, 4, 4, 4), stride=2, pad=1,
                    chain=(4, 2, 2, 2))
    # 3-D
    yield make_case("3-D U-Net up: stride 2, kernel 4, pad 1", (1, 3, 3, 4, 4),
                    (3, 2, 4, 4, 4), stride=2, pad=1)
    yield make_case("3-D groups 2, out_pad (1,0,1)", (1, 4, 3, 3, 4), (4, 2, 3, 3, 3),
                    bias=False, stride=2, pad=1, out_pad=[1, 0, 1], groups=2)
    yield make_case("3-D depthwise, stride (1,2,2)", (1, 3, 3, 4, 4), (3, 1, 3, 3, 3),
                    stride=[1, 2, 2], pad=1, groups=3)
    yield make_case("3-D asymmetric padding, dilation 2", (1, 2, 3, 3, 4), (2, 2, 3, 3, 2),
                    pad=[0, 1, 1], pad_hi=[1, 0, 2], dilation=2)
