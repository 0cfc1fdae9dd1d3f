# SPDX-License-Identifier: MIT
"""Video files: writing from nothing, reading back, mirroring a reader, abandoning."""
import numpy as np
import pytest

import parn


def gradient(i, width=64, height=48):
    x = np.arange(width, dtype=np.uint16)[None, :, None]
    y = np.arange(height, dtype=np.uint16)[:, None, None]
    return ((x * 3 + y * 2 + i * 20) % 256).astype(np.uint8).repeat(3, axis=2)


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "clip.mkv"
    with parn.VideoWriter.create(path, 64, 48, 25) as writer:
        for i in range(6):
            writer.write(gradient(i))
    return path


def test_create_and_read_back(clip):
    with parn.VideoReader(clip) as reader:
        assert (reader.width, reader.height) == (64, 48)
        assert reader.fps == pytest.approx(25)
        assert not reader.has_audio
        frames = list(reader)
        assert reader.read() is None  # stays at the end
    assert len(frames) == 6
    assert frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    # lossy coding: close to what was written
    assert np.abs(frames[3].astype(int) - gradient(3)).mean() < 8


def test_read_without_copy(clip):
    with parn.VideoReader(clip) as reader:
        view = reader.read(copy=False)
        first = view.copy()
        assert np.array_equal(first, parn.VideoReader(clip).read())


def test_writer_like_reader(clip, tmp_path):
    out = tmp_path / "out.mkv"
    with parn.VideoReader(clip) as reader:
        with parn.VideoWriter(out, like=reader) as writer:
            with pytest.raises(parn.ParnError) as e:
                reader.close()  # the writer borrows it
            assert e.value.status == parn.Status.E_STATE
            for frame in reader:
                writer.write(frame[:, :, ::-1].copy(), format="bgr24")
    with parn.VideoReader(out) as copy:
        assert len(list(copy)) == 6 and copy.fps == pytest.approx(25)


def test_writer_refuses_its_input(clip):
    with parn.VideoReader(clip) as reader:
        with pytest.raises(parn.ParnError) as e:
            parn.VideoWriter(clip, like=reader)
        assert e.value.status == parn.Status.E_INVALID_ARG


def test_wrong_size_keeps_writer_usable(tmp_path):
    path = tmp_path / "v.mkv"
    with parn.VideoWriter.create(path, 64, 48, 10) as writer:
        with pytest.raises(parn.ParnError) as e:
            writer.write(np.zeros((10, 10, 3), np.uint8))
        assert e.value.status == parn.Status.E_SHAPE
        writer.write(gradient(0))
    assert path.exists()


def test_exception_abandons_the_file(tmp_path):
    path = tmp_path / "never.mkv"
    with pytest.raises(RuntimeError):
        with parn.VideoWriter.create(path, 64, 48, 10) as writer:
            writer.write(gradient(0))
            raise RuntimeError("stop")
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_open_errors(tmp_path):
    with pytest.raises(parn.ParnError) as e:
        parn.VideoReader(tmp_path / "none.mp4")
    assert e.value.status == parn.Status.E_IO
    with pytest.raises(parn.ParnError) as e:
        parn.VideoWriter.create(tmp_path / "x.mp4", 1, 48, 10)
    assert e.value.status == parn.Status.E_INVALID_ARG


def test_anonymize_a_video(face_model, shared_data, tmp_path):
    source = shared_data / "video" / "carphone" / "carphone_pristine.mp4"
    out = tmp_path / "anon.mp4"
    faces = 0
    with parn.Session(threads=2, anon_mode="mask") as session, \
            parn.VideoReader(source) as reader, parn.VideoWriter(out, like=reader) as writer:
        for n, frame in enumerate(reader):
            if n == 30:
                break
            _, records = session.anonymize(frame, frame)
            faces += len(records)
            writer.write(frame)
    assert faces >= 25  # one man talking, in (nearly) every frame
    with parn.VideoReader(out) as result:
        assert len(list(result)) == 30
