#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch reference of libparn's C3D action classifier (paper section 3.3), and its fixtures.

Clip N x 3 x frames x crop x crop. Five conv blocks, each: 3x3x3 convs (padding 1, bias) + ReLU,
then a max pool with stride = kernel, 1x2x2 in block 1 and 2x2x2 after:
- variant 5 (the paper's): conv1..conv5 with base * (1, 2, 4, 4, 4) channels (64, 128, 256,
  256, 256 at the default base 64).
- variant 8 (the original C3D of Tran et al. 2015): conv1a | conv2a | conv3a conv3b | conv4a
  conv4b | conv5a conv5b with base * (1, 2, 4, 4, 8, 8, 8, 8) channels; pool5 pads H and W by 1
  as the original does (512 x 1 x 4 x 4 at 16 x 112 x 112).
Then torch.flatten (C, D, H, W order), fc6 (-> fc) + ReLU + dropout, fc7 (-> fc) + ReLU +
dropout, fc8 (-> classes): logits, no softmax. With a FEM, it runs on the output of conv block
fem_after (after its pool) and the network continues with the recalibrated features.

Run: /usr/bin/python3 tests/reference/models/c3d.py
Writes fixtures/model_c3d{,8,_fem}.safetensors (libparn model files) and their
*_io.safetensors: the clip, logits, a random dy, and the gradients of loss = sum(logits * dy)
(+ l2 * dl2 with a FEM) for the clip and every parameter, in float64 from float32 weights.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from gen_fixtures import save_safetensors  # noqa: E402
from common import model_tensors  # noqa: E402

DEFAULTS = {"variant": 5, "classes": 101, "frames": 16, "crop": 112, "fc": 2048, "dropout": 0.5,
            "fem_after": 1, "base": 64}

# Per block: conv layer names, channel multiple of base, pool depth, pool H/W padding.
BLOCKS = {
    5: [(("conv1",), 1, 1, 0), (("conv2",), 2, 2, 0), (("conv3",), 4, 2, 0),
        (("conv4",), 4, 2, 0), (("conv5",), 4, 2, 0)],
    8: [(("conv1a",), 1, 1, 0), (("conv2a",), 2, 2, 0), (("conv3a", "conv3b"), 4, 2, 0),
        (("conv4a", "conv4b"), 8, 2, 0), (("conv5a", "conv5b"), 8, 2, 1)],
}


def feature_dims(variant, frames, crop):
    """(C, D, H, W) after the five blocks, as the pools compute them (floor)."""
    dhw = [frames, crop, crop]
    for _, _, depth, pad in BLOCKS[variant]:
        kernel, pads = (depth, 2, 2), (0, pad, pad)
        dhw = [(s + 2 * p - k) // k + 1 for s, p, k in zip(dhw, pads, kernel)]
    return BLOCKS[variant][-1][1], dhw


class C3D(nn.Module):
    def __init__(self, variant=5, classes=101, frames=16, crop=112, fc=2048, dropout=0.5,
                 fem_after=1, base=64, class_names=None):
        super().__init__()
        self.variant, self.fem_after = variant, fem_after
        in_c = 3
        for names, mult, _, _ in BLOCKS[variant]:
            for name in names:
                setattr(self, name, nn.Conv3d(in_c, base * mult, 3, padding=1))
                in_c = base * mult
        mult, dhw = feature_dims(variant, frames, crop)
        assert min(dhw) >= 1, "clip too small for the pools"
        self.fc6 = nn.Linear(base * mult * dhw[0] * dhw[1] * dhw[2], fc)
        self.fc7 = nn.Linear(fc, fc)
        self.fc8 = nn.Linear(fc, classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, fem=None):
        """Logits, or (logits, the FEM's L2 term) when fem is given."""
        l2 = None
        for k, (names, _, depth, pad) in enumerate(BLOCKS[self.variant]):
            for name in names:
                x = F.relu(getattr(self, name)(x))
            x = F.max_pool3d(x, (depth, 2, 2), stride=(depth, 2, 2), padding=(0, pad, pad))
            if fem is not None and self.fem_after == k + 1:
                x, l2 = fem(x)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc6(x)))
        x = self.dropout(F.relu(self.fc7(x)))
        x = self.fc8(x)
        return x if fem is None else (x, l2)


