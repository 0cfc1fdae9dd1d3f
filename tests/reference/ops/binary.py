# SPDX-License-Identifier: MIT
"""Broadcasting add, sub, mul (both operand orders, every rank) and affine y = alpha * x + beta."""
import torch

from gen_fixtures import Case

FNS = {"add": torch.add, "sub": torch.sub, "mul": torch.mul}


def cases():
    pairs = [
        ("add", (2, 3, 4, 5), (3, 1, 1)),
        ("add", (3, 1, 1), (2, 3, 4, 5)),
        ("sub", (2, 3, 4, 5), (3, 1, 1)),
        ("sub", (4, 1), (1, 5)),
        ("mul", (1, 3, 1, 1), (2, 3, 4, 5)),
        ("mul", (2, 3, 4, 5), (1, 3, 1, 1)),
        ("mul", (4, 1), (1, 5)),
        ("add", (2, 3, 2, 3, 4), (2, 3, 2, 3, 4)),
        ("sub", (2, 3, 2, 3, 4), (2, 3, 2, 3, 4)),
        ("mul", (2, 3, 2, 3, 4), (2, 3, 2, 3, 4)),
        ("mul", (2, 3, 2, 3, 4), (3, 1, 1, 1)),
        ("add", (5,), (2, 3, 5)),
        ("sub", (2, 1, 3, 1), (4, 1, 5)),
        ("add", (7, 9), (7, 9)),
    ]
    for kind, sa, sb in pairs:
        yield Case(f"{kind}{list(sa)}{list(sb)}", {"kind": kind},
                   {"a": torch.randn(sa), "b": torch.randn(sb)},
                   lambda a, b, fn=FNS[kind]: fn(a, b))
    for shape, alpha, beta in [((2, 3, 4, 5), 0.5, -1.25), ((7, 9), -2.0, 3.0),
                               ((1, 4, 3, 5, 6), 1.5, 0.0), ((6,), 0.0, 2.0)]:
        yield Case(f"affine{list(shape)}", {"kind": "affine", "alpha": alpha, "beta": beta},
                   {"x": torch.randn(shape)}, lambda x, alpha=alpha, beta=beta: alpha * x + beta)
