# SPDX-License-Identifier: MIT
"""Convolution, 2-D and 3-D: stride, asymmetric padding, dilation, groups, bias.

Convolution is linear in each input, so finite differences are exact up to rounding."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def conv_ref(x, w, b, rank, stride, pad_lo, pad_hi, dilation, groups):
    """PyTorch's convolution; asymmetric padding pads the input first (F.pad lists the last
    dim first)."""
    fn = F.conv2d if rank == 2 else F.conv3d
    if pad_lo == pad_hi:
        return fn(x, w, b, stride, pad_lo, dilation, groups)
    pads = [p for lo, hi in zip(reversed(pad_lo), reversed(pad_hi)) for p in (lo, hi)]
    return fn(F.pad(x, pads), w, b, stride, 0, dilation, groups)


def make_case(name, x_shape, w_shape, bias=True, stride=1, pad=0, pad_hi=None, dilation=1,
              groups=1, chain=None):
    """A conv case; scalars apply to every spatial dim. chain: the weight shape of a second
    3x3 conv (padding 1) applied to the first's output, so that its input and the first's
    output gradient arrive channels-last."""
    rank = len(x_shape) - 2
    per_dim = lambda v: list(v) if isinstance(v, (list, tuple)) else [v] * rank
    attrs = {"rank": rank, "stride": per_dim(stride), "pad_lo": per_dim(pad),
             "pad_hi": per_dim(pad if pad_hi is None else pad_hi), "dilation": per_dim(dilation),
             "groups": groups, "bias": bias, "chain": chain is not None}
    inputs = {"x": torch.randn(x_shape), "w": torch.randn(w_shape) * 0.5}
    if bias:
        inputs["b"] = torch.randn(w_shape[0])
    if chain is not None:
        inputs["w2"] = torch.randn(chain) * 0.5

    def fn(x, w, b=None, w2=None):
        y = conv_ref(x, w, b, rank, attrs["stride"], attrs["pad_lo"], attrs["pad_hi"],
                     attrs["dilation"], groups)
        return y if w2 is None else conv_ref(y, w2, None, rank, [1] * rank, [1] * rank,
                                             [1] * rank, [1] * rank, 1)

    return Case(name, attrs, inputs, fn)


def cases():
    # 2-D
    yield make_case("3x3 pad 1, batch 2, bias", (2, 3, 7, 9), (4, 3, 3, 3), pad=1)
    yield make_case("stride 2, odd sizes, no bias", (1, 3, 9, 11), (5, 3, 3, 3), bias=False,
                    stride=2, pad=1)
    yield make_case("asymmetric padding, 3x2 kernel", (1, 2, 6, 7), (3, 2, 3, 2),
                    pad=[0, 1], pad_hi=[1, 2])
    yield make_case("TF SAME stride 2 (pad 0 low, 1 high)", (2, 2, 8, 6), (3, 2, 3, 3),
                    bias=False, stride=2, pad=0, pad_hi=1)
    yield make_case("dilation 2", (1, 3, 9, 9), (4, 3, 3, 3), pad=2, dilation=2)
    yield make_case("mixed stride and dilation", (1, 3, 10, 8), (2, 3, 3, 2), stride=[2, 1],
                    pad=[1, 2], dilation=[1, 2])
    yield make_case("groups 2", (2, 4, 6, 6), (6, 2, 3, 3), pad=1, groups=2)
    yield make_case("depthwise stride 2", (1, 4, 7, 7), (4, 1, 3, 3), bias=False, stride=2,
                    pad=1, groups=4)
    yield make_case("1x1", (2, 5, 4, 6), (3, 5, 1, 1))
    yield make_case("chain of two", (1, 3, 6, 7), (4, 3, 3, 3), pad=1, chain=(5, 4, 3, 3))
    # 3-D
    yield make_case("3-D C3D-like 3x3x3", (1, 3, 4, 6, 6), (4, 3, 3, 3, 3), pad=1)
    yield make_case("3-D stride (1,2,2), asymmetric padding", (2, 2, 5, 6, 7), (3, 2, 3, 3, 3),
                    bias=False, stride=[1, 2, 2], pad=[1, 0, 1], pad_hi=[1, 1, 0])
    yield make_case("3-D groups 2, dilation (1,2,2)", (1, 4, 5, 7, 7), (4, 2, 3, 3, 3),
                    bias=False, pad=[1, 2, 2], dilation=[1, 2, 2], groups=2)
    yield make_case("3-D depthwise", (1, 3, 4, 5, 5), (3, 1, 3, 3, 3), pad=1, groups=3)
    yield make_case("3-D 1x1x1", (1, 6, 3, 4, 5), (4, 6, 1, 1, 1))
    yield make_case("3-D chain of two, stride 2", (1, 2, 5, 6, 6), (3, 2, 3, 3, 3), stride=2,
                    pad=1, chain=(2, 3, 3, 3, 3))
