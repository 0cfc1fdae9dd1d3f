#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""parn-anonymize and parn-classify as a user runs them: the output video keeps the input's
frame count, frame rate, duration and audio; --boxes-out writes one JSON object per frame; the
input is never modified; --help, bad flags and bad files give the documented exits and messages.
Usage: check_parn_anonymize.py parn-anonymize parn-classify parn-info parn-model make_clip
The sample clip (env PARN_SAMPLE_CLIP, made by the build from the npm demo photos) adds the
real-faces checks when present."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

anonymize, classify, info, model_tool, make_clip = sys.argv[1:6]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=240)


def video_info(path):
    r = run(info, "video", path)
    return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr}


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


tmp = tempfile.mkdtemp(prefix="parn-cli-")
clip = os.path.join(tmp, "in.mkv")
subprocess.run([make_clip, clip, "160", "120", "25", "60", "aac"], check=True)
before = digest(clip)
src = video_info(clip)
check(src.get("frames") == 60 and src.get("audio") is True, f"the test clip: {src}")

# --- parn-anonymize -------------------------------------------------------------------------
r = run(anonymize, "--help")
check(r.returncode == 0 and "usage: parn-anonymize" in r.stdout and "--boxes-out" in r.stdout, "--help")

for mode in ("blur", "pixelate", "mask"):
    out, boxes = os.path.join(tmp, f"out-{mode}.mp4"), os.path.join(tmp, f"boxes-{mode}.jsonl")
    r = run(anonymize, clip, "-o", out, "--mode", mode, "--boxes-out", boxes, "--threads", "1")
    check(r.returncode == 0 and r.stderr == "", f"{mode}: exit 0 and quiet off a terminal ({r.stderr.strip()})")
    got = video_info(out) if r.returncode == 0 else {}
    check(got.get("frames") == 60, f"{mode}: frame count {got.get('frames')} = 60")
    check(abs(got.get("fps", 0) - src["fps"]) < 1e-6, f"{mode}: frame rate {got.get('fps')} = {src['fps']}")
    check(abs(got.get("duration", 0) - src["duration"]) < 0.05,
          f"{mode}: duration {got.get('duration')} ~ {src['duration']}")
    check(got.get("audio") is True, f"{mode}: audio kept")
    lines = open(boxes).read().splitlines() if os.path.exists(boxes) else []
    records = [json.loads(line) for line in lines]
    check(len(records) == 60 and [x["frame"] for x in records] == list(range(60)),
          f"{mode}: --boxes-out has one object per frame ({len(records)})")
    check(all(isinstance(x["faces"], list) for x in records), f"{mode}: each object lists its faces")
check(digest(clip) == before, "the input file is unchanged")

out = os.path.join(tmp, "never.mp4")
cases = [
    ((clip, "-o", clip), 1, "input", "refuses to write over its input"),
    ((clip, "-o", out, "--mode", "sepia"), 1, "sepia", "an unknown mode"),
    ((clip, "-o", out, "--frobnicate", "1"), 2, "unknown option", "an unknown option"),
    ((clip,), 2, "-o", "a missing -o"),
    ((os.path.join(tmp, "missing.mp4"), "-o", out), 1, "missing.mp4", "a missing input"),
    ((clip, "-o", out, "--model", os.path.join(tmp, "none.safetensors")), 1, "none.safetensors", "a missing model"),
    ((clip, "-o", out, "--mode", "gan"), 1, "generator", "gan without a generator"),
    ((clip, "-o", out, "--threshold", "abc"), 2, "not a number", "a bad number"),
    ((clip, "-o", out, "--device", "cuda:7"), 1, "cuda", "an absent device"),
]
for args, code, word, what in cases:
    r = run(anonymize, *args)
    check(r.returncode == code and word in r.stderr and r.stderr.startswith("parn-anonymize: "),
          f"{what}: exit {r.returncode} (want {code}), message {r.stderr.strip()[:120]!r}")
check(not os.path.exists(out) and not [f for f in os.listdir(tmp) if ".tmp-" in f],
      "failed runs leave no output and no temporary file")
check(digest(clip) == before, "the input file is still unchanged")

notvideo = os.path.join(tmp, "notvideo.mp4")
open(notvideo, "w").write("this is not a video\n")
r = run(anonymize, notvideo, "-o", out)
check(r.returncode == 1 and "notvideo.mp4" in r.stderr, f"a file that is not a video: {r.stderr.strip()[:100]!r}")

sample = os.environ.get("PARN_SAMPLE_CLIP", "")
if os.path.exists(sample):
    out, boxes = os.path.join(tmp, "sample-anon.mp4"), os.path.join(tmp, "sample.jsonl")
    r = run(anonymize, sample, "-o", out, "--boxes-out", boxes, "--detect-every", "2")
    records = [json.loads(line) for line in open(boxes)] if r.returncode == 0 else []
    with_faces = sum(1 for x in records if x["faces"])
    check(r.returncode == 0 and with_faces > len(records) // 2,
          f"the sample clip: faces in {with_faces} of {len(records)} frames")
    tracks = {f["track"] for x in records for f in x["faces"]}
    carried = sum(1 for x in records for f in x["faces"] if not f["detected"])
    check(len(tracks) >= 6 and carried > 0, f"{len(tracks)} tracks, {carried} boxes carried between detections")
    check(video_info(out).get("frames") == video_info(sample).get("frames"), "the sample clip keeps its frames")
else:
    print("skip the sample clip checks: no PARN_SAMPLE_CLIP (the npm package is absent)")

# --- parn-classify --------------------------------------------------------------------------
r = run(classify, "--help")
check(r.returncode == 0 and "usage: parn-classify" in r.stdout, "parn-classify --help")
model = os.path.join(tmp, "c3d.safetensors")
r = run(model_tool, "create", "--networks", "fem,c3d", "--classes", "3", "--class-names",
        'walk,run,say "hi"', "--config", '{"c3d": {"base": 8, "fc": 64}, "fem": {"channels": 8, "reduction": 4, "privacy_hidden": 4}}', "-o", model)
check(r.returncode == 0, f"parn-model create ({r.stderr.strip()})")
r = run(classify, clip, "--model", model, "--top-k", "2", "--json", "--threads", "1")
clips = [json.loads(line) for line in r.stdout.splitlines()] if r.returncode == 0 else []
check(len(clips) == 60 // 16, f"one JSON line per 16-frame clip ({len(clips)}; {r.stderr.strip()})")
check(all(len(c["classes"]) == 2 and c["classes"][0]["p"] >= c["classes"][1]["p"] for c in clips),
      "top-2 classes, most probable first")
check(all(c["classes"][0]["class"] in ("walk", "run", 'say "hi"') for c in clips), "class names (quotes escaped)")
check([round(c["start"], 2) for c in clips] == [0.0, 0.64, 1.28] and abs(clips[0]["end"] - 0.64) < 1e-6 if clips else False,
      "time ranges follow the clips")
r = run(classify, clip, "--model", model)
check(r.returncode == 0 and len(r.stdout.splitlines()) == 3 and " s:" in r.stdout, "text lines")
for args, code, word, what in [
    ((clip,), 2, "--model", "no model"),
    ((clip, "--model", model, "--top-k", "9"), 1, "top", "top-k above the classes"),
    ((os.path.join(tmp, "missing.mp4"), "--model", model), 1, "missing.mp4", "a missing input"),
]:
    r = run(classify, *args)
    check(r.returncode == code and word in r.stderr, f"parn-classify, {what}: exit {r.returncode}, {r.stderr.strip()[:100]!r}")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
