#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""parn-model: create writes a loadable file, info prints it as JSON, errors go to stderr with a
non-zero exit. Usage: check_parn_model.py PATH/TO/parn-model"""
import json
import os
import subprocess
import sys
import tempfile

tool = sys.argv[1]
failures, checks = [], []


def run(*args):
    return subprocess.run([tool, *args], capture_output=True, text=True)


def check(cond, what):
    checks.append(what)
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "m.safetensors")
    config = '{"c3d": {"frames": 16, "crop": 32, "fc": 16}}'
    r = run("create", "--networks", "c3d", "--classes", "3", "--class-names", "walk,run,wave",
            "--seed", "5", "--config", config, "-o", path)
    check(r.returncode == 0 and os.path.exists(path), f"create exits 0 ({r.stderr.strip()})")
    r = run("info", path)
    info = json.loads(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0, "info exits 0")
    check(info.get("classes") == ["walk", "run", "wave"], "info lists the class names")
    check(set(info.get("networks", {})) == {"c3d"}, "info lists the networks")
    check(info.get("parameters", 0) > 0 and info.get("tensors", 0) > 0, "info counts tensors")

    r = run("info", os.path.join(tmp, "missing.safetensors"))
    check(r.returncode != 0 and "missing.safetensors" in r.stderr and not r.stdout, "info on a missing file fails on stderr")
    bad = os.path.join(tmp, "bad.safetensors")
    with open(bad, "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    r = run("info", bad)
    check(r.returncode != 0 and "JSON" in r.stderr, "info on a corrupt file fails with the library's message")
    r = run("create", "--networks", "c3d,warp", "-o", path)
    check(r.returncode != 0 and "warp" in r.stderr, "create rejects an unknown network")
    r = run("create", "--classes", "zero", "-o", path)
    check(r.returncode != 0, "create rejects a malformed number")
    r = run("create", "--networks", "c3d")
    check(r.returncode != 0 and "-o" in r.stderr, "create needs -o")
    r = run("--help")
    check(r.returncode == 0 and "usage" in r.stdout, "--help")
    r = run()
    check(r.returncode != 0, "no arguments is a usage error")

print(f"parn-model: {len(checks) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
