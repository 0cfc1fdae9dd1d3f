# SPDX-License-Identifier: MIT
"""Frames: numpy uint8 arrays described to the library without copying.

Packed formats are single arrays: HxWx3 (RGB24, or BGR24 with format="bgr24"), HxWx4 (RGBA),
HxW (GRAY8). YUV420P and NV12 are a tuple of planes, each a 2-D array of rows x row bytes.
Rows may be any distance apart (a crop of a larger array is fine: its row stride is passed to
the library); the bytes inside a row must be packed. An input in another layout is copied; an
output (written in place) must be packed.
"""
import ctypes
import enum

import numpy as np

from ._lib import check, cstr, lib


class PixelFormat(enum.IntEnum):
    """parn_pixel_format: values are permanent."""
    RGB24 = 1
    BGR24 = 2
    RGBA = 3
    GRAY8 = 4
    YUV420P = 5
    NV12 = 6


_ALIASES = {"rgb": PixelFormat.RGB24, "bgr": PixelFormat.BGR24, "gray": PixelFormat.GRAY8,
            "grey": PixelFormat.GRAY8}
_CHANNELS = {PixelFormat.RGB24: 3, PixelFormat.BGR24: 3, PixelFormat.RGBA: 4,
             PixelFormat.GRAY8: 1}


def pixel_format(value):
    """A PixelFormat from itself, its value or a name such as "bgr24" or "nv12"."""
    if isinstance(value, str):
        name = value.lower()
        return _ALIASES.get(name) or PixelFormat[name.upper()]
    return PixelFormat(value)


def format_planes(fmt):
    """parn_pixel_format_planes: 1..3, or 0 for an unknown format."""
    return lib.parn_pixel_format_planes(int(fmt))


def _packed_format(array, fmt):
    channels = 1 if array.ndim == 2 else array.shape[2] if array.ndim == 3 else 0
    if fmt is None:
        fmt = {1: PixelFormat.GRAY8, 3: PixelFormat.RGB24, 4: PixelFormat.RGBA}.get(channels)
        if fmt is None:
            raise ValueError(f"a frame is HxW, HxWx3 or HxWx4, not shape {array.shape}")
    if _CHANNELS.get(fmt) != channels:
        raise ValueError(f"{fmt.name} needs {_CHANNELS.get(fmt, 'planar')} channel(s); "
                         f"the array has shape {array.shape}")
    return fmt


def _rows_packed(array):
    """True when the bytes of each row are contiguous and rows go forward."""
    inner = array.strides[1:]
    expected = array.shape[2] if array.ndim == 3 else 1
    return (array.ndim == 2 and inner[0] == 1 or
            array.ndim == 3 and inner == (expected, 1)) and array.strides[0] > 0


def _plane(array, writable):
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise TypeError("frames are numpy uint8 arrays")
    if array.ndim not in (2, 3):
        raise ValueError(f"a frame plane is 2-D or 3-D, not shape {array.shape}")
    if not _rows_packed(array):
        if writable:
            raise ValueError("an output frame needs packed rows (make it with np.empty)")
        array = np.ascontiguousarray(array)
    if writable and not array.flags.writeable:
        raise ValueError("the output frame is read-only")
    return array


