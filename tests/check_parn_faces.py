#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""parn-faces: detect prints one JSON object per face, describe a 128-float JSON array, and
errors go to stderr with a non-zero exit. Usage: check_parn_faces.py PATH/TO/parn-faces
Skips (exit 77) when the npm package's demo photos are absent."""
import json
import math
import os
import subprocess
import sys

tool = sys.argv[1]
photo = os.path.join(os.environ.get("PARN_FACEAPI_DIR", ""), "demo", "sample1.jpg")
if not os.path.exists(photo):
    print("parn-faces: no demo photo (run .ci/install-deps); skipping")
    sys.exit(77)
failures, checks = [], []


def check(cond, what):
    checks.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    return subprocess.run([tool, *args], capture_output=True, text=True)


r = run("detect", photo)
faces = [json.loads(line) for line in r.stdout.splitlines()] if r.returncode == 0 else []
check(r.returncode == 0 and len(faces) >= 1, f"detect finds faces ({len(faces)})")
check(all(set(f) == {"x", "y", "w", "h", "score"} for f in faces), "each face is {x, y, w, h, score}")
check(all(0.5 <= f["score"] <= 1 and f["w"] > 0 and f["h"] > 0 for f in faces), "scores and sizes are sane")
r = run("detect", photo, "--detector", "ssd", "--threshold", "0.6")
check(r.returncode == 0 and all(json.loads(l)["score"] >= 0.6 for l in r.stdout.splitlines()), "ssd with a threshold")
r = run("detect", photo, "--input-size", "608")
check(r.returncode == 0 and r.stdout.strip(), "input size 608")
if faces:
    f = faces[0]
    box = f"{f['x']},{f['y']},{f['w']},{f['h']}"
    r = run("describe", photo, "--box", box)
    d = json.loads(r.stdout) if r.returncode == 0 else []
    check(len(d) == 128 and all(math.isfinite(v) for v in d), "describe prints 128 floats")
r = run("describe", photo)
check(r.returncode == 0 and len(json.loads(r.stdout)) == 128, "describe the whole image")
r = run("detect", "/nonexistent.jpg")
check(r.returncode != 0 and "nonexistent" in r.stderr and not r.stdout, "a missing image fails on stderr")
r = run("detect", photo, "--input-size", "400")
check(r.returncode != 0 and "32" in r.stderr, "an input size that is not a multiple of 32 is refused")
r = run("detect", photo, "--detector", "yolo")
check(r.returncode != 0 and "yolo" in r.stderr, "an unknown detector is refused")
r = run("describe", photo, "--box", "1,2")
check(r.returncode != 0, "a malformed box is refused")
r = run("--help")
check(r.returncode == 0 and "usage" in r.stdout, "--help")
print(f"parn-faces: {len(checks) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
