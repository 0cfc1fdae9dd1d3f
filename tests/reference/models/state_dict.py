#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A plain PyTorch state_dict of the reference FEM at its default configuration, saved as
safetensors with no libparn metadata (as safetensors.torch.save_file would write it), to prove
that such a file loads as is. Writes tests/reference/fixtures/state_dict_fem.safetensors."""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from gen_fixtures import save_safetensors  # noqa: E402
from fem import FEM  # noqa: E402

torch.manual_seed(3)
fem = FEM()
tensors = {"fem." + k: v for k, v in fem.state_dict().items()}
path = os.path.join(os.path.dirname(HERE), "fixtures", "state_dict_fem.safetensors")
save_safetensors(path, tensors, None)
print(path, os.path.getsize(path), "bytes")
