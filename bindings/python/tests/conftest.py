# SPDX-License-Identifier: MIT
"""Shared fixtures: the source tree, the face model of the build, ../shared/data (optional)."""
import os
import pathlib

import numpy as np
import pytest

import parn

SOURCE_ROOT = pathlib.Path(os.environ.get("PARN_SOURCE_ROOT",
                                          pathlib.Path(__file__).resolve().parents[3]))
SHARED_DATA = pathlib.Path(os.environ.get("PARN_SHARED_DATA",
                                          SOURCE_ROOT / ".." / "shared" / "data"))

# A C3D small enough for fast tests (keys in docs/models.md).
SMALL_C3D = {"c3d": {"base": 4, "crop": 32, "fc": 16},
             "fem": {"channels": 4, "reduction": 2, "privacy_hidden": 4}}


@pytest.fixture(scope="session")
def header():
    return (SOURCE_ROOT / "include" / "parn.h").read_text()


@pytest.fixture(scope="session")
def face_model():
    path = parn.default_face_model()
    if path is None:
        pytest.skip("no face model: build examples/faces.safetensors or set PARN_FACE_MODEL")
    return path


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture
def classifier():
    with parn.Model.create(networks="fem,c3d", classes=3, class_names="walk,run,jump",
                           model_config=SMALL_C3D, seed=1) as model:
        yield model


def noise(height, width, channels=3, seed=0):
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def needs(*names):
    """Skips a test while the library lacks functions still being implemented."""
    parn.version()  # loads the library, which lists what it lacks
    missing = [n for n in names if n in parn._lib.lib.missing]
    return pytest.mark.skipif(bool(missing), reason=f"this libparn lacks {', '.join(missing)}")
