# SPDX-License-Identifier: MIT
"""Sum and mean over axis sets (keepdim or not), expand (broadcast) and sum_to."""
import torch

from gen_fixtures import Case


def cases():
    reductions = [
        ((2, 3, 4, 5), (2, 3), False, True),
        ((2, 3, 4, 5), (0, 2, 3), True, True),     # per-channel, like a bias gradient
        ((2, 3, 4, 5), (0, 2, 3), False, False),
        ((2, 3, 4, 5), (1,), True, False),         # 4-D -> 3-D
        ((2, 3, 4, 5), (0,), False, True),
        ((2, 3, 2, 3, 4), (2, 3, 4), True, True),
        ((2, 3, 2, 3, 4), (1, 3), False, False),
        ((3, 4, 5), (0, 1, 2), True, False),       # to a scalar
        ((4, 6, 5), (0, 2), False, True),
        ((7, 9), (1,), False, False),
        ((7, 9), (0,), True, True),
        ((11,), (0,), False, True),
    ]
    for shape, axes, mean, keepdim in reductions:
        fn = torch.mean if mean else torch.sum
        yield Case(f"{'mean' if mean else 'sum'}{list(shape)}{list(axes)}{'k' if keepdim else ''}",
                   {"op": "reduce", "axes": list(axes), "mean": mean, "keepdim": keepdim},
                   {"x": torch.randn(shape)},
                   lambda x, fn=fn, axes=axes, keepdim=keepdim: fn(x, dim=axes, keepdim=keepdim))
    expands = [((2, 1, 4, 1), (2, 3, 4, 5)), ((1, 3, 1, 1), (2, 3, 4, 5)),
               ((1, 1, 1, 1, 1), (2, 3, 2, 3, 4)), ((2, 3, 1, 3, 1), (2, 3, 2, 3, 4)),
               ((5, 1), (5, 7)), ((3, 4, 5), (3, 4, 5))]
    for src, dims in expands:
        yield Case(f"expand{list(src)}{list(dims)}", {"op": "expand", "dims": list(dims)},
                   {"x": torch.randn(src)}, lambda x, dims=dims: x.expand(dims))
    sums = [((2, 3, 4, 5), (3, 1, 1)), ((2, 3, 4, 5), (1, 3, 1, 1)), ((4, 5), (5,)),
            ((2, 3, 2, 3, 4), (1, 3, 1, 1, 4)), ((2, 3, 4), (1,))]
    for src, dims in sums:
        yield Case(f"sum_to{list(src)}{list(dims)}", {"op": "sum_to", "dims": list(dims)},
                   {"x": torch.randn(src)}, lambda x, dims=dims: x.sum_to_size(dims))
