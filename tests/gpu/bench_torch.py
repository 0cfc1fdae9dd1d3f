#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The peer of tests/bench/bench_gpu on the same GPU: the reference modules of
tests/reference/models (the networks libparn builds), default sizes, random weights, inputs
already on the device, eager with torch.backends.cudnn.benchmark = True. Each timed call ends
with torch.cuda.synchronize(). One line per case, "PyTorch <label>: <ms> ms", labels as
bench_gpu prints them; C3D also with TF32, and fp16 / bf16 autocast (channels-last too)."""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))


def median_ms(fn, iters, warmup=3):
    times = []
    for i in range(warmup + iters):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def report(label, fn, items, iters):
    try:
        ms = median_ms(fn, iters) / items
        print(f"PyTorch {label}: {ms:.3f} ms (median of {iters}, {torch.cuda.get_device_name()})", flush=True)
    except Exception as e:  # a module missing or a precision the card lacks: say so, go on
        print(f"PyTorch {label}: skipped ({type(e).__name__}: {e})", flush=True)


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def c3d_cases(batch, iters):
    import c3d
    d = c3d.DEFAULTS
    net = c3d.C3D(**d).eval().cuda()
    clip = torch.rand(batch, 3, d["frames"], d["crop"], d["crop"], device="cuda")

    def fwd():
        with torch.no_grad():
            return net(clip).sum()

    set_tf32(False)
    report(f"C3D forward, batch {batch} (fp32), per clip", fwd, batch, iters)
    set_tf32(True)
    report(f"C3D forward, batch {batch} (TF32), per clip", fwd, batch, iters)
    set_tf32(False)
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
        def amp():
            with torch.no_grad(), torch.autocast("cuda", dtype=dtype):
                return net(clip).sum()
        report(f"C3D forward, batch {batch} ({name} autocast), per clip", amp, batch, iters)
    net_cl = net.to(memory_format=torch.channels_last_3d)
    clip_cl = clip.contiguous(memory_format=torch.channels_last_3d)

    def amp_cl():
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
            return net_cl(clip_cl).sum()
    report(f"C3D forward, batch {batch} (fp16 autocast, channels-last), per clip", amp_cl, batch, iters)


def generator_inputs(d, batch):
    img = lambda c: torch.rand(batch, c, d["size"], d["size"], device="cuda")  # noqa: E731
    prev = img(d["channels"]) if d["temporal"] else None
    noise = torch.rand(batch, d["noise_dim"], device="cuda") * 2 - 1 if d["noise_dim"] else None
    return img(d["channels"]), img(1), prev, noise


def generator_case(batch, iters):
    import generator
    d = generator.DEFAULTS
    net = generator.Generator(**d).eval().cuda()
    masked, mask, prev, noise = generator_inputs(d, batch)

    def fwd():
        with torch.no_grad():
            return net(masked, mask, prev, noise).sum()
    set_tf32(False)
    report(f"generator forward, batch {batch}, per face", fwd, batch, iters)


def gan_case(faces, iters):
    """As bench_gpu: G, then D on the generated and the real crops as clips, BCE terms of both
    against ones plus an L1 term, one backward giving every parameter its gradient."""
    import discriminator
    import generator
    gd, dd = generator.DEFAULTS, discriminator.DEFAULTS
    g = generator.Generator(**gd).train().cuda()
    d = discriminator.Discriminator(**dd).train().cuda()
    masked, mask, prev, noise = generator_inputs(gd, faces)
    t, s, ch = dd["frames"], gd["size"], gd["channels"]
    real_clip = torch.rand(faces // t, ch, t, s, s, device="cuda")
    real = torch.rand(faces, ch, s, s, device="cuda")

    def step():
        for p in list(g.parameters()) + list(d.parameters()):
            p.grad = None
        fake = g(masked, mask, prev, noise)
        fake_clip = fake.reshape(faces // t, t, ch, s, s).permute(0, 2, 1, 3, 4)
        loss = 0
        for clip in (fake_clip, real_clip):
            patch, logit = d(clip)
            loss = loss + F.binary_cross_entropy_with_logits(patch, torch.ones_like(patch)) \
                + F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        loss = loss + F.l1_loss(fake, real)
        loss.backward()
        return loss
    set_tf32(False)
    report(f"G+D forward + backward, {faces} faces", step, 1, iters)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=20)
    a = p.parse_args()
    if not torch.cuda.is_available():
        print("PyTorch: no CUDA device", flush=True)
        return
    torch.backends.cudnn.benchmark = True
    print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}",
          flush=True)
    for batch in (1, 32):
        c3d_cases(batch, a.iters)
    generator_case(32, a.iters)
    gan_case(32, a.iters)


if __name__ == "__main__":
    main()
