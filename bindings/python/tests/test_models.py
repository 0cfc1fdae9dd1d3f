# SPDX-License-Identifier: MIT
"""Models: create, describe, save, load, import; handle lifetimes."""
import pytest

import parn
from conftest import SMALL_C3D


def test_create_and_describe(classifier):
    assert classifier.networks == ["fem", "c3d"]
    assert classifier.has_network("c3d") and not classifier.has_network("generator")
    assert classifier.num_classes == 3
    assert classifier.classes == ["walk", "run", "jump"]
    assert classifier.class_name(3) is None
    assert classifier.clip_length == 16
    info = classifier.describe()
    assert info["networks"]["c3d"]["crop"] == 32
    assert info["classes"] == ["walk", "run", "jump"]
    assert info["parameters"] > 0


def test_save_and_load(classifier, tmp_path):
    path = tmp_path / "small.safetensors"
    classifier.save(path)
    with parn.Model.load(path) as loaded:
        assert loaded.describe() == classifier.describe()


def test_bad_model_options():
    with pytest.raises(parn.ParnError) as e:
        parn.Model.create(networks="c3d,teleporter")
    assert e.value.status == parn.Status.E_INVALID_ARG
    assert "teleporter" in e.value.message


def test_load_malformed(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(parn.ParnError) as e:
        parn.Model.load(path)
    assert e.value.status == parn.Status.E_FORMAT


def test_import_face_api(tmp_path):
    with pytest.raises(parn.ParnError) as e:
        parn.Model.import_from("face-api", tmp_path)
    assert e.value.status in (parn.Status.E_IO, parn.Status.E_NOT_FOUND, parn.Status.E_FORMAT)
    with pytest.raises(parn.ParnError) as e:
        parn.Model.import_from("onnx", tmp_path)
    assert e.value.status == parn.Status.E_INVALID_ARG


def test_face_model_loads(face_model):
    with parn.Model.load(face_model) as faces:
        assert faces.has_network("detector") and faces.has_network("embedder")
        assert faces.num_classes == 0 and faces.clip_length == 0


def test_lifetimes():
    model = parn.Model.create(networks="c3d", model_config=SMALL_C3D)
    session = parn.Session(model)
    with pytest.raises(parn.ParnError) as e:
        model.close()  # the session still borrows it
    assert e.value.status == parn.Status.E_STATE
    session.close()
    session.close()  # twice is harmless
    model.close()
    assert model.closed
    with pytest.raises(parn.ParnError) as e:
        model.num_classes
    assert e.value.status == parn.Status.E_STATE and "closed" in e.value.message


def test_garbage_collector_frees():
    import gc
    import weakref
    model = parn.Model.create(networks="c3d", model_config=SMALL_C3D)
    ref = weakref.ref(model)
    session = parn.Session(model)
    del model
    assert ref() is not None  # the session keeps it alive
    del session
    gc.collect()
    assert ref() is None