class Wrapped:
    """A parn_frame_t describing numpy memory (borrowed); a context manager that frees it."""

    def __init__(self, image, format=None, writable=False):
        fmt = None if format is None else pixel_format(format)
        if isinstance(image, (tuple, list)):
            if fmt not in (PixelFormat.YUV420P, PixelFormat.NV12):
                raise ValueError("a tuple of planes needs format='yuv420p' or 'nv12'")
            planes = [_plane(p, writable) for p in image]
            if len(planes) != format_planes(fmt):
                raise ValueError(f"{fmt.name} has {format_planes(fmt)} planes, not {len(planes)}")
        else:
            planes = [_plane(image, writable)]
            fmt = _packed_format(planes[0], fmt)
        self.format = fmt
        self.height, self.width = planes[0].shape[:2]
        self.arrays = planes  # kept alive while the descriptor exists
        pointers = (ctypes.c_void_p * 3)(*[p.ctypes.data for p in planes])
        strides = (ctypes.c_int * 3)(*[p.strides[0] for p in planes])
        handle = ctypes.c_void_p()
        check(lib.parn_frame_wrap(fmt, self.width, self.height, pointers, strides,
                                  ctypes.byref(handle)))
        self._as_parameter_ = handle

    def close(self):
        handle = getattr(self, "_as_parameter_", None)
        if handle is not None and handle.value:
            lib.parn_frame_free(ctypes.byref(handle))

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wrap(image, format=None, writable=False):
    """Describes image (an array or planes, see the module comment) as a parn_frame_t."""
    if isinstance(image, Wrapped):
        return image
    return Wrapped(image, format, writable)


def _plane_rows(fmt, width, height, i):
    if fmt in _CHANNELS:
        return height, width * _CHANNELS[fmt]
    cw, ch = (width + 1) // 2, (height + 1) // 2
    if i == 0:
        return height, width
    return ch, 2 * cw if fmt == PixelFormat.NV12 else cw


def to_numpy(frame, copy=True):
    """A library-owned parn_frame_t's pixels: an array (packed) or a tuple of planes.

    copy=False returns views of the library's memory, valid only while the frame is.
    """
    fmt = PixelFormat(lib.parn_frame_format(frame))
    width, height = lib.parn_frame_width(frame), lib.parn_frame_height(frame)
    planes = []
    for i in range(format_planes(fmt)):
        address, stride = lib.parn_frame_plane(frame, i), lib.parn_frame_stride(frame, i)
        rows, row_bytes = _plane_rows(fmt, width, height, i)
        buffer = (ctypes.c_uint8 * (stride * (rows - 1) + row_bytes)).from_address(address)
        flat = np.ctypeslib.as_array(buffer)
        if fmt in _CHANNELS and _CHANNELS[fmt] > 1:
            c = _CHANNELS[fmt]
            view = np.lib.stride_tricks.as_strided(flat, (rows, width, c), (stride, c, 1))
        else:
            view = np.lib.stride_tricks.as_strided(flat, (rows, row_bytes), (stride, 1))
        planes.append(view.copy() if copy else view)
    return planes[0] if fmt in _CHANNELS else tuple(planes)


class Frame:
    """A picture owned by the library (parn_frame_alloc, decoders); freed by close()/`with`."""

    def __init__(self, pointer):
        self._as_parameter_ = pointer

    @classmethod
    def alloc(cls, format, width, height):
        """parn_frame_alloc: a zero-filled picture with 64-byte aligned rows."""
        handle = ctypes.c_void_p()
        check(lib.parn_frame_alloc(pixel_format(format), width, height, ctypes.byref(handle)))
        return cls(handle)

    @property
    def format(self):
        return PixelFormat(lib.parn_frame_format(self))

    @property
    def width(self):
        return lib.parn_frame_width(self)

    @property
    def height(self):
        return lib.parn_frame_height(self)

    def strides(self):
        return [lib.parn_frame_stride(self, i) for i in range(format_planes(self.format))]

    def numpy(self, copy=True):
        """The pixels (see to_numpy); copy=False gives views valid until close()."""
        return to_numpy(self, copy)

    def close(self):
        handle = getattr(self, "_as_parameter_", None)
        if handle is not None and handle.value:
            lib.parn_frame_free(ctypes.byref(handle))

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def load_image(path):
    """parn_image_load: a still image (JPEG, PNG, PGM, GIF, ...) as an HxWx3 RGB array."""
    handle = ctypes.c_void_p()
    check(lib.parn_image_load(cstr(path), ctypes.byref(handle)))
    with Frame(handle) as frame:
        return frame.numpy()