def forward_backward(net, fem, clip32, dy, dl2, training):
    """Outputs and gradients (float64) of loss = sum(logits * dy) (+ l2 * dl2)."""
    net.train(training)
    if fem is not None:
        fem.train(training)
    clip = clip32.double().requires_grad_(True)
    params = [(f"c3d.{k}", v) for k, v in net.named_parameters()]
    if fem is not None:
        params += [(f"fem.{k}", v) for k, v in fem.named_parameters()]
    out = net(clip, fem)
    logits, l2 = out if fem is not None else (out, None)
    loss = (logits * dy).sum() + (l2 * dl2 if fem is not None else 0)
    grads = torch.autograd.grad(loss, [clip] + [v for _, v in params])
    res = {"out.logits": logits.detach(), "grad.clip": grads[0]}
    if fem is not None:
        res["out.l2"] = l2.detach()
    res.update({f"grad.{name}": g for (name, _), g in zip(params, grads[1:])})
    return res


def write(stem, config, batch, gen, fixtures, fem_config=None):
    """A model file and an io file. Dropout 0 in both modes: train and eval then compute the
    same function (no batch norm in C3D or FEM), which is asserted; the C test runs both."""
    torch.manual_seed(len(stem))
    net = C3D(**config)
    fem = None
    configs, tensors = {"c3d": config}, model_tensors(net, "c3d.")
    if fem_config is not None:
        from fem import FEM
        fem = FEM(**fem_config)
        configs["fem"] = fem_config
        tensors.update(model_tensors(fem, "fem."))
    save_safetensors(os.path.join(fixtures, f"model_{stem}.safetensors"), tensors,
                     {"parn.format": "1", "parn.config": json.dumps(configs)})

    net = net.double()
    net.dropout.p = 0.0
    if fem is not None:
        fem = fem.double()
    shape = (batch, 3, config["frames"], config["crop"], config["crop"])
    clip = torch.randn(shape, generator=gen).to(torch.float32)
    dy = torch.randn((batch, config["classes"]), generator=gen).to(torch.float32).double()
    dl2 = torch.randn((), generator=gen).to(torch.float32).double()
    res = forward_backward(net, fem, clip, dy, dl2, False)
    train = forward_backward(net, fem, clip, dy, dl2, True)
    assert all(torch.equal(res[k], train[k]) for k in res), "train and eval mode differ"
    io = {"in.clip": clip, "dy.logits": dy, **res}
    if fem is not None:
        io["dy.l2"] = dl2
    logits = res["out.logits"]
    assert logits.abs().max() > 0 and logits.std() > 0, "degenerate logits"
    path = os.path.join(fixtures, f"model_{stem}_io.safetensors")
    save_safetensors(path, io, {"config": json.dumps(configs), "batch": str(batch),
                                "torch": torch.__version__})
    for f in (f"model_{stem}.safetensors", f"model_{stem}_io.safetensors"):
        p = os.path.join(fixtures, f)
        print(f"{p}: {os.path.getsize(p)} bytes")


def main():
    gen = torch.Generator().manual_seed(3)
    fixtures = os.path.join(os.path.dirname(HERE), "fixtures")
    small = {"classes": 5, "fc": 64, "dropout": 0.5, "fem_after": 1}
    # Odd clip sizes: the pools floor (17 frames -> 17, 8, 4, 2, 1; 33 -> 16, 8, 4, 2, 1).
    write("c3d", {**small, "variant": 5, "frames": 17, "crop": 33, "base": 4,
                  "class_names": ["run", "jump", "lie", "fall", "walk"]}, 2, gen, fixtures)
    # pool5's padding leaves 1 x 2 x 2, so fc6 sees the flatten order of C, H and W.
    write("c3d8", {**small, "variant": 8, "frames": 17, "crop": 33, "base": 2}, 2, gen, fixtures)
    # The FEM after conv block 2 (8 channels); 32 frames leave 2 x 1 x 1 (flatten over D).
    write("c3d_fem", {**small, "variant": 5, "frames": 32, "crop": 32, "base": 4, "fem_after": 2},
          1, gen, fixtures,
          fem_config={"channels": 8, "reduction": 2, "privacy_hidden": 4, "spatial_kernel": 3})


if __name__ == "__main__":
    main()
