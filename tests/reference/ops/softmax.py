# SPDX-License-Identifier: MIT
"""Softmax and log-softmax along any axis of 2-D to 5-D tensors."""
import torch

from gen_fixtures import Case


def cases():
    table = [  # (shape, axis): channels of N x C, 4-D and 5-D, last axis, others
        ((4, 7), 1),
        ((1, 10), -1),
        ((5, 3), 0),
        ((2, 5, 3, 4), 1),
        ((2, 4, 3, 3, 2), 1),
        ((2, 3, 4, 6), -1),
        ((2, 3, 4, 5), 2),
        ((3, 5, 6), 2),
        ((1, 3, 2, 4, 5), 4),
        ((2, 3, 2, 4, 5), 2),
    ]
    for shape, axis in table:
        for log in (False, True):
            x = torch.randn(shape) * 2
            fn = (lambda x, a=axis: torch.log_softmax(x, a)) if log else (lambda x, a=axis: torch.softmax(x, a))
            yield Case(f"{'log_' if log else ''}softmax{list(shape)} axis {axis}", {"axis": axis, "log": log},
                       {"x": x}, fn)
