# SPDX-License-Identifier: MIT
"""Binary cross-entropy on logits (F.binary_cross_entropy_with_logits), gradients to x and to
the target. attrs["cl"] lists inputs that the test routes through an identity op, so that they
reach the loss in channels-last layout."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def cases():
    shapes = [((5,), []), ((3, 7), []), ((2, 3, 4, 5), [0]), ((1, 2, 3, 4, 5), [0, 1]),
              ((2, 4, 3, 3), [1])]
    for shape, cl in shapes:
        for reduction in ("mean", "sum"):
            x = torch.randn(shape) * 3
            soft = reduction == "mean"
            target = torch.rand(shape) if soft else torch.randint(0, 2, shape).float()
            yield Case(f"{reduction}{list(shape)}", {"reduction": reduction, "cl": cl},
                       {"x": x, "target": target},
                       lambda x, target, r=reduction: F.binary_cross_entropy_with_logits(x, target, reduction=r))
    # large |x|: the stable form must not overflow
    x = torch.tensor([[-60.0, -20.5, 0.25, 30.0, 75.0]])
    target = torch.tensor([[0.0, 1.0, 0.5, 0.0, 1.0]])
    yield Case("large[1, 5]", {"reduction": "sum", "cl": []}, {"x": x, "target": target},
               lambda x, target: F.binary_cross_entropy_with_logits(x, target, reduction="sum"))
