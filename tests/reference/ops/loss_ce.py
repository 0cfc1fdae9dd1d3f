# SPDX-License-Identifier: MIT
"""Cross-entropy of logits (N x C) against class indices stored as floats (F.cross_entropy)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def cases():
    shapes = [(4, 5), (7, 3), (1, 10), (16, 11), (3, 2)]
    for n, c in shapes:
        for reduction in ("mean", "sum"):
            logits = torch.randn(n, c) * 2
            labels = torch.randint(0, c, (n,)).float()
            yield Case(f"{reduction}[{n}, {c}]", {"reduction": reduction},
                       {"logits": logits, "labels": labels},
                       lambda logits, labels, r=reduction: F.cross_entropy(logits, labels.long(), reduction=r),
                       grads=["logits"])
    # large logits: the log-sum-exp must not overflow
    logits = torch.randn(5, 4) * 3 + 80
    labels = torch.tensor([0.0, 3.0, 1.0, 2.0, 3.0])
    yield Case("large[5, 4]", {"reduction": "mean"}, {"logits": logits, "labels": labels},
               lambda logits, labels: F.cross_entropy(logits, labels.long()), grads=["logits"])
