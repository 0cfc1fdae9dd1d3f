# SPDX-License-Identifier: MIT
"""Per-row cosine similarity F.cosine_similarity(a, b, dim=1, eps) -> N. PyTorch 1.13 divides by
max(|a|, eps) * max(|b|, eps) (each norm clamped on its own)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def cases():
    shapes = [(4, 6), (1, 3), (9, 17), (5, 2), (32, 8)]
    for n, d in shapes:
        a, b = torch.randn(n, d), torch.randn(n, d)
        yield Case(f"[{n}, {d}]", {"eps": 1e-8}, {"a": a, "b": b},
                   lambda a, b: F.cosine_similarity(a, b, dim=1, eps=1e-8))
    a, b = torch.randn(3, 5) * 10, torch.randn(3, 5) * 0.01
    yield Case("scales[3, 5]", {"eps": 1e-8}, {"a": a, "b": b},
               lambda a, b: F.cosine_similarity(a, b, dim=1, eps=1e-8))
    # rows whose norms fall below eps: PyTorch's gradient there uses the clamped norm where the
    # derivative of a clamped norm is zero, so it is not the function's derivative and finite
    # differences cannot check it; the comparison with PyTorch still does.
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    a[1] *= 0.1
    b[2] *= 0.05
    a[3] *= 0.1
    b[3] *= 0.2
    yield Case("clamped[4, 3]", {"eps": 0.5}, {"a": a, "b": b},
               lambda a, b: F.cosine_similarity(a, b, dim=1, eps=0.5), fd=False)
