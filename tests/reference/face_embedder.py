#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Expected descriptors for tests/check_face_embedder.c, from the independent numpy reference
of face-api.js's FaceRecognitionNet (../shared/specs/face-models-check/fmnp.py).

Writes tests/reference/face_embedder.json:
 - "synthetic": descriptors of a generated picture (its formula is repeated in the test), the
   whole picture and boxes that exercise flooring, clipping and the centred padding both ways;
   no image decoder is involved, so the test can hold the C code to float rounding;
 - "demo": descriptors of faces in the package's demo photos (demo/sample1..6.jpg, decoded by
   PIL; the test decodes them with FFmpeg, whose pixels differ by up to 4 levels) at fixed
   boxes (from the tiny detector at 416), one box partly outside the photo, and one whole photo.

Run: FACEAPI_DIR=/tmp/npm/package /usr/bin/python3 tests/reference/face_embedder.py
"""
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "specs", "face-models-check"))
import fmnp  # noqa: E402

PACKAGE = os.environ.get("FACEAPI_DIR", "/tmp/npm/package")
W = fmnp.load_weights("face_recognition_model", os.path.join(PACKAGE, "model"))

SYNTHETIC_SIZE = (301, 203)  # width, height: odd sizes
# x, y, w, h in pixels, or None for the whole picture.
SYNTHETIC_BOXES = [
    None,                         # wide: padded above and below
    (20.7, 15.2, 101.5, 140.9),   # floored to 102 x 141: tall, odd difference
    (250.5, -30.0, 80.0, 120.0),  # clipped to 51 x 90
]
DEMO_BOXES = [
    ("sample1.jpg", (776, 445, 313, 256)),
    ("sample2.jpg", (1403, 173, 277, 264)),
    ("sample3.jpg", (1005.4, 253.6, 325.2, 276.9)),
    ("sample4.jpg", (625, 98, 253, 229)),
    ("sample5.jpg", (313, 897, 316, 313)),
    ("sample6.jpg", (1432, 314, 299, 290)),
    ("sample1.jpg", (1750, 1100, 300, 300)),  # partly outside: clipped to 170 x 180
    ("sample2.jpg", None),
]


def synthetic_picture(w, h):
    """The test's pattern: every value 0..255, some structure at several scales."""
    y, x = np.mgrid[0:h, 0:w]
    chans = [(x * 3 + y * 5 + c * 85 + ((x * y) % 7) * 9) % 256 for c in range(3)]
    return np.stack(chans, axis=2).astype(np.uint8)


def describe(rgb, box):
    face = rgb if box is None else fmnp.crop(rgb, *box)
    return fmnp.fr_forward(W, fmnp.fr_preprocess(face))


def case(box, d, **extra):
    return dict(extra, box=None if box is None else [float(v) for v in box],
                descriptor=[float("%.7g" % v) for v in d])


def main():
    pic = synthetic_picture(*SYNTHETIC_SIZE)
    synthetic = [case(b, describe(pic, b)) for b in SYNTHETIC_BOXES]
    demo = []
    for name, box in DEMO_BOXES:
        rgb = np.asarray(Image.open(os.path.join(PACKAGE, "demo", name)).convert("RGB"))
        demo.append(case(box, describe(rgb, box), image=name))
    out = {
        "generator": "tests/reference/face_embedder.py (numpy reference fmnp.py, @vladmandic/face-api 1.7.15)",
        "synthetic": {"width": SYNTHETIC_SIZE[0], "height": SYNTHETIC_SIZE[1], "cases": synthetic},
        "demo": demo,
    }
    path = os.path.join(HERE, "face_embedder.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(synthetic)} synthetic and {len(demo)} demo descriptors")


if __name__ == "__main__":
    main()
