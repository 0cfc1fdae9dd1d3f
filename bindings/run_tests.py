#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs a binding's tests against the libparn just built (meson test: python, python-install, go).

usage: run_tests.py python|python-install|go BUILD_DIR [--sanitize=address,undefined]
Exits 77 (skipped) when a tool is missing. With a sanitized libparn, Python runs with the
sanitizer runtimes preloaded and Go builds with -asan, so the bindings' calls are checked too;
leak detection stays with the C suites (an interpreter's exit is not leak-free by design).
"""
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("PARN_PYTHON", "/usr/bin/python3")  # Debian's, with numpy and pytest


def skip(why):
    print(f"SKIP: {why}")
    return SKIP


def has_modules(*names):
    """Each module imports (one process each: pip and setuptools clash over distutils)."""
    return os.path.exists(PYTHON) and all(
        subprocess.run([PYTHON, "-c", "import " + name], capture_output=True).returncode == 0
        for name in names)


SANITIZE = []  # the sanitizers libparn was built with


def runtime(name):
    """The path of a compiler runtime library (libasan.so, ...), or None."""
    cc = os.environ.get("CC", "cc")
    found = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True)
    path = found.stdout.strip()
    return path if found.returncode == 0 and os.path.isabs(path) else None


def environment(build, preload=False):
    env = dict(os.environ)
    lib = os.path.join(build, "lib")
    env["PARN_LIBRARY"] = os.path.join(lib, "libparn.so")
    env["LD_LIBRARY_PATH"] = lib + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the source tree clean
    if SANITIZE:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    if SANITIZE and preload:  # the runtimes must come first in an uninstrumented program
        names = {"address": "libasan.so", "undefined": "libubsan.so"}
        env["LD_PRELOAD"] = " ".join(filter(None, (runtime(names[s]) for s in SANITIZE
                                                   if s in names)))
    return env


def python_tests(build):
    if not has_modules("numpy", "pytest"):
        return skip(f"{PYTHON} lacks numpy or pytest (Debian: python3-numpy python3-pytest)")
    env = environment(build, preload=True)
    env["PYTHONPATH"] = os.path.join(HERE, "python")
    return subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           os.path.join(HERE, "python", "tests")], env=env).returncode


def python_install(build):
    if not has_modules("numpy", "pip", "setuptools"):
        return skip(f"{PYTHON} lacks numpy, pip or setuptools")
    env = environment(build)
    with tempfile.TemporaryDirectory() as tmp:
        check_env = environment(build, preload=True)
        source = os.path.join(tmp, "src")  # setuptools builds in the source folder: use a copy
        shutil.copytree(os.path.join(HERE, "python"), source,
                        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        target = os.path.join(tmp, "site")
        install = subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--no-index",
                                  "--no-build-isolation", "--no-deps", "--no-cache-dir",
                                  "--disable-pip-version-check", "--target", target, source],
                                 env=env)
        if install.returncode != 0:
            return install.returncode
        check_env["PYTHONPATH"] = target
        check = ("import parn, sys; assert parn.__file__.startswith(sys.argv[1]), parn.__file__; "
                 "print('installed', parn.__version__, 'over libparn', parn.version())")
        return subprocess.run([PYTHON, "-c", check, target], env=check_env, cwd=tmp).returncode


def go_tests(build):
    go = shutil.which("go")
    if go is None:
        return skip("go is absent (Debian: golang-go)")
    env = environment(build)
    cache = os.path.join(build, "bindings", "go")
    env.update({
        "CGO_ENABLED": "1",
        "CGO_CFLAGS": "-I" + os.path.join(os.path.dirname(HERE), "include"),
        "CGO_LDFLAGS": "-L" + os.path.join(build, "lib"),
        "GOCACHE": os.path.join(cache, "cache"),
        "GOPATH": os.path.join(cache, "path"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
    })
    source = os.path.join(HERE, "go")
    asan = ["-asan"] if "address" in SANITIZE else []  # instrument the Go side's C too
    for command in ([go, "vet", "./..."], [go, "test", "-count=1"] + asan + ["./..."],
                    [go, "build", "-o", os.path.join(cache, "anonymize"), "./examples/anonymize"]):
        result = subprocess.run(command, cwd=source, env=env)
        if result.returncode != 0:
            return result.returncode
    return 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("python", "python-install", "go"):
        print(__doc__, file=sys.stderr)
        return 2
    for arg in argv[3:]:
        if arg.startswith("--sanitize="):
            SANITIZE.extend(s for s in arg.split("=", 1)[1].split(",") if s and s != "none")
    build = os.path.abspath(argv[2])
    run = {"python": python_tests, "python-install": python_install, "go": go_tests}[argv[1]]
    return run(build)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
