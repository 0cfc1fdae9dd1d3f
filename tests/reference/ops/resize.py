# SPDX-License-Identifier: MIT
"""Bilinear resize (F.interpolate(mode='bilinear')): up and down, integer and non-integer
ratios, sizes of 1, both align_corners values, batch 2, plain and channels-last inputs (attrs
"cl": the input first goes through an identity affine op, stored channels-last)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def cases():
    table = [((2, 3, 5, 7), (10, 14), False),   # 2x up
             ((2, 3, 8, 9), (3, 4), False),     # non-integer down
             ((2, 2, 5, 6), (7, 11), True),     # non-integer up
             ((2, 3, 9, 7), (4, 12), True),     # down in H, up in W
             ((2, 4, 1, 5), (3, 8), False),     # a single source row
             ((1, 2, 6, 6), (1, 1), False),     # a single output pixel
             ((2, 3, 6, 8), (3, 4), True),      # 2x down
             ((2, 3, 4, 4), (4, 4), False)]     # same size
    for shape, (oh, ow), cl in table:
        for align in (False, True):
            name = f"resize{list(shape)}->{oh}x{ow}{' align' if align else ''}{' cl' if cl else ''}"
            yield Case(name,
                       {"out_h": oh, "out_w": ow, "align_corners": align, "cl": cl},
                       {"x": torch.randn(shape)},
                       lambda x, size=(oh, ow), align=align:
                       F.interpolate(x, size=size, mode="bilinear", align_corners=align))
