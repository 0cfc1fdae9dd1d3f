# SPDX-License-Identifier: MIT
"""Sessions: settings, faces, anonymization and classification."""
import threading

import numpy as np
import pytest

import parn
from conftest import noise


def test_session_settings():
    with parn.Session(threads=2) as s:
        assert s.device == "cpu" and s.threads == 2
        s.configure(detector="ssd", detector_threshold=0.3, max_faces=5)
        with pytest.raises(parn.ParnError) as e:
            s.configure(threads=4)  # fixed at creation
        assert e.value.status == parn.Status.E_INVALID_ARG
        assert "fixed at creation" in e.value.message


def test_bad_device():
    with pytest.raises(parn.ParnError) as e:
        parn.Session(device="gpu7")
    assert e.value.status == parn.Status.E_INVALID_ARG
    if parn.device_count("cuda") == 0:
        with pytest.raises(parn.ParnError) as e:
            parn.Session(device="cuda:0")
        assert e.value.status == parn.Status.E_DEVICE


def test_session_errors_use_the_session_message():
    with parn.Session(threads=1) as s:
        with pytest.raises(parn.ParnError) as e:
            s.anonymize(noise(16, 16), noise(16, 8))  # another size
        assert e.value.status in (parn.Status.E_SHAPE, parn.Status.E_INVALID_ARG)
        assert e.value.message == parn._lib.last_error(s._as_parameter_)


def test_faces_on_noise(face_model):
    with parn.Session(threads=2) as s:
        assert s.detect_faces(noise(96, 128)) == []


def test_faces(face_model, shared_data):
    image = parn.load_image(shared_data / "faceapi_ref" / "faces.jpg")
    with parn.Session(threads=2) as s:
        faces = s.detect_faces(image)
        assert len(faces) == 6  # faceapi_ref/EXPECTED.md
        assert all(f.score >= 0.5 for f in faces)
        assert faces == sorted(faces, key=lambda f: -f.score)
        assert len(s.detect_faces(image, max_faces=2)) == 2
        a = s.face_descriptor(image, faces[0][:4])
        b = s.face_descriptor(image, faces[1][:4])
        assert a.shape == (parn.DESCRIPTOR_SIZE,) and a.dtype == np.float32
        assert parn.descriptor_distance(a, a) == 0
        assert parn.descriptor_distance(a, b) > 0.6  # two people
        with pytest.raises(parn.ParnError) as e:
            s.face_descriptor(image, (-50, -50, 10, 10))
        assert e.value.status == parn.Status.E_INVALID_ARG


def test_anonymize_new_array_and_in_place(face_model, shared_data):
    image = parn.load_image(shared_data / "faceapi_ref" / "faces.jpg")
    with parn.Session(threads=2, anon_mode="blur") as s:
        out, faces = s.anonymize(image)
        assert out is not image and out.shape == image.shape
        assert len(faces) == 6 and all(f.detected and f.track_id > 0 for f in faces)
        f = faces[0]
        face = (slice(int(f.y) + 10, int(f.y + f.height) - 10),
                slice(int(f.x) + 10, int(f.x + f.width) - 10))
        assert not np.array_equal(out[face], image[face])
        assert np.array_equal(out[:5], image[:5]) or any(g.y < 5 for g in faces)
    with parn.Session(threads=2, anon_mode="blur") as s:
        copy = image.copy()
        same, _ = s.anonymize(copy, copy)
        assert same is copy and np.array_equal(copy, out)


def test_anonymize_boxes_tracks():
    with parn.Session(threads=1, anon_mode="pixelate", track_memory=1) as s:
        image = noise(64, 64)
        _, faces = s.anonymize(image, boxes=[(8, 8, 24, 24)])
        assert [(f.track_id, f.detected) for f in faces] == [(1, True)]
        _, faces = s.anonymize(image, boxes=[])
        assert [(f.track_id, f.detected, f.score) for f in faces] == [(1, False, 0.0)]
        _, faces = s.anonymize(image, boxes=[])
        assert faces == []


def test_classify_clip(classifier):
    clip = [noise(40, 50, seed=i) for i in range(16)]
    with parn.Session(classifier, threads=2) as s:
        top = s.classify_clip(clip, top_k=3)
        assert sorted(p.index for p in top) == [0, 1, 2]
        assert [p.name for p in top] == [classifier.classes[p.index] for p in top]
        assert sum(p.probability for p in top) == pytest.approx(1, abs=1e-5)
        assert top == sorted(top, key=lambda p: -p.probability)
        assert len(s.classify_clip(clip)) == 3  # top_k: at most the model's classes
        with pytest.raises(parn.ParnError) as e:
            s.classify_clip(clip[:5])
        assert e.value.status == parn.Status.E_SHAPE
        with pytest.raises(parn.ParnError) as e:
            s.classify_clip(clip, top_k=4)
        assert e.value.status == parn.Status.E_INVALID_ARG and "top_k" in e.value.message


def test_classify_push(classifier):
    clip = [noise(40, 50, seed=i) for i in range(20)]
    with parn.Session(classifier, threads=2, clip_stride=2) as s:
        expected = s.classify_clip(clip[:16], top_k=2)
    with parn.Session(classifier, threads=2) as s:
        results = [s.classify_push(f, top_k=2) for f in clip]
    assert results[:15] == [None] * 15
    assert results[15] == expected
    assert results[16:] == [None] * 4  # the default stride is 16


def test_classify_without_c3d():
    with parn.Session() as s:
        with pytest.raises(parn.ParnError) as e:
            s.classify_clip([noise(32, 32)] * 16)
        assert e.value.status in (parn.Status.E_NOT_FOUND, parn.Status.E_INVALID_ARG)


def test_sessions_in_threads(classifier):
    # one model shared, one session per thread
    clip = [noise(40, 50, seed=i) for i in range(16)]
    results, errors = [], []

    def work():
        try:
            with parn.Session(classifier, threads=1) as s:
                results.append(s.classify_clip(clip, top_k=1))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 3
    assert all(r == results[0] for r in results)
