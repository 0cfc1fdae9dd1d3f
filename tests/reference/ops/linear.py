# SPDX-License-Identifier: MIT
"""Fully connected layer y = x w^T + b: several sizes, batch 1, odd sizes, no bias."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def cases():
    table = [  # (N, IC, OC, bias)
        (4, 5, 3, True),
        (1, 7, 4, True),
        (3, 9, 1, True),
        (2, 13, 11, False),
        (1, 6, 5, False),
        (8, 32, 16, True),
        (5, 17, 23, True),
        (2, 64, 48, True),
        (16, 3, 2, False),
    ]
    for n, ic, oc, bias in table:
        inputs = {"x": torch.randn(n, ic), "w": torch.randn(oc, ic) / ic ** 0.5}
        if bias:
            inputs["b"] = torch.randn(oc)
            fn = lambda x, w, b: F.linear(x, w, b)
        else:
            fn = lambda x, w: F.linear(x, w)
        yield Case(f"linear N{n} IC{ic} OC{oc}{'' if bias else ' no bias'}", {"bias": bias}, inputs, fn)
