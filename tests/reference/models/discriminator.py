#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch reference of libparn's spatio-temporal (STC) discriminator, and its fixtures.

Two branches over a clip of T consecutive face crops (N x C x T x S x S):
- patch: pix2pix's PatchGAN shape applied to every frame: 4x4 convs, padding 1, strides
  2, 2, 1, 1, channels base, 2 base, 4 base, 1; LeakyReLU 0.2 after all but the last, BatchNorm
  on the middle two (which therefore have no bias). Each frame gives a 1 x P x P logit map with
  P = floor(floor(S / 2) / 2) - 2 (S = 128 -> 30, S = 32 -> 6).
- temporal: three 3-D convs, kernel 3x4x4, padding 1x1x1, stride 2 in space and 2 in time
  while the clip is still longer than one frame (T = 4 -> 2 -> 1 -> 1), channels temporal_base
  doubling, LeakyReLU 0.2, BatchNorm on the second and third; global average pooling and a
  linear layer give one logit per clip.

Run: /usr/bin/python3 tests/reference/models/discriminator.py
Writes fixtures/model_discriminator.safetensors (a libparn model file) and
fixtures/model_discriminator_io.safetensors (inputs, outputs, gradients in train and eval mode).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from gen_fixtures import save_safetensors  # noqa: E402
from common import model_tensors, randomise_batch_norm  # noqa: E402

DEFAULTS = {"size": 128, "channels": 3, "base": 64, "frames": 4, "temporal_base": 32}
TEMPORAL_LAYERS = 3
SLOPE = 0.2


def time_strides(frames):
    """Stride in time per temporal layer: 2 while the clip is longer than one frame."""
    strides, t = [], frames
    for _ in range(TEMPORAL_LAYERS):
        s = 2 if t > 1 else 1
        strides.append(s)
        t = (t + 2 - 3) // s + 1
    return strides


class PatchBranch(nn.Module):
    def __init__(self, channels, base):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, base, 4, 2, 1)
        self.conv1 = nn.Conv2d(base, 2 * base, 4, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(2 * base)
        self.conv2 = nn.Conv2d(2 * base, 4 * base, 4, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * base)
        self.conv3 = nn.Conv2d(4 * base, 1, 4, 1, 1)

    def forward(self, x):
        x = F.leaky_relu(self.conv0(x), SLOPE)
        x = F.leaky_relu(self.bn1(self.conv1(x)), SLOPE)
        x = F.leaky_relu(self.bn2(self.conv2(x)), SLOPE)
        return self.conv3(x)


class TemporalBranch(nn.Module):
    def __init__(self, channels, base, frames):
        super().__init__()
        st = time_strides(frames)
        self.conv0 = nn.Conv3d(channels, base, (3, 4, 4), (st[0], 2, 2), 1)
        self.conv1 = nn.Conv3d(base, 2 * base, (3, 4, 4), (st[1], 2, 2), 1, bias=False)
        self.bn1 = nn.BatchNorm3d(2 * base)
        self.conv2 = nn.Conv3d(2 * base, 4 * base, (3, 4, 4), (st[2], 2, 2), 1, bias=False)
        self.bn2 = nn.BatchNorm3d(4 * base)
        self.fc = nn.Linear(4 * base, 1)

    def forward(self, x):
        x = F.leaky_relu(self.conv0(x), SLOPE)
        x = F.leaky_relu(self.bn1(self.conv1(x)), SLOPE)
        x = F.leaky_relu(self.bn2(self.conv2(x)), SLOPE)
        return self.fc(x.mean(dim=(2, 3, 4)))


class Discriminator(nn.Module):
    def __init__(self, size=128, channels=3, base=64, frames=4, temporal_base=32):
        super().__init__()
        self.patch = PatchBranch(channels, base)
        self.temporal = TemporalBranch(channels, temporal_base, frames)

    def forward(self, crops):
        """crops: N x C x T x S x S -> (patch logits N*T x 1 x P x P, clip logit N x 1)."""
        n, c, t, h, w = crops.shape
        frames = crops.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
        return self.patch(frames), self.temporal(crops)


def run_mode(config, state, crops32, training, tag, out, gen):
    """Forward and backward in float64 from the float32 weights; records everything under tag."""
    net = Discriminator(**config)
    net.load_state_dict(state)
    net = net.double().train(training)
    x = crops32.double().requires_grad_(True)
    patch, logit = net(x)
    dy_patch = torch.randn(patch.shape, generator=gen).double()
    dy_logit = torch.randn(logit.shape, generator=gen).double()
    loss = (patch * dy_patch).sum() + (logit * dy_logit).sum()
    params = dict(net.named_parameters())
    grads = torch.autograd.grad(loss, [x] + list(params.values()))
    out[f"{tag}.in.crops"] = x
    out[f"{tag}.out.patch"] = patch
    out[f"{tag}.out.logit"] = logit
    out[f"{tag}.dy.patch"] = dy_patch
    out[f"{tag}.dy.logit"] = dy_logit
    out[f"{tag}.grad.crops"] = grads[0]
    for name, g in zip(params, grads[1:]):
        out[f"{tag}.grad.{name}"] = g
    if training:  # the running statistics after one training step
        for name, buf in net.named_buffers():
            if not name.endswith("num_batches_tracked"):
                out[f"{tag}.running.{name}"] = buf


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(7)
    config = {"size": 32, "channels": 3, "base": 8, "frames": 4, "temporal_base": 8}
    net = Discriminator(**config)
    randomise_batch_norm(net, gen)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    fixtures = os.path.join(os.path.dirname(HERE), "fixtures")
    meta = {"parn.format": "1", "parn.config": json.dumps({"discriminator": config})}
    save_safetensors(os.path.join(fixtures, "model_discriminator.safetensors"),
                     model_tensors(net, "discriminator."), meta)

    crops = torch.rand(2, config["channels"], config["frames"], config["size"], config["size"],
                       generator=gen)
    io = {}
    run_mode(config, state, crops, True, "train", io, gen)
    run_mode(config, state, crops, False, "eval", io, gen)
    path = os.path.join(fixtures, "model_discriminator_io.safetensors")
    save_safetensors(path, io, {"config": json.dumps(config), "torch": torch.__version__})
    for f in ("model_discriminator.safetensors", "model_discriminator_io.safetensors"):
        p = os.path.join(fixtures, f)
        print(f"{p}: {os.path.getsize(p)} bytes")
    default = Discriminator(**DEFAULTS).eval()
    with torch.no_grad():
        p, l = default(torch.rand(1, 3, 4, 128, 128))
    print("default patch map", list(p.shape), "clip logit", list(l.shape))


if __name__ == "__main__":
    main()
