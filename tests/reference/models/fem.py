#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch reference of libparn's feature enhancement module (FEM, paper section 3.2), and its
fixtures.

On features F (N x C x D x H x W; N x C x H x W is taken as a one-frame clip, D = 1, so the same
3-D kernels serve both: along D only their middle slice meets data):
- privacy branch: 1x1x1 conv (C -> privacy_hidden) + ReLU, 3x3x3 conv (padding 1) + ReLU, global
  average pool, FC to C, sigmoid = P; CSM = sigmoid(P) (the paper applies the sigmoid twice).
- channel attention (CBAM): global average and global max pool of F, each through the shared
  FC1 (C -> C / reduction) + ReLU and FC2 (-> C); the two summed, sigmoid = CA. The L2 term is
  the mean of the squared FC1 outputs (before the ReLU) over both pooled paths.
- W_ch = CA * CSM, broadcast over the spatial dims.
- spatial attention: channel-wise mean and max of F * W_ch, concatenated in that order, a
  spatial_kernel^3 conv ('same' padding as PyTorch pads it: an even kernel gets the extra row
  at the high end) to one channel, sigmoid = SA.
- output F * W_ch * SA.

Run: /usr/bin/python3 tests/reference/models/fem.py
Writes fixtures/model_fem{,_k4}.safetensors (libparn model files) and
fixtures/model_fem{,_k4}_io.safetensors (inputs, outputs and gradients per case).
"""
import json
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from gen_fixtures import save_safetensors  # noqa: E402
from common import model_tensors  # noqa: E402

DEFAULTS = {"channels": 64, "reduction": 16, "privacy_hidden": 32, "spatial_kernel": 7}


class Privacy(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.conv1 = nn.Conv3d(channels, hidden, 1)
        self.conv3 = nn.Conv3d(hidden, hidden, 3, padding=1)
        self.fc = nn.Linear(hidden, channels)

    def forward(self, f):
        h = F.relu(self.conv3(F.relu(self.conv1(f))))
        p = torch.sigmoid(self.fc(h.flatten(2).mean(2)))
        return torch.sigmoid(p)  # CSM = sigmoid(P), as the paper writes it


class Channel(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, f):
        flat = f.flatten(2)
        h_avg, h_max = self.fc1(flat.mean(2)), self.fc1(flat.amax(2))
        ca = torch.sigmoid(self.fc2(F.relu(h_avg)) + self.fc2(F.relu(h_max)))
        l2 = torch.cat([h_avg, h_max]).pow(2).mean()
        return ca, l2


class Spatial(nn.Module):
    def __init__(self, kernel):
        super().__init__()
        self.conv = nn.Conv3d(2, 1, kernel, padding="same")

    def forward(self, f):
        pooled = torch.cat([f.mean(1, keepdim=True), f.amax(1, keepdim=True)], 1)
        return torch.sigmoid(self.conv(pooled))


class FEM(nn.Module):
    def __init__(self, channels=64, reduction=16, privacy_hidden=32, spatial_kernel=7):
        super().__init__()
        self.privacy = Privacy(channels, privacy_hidden)
        self.channel = Channel(channels, reduction)
        self.spatial = Spatial(spatial_kernel)

    def forward(self, f):
        """Returns (recalibrated features, L2 term)."""
        if f.dim() == 4:
            y, l2 = self.forward(f.unsqueeze(2))
            return y.squeeze(2), l2
        ca, l2 = self.channel(f)
        w_ch = (ca * self.privacy(f)).reshape(*ca.shape, 1, 1, 1)
        fw = f * w_ch
        return fw * self.spatial(fw), l2


def write(name, config, shapes, gen, fixtures):
    """A model file and an io file with one case per feature shape (tensors '<case>.<what>')."""
    net = FEM(**config)
    meta = {"parn.format": "1", "parn.config": json.dumps({"fem": config})}
    save_safetensors(os.path.join(fixtures, f"model_{name}.safetensors"),
                     model_tensors(net, "fem."), meta)
    net = net.double()
    params = dict(net.named_parameters())
    io = {}
    for case, shape in enumerate(shapes):
        # Features of both signs; distinct values, so max pooling has no ties.
        x = torch.randn(shape, generator=gen).to(torch.float32).double().requires_grad_(True)
        y, l2 = net(x)
        dy = torch.randn(y.shape, generator=gen).double()
        dl2 = torch.randn((), generator=gen).double()
        grads = torch.autograd.grad((y * dy).sum() + l2 * dl2, [x] + list(params.values()))
        io.update({f"{case}.in.features": x, f"{case}.out.y": y, f"{case}.out.l2": l2,
                   f"{case}.dy.y": dy, f"{case}.dy.l2": dl2, f"{case}.grad.features": grads[0]})
        for k, g in zip(params, grads[1:]):
            io[f"{case}.grad.{k}"] = g
    path = os.path.join(fixtures, f"model_{name}_io.safetensors")
    save_safetensors(path, io, {"config": json.dumps(config), "cases": str(len(shapes)),
                                "torch": torch.__version__})
    for f in (f"model_{name}.safetensors", f"model_{name}_io.safetensors"):
        p = os.path.join(fixtures, f)
        print(f"{p}: {os.path.getsize(p)} bytes")


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(11)
    fixtures = os.path.join(os.path.dirname(HERE), "fixtures")
    # The FEM has no batch norm or dropout: train and eval mode compute the same function.
    write("fem", {"channels": 16, "reduction": 4, "privacy_hidden": 8, "spatial_kernel": 7},
          [(2, 16, 4, 8, 8), (2, 16, 9, 7)], gen, fixtures)
    # An even kernel: PyTorch's 'same' padding is asymmetric (one more at the high end).
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    write("fem_k4", {"channels": 12, "reduction": 3, "privacy_hidden": 5, "spatial_kernel": 4},
          [(2, 12, 3, 6, 5)], gen, fixtures)


if __name__ == "__main__":
    main()
