#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The peer of bench_networks: the same networks in PyTorch (the reference modules of
tests/reference/models), default sizes, eval, no_grad; median ms per item, one line each,
"PyTorch <label>: <ms> ms", with the labels bench_networks prints."""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))


def median_ms(fn, iters):
    times = []
    with torch.no_grad():
        for i in range(iters + 2):  # two warm-up runs, as bench_networks does
            t0 = time.perf_counter()
            fn()
            if i >= 2:
                times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def report(label, fn, items, a):
    try:
        ms = median_ms(fn, a.iters) / items
        print(f"PyTorch {label}: {ms:.2f} ms (median of {a.iters}, {a.threads} threads)", flush=True)
    except Exception as e:  # a reference module still missing or changed: say so, go on
        print(f"PyTorch {label}: skipped ({type(e).__name__}: {e})", flush=True)


def c3d_clip(with_fem):
    import c3d
    import fem
    net = c3d.C3D(**c3d.DEFAULTS).eval()
    f = fem.FEM(**fem.DEFAULTS).eval() if with_fem else None
    d = c3d.DEFAULTS
    clip = torch.rand(1, 3, d["frames"], d["crop"], d["crop"])
    return lambda: net(clip, f)


def generator_faces(batch):
    import generator
    d = generator.DEFAULTS
    net = generator.Generator(**d).eval()
    img = lambda c: torch.rand(batch, c, d["size"], d["size"])  # noqa: E731
    prev = img(d["channels"]) if d["temporal"] else None
    noise = torch.rand(batch, d["noise_dim"]) if d["noise_dim"] else None
    masked, mask = img(d["channels"]), img(1)
    return lambda: net(masked, mask, prev, noise)


def discriminator_clip():
    import discriminator
    d = discriminator.DEFAULTS
    net = discriminator.Discriminator(**d).eval()
    crops = torch.rand(1, d["channels"], d["frames"], d["size"], d["size"])
    return lambda: net(crops)


def lazy(make, *args):
    """Builds the network on first call, so that an import error is reported per network."""
    state = {}

    def run():
        if "fn" not in state:
            state["fn"] = make(*args)
        return state["fn"]()
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    report("C3D per clip (1 x 3 x 16 x 112 x 112)", lazy(c3d_clip, False), 1, a)
    report("FEM + C3D per clip (1 x 3 x 16 x 112 x 112)", lazy(c3d_clip, True), 1, a)
    for batch in (1, 8):
        report(f"generator per 128x128 face (batch {batch})", lazy(generator_faces, batch), batch, a)
    report("discriminator per clip of 4 crops", lazy(discriminator_clip), 1, a)


if __name__ == "__main__":
    main()
