#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Expected numbers for tests/check_face_ssd.c, from the independent numpy reference of the
face-api.js SSD MobileNet v1 face detector (../shared/specs/face-models-check/fmnp.py).

Prints C initialisers to paste into the test:
 - the raw network outputs at chosen anchors for a synthetic picture (its formula is repeated
   in the test), through the same preprocessing (pad right/bottom, legacy bilinear, /127.5 - 1);
 - the detections on the package's demo photos (demo/sample1..6.jpg, decoded by PIL).

Run: FACEAPI_DIR=/tmp/npm/package /usr/bin/python3 tests/reference/face_ssd.py
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "specs", "face-models-check"))
import fmnp  # noqa: E402

PACKAGE = os.environ.get("FACEAPI_DIR", "/tmp/npm/package")
W = fmnp.load_weights("ssd_mobilenetv1_model", os.path.join(PACKAGE, "model"))

# Anchors whose outputs the test compares: the first and last of every head and a few inside.
PROBES = [0, 1, 1500, 3071, 3072, 4000, 4607, 4608, 4991, 4992, 5087, 5088, 5111, 5112, 5117]


def synthetic_picture(w=300, h=200):
    """The test's pattern: non-square (tests the padding), every value 0..255."""
    y, x = np.mgrid[0:h, 0:w]
    chans = [(x * 3 + y * 5 + c * 85 + ((x * y) % 7) * 9) % 256 for c in range(3)]
    return np.stack(chans, axis=2).astype(np.uint8)


def raw_outputs(rgb):
    """Box encodings [5118, 4] and class logits [5118, 3], as fmnp.ssd_detect computes them."""
    sq = fmnp.pad_to_square(rgb.astype(np.float32), center=False)
    x = fmnp.resize_bilinear_tf(sq, 512, 512) / np.float32(127.5) - 1
    eps = 0.0010000000474974513

    def pw(p, x, s):
        y = fmnp.conv2d(x, W[p + "/weights"], s, "same") + W[p + "/convolution_bn_offset"]
        return np.clip(y, 0, 6)

    out = pw("MobilenetV1/Conv2d_0_pointwise", x, 2)
    for i in range(1, 14):
        p = f"MobilenetV1/Conv2d_{i}_depthwise"
        y = fmnp.depthwise(out, W[p + "/depthwise_weights"], 2 if i in (2, 4, 6, 12) else 1, "same")
        y = (y - W[p + "/BatchNorm/moving_mean"]) / np.sqrt(W[p + "/BatchNorm/moving_variance"] + eps) \
            * W[p + "/BatchNorm/gamma"] + W[p + "/BatchNorm/beta"]
        out = pw(f"MobilenetV1/Conv2d_{i}_pointwise", np.clip(y, 0, 6), 1)
        if i == 11:
            conv11 = out
    c = [pw("Prediction/Conv2d_0_pointwise", out, 1)]
    for i in range(1, 8):
        c.append(pw(f"Prediction/Conv2d_{i}_pointwise", c[-1], 2 if i % 2 else 1))
    locs, confs = [], []
    for k, f in enumerate([conv11, out, c[1], c[3], c[5], c[7]]):
        p = f"Prediction/BoxPredictor_{k}/"
        locs.append(fmnp.conv2d(f, W[p + "BoxEncodingPredictor/weights"], 1, "same",
                                W[p + "BoxEncodingPredictor/biases"]).reshape(-1, 4))
        confs.append(fmnp.conv2d(f, W[p + "ClassPredictor/weights"], 1, "same",
                                 W[p + "ClassPredictor/biases"]).reshape(-1, 3))
    return np.concatenate(locs), np.concatenate(confs)


def main():
    loc, conf = raw_outputs(synthetic_picture())
    score = fmnp.sigmoid(conf[:, 1].astype(np.float64))
    print("/* synthetic picture: anchor, encodings (ty, tx, th, tw), face logit */")
    for i in PROBES:
        e = ", ".join(f"{v:.6g}f" for v in loc[i])
        print(f"    {{{i}, {{{e}}}, {conf[i, 1]:.6g}f}},")
    print(f"/* sum |encodings| = {np.abs(loc).astype(np.float64).sum():.8g}, "
          f"sum face scores = {score.sum():.8g} */")
    print("/* demo photos: score, x, y, w, h (minConfidence 0.5, IoU 0.5) */")
    for k in range(1, 7):
        rgb = np.asarray(Image.open(os.path.join(PACKAGE, "demo", f"sample{k}.jpg")).convert("RGB"))
        dets, _ = fmnp.ssd_detect(W, rgb)
        print(f"    /* sample{k}.jpg {rgb.shape[1]}x{rgb.shape[0]}: {len(dets)} faces */")
        for d in dets:
            print("    {%d, %.4f, %.2f, %.2f, %.2f, %.2f}," % ((k,) + tuple(d)))


if __name__ == "__main__":
    main()
