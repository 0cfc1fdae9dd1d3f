#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Expected numbers for tests/check_face_tiny.c, from the independent numpy reference of the
face-api.js TinyFaceDetector (../shared/specs/face-models-check/fmnp.py).

Prints C initialisers to paste into the test:
 - the preprocessed input at chosen positions for a synthetic picture (its formula is repeated
   in the test): pad right/bottom with zeros, legacy TF bilinear, (p - mean) / 255;
 - the raw network output (25 x G x G) of that input at chosen cells, input sizes 416 and 608;
 - the detections on the package's demo photos (demo/sample1..6.jpg, decoded by PIL),
   input sizes 416 and 608, score threshold 0.5, IoU 0.4.

Run: FACEAPI_DIR=/tmp/npm/package /usr/bin/python3 tests/reference/face_tiny.py
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "specs", "face-models-check"))
import fmnp  # noqa: E402

PACKAGE = os.environ.get("FACEAPI_DIR", "/tmp/npm/package")
W = fmnp.load_weights("tiny_face_detector_model", os.path.join(PACKAGE, "model"))
SIZES = (416, 608)
# (channel, row, column) of the preprocessed input; rows >= 278 of 416 are padding.
INPUT_PROBES = [(0, 0, 0), (1, 100, 201), (2, 277, 415), (0, 278, 10), (1, 415, 415), (2, 57, 333)]


def synthetic_picture(w=300, h=200):
    """The test's pattern: non-square (tests the padding), every value 0..255."""
    y, x = np.mgrid[0:h, 0:w]
    chans = [(x * 3 + y * 5 + c * 85 + ((x * y) % 7) * 9) % 256 for c in range(3)]
    return np.stack(chans, axis=2).astype(np.uint8)


def preprocess(rgb, size):
    sq = fmnp.pad_to_square(rgb.astype(np.float32), center=False)
    x = fmnp.resize_bilinear_tf(sq, size, size)
    return (x - fmnp.TINY_MEAN) / np.float32(255.0)


def main():
    pic = synthetic_picture()
    x416 = preprocess(pic, 416)
    print("/* synthetic picture at 416: channel, row, column, value */")
    for c, r, col in INPUT_PROBES:
        print(f"    {{{c}, {r}, {col}, {x416[r, col, c]:.7g}f}},")
    for size in SIZES:
        raw = fmnp.tiny_forward(W, preprocess(pic, size))  # [G, G, 25]
        g = raw.shape[0]
        print(f"/* raw output at {size} (grid {g}): sum |out| = "
              f"{np.abs(raw).astype(np.float64).sum():.8g} */")
        for r, col in ((0, 0), (g // 2, g // 3), (g // 3, g - 1)):
            vals = ", ".join(f"{v:.6g}f" for v in raw[r, col])
            print(f"    {{{size}, {r}, {col}, {{{vals}}}}},")
    print("/* demo photos: size, sample, score, x, y, w, h (threshold 0.5, IoU 0.4) */")
    for size in SIZES:
        for k in range(1, 7):
            rgb = np.asarray(Image.open(os.path.join(PACKAGE, "demo", f"sample{k}.jpg")).convert("RGB"))
            dets, _ = fmnp.tiny_detect(W, rgb, input_size=size)
            print(f"    /* sample{k}.jpg {rgb.shape[1]}x{rgb.shape[0]} at {size}: {len(dets)} faces */")
            for d in dets:
                print("    {%d, %d, %.4f, %.2f, %.2f, %.2f, %.2f}," % ((size, k) + tuple(d)))


if __name__ == "__main__":
    main()
