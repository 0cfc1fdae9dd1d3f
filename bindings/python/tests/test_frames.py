# SPDX-License-Identifier: MIT
"""numpy frames: formats, strides, planes, library-owned frames, still images."""
import numpy as np
import pytest

import parn
from conftest import noise


def mask_box(session, image, box, **kw):
    out, faces = session.anonymize(image, boxes=[box], **kw)
    return out


@pytest.fixture
def masker():
    # the caller's boxes covered in black (feathered edges), no tracking: no network involved
    with parn.Session(threads=1, anon_mode="mask", face_shape="box", face_margin=0.0,
                      track_memory=0) as s:
        yield s


@pytest.mark.parametrize("channels, fmt", [(3, "rgb24"), (3, "bgr24"), (4, "rgba"), (1, "gray8")])
def test_packed_formats_round_trip(masker, channels, fmt):
    image = noise(48, 64, channels)
    out = mask_box(masker, image, (16, 8, 20, 20), format=fmt)
    assert out.shape == image.shape and out.dtype == np.uint8
    inside = out[10:26, 18:34]  # the box less its feathered edge
    assert (inside[..., :3] if channels == 4 else inside).max() == 0
    assert np.array_equal(out[30:], image[30:])  # below the box: untouched


def test_format_is_inferred():
    assert parn.wrap(noise(4, 4, 1)).format == parn.PixelFormat.GRAY8
    assert parn.wrap(noise(4, 4, 3)).format == parn.PixelFormat.RGB24
    assert parn.wrap(noise(4, 4, 4)).format == parn.PixelFormat.RGBA
    assert parn.wrap(noise(4, 4, 3), format="bgr").format == parn.PixelFormat.BGR24


def test_row_strides_are_passed_not_copied(masker):
    big = noise(100, 120, 3)
    crop = big[10:58, 20:84]  # rows 360 bytes apart, 192 used
    frame = parn.wrap(crop, writable=True)
    assert frame.arrays[0] is crop
    masker.anonymize(crop, crop, boxes=[(0, 0, 8, 8)])  # in place, through the view
    assert big[11:17, 21:27].max() == 0
    assert np.array_equal(big[:10], noise(100, 120, 3)[:10])


def test_unpacked_input_is_copied_output_refused(masker):
    image = noise(32, 32, 3)
    flipped = image[:, ::-1]
    out, _ = masker.anonymize(flipped, boxes=[])
    assert np.array_equal(out, flipped)
    with pytest.raises(ValueError):
        masker.anonymize(flipped, flipped, boxes=[])


def test_bad_arrays():
    with pytest.raises(TypeError):
        parn.wrap(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        parn.wrap(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError):
        parn.wrap(np.zeros((4, 4, 3), np.uint8), format="rgba")
    with pytest.raises(parn.ParnError) as e:
        parn.wrap(np.zeros((4, 20000), np.uint8))
    assert e.value.status == parn.Status.E_INVALID_ARG and "20000" in e.value.message


@pytest.mark.parametrize("fmt, planes", [
    ("yuv420p", lambda: (noise(20, 30, 1), noise(10, 15, 1, 1), noise(10, 15, 1, 2))),
    ("nv12", lambda: (noise(20, 30, 1), noise(10, 30, 1, 1))),
])
def test_planar_frames(masker, fmt, planes):
    image = planes()
    out, _ = masker.anonymize(image, boxes=[(0, 0, 6, 6)], format=fmt)
    assert isinstance(out, tuple) and len(out) == len(image)
    assert out[0][1:5, 1:5].max() == 16  # limited-range black luma
    assert np.array_equal(out[0][8:], image[0][8:])


def test_planar_needs_format():
    with pytest.raises(ValueError):
        parn.wrap((noise(4, 4, 1), noise(2, 2, 1), noise(2, 2, 1)))


def test_library_frames():
    with parn.Frame.alloc("rgba", 33, 7) as frame:
        assert (frame.format, frame.width, frame.height) == (parn.PixelFormat.RGBA, 33, 7)
        assert frame.strides()[0] % 64 == 0
        pixels = frame.numpy(copy=False)
        assert pixels.shape == (7, 33, 4) and pixels.max() == 0
        pixels[:] = 9
        assert frame.numpy().min() == 9
    with parn.Frame.alloc("yuv420p", 5, 3) as frame:
        y, u, v = frame.numpy()
        assert y.shape == (3, 5) and u.shape == (2, 3) and v.shape == (2, 3)
    with pytest.raises(parn.ParnError):
        parn.Frame.alloc("rgb24", 0, 4)


def test_load_image(tmp_path, shared_data):
    image = parn.load_image(shared_data / "faceapi_ref" / "face1.png")
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    with pytest.raises(parn.ParnError) as e:
        parn.load_image(tmp_path / "none.png")
    assert e.value.status == parn.Status.E_IO
