#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The same C3D forward in PyTorch (the peer of bench_c3d): ms/clip, median."""
import argparse
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=1)
p.add_argument("--iters", type=int, default=10)
p.add_argument("--classes", type=int, default=101)
a = p.parse_args()
torch.set_num_threads(a.threads)

layers, chans = [], [3, 64, 128, 256, 256, 256]
for l in range(5):
    layers += [nn.Conv3d(chans[l], chans[l + 1], 3, padding=1), nn.ReLU(inplace=True),
               nn.MaxPool3d((1, 2, 2) if l == 0 else (2, 2, 2))]
net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(2304, 2048), nn.ReLU(inplace=True),
                    nn.Linear(2048, 2048), nn.ReLU(inplace=True), nn.Linear(2048, a.classes),
                    nn.Softmax(dim=1)).eval()
x = torch.rand(a.batch, 3, 16, 112, 112)
times = []
with torch.no_grad():
    for i in range(a.iters + 2):
        t0 = time.perf_counter()
        net(x)
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
times.sort()
print(f"PyTorch {torch.__version__} C3D forward: batch {a.batch}, {a.threads} threads: "
      f"{times[len(times) // 2] / a.batch:.1f} ms/clip (median of {a.iters})")
