#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch reference of libparn's MS-GAN generator (multi-scale feature fusion U-Net), and its
fixtures.

Input: the crop with the face masked out (C channels), the mask (1 channel, the condition C)
and, when temporal, the previous generated crop of the same track (C channels), concatenated
along channels; all S x S in [0, 1]. Layers (names as in the state_dict):
- enc{i}, i < depth: conv 4x4 stride 2 padding 1 (no bias) + BatchNorm + ReLU, channels
  min(base * 2^i, max_channels). BatchNorm on every block, the first included (the paper's
  "convolution, batch normalization, ReLU"; pix2pix's exception is not taken).
- noise_fc (when noise_dim > 0): linear noise_dim -> B * b * b (B, b: bottleneck channels and
  side), reshaped to a B x b x b map and concatenated with the bottleneck features, so every
  position gets its own noise and the fusion branches see (I_t, Z, C) as eq. 3 writes phi_l.
- msff.branch{k}, k = 4, 3, 2, 1: conv k x k (no bias, TF "same" padding: low (k-1)//2, high
  the rest) + BatchNorm + ReLU, fusion_channels each. All keep the bottleneck side, so the
  paper's "adjusted to the same size" is the identity.
- msff.score: one linear fusion_channels -> 1 (no bias: softmax ignores a shared shift) applied
  to each branch's global average pool; w = softmax over the 4 branches of gamma * score
  (per sample, eq. 4); each branch is scaled by its w, the 4 are concatenated, and msff.fuse
  (conv 3x3 padding 1, no bias, + BatchNorm + ReLU) maps them back to B channels. A conv of the
  concatenation is the sum over branches of per-branch convs: eq. 3's weighted sum, learned.
- dec{j}, j < depth: transposed conv 4x4 stride 2 padding 1 (no bias) + BatchNorm + ReLU, then
  concatenation with the encoder features of the same side (the last one with the input
  itself, so the output layer sees the unmasked pixels); channels mirror the encoder's, the
  last has base.
- out: conv 3x3 padding 1 (bias) to C channels + sigmoid.

Run: /usr/bin/python3 tests/reference/models/generator.py
Writes fixtures/model_generator.safetensors and fixtures/model_generator_lite.safetensors
(libparn model files) and their *_io.safetensors (inputs, outputs, gradients of every
parameter and input, running statistics after a training step) in train and eval mode.
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

DEFAULTS = {"size": 128, "channels": 3, "base": 32, "depth": 4, "max_channels": 256,
            "noise_dim": 128, "fusion_channels": 256, "gamma": 1.0, "temporal": True}
KERNELS = (4, 3, 2, 1)


class Block(nn.Module):
    """conv (or transposed conv) without bias + BatchNorm + ReLU."""

    def __init__(self, name, conv):
        super().__init__()
        self.conv_name = name
        setattr(self, name, conv)
        self.bn = nn.BatchNorm2d(conv.out_channels)

    def forward(self, x):
        return F.relu(self.bn(getattr(self, self.conv_name)(x)))


class SamePadConv(nn.Module):
    """conv k x k stride 1 with TF "same" padding (asymmetric for even k)."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.lo, self.hi = (k - 1) // 2, k - 1 - (k - 1) // 2
        self.conv = nn.Conv2d(cin, cout, k, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.pad(x, (self.lo, self.hi, self.lo, self.hi))
        return F.relu(self.bn(self.conv(x)))


class MultiScaleFusion(nn.Module):
    def __init__(self, cin, cout, fusion, gamma):
        super().__init__()
        self.gamma, self.fusion = gamma, fusion
        for k in KERNELS:
            setattr(self, f"branch{k}", SamePadConv(cin, fusion, k))
        self.score = nn.Linear(fusion, 1, bias=False)
        self.fuse = Block("conv", nn.Conv2d(len(KERNELS) * fusion, cout, 3, 1, 1, bias=False))

    def forward(self, x):
        feats = [getattr(self, f"branch{k}")(x) for k in KERNELS]
        n, L = x.shape[0], len(KERNELS)
        scores = torch.stack([self.score(f.mean(dim=(2, 3))) for f in feats], 1).view(n, L)
        w = torch.softmax(self.gamma * scores, dim=1)
        weighted = torch.cat([f * w[:, l].view(n, 1, 1, 1) for l, f in enumerate(feats)], 1)
        return self.fuse(weighted)


def encoder_channels(c):
    return [min(c["base"] << i, c["max_channels"]) for i in range(c["depth"])]


class Generator(nn.Module):
    def __init__(self, size=128, channels=3, base=32, depth=4, max_channels=256, noise_dim=128,
                 fusion_channels=256, gamma=1.0, temporal=True):
        super().__init__()
        cfg = dict(size=size, channels=channels, base=base, depth=depth, max_channels=max_channels)
        self.depth, self.noise_dim = depth, noise_dim
        self.in_c = channels + 1 + (channels if temporal else 0)
        enc = encoder_channels(cfg)
        self.bneck_c, self.bneck_side = enc[-1], size >> depth
        prev = self.in_c
        for i, c in enumerate(enc):
            setattr(self, f"enc{i}", Block("conv", nn.Conv2d(prev, c, 4, 2, 1, bias=False)))
            prev = c
        if noise_dim:
            self.noise_fc = nn.Linear(noise_dim, self.bneck_c * self.bneck_side ** 2)
        fusion_in = self.bneck_c * (2 if noise_dim else 1)
        self.msff = MultiScaleFusion(fusion_in, self.bneck_c, fusion_channels, gamma)
        skips = [self.in_c] + enc
        prev = self.bneck_c
        for j in range(depth):
            cout = enc[max(depth - 2 - j, 0)]
            setattr(self, f"dec{j}", Block("deconv", nn.ConvTranspose2d(prev, cout, 4, 2, 1, bias=False)))
            prev = cout + skips[depth - 1 - j]
        self.out = nn.Conv2d(prev, channels, 3, 1, 1)

    def forward(self, masked, mask, prev=None, noise=None):
        x = torch.cat([masked, mask] + ([prev] if prev is not None else []), 1)
        skips, h = [x], x
        for i in range(self.depth):
            h = getattr(self, f"enc{i}")(h)
            skips.append(h)
        if self.noise_dim:
            z = self.noise_fc(noise).view(-1, self.bneck_c, self.bneck_side, self.bneck_side)
            h = torch.cat([h, z], 1)
        h = self.msff(h)
        for j in range(self.depth):
            h = torch.cat([getattr(self, f"dec{j}")(h), skips[self.depth - 1 - j]], 1)
        return torch.sigmoid(self.out(h))


def make_inputs(config, batch, gen):
    """A crop, a box mask over its middle (the face), the crop masked, a previous crop, noise."""
    c, s = config["channels"], config["size"]
    crop = torch.rand(batch, c, s, s, generator=gen)
    mask = torch.zeros(batch, 1, s, s)
    for n in range(batch):
        lo = s // 4 + n
        mask[n, :, lo:s - s // 4, lo + 1:s - s // 4 + 1] = 1.0
    ins = {"masked": crop * (1 - mask), "mask": mask}
    if config["temporal"]:
        ins["prev"] = torch.rand(batch, c, s, s, generator=gen)
    if config["noise_dim"]:
        ins["noise"] = torch.randn(batch, config["noise_dim"], generator=gen)
    return ins


def run_mode(config, state, inputs32, training, tag, out, gen):
    """Forward and backward in float64 from the float32 weights; records everything under tag."""
    net = Generator(**config)
    net.load_state_dict(state)
    net = net.double().train(training)
    ins = {k: v.double().requires_grad_(True) for k, v in inputs32.items()}
    y = net(**ins)
    dy = torch.randn(y.shape, generator=gen).double()
    params = dict(net.named_parameters())
    grads = torch.autograd.grad((y * dy).sum(), list(ins.values()) + list(params.values()))
    for k, v in ins.items():
        out[f"{tag}.in.{k}"] = v
    out[f"{tag}.out"] = y
    out[f"{tag}.dy"] = dy
    for name, g in zip(list(ins) + list(params), grads):
        out[f"{tag}.grad.{name}"] = g
    if training:  # the running statistics after one training step
        for name, buf in net.named_buffers():
            if not name.endswith("num_batches_tracked"):
                out[f"{tag}.running.{name}"] = buf


def write_fixtures(stem, config, batch, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 7)
    net = Generator(**config)
    randomise_batch_norm(net, gen)
    with torch.no_grad():  # scores far enough apart that the softmax weights differ clearly
        net.msff.score.weight.mul_(4.0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    fixtures = os.path.join(os.path.dirname(HERE), "fixtures")
    meta = {"parn.format": "1", "parn.config": json.dumps({"generator": config})}
    path = os.path.join(fixtures, stem + ".safetensors")
    save_safetensors(path, model_tensors(net, "generator."), meta)
    inputs = make_inputs(config, batch, gen)
    out = {}
    for training, tag in ((True, "train"), (False, "eval")):
        run_mode(config, state, inputs, training, tag, out, gen)
    io_path = os.path.join(fixtures, stem + "_io.safetensors")
    save_safetensors(io_path, out, {"parn.config": json.dumps(config), "torch": torch.__version__})
    for p in (path, io_path):
        print(f"{p}: {os.path.getsize(p)} bytes")


def benchmark():
    """Forward time at the default configuration, batch 1, 2 threads, eval, no_grad."""
    import time
    torch.set_num_threads(2)
    net = Generator(**DEFAULTS).eval()
    ins = make_inputs(DEFAULTS, 1, torch.Generator().manual_seed(0))
    with torch.no_grad():
        for _ in range(3):
            net(**ins)
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            net(**ins)
            times.append(time.perf_counter() - t0)
    params = sum(p.numel() for p in net.parameters())
    print(f"PyTorch generator forward (default config, batch 1, 2 threads): min {min(times) * 1e3:.2f} ms, "
          f"mean {sum(times) / len(times) * 1e3:.2f} ms, {params} parameters")


def main():
    if sys.argv[1:] == ["bench"]:
        benchmark()
        return
    # Small configurations: the channel cap (base 8, max 12), noise, temporal input, 2 blocks;
    # and one without noise or temporal input, with a single block.
    write_fixtures("model_generator", {"size": 32, "channels": 3, "base": 8, "depth": 2,
                                       "max_channels": 12, "noise_dim": 8, "fusion_channels": 16,
                                       "gamma": 1.5, "temporal": True}, 2, 0)
    write_fixtures("model_generator_lite", {"size": 16, "channels": 1, "base": 4, "depth": 1,
                                            "max_channels": 256, "noise_dim": 0, "fusion_channels": 4,
                                            "gamma": 0.5, "temporal": False}, 2, 1)


if __name__ == "__main__":
    main()
