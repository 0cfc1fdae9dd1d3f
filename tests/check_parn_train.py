#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""parn-train: --help, a tiny classifier run on synthetic clips writing --out and --log, resume
continuing the step count, the --out model read by parn-model, errors on stderr with a non-zero
exit. Usage: check_parn_train.py PATH/TO/parn-train PATH/TO/parn-model"""
import json
import os
import pty
import subprocess
import sys
import tempfile

train, model_tool = sys.argv[1], sys.argv[2]
failures, checks = [], []

# A C3D + FEM small enough to train a few steps in seconds on synthetic clips.
MODEL_CONFIG = json.dumps({"c3d": {"crop": 32, "fc": 32, "base": 8, "dropout": 0.0},
                           "fem": {"channels": 8, "reduction": 4, "privacy_hidden": 8}})
DATA_CONFIG = json.dumps({"classes": 3, "clips": 12, "width": 48, "height": 40})
CONFIG = json.dumps({"clip_batch": 2})


def run(*args, timeout=300):
    return subprocess.run([train, *args], capture_output=True, text=True, timeout=timeout)


def check(cond, what):
    checks.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def log_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def base_args(tmp, steps):
    return ["classifier", "--actions-kind", "synthetic", "--dataset-config", DATA_CONFIG,
            "--model-config", MODEL_CONFIG, "--config", CONFIG, "--steps", str(steps),
            "--seed", "3", "--threads", "2", "--log-every", "1"]


with tempfile.TemporaryDirectory() as tmp:
    r = run("--help")
    check(r.returncode == 0 and "usage" in r.stdout and "--resume" in r.stdout, "--help")

    out, log, ckpt = (os.path.join(tmp, n) for n in ("m.safetensors", "log.jsonl", "ck.safetensors"))
    r = run(*base_args(tmp, 3), "--out", out, "--log", log, "--checkpoint", ckpt, "--checkpoint-every", "2",
            "--eval", "test", "--eval-items", "4")
    check(r.returncode == 0, f"a tiny classifier run exits 0 ({r.stderr.strip()[-300:]})")
    check(r.returncode != 0 or "\r" not in r.stderr, "no progress bar when stderr is not a terminal")
    check(os.path.exists(out) and os.path.exists(ckpt), "--out and --checkpoint are written")
    steps = []
    try:
        lines = log_lines(log)
        steps = [rec["step"] for rec in lines if "eval" not in rec]
        evals = [rec for rec in lines if "eval" in rec]
        check(steps == [1, 2, 3], f"one log line per step, steps increasing ({steps})")
        check(all("losses" in rec for rec in lines if "eval" not in rec), "log lines carry the losses")
        check(len(evals) == 1, "the evaluation at the end is logged")
    except (OSError, ValueError, KeyError) as e:
        check(False, f"the log parses as JSON lines ({e})")

    # the checkpoint holds the model and training configs; the data flags are given again
    resume = ["--actions-kind", "synthetic", "--dataset-config", DATA_CONFIG, "--resume", ckpt,
              "--log", log, "--checkpoint", ckpt, "--threads", "2"]
    r = run(*resume, "--steps", "5")
    check(r.returncode == 0, f"--resume exits 0 ({r.stderr.strip()[-300:]})")
    try:
        steps = [rec["step"] for rec in log_lines(log) if "eval" not in rec]
        check(steps[-2:] == [4, 5], f"--resume continues the step count ({steps})")
        r = run(*resume)
        again = [rec["step"] for rec in log_lines(log) if "eval" not in rec]
        check(r.returncode == 0 and again == steps, "without --steps, a resumed run keeps the checkpoint's budget")
    except (OSError, ValueError, KeyError, IndexError) as e:
        check(False, f"the resumed log parses ({e})")
    r = run(*resume, "--config", CONFIG)
    check(r.returncode != 0 and "clip_batch" in r.stderr, "settings that cannot change on resume are refused")

    r = subprocess.run([model_tool, "info", out], capture_output=True, text=True)
    info = json.loads(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0 and "c3d" in info.get("networks", {}), "the --out model loads with parn-model info")
    check(len(info.get("classes", [])) == 3, "it has the data's classes")

    # on a terminal: the progress bar (step/total, losses, speed, ETA); --quiet silences it
    def on_tty(*args):
        master, slave = pty.openpty()
        p = subprocess.Popen([train, *args], stdout=subprocess.DEVNULL, stderr=slave, text=False)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        p.wait(timeout=300)
        os.close(master)
        return p.returncode, b"".join(chunks).decode(errors="replace")

    rc, text = on_tty(*base_args(tmp, 2))
    check(rc == 0 and "\r[" in text and "2/2" in text and "steps/s" in text and "ETA" in text,
          f"a progress bar on a terminal ({text.strip()[-200:]!r})")
    rc, text = on_tty(*base_args(tmp, 2), "--quiet")
    check(rc == 0 and text.strip() == "", f"--quiet prints nothing ({text.strip()[-200:]!r})")

    # errors: non-zero exit, the reason on stderr
    r = run()
    check(r.returncode != 0 and "phase" in r.stderr, "no phase is a usage error")
    r = run("painting")
    check(r.returncode != 0 and "painting" in r.stderr, "an unknown phase is an error")
    r = run("classifier", "--steps", "many")
    check(r.returncode != 0 and "--steps" in r.stderr, "a malformed number is an error")
    r = run("classifier", "--frobnicate", "1")
    check(r.returncode != 0 and "--frobnicate" in r.stderr, "an unknown flag is an error")
    r = run("classifier")
    check(r.returncode != 0 and "--actions" in r.stderr, "the classifier needs action data")
    r = run("gan", "--faces", os.path.join(tmp, "no-such-dir"), "--steps", "1")
    check(r.returncode != 0 and "no-such-dir" in r.stderr, "a missing data folder is an error")
    r = run(*base_args(tmp, 1), "--config", '{"d_every": "often"}')
    check(r.returncode != 0 and "d_every" in r.stderr, "a bad training config is the library's message")
    r = run(*base_args(tmp, 1), "--model", os.path.join(tmp, "missing.safetensors"))
    check(r.returncode != 0 and "missing.safetensors" in r.stderr, "a missing --model is an error")
    r = run("--resume", os.path.join(tmp, "log.jsonl"), "--actions-kind", "synthetic")
    check(r.returncode != 0 and r.stderr.strip(), "resuming from a file that is not a checkpoint fails")
    r = run(*base_args(tmp, 1), "--out", os.path.join(tmp, "no-such-dir", "m.safetensors"))
    check(r.returncode != 0 and "no-such-dir" in r.stderr, "an unwritable --out is an error")

print(f"parn-train: {len(checks) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
