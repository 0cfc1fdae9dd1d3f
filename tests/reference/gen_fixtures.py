#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the op fixtures that libparn's tests compare against.

Each module in ops/ defines cases(); each case runs one op in PyTorch (float64, from float32
inputs) and records its inputs, output, a random output gradient dy, and the gradients of the
inputs for loss = sum(output * dy). One file per module: fixtures/<module>.safetensors, with the
case list (op, attributes, input names, differentiable inputs) in __metadata__["cases"].

Run: /usr/bin/python3 tests/reference/gen_fixtures.py [module ...]   (Debian's python3-torch)
Modules train.x live in train/ (train.optim: optimizers and schedules; train.losses: the
training losses, fixtures/train_losses.safetensors).
"""
import importlib
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class Case:
    """One op invocation: name, attrs (JSON-able), inputs {name: float32 tensor} in order,
    grads (input names to differentiate), fn(**inputs64) -> output tensor."""

    def __init__(self, name, attrs, inputs, fn, grads=None, fd=True, fd_eps=1e-3):
        self.name, self.attrs, self.inputs, self.fn = name, attrs, inputs, fn
        self.grads = list(inputs) if grads is None else grads
        self.fd, self.fd_eps = fd, fd_eps


def save_safetensors(path, tensors, metadata):
    header, blobs, offset = ({"__metadata__": metadata} if metadata else {}), [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
    os.replace(path + ".tmp", path)


def run_case(i, case, tensors):
    ins = {k: v.to(torch.float32).to(torch.float64).requires_grad_(k in case.grads) for k, v in case.inputs.items()}
    out = case.fn(**ins)
    gen = torch.Generator().manual_seed(1000 + i)
    dy = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(torch.float32).to(torch.float64)
    for k, v in ins.items():
        tensors[f"{i}.in.{k}"] = v
    tensors[f"{i}.out"] = out
    tensors[f"{i}.dy"] = dy
    if case.grads:
        grads = torch.autograd.grad(out, [ins[k] for k in case.grads], dy, allow_unused=True)
        for k, gr in zip(case.grads, grads):
            tensors[f"{i}.grad.{k}"] = gr if gr is not None else torch.zeros_like(ins[k])
    return {"name": case.name, "attrs": case.attrs, "inputs": list(case.inputs),
            "grads": case.grads, "fd": case.fd, "fd_eps": case.fd_eps}


def generate(module_name):
    # "train.x" names tests/reference/train/x.py; a module with write(out_dir) writes its own file
    mod = importlib.import_module(module_name if "." in module_name else "ops." + module_name)
    if hasattr(mod, "write"):
        return mod.write(os.path.join(HERE, "fixtures"))
    torch.manual_seed(0)
    tensors, meta = {}, []
    for i, case in enumerate(mod.cases()):
        meta.append(run_case(i, case, tensors))
    out_dir = os.path.join(HERE, "fixtures")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, module_name.replace(".", "_") + ".safetensors")
    save_safetensors(path, tensors, {"cases": json.dumps(meta), "torch": torch.__version__})
    print(f"{path}: {len(meta)} cases, {os.path.getsize(path)} bytes")


def main():
    names = sys.argv[1:] or [pkg + f[:-3] for pkg, d in (("", "ops"), ("train.", "train"))
                             for f in sorted(os.listdir(os.path.join(HERE, d)))
                             if f.endswith(".py") and not f.startswith("_")]
    for name in names:
        generate(name)


if __name__ == "__main__":
    main()
