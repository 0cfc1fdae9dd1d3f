# SPDX-License-Identifier: MIT
"""Training-loss fixtures (fixtures/train_losses.safetensors): each case is one of libparn's
lib/train/losses.h functions written in PyTorch; attrs["loss"] names it. Inputs that the loss
must not send gradient to (e_x, real features) are detached here and left out of grads; the C
test checks separately that they receive none."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case
from ops.loss_ssim import ssim


def d_adversarial(real, fake):
    return 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                  + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def g_adversarial(fake):
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def identity(e_x, e_g, margin):
    return F.relu(F.cosine_similarity(e_x.detach(), e_g, dim=1, eps=1e-8) - margin).mean()


def feature_matching(reals, fakes):
    return sum(F.l1_loss(f, r.detach()) for r, f in zip(reals, fakes)) / len(reals)


def fem_l2(h):
    return (h * h).mean()


def classifier(logits, labels, h, weight):
    return F.cross_entropy(logits, labels.long()) + weight * fem_l2(h)


def descriptors(n, d, margin, gen):
    """e_x and e_g with cosines spread on both sides of the margin, none within 0.05 of it (the
    hinge's kink would spoil the finite differences)."""
    e_x = torch.randn(n, d, generator=gen)
    rows = []
    for i in range(n):
        while True:
            mix = (i + 0.5) / n * 2 - 1  # from nearly opposite to nearly the same
            e_g = mix * e_x[i] + (1 - abs(mix)) * torch.randn(d, generator=gen)
            cos = float(F.cosine_similarity(e_x[i:i + 1], e_g[None], dim=1))
            if abs(cos - margin) > 0.05:
                break
        rows.append(e_g)
    return e_x, torch.stack(rows)


def cases():
    gen = torch.Generator().manual_seed(7)
    real, fake = torch.randn(2, 1, 6, 6, generator=gen) * 2, torch.randn(2, 1, 6, 6, generator=gen) * 2
    yield Case("d_adversarial", {"loss": "d_adversarial"}, {"real": real, "fake": fake}, d_adversarial)
    scores = torch.randn(5, 1, generator=gen) * 3
    yield Case("d_adversarial[5, 1]", {"loss": "d_adversarial"}, {"real": scores, "fake": -scores},
               d_adversarial)
    yield Case("g_adversarial", {"loss": "g_adversarial"}, {"fake": fake}, g_adversarial)

    x = torch.rand(2, 3, 20, 20, generator=gen)
    y = (x + 0.2 * torch.randn(x.shape, generator=gen)).clamp(0, 1)
    yield Case("ssim_term", {"loss": "ssim_term"}, {"x": x, "y": y},
               lambda x, y: 1 - ssim(x, y, 11, 1.5), grads=["y"])

    for margin in (0.0, 0.3):
        e_x, e_g = descriptors(8, 128, margin, gen)
        yield Case(f"identity m{margin}", {"loss": "identity", "margin": margin}, {"e_x": e_x, "e_g": e_g},
                   lambda e_x, e_g, m=margin: identity(e_x, e_g, m), grads=["e_g"])

    shapes = [(2, 4, 8, 8), (2, 8, 4, 4), (2, 1, 3, 3)]
    feats = {}
    for i, s in enumerate(shapes):
        feats[f"r{i}"] = torch.randn(s, generator=gen)
        feats[f"f{i}"] = feats[f"r{i}"] + 0.5 * torch.randn(s, generator=gen)
    yield Case("feature_matching", {"loss": "feature_matching", "n": 3}, feats,
               lambda **t: feature_matching([t[f"r{i}"] for i in range(3)], [t[f"f{i}"] for i in range(3)]),
               grads=["f0", "f1", "f2"])
    yield Case("feature_matching n1", {"loss": "feature_matching", "n": 1},
               {"r0": feats["r1"], "f0": feats["f1"]},
               lambda r0, f0: feature_matching([r0], [f0]), grads=["f0"])

    logits = torch.randn(6, 5, generator=gen) * 2
    labels = torch.tensor([0, 4, 2, 2, 1, 3], dtype=torch.float32)
    h = torch.randn(6, 8, generator=gen)
    for weight in (0.0, 5e-2):
        yield Case(f"classifier w{weight}", {"loss": "classifier", "l2_weight": weight},
                   {"logits": logits, "labels": labels, "h": h},
                   lambda logits, labels, h, w=weight: classifier(logits, labels, h, w),
                   grads=["logits", "h"] if weight else ["logits"])

    a, b, c = torch.randn(3, 4, generator=gen), torch.randn(5, generator=gen), torch.randn(2, 2, generator=gen)
    weights = [0.5, 0.0, 2.0]
    yield Case("weighted_sum", {"loss": "weighted_sum", "weights": weights}, {"a": a, "b": b, "c": c},
               lambda a, b, c: weights[0] * a.mean() + weights[2] * c.mean(), grads=["a", "c"])

    # L_total of the generator step: adversarial + identity + SSIM, weighted
    e_x, e_g = descriptors(2, 16, 0.2, gen)
    gx = x.clone()[:2]
    lw = [1.0, 0.5, 2.0]
    yield Case("generator total", {"loss": "g_total", "margin": 0.2, "weights": lw},
               {"fake": scores[:2], "x": x, "gx": (gx + 0.1 * torch.randn(gx.shape, generator=gen)).clamp(0, 1),
                "e_x": e_x, "e_g": e_g},
               lambda fake, x, gx, e_x, e_g: lw[0] * g_adversarial(fake) + lw[1] * identity(e_x, e_g, 0.2)
               + lw[2] * (1 - ssim(x, gx, 11, 1.5)), grads=["fake", "gx", "e_g"])
