# SPDX-License-Identifier: MIT
"""Activations: ReLU, leaky ReLU, sigmoid, tanh, clip (ReLU6)."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def away_from(x, points, gap=0.05):
    """Moves values within gap of a kink so finite differences stay on one side."""
    for p in points:
        near = (x - p).abs() < gap
        x = torch.where(near, x + 2 * gap * torch.sign(x - p + 1e-9), x)
    return x


def cases():
    shapes = [(2, 3, 5, 7), (1, 4, 3, 5, 6), (7, 9), (2, 16, 4, 4, 4)]
    kinds = [
        ("relu", 0.0, 0.0, lambda x: F.relu(x), [0.0]),
        ("leaky_relu", 0.2, 0.0, lambda x: F.leaky_relu(x, 0.2), [0.0]),
        ("sigmoid", 0.0, 0.0, torch.sigmoid, []),
        ("tanh", 0.0, 0.0, torch.tanh, []),
        ("clip", 0.0, 6.0, lambda x: F.hardtanh(x, 0.0, 6.0), [0.0, 6.0]),
        ("clip", -0.5, 0.25, lambda x: torch.clamp(x, -0.5, 0.25), [-0.5, 0.25]),
    ]
    for shape in shapes:
        for kind, alpha, beta, fn, kinks in kinds:
            scale = 4.0 if kind == "clip" and beta == 6.0 else 1.5
            x = away_from(torch.randn(shape) * scale, kinks)
            yield Case(f"{kind}{list(shape)}", {"kind": kind, "alpha": alpha, "beta": beta},
                       {"x": x}, lambda x, fn=fn: fn(x))
