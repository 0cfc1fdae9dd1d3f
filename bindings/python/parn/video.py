# SPDX-License-Identifier: MIT
"""Video files through the library's FFmpeg reader and writer."""
import ctypes

from ._handle import Handle
from ._lib import check, cstr, lib
from .errors import Status
from .frames import to_numpy, wrap


class VideoReader(Handle):
    """Decodes a video file's first video stream; iterating yields HxWx3 RGB arrays."""

    _destroy = "parn_video_close"
    _kind = "video reader"

    def __init__(self, path):
        handle = ctypes.c_void_p()
        check(lib.parn_video_open(cstr(path), ctypes.byref(handle)))
        super().__init__(handle)
        self.path = path
        w, h, fps = ctypes.c_int(), ctypes.c_int(), ctypes.c_double()
        frames, duration, audio = ctypes.c_int64(), ctypes.c_double(), ctypes.c_int()
        check(lib.parn_video_info(handle, ctypes.byref(w), ctypes.byref(h), ctypes.byref(fps),
                                  ctypes.byref(frames), ctypes.byref(duration),
                                  ctypes.byref(audio)))
        self.width, self.height, self.fps = w.value, h.value, fps.value
        self.frames = frames.value      # -1 when the container does not say
        self.duration = duration.value  # seconds, -1 when unknown
        self.has_audio = bool(audio.value)

    def read(self, copy=True):
        """The next frame (HxWx3 RGB), or None at the end of the file.

        copy=False returns a view of the reader's buffer, valid until the next read or close.
        """
        frame = ctypes.c_void_p()
        if check(lib.parn_video_read(self._live(), ctypes.byref(frame))) == Status.EOF:
            return None
        return to_numpy(frame, copy)

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame


class VideoWriter(Handle):
    """Encodes a video file. VideoWriter(path, like=reader) mirrors a reader's input (size,
    timing, audio); VideoWriter.create(path, width, height, fps) starts from nothing.

    close() finishes the file; leaving a `with` block on an exception abandons it instead.
    """

    _destroy = "parn_video_writer_destroy"
    _kind = "video writer"

    def __init__(self, path, like):
        handle = ctypes.c_void_p()
        check(lib.parn_video_writer_open(cstr(path), like._live(), ctypes.byref(handle)))
        super().__init__(handle, borrows=[like])

    @classmethod
    def create(cls, path, width, height, fps):
        handle = ctypes.c_void_p()
        check(lib.parn_video_writer_create(cstr(path), width, height, fps, ctypes.byref(handle)))
        writer = cls.__new__(cls)
        Handle.__init__(writer, handle)
        return writer

    def write(self, image, format=None):
        """Encodes the next frame (any format, same size as the video)."""
        with wrap(image, format) as frame:
            check(lib.parn_video_write(self._live(), frame))

    def close(self):
        """Finishes the file and renames it into place (raises ParnError on failure)."""
        if self.closed:
            return
        status = lib.parn_video_writer_close(self._as_parameter_)
        self._release()  # the library freed the writer either way
        check(status)

    def abandon(self):
        """Frees the writer and deletes its unfinished file."""
        Handle.close(self)

    def __del__(self):
        if getattr(self, "_as_parameter_", None) is not None and not self.closed:
            self.abandon()

    def __exit__(self, kind, value, traceback):
        self.close() if kind is None else self.abandon()
