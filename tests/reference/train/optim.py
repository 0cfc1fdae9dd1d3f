# SPDX-License-Identifier: MIT
"""Optimizer and schedule fixtures: torch.optim's SGD / Adam / AdamW (float32, the single-tensor
CPU path), with clip_grad_norm_, run for STEPS steps on a few tensors with seeded random
gradients; and the learning-rate sequences of torch.optim.lr_scheduler.

fixtures/optim.safetensors holds, for optimizer case c: c.init.i (tensor i before any step),
c.grad.s.i (the gradient given at step s, before clipping), c.param.s.i (tensor i after step s);
__metadata__["optim"] lists the cases (libparn's optimizer JSON, the lr of each step, the global
norm before clipping at each step) and __metadata__["schedules"] the schedule cases (libparn's
schedule JSON, base lr, metrics reported to ReduceLROnPlateau, the expected lr of each step)."""
import json
import math
import os

import torch

from gen_fixtures import save_safetensors

STEPS = 24
SHAPES = [(3, 4), (7,), (2, 3, 2), (1,)]

OPTIM_CASES = [
    {"kind": "sgd", "lr": 0.1},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.5, "clip_norm": 0.5},
    {"kind": "adam", "lr": 1e-2},
    {"kind": "adam", "lr": 5e-3, "weight_decay": 5e-5},
    {"kind": "adam", "lr": 1e-2, "beta1": 0.5, "beta2": 0.99, "eps": 1e-6, "clip_norm": 1.0},
    {"kind": "adamw", "lr": 1e-2, "weight_decay": 1e-2},
    {"kind": "adamw", "lr": 2e-2, "weight_decay": 0.1, "clip_norm": 2.0},
]


def make_optimizer(cfg, params):
    wd = cfg.get("weight_decay", 0.01 if cfg["kind"] == "adamw" else 0.0)
    if cfg["kind"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg.get("momentum", 0.0),
                               nesterov=cfg.get("nesterov", False), weight_decay=wd, foreach=False)
    cls = torch.optim.Adam if cfg["kind"] == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg["lr"], betas=(cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)),
               eps=cfg.get("eps", 1e-8), weight_decay=wd, foreach=False)


def optim_case(c, cfg, tensors):
    gen = torch.Generator().manual_seed(100 + c)
    params = [torch.randn(s, generator=gen).requires_grad_() for s in SHAPES]
    for i, p in enumerate(params):
        tensors[f"{c}.init.{i}"] = p.detach().clone()
    opt = make_optimizer(cfg, params)
    lrs, norms = [], []
    for s in range(STEPS):
        lr = cfg["lr"] * (0.5 if s >= STEPS // 2 else 1.0)  # the schedule's rate changes mid-run
        for group in opt.param_groups:
            group["lr"] = lr
        lrs.append(lr)
        for i, p in enumerate(params):
            p.grad = torch.randn(p.shape, generator=gen)
            tensors[f"{c}.grad.{s}.{i}"] = p.grad.clone()
        clip = cfg.get("clip_norm", 0)
        total = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else math.inf)
        norms.append(float(total))
        opt.step()
        for i, p in enumerate(params):
            tensors[f"{c}.param.{s}.{i}"] = p.detach().clone()
    return {"config": cfg, "steps": STEPS, "shapes": SHAPES, "lrs": lrs, "norms": norms}


SCHEDULE_CASES = [
    ({"kind": "constant"}, 0.1, 12),
    ({"kind": "step", "step_size": 5, "gamma": 0.5}, 0.1, 23),
    ({"kind": "step", "step_size": 1, "gamma": 0.9}, 5e-4, 15),
    ({"kind": "cosine", "total": 20, "min_lr": 1e-5}, 0.01, 21),
    ({"kind": "cosine", "total": 7}, 1.0, 8),
    ({"kind": "plateau", "factor": 0.5, "patience": 2, "threshold": 0.01, "plateau_min_lr": 0.01}, 0.1, 30),
    ({"kind": "plateau", "factor": 0.1, "patience": 0, "threshold": 0.0}, 1.0, 12),
    ({"kind": "constant", "warmup": 4}, 0.1, 10),
    ({"kind": "step", "step_size": 3, "gamma": 0.1, "warmup": 5}, 1e-3, 16),
    ({"kind": "cosine", "total": 10, "min_lr": 1e-4, "warmup": 3}, 0.01, 13),
]


def plateau_metrics(n):
    """Improves, stalls, improves a little (below the threshold), then stalls for good."""
    m = [1.0, 0.8, 0.7, 0.7, 0.71, 0.69, 0.695, 0.5, 0.5, 0.5, 0.5, 0.49]
    return (m + [0.49] * n)[:n]


def main_scheduler(cfg, opt):
    kind = cfg["kind"]
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, cfg["step_size"], cfg["gamma"])
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["total"], cfg.get("min_lr", 0.0))
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0)


def schedule_case(cfg, base_lr, n):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    lrs, metrics = [], []
    if cfg["kind"] == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=cfg["factor"], patience=cfg["patience"],
            threshold=cfg["threshold"], threshold_mode="rel", min_lr=cfg.get("plateau_min_lr", 0.0))
        metrics = plateau_metrics(n)
        for t in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            sched.step(metrics[t])
    else:
        w = cfg.get("warmup", 0)
        sched = main_scheduler(cfg, opt)
        if w:
            warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / w)
            sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, main_scheduler(cfg, opt)], [w])
        for t in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    return {"config": cfg, "base_lr": base_lr, "metrics": metrics, "lrs": lrs}


def write(out_dir):
    torch.manual_seed(0)
    tensors = {}
    optim = [optim_case(c, cfg, tensors) for c, cfg in enumerate(OPTIM_CASES)]
    schedules = [schedule_case(*case) for case in SCHEDULE_CASES]
    path = os.path.join(out_dir, "optim.safetensors")
    save_safetensors(path, tensors, {"optim": json.dumps(optim), "schedules": json.dumps(schedules),
                                     "torch": torch.__version__})
    print(f"{path}: {len(optim)} optimizer cases, {len(schedules)} schedules, "
          f"{os.path.getsize(path)} bytes")
