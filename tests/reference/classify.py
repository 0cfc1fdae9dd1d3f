#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Expected numbers for tests/check_classify.c, from PyTorch.

The classifier's preprocessing: an RGB picture resized to 128 x 171 (H x W; scaled up to
crop x round(crop * 171 / 128) when the crop exceeds 128) by F.interpolate(mode="bilinear",
align_corners=False, antialias=True), the centre crop x crop square (origin rounded down), / 255.
Pictures come from a formula that the C test repeats (picture() below), so no image file or
decoder is involved and the test can hold the C code to float rounding.

Writes tests/reference/classify.json:
 - "preprocess": per case (picture size, crop), per channel the sum and a weighted sum over the
   crop (weight ((y * crop + x) % 13) - 6) and a few sampled values [channel, y, x, value];
 - "clip": the softmax probabilities of fixtures/model_c3d_fem.safetensors (C3D + FEM after
   block 2, 32 frames, crop 32, 5 classes; written by models/c3d.py) on a clip of pictures of
   alternating sizes, in eval mode.

Run: /usr/bin/python3 tests/reference/classify.py
"""
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "models"))
from c3d import C3D  # noqa: E402
from fem import FEM  # noqa: E402

PREPROCESS_CASES = [(97, 61, 112), (320, 240, 112), (1280, 720, 112), (64, 48, 160), (33, 500, 32)]
CLIP_SIZES = [(75, 50), (300, 200)]  # frame t has size CLIP_SIZES[t % 2]
SAMPLES = 8


def picture(width, height, t):
    """3 x height x width bytes as float64: a red ramp, a green texture, a blue checkerboard."""
    y, x = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    r = x * 255 // max(width - 1, 1)
    g = (x * 7 + y * 13 + t * 29) % 256
    b = ((x // 4 + y // 4 + t) % 2) * 200 + 30
    return torch.stack([r, g, b]).to(torch.float64)


def geometry(crop):
    height, width = (128, 171) if crop <= 128 else (crop, (crop * 171 + 64) // 128)
    return height, width, (height - crop) // 2, (width - crop) // 2


def preprocess(img, crop):
    height, width, top, left = geometry(crop)
    big = F.interpolate(img[None], size=(height, width), mode="bilinear", align_corners=False,
                        antialias=True)[0]
    return big[:, top:top + crop, left:left + crop] / 255.0


def sample_positions(crop):
    """Deterministic positions, repeated by the test: an LCG over the crop."""
    state, out = 12345, []
    for _ in range(SAMPLES):
        state = (state * 1103515245 + 12345) % 2**31
        out.append((state % 3, (state >> 8) % crop, (state >> 16) % crop))
    return out


def preprocess_case(width, height, crop):
    out = preprocess(picture(width, height, 0), crop)
    y, x = torch.meshgrid(torch.arange(crop), torch.arange(crop), indexing="ij")
    weight = ((y * crop + x) % 13 - 6).to(torch.float64)
    return {"width": width, "height": height, "crop": crop,
            "sum": [out[c].sum().item() for c in range(3)],
            "weighted_sum": [(out[c] * weight).sum().item() for c in range(3)],
            "samples": [[c, yy, xx, out[c, yy, xx].item()] for c, yy, xx in sample_positions(crop)]}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        data = torch.frombuffer(bytearray(raw[8 + n + lo:8 + n + hi]), dtype=torch.float32)
        tensors[name] = data.reshape(info["shape"]).clone()
    return tensors, meta


def clip_case():
    path = os.path.join(HERE, "fixtures", "model_c3d_fem.safetensors")
    tensors, meta = read_safetensors(path)
    config = json.loads(meta["parn.config"])
    net, fem = C3D(**config["c3d"]).double().eval(), FEM(**config["fem"]).double().eval()
    for module, prefix in ((net, "c3d."), (fem, "fem.")):
        module.load_state_dict({k[len(prefix):]: v.double() for k, v in tensors.items()
                                if k.startswith(prefix)})
    frames, crop = config["c3d"]["frames"], config["c3d"]["crop"]
    clip = torch.stack([preprocess(picture(*CLIP_SIZES[t % 2], t), crop) for t in range(frames)], 1)
    with torch.no_grad():
        logits, _ = net(clip[None], fem)
    probs = torch.softmax(logits[0], 0)
    return {"model": "model_c3d_fem.safetensors", "sizes": CLIP_SIZES,
            "probs": [p.item() for p in probs]}


def main():
    result = {"torch": torch.__version__,
              "preprocess": [preprocess_case(*c) for c in PREPROCESS_CASES],
              "clip": clip_case()}
    path = os.path.join(HERE, "classify.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
