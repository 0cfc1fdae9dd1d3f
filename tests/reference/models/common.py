# SPDX-License-Identifier: MIT
"""Helpers shared by the reference networks' fixture writers."""
import torch
import torch.nn as nn


def model_tensors(module, prefix):
    """The state_dict as a libparn model file holds it: prefixed, F32, no num_batches_tracked."""
    return {prefix + k: v.detach().to(torch.float32).clone() for k, v in module.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def randomise_batch_norm(module, gen):
    """Non-trivial affine parameters and running statistics, so eval mode tests something."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(torch.rand(c, generator=gen) - 0.5)
                m.running_mean.copy_(0.2 * (torch.rand(c, generator=gen) - 0.5))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
