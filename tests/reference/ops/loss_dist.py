# SPDX-License-Identifier: MIT
"""L1 and squared-error losses (F.l1_loss, F.mse_loss), gradients to x and to the target.
attrs["cl"] lists inputs that the test routes through an identity op (channels-last)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def away_from_ties(x, t, gap=0.05):
    """Moves targets within gap of x away, so that finite differences stay off the L1 kink."""
    d = t - x
    return torch.where(d.abs() < gap, x + 2 * gap * torch.sign(d + 1e-9), t)


def cases():
    shapes = [((6,), []), ((4, 9), []), ((2, 3, 5, 4), [0]), ((1, 3, 2, 3, 5), [0, 1]),
              ((3, 2, 5, 5), [1])]
    for l1 in (True, False):
        fn = F.l1_loss if l1 else F.mse_loss
        name = "l1" if l1 else "l2"
        for shape, cl in shapes:
            for reduction in ("mean", "sum"):
                x = torch.randn(shape)
                t = away_from_ties(x, torch.randn(shape))
                yield Case(f"{name}_{reduction}{list(shape)}", {"l1": l1, "reduction": reduction, "cl": cl},
                           {"x": x, "target": t},
                           lambda x, target, fn=fn, r=reduction: fn(x, target, reduction=r))
