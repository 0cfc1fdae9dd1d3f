# SPDX-License-Identifier: MIT
"""Batch normalisation, F.batch_norm in training mode (batch statistics; the running statistics
after the step go into the attributes, for check_batch_norm.c) and in inference mode."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def as_list(t):
    return [float(v) for v in t.to(torch.float32)]


def bn_case(shape, training, momentum=0.1, eps=1e-5):
    c = shape[1]
    ins = {"x": torch.randn(shape) * 2 + 1, "gamma": torch.rand(c) + 0.5, "beta": torch.randn(c),
           "running_mean": torch.randn(c) * 0.5, "running_var": torch.rand(c) + 0.5}
    attrs = {"training": training, "momentum": momentum, "eps": eps}
    if training:  # the running statistics after one step, in float64 from the float32 inputs
        rm, rv = ins["running_mean"].double().clone(), ins["running_var"].double().clone()
        F.batch_norm(ins["x"].double(), rm, rv, None, None, True, momentum, eps)
        attrs["running_mean_after"], attrs["running_var_after"] = as_list(rm), as_list(rv)

    def fn(x, gamma, beta, running_mean, running_var):
        return F.batch_norm(x, running_mean.detach().clone(), running_var.detach().clone(), gamma, beta,
                            training, momentum, eps)

    mode = "train" if training else "eval"
    return Case(f"batch_norm {mode}{list(shape)} m{momentum} eps{eps}", attrs, ins, fn,
                grads=["x", "gamma", "beta"])


def cases():
    for training in (True, False):
        yield bn_case((8, 5), training)                 # N x C (BatchNorm1d)
        yield bn_case((4, 3, 6), training)              # N x C x L
        yield bn_case((2, 3, 4, 5), training)
        yield bn_case((2, 4, 3, 4, 5), training)        # C3D
        yield bn_case((1, 3, 5, 4), training, 0.3, 1e-3)
        yield bn_case((2, 16, 3, 3), training)
        yield bn_case((3, 2, 1, 2, 2), training, 1.0, 1e-4)
    yield bn_case((2, 1, 3, 3), True, 0.0)              # one channel, momentum 0 keeps the stats
