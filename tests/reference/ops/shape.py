# SPDX-License-Identifier: MIT
"""Concat, slice, split, constant pad and reshape, from plain inputs and from channels-last
ones (attrs "cl": the input first goes through an identity affine op, whose 4-D/5-D output
the engine stores channels-last)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def concat_cases():
    table = [([(2, 3, 4, 5), (2, 2, 4, 5)], 1, False),
             ([(2, 3, 4, 5), (2, 2, 4, 5)], 1, True),
             ([(2, 3, 4, 2), (2, 3, 4, 3), (2, 3, 4, 1)], 3, True),
             ([(1, 2, 3, 4, 5), (2, 2, 3, 4, 5)], 0, False),
             ([(2, 3, 2, 3, 4), (2, 3, 1, 3, 4)], 2, True),
             ([(3, 4), (5, 4)], 0, False),
             ([(3, 4), (3, 1), (3, 2)], 1, False)]
    for shapes, axis, cl in table:
        names = [f"x{k}" for k in range(len(shapes))]
        inputs = {n: torch.randn(s) for n, s in zip(names, shapes)}
        yield Case(f"concat{shapes}@{axis}{'cl' if cl else ''}",
                   {"op": "concat", "axis": axis, "n": len(shapes), "cl": cl}, inputs,
                   lambda axis=axis, **xs: torch.cat(list(xs.values()), axis))


def slice_cases():
    table = [((2, 3, 4, 5), (0, 1, 1, 2), (2, 2, 3, 3), False),
             ((2, 3, 4, 5), (1, 0, 0, 0), (1, 3, 4, 5), True),
             ((2, 6, 4, 5), (0, 2, 1, 0), (2, 3, 2, 5), True),
             ((2, 3, 4, 5, 6), (1, 1, 2, 0, 3), (1, 2, 2, 5, 2), True),
             ((7, 9), (2, 3), (4, 5), False),
             ((10,), (3,), (6,), False)]
    for shape, start, sizes, cl in table:
        box = tuple(slice(a, a + n) for a, n in zip(start, sizes))
        yield Case(f"slice{list(shape)}{list(start)}{list(sizes)}{'cl' if cl else ''}",
                   {"op": "slice", "start": list(start), "sizes": list(sizes), "cl": cl},
                   {"x": torch.randn(shape)}, lambda x, box=box: x[box])


def torch_pad(lo, hi):
    """F.pad's argument: (lo, hi) pairs from the last dim back."""
    return [v for d in reversed(range(len(lo))) for v in (lo[d], hi[d])]


def pad_cases():
    table = [((2, 3, 4, 5), (0, 1, 2, 0), (1, 0, 1, 3), 0.5, False),
             ((2, 3, 4, 5), (0, 0, 1, 1), (0, 0, 1, 1), 0.0, True),
             ((1, 2, 3, 4, 5), (0, 1, 1, 0, 2), (1, 0, 2, 3, 0), -1.0, True),
             ((7, 9), (2, 0), (1, 3), 0.0, False),
             ((4,), (3,), (0,), 2.0, False)]
    for shape, lo, hi, value, cl in table:
        yield Case(f"pad{list(shape)}{list(lo)}{list(hi)}{'cl' if cl else ''}",
                   {"op": "pad", "lo": list(lo), "hi": list(hi), "value": value, "cl": cl},
                   {"x": torch.randn(shape)},
                   lambda x, p=torch_pad(lo, hi), value=value: F.pad(x, p, value=value))


def reshape_cases():
    table = [((2, 3, 4, 5), (6, 20), False),
             ((2, 3, 4, 5), (6, 20), True),
             ((6, 20), (2, 3, 4, 5), False),
             ((2, 3, 4, 5), (2, 3, 2, 2, 5), True),
             ((2, 3, 2, 2, 5), (2, 12, 5, 1), True),
             ((120,), (2, 3, 4, 5), False),
             ((2, 3, 4), (24,), False)]
    for src, dims, cl in table:
        yield Case(f"reshape{list(src)}{list(dims)}{'cl' if cl else ''}",
                   {"op": "reshape", "dims": list(dims), "cl": cl},
                   {"x": torch.randn(src)}, lambda x, dims=dims: x.reshape(dims))


def permute_cases():
    table = [((2, 3, 4, 5), (0, 2, 3, 1), False),
             ((2, 3, 4, 5, 6), (0, 2, 1, 3, 4), True),
             ((2, 3, 4, 5, 6), (4, 3, 2, 1, 0), True),
             ((5, 7), (1, 0), False)]
    for src, perm, cl in table:
        yield Case(f"permute{list(src)}{list(perm)}{'cl' if cl else ''}",
                   {"op": "permute", "perm": list(perm), "cl": cl},
                   {"x": torch.randn(src)}, lambda x, perm=perm: x.permute(perm))


def split_cases():
    # the parts come back concatenated in reverse order, so every part is checked
    table = [((2, 7, 3, 4), 1, (2, 4, 1), True), ((5, 6), 1, (3, 3), False),
             ((4, 3, 2, 2, 3), 0, (1, 3), True)]
    for shape, axis, sizes, cl in table:
        yield Case(f"split{list(shape)}@{axis}{list(sizes)}{'cl' if cl else ''}",
                   {"op": "split", "axis": axis, "sizes": list(sizes), "cl": cl},
                   {"x": torch.randn(shape)},
                   lambda x, axis=axis, sizes=sizes:
                   torch.cat(list(reversed(torch.split(x, sizes, axis))), axis))


def cases():
    yield from concat_cases()
    yield from slice_cases()
    yield from pad_cases()
    yield from reshape_cases()
    yield from permute_cases()
    yield from split_cases()
