# SPDX-License-Identifier: MIT
"""Max and average pooling (2-D and 3-D, asymmetric padding, count_include_pad), global pooling."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case

POOL = {2: (F.max_pool2d, F.avg_pool2d), 3: (F.max_pool3d, F.avg_pool3d)}


def distinct(shape, gap=0.01):
    """Distinct values at least gap apart (a scaled permutation), so that a max pool has no
    ties and a finite-difference step of 1e-3 never changes the argmax."""
    n = 1
    for d in shape:
        n *= d
    return ((torch.randperm(n).to(torch.float32) - n / 2) * gap).reshape(shape)


def torch_pad(lo, hi):
    """F.pad's argument: last dim first."""
    out = []
    for a, b in zip(reversed(lo), reversed(hi)):
        out += [a, b]
    return out


def pool_fn(rank, is_max, kernel, stride, lo, hi, include_pad):
    max_pool, avg_pool = POOL[rank]
    symmetric = lo == hi and all(2 * p <= k for p, k in zip(lo, kernel))
    if symmetric:  # PyTorch's own padding and count_include_pad semantics
        if is_max:
            return lambda x: max_pool(x, kernel, stride, lo)
        return lambda x: avg_pool(x, kernel, stride, lo, count_include_pad=include_pad)
    pad = torch_pad(lo, hi)
    if is_max:
        return lambda x: max_pool(F.pad(x, pad, value=float("-inf")), kernel, stride)
    if include_pad:
        return lambda x: avg_pool(F.pad(x, pad), kernel, stride)
    # average over the real elements of each window only
    return lambda x: (avg_pool(F.pad(x, pad), kernel, stride)
                      / avg_pool(F.pad(torch.ones_like(x), pad), kernel, stride))


def pool_case(shape, is_max, kernel, stride=None, lo=None, hi=None, include_pad=True):
    rank = len(shape) - 2
    stride = stride or kernel
    lo = lo or [0] * rank
    hi = hi or lo
    kind = "max" if is_max else ("avg" if include_pad else "avg_excl")
    attrs = {"rank": rank, "max": is_max, "kernel": kernel, "stride": stride, "pad_lo": lo,
             "pad_hi": hi, "count_include_pad": include_pad}
    x = distinct(shape) if is_max else torch.randn(shape)
    name = f"{kind}{list(shape)} k{kernel} s{stride} p{lo}/{hi}"
    return Case(name, attrs, {"x": x}, pool_fn(rank, is_max, kernel, stride, lo, hi, include_pad))


def global_case(shape, is_max):
    attrs = {"global": True, "max": is_max}
    x = distinct(shape) if is_max else torch.randn(shape)
    dims = tuple(range(2, len(shape)))
    if is_max:
        fn = lambda x: torch.amax(x, dim=dims, keepdim=True)
    else:
        fn = lambda x: torch.mean(x, dim=dims, keepdim=True)
    return Case(f"global_{'max' if is_max else 'avg'}{list(shape)}", attrs, {"x": x}, fn)


def cases():
    for is_max in (True, False):
        yield pool_case((2, 3, 8, 8), is_max, [2, 2])
        # ResNet stem
        yield pool_case((2, 4, 9, 11), is_max, [3, 3], [2, 2], [1, 1])
        # odd, remainder dropped
        yield pool_case((1, 2, 10, 11), is_max, [3, 3])
        # rectangular, overlapping
        yield pool_case((2, 2, 7, 6), is_max, [2, 3], [1, 2])
        # asymmetric padding
        yield pool_case((2, 2, 7, 6), is_max, [3, 2], [2, 1], [0, 1], [2, 0])
        # C3D pool1
        yield pool_case((2, 3, 4, 8, 8), is_max, [1, 2, 2])
        # C3D pool2..5
        yield pool_case((2, 3, 4, 6, 6), is_max, [2, 2, 2])
        yield pool_case((1, 2, 5, 7, 6), is_max, [3, 3, 3], [2, 2, 2], [1, 1, 1])
        yield pool_case((1, 2, 5, 4, 5), is_max, [2, 3, 2], [1, 2, 2], [1, 0, 1], [0, 2, 1])
    # count_include_pad both ways (the loop above covers True for the other padded shapes)
    yield pool_case((1, 3, 7, 9), False, [3, 3], [2, 2], [1, 1], include_pad=True)
    yield pool_case((1, 3, 7, 9), False, [3, 3], [2, 2], [1, 1], include_pad=False)
    yield pool_case((2, 4, 9, 11), False, [3, 3], [2, 2], [1, 1], include_pad=False)
    yield pool_case((2, 2, 7, 6), False, [3, 2], [2, 1], [0, 1], [2, 0], include_pad=False)
    yield pool_case((1, 2, 5, 7, 6), False, [3, 3, 3], [2, 2, 2], [1, 1, 1], include_pad=False)
    yield pool_case((1, 2, 5, 4, 5), False, [2, 3, 2], [1, 2, 2], [1, 0, 1], [0, 2, 1],
                    include_pad=False)
    for is_max in (True, False):
        yield global_case((2, 3, 5, 7), is_max)
        yield global_case((2, 3, 3, 4, 5), is_max)
        yield global_case((1, 4, 1, 1), is_max)
