# SPDX-License-Identifier: MIT
"""libparn for Python: privacy-preserving video analytics over the C library (ctypes).

    import parn
    with parn.Session(threads=2) as session:            # default face model, faces blurred
        out, faces = session.anonymize(frame)           # frame: HxWx3 uint8 RGB numpy array

Every handle is freed by close(), a `with` block or the garbage collector; every failure raises
ParnError with the library's status and message. The C library does the work: see
include/parn.h for what each call does.
"""
from . import _lib
from ._lib import LOG_CALLBACK, library_path
from .errors import ParnError, Status
from .frames import Frame, PixelFormat, format_planes, load_image, pixel_format, wrap
from .models import Model
from ._options import OptionInfo, Options, option_info, options
from .sessions import (DESCRIPTOR_SIZE, FACE_RECORD, Face, FaceRecord, Prediction, Session,
                       default_face_model, descriptor_distance, device_count)
from .training import Dataset, Trainer, synthetic_actions, synthetic_clip
from .video import VideoReader, VideoWriter

__version__ = "0.1.0"  # the binding's; the library's is parn.version()

__all__ = ["ParnError", "Status", "Frame", "PixelFormat", "format_planes", "load_image",
           "pixel_format", "wrap", "Model", "OptionInfo", "Options", "option_info", "options",
           "DESCRIPTOR_SIZE", "FACE_RECORD", "Face", "FaceRecord", "Prediction", "Session",
           "default_face_model", "descriptor_distance", "device_count", "Dataset", "Trainer",
           "synthetic_actions", "synthetic_clip", "VideoReader", "VideoWriter", "version",
           "version_number", "build_info", "status_string", "init_check", "last_error",
           "set_log_callback", "library_path", "LogLevel"]

LogLevel = {0: "error", 1: "warn", 2: "info", 3: "debug"}


def version():
    """The library's version, "X.Y.Z"."""
    return _lib.text(_lib.lib.parn_version_string())


def version_number():
    """The library's MAJOR*10000 + MINOR*100 + PATCH."""
    return _lib.lib.parn_version_number()


def build_info():
    """How the library was built: version, backends, oneDNN/CUDA versions."""
    return _lib.text(_lib.lib.parn_build_info())


def status_string(status):
    """The library's English description of a status code."""
    return _lib.text(_lib.lib.parn_status_string(int(status)))


def init_check(abi_version=_lib.ABI_VERSION):
    """Raises ParnError(E_ABI) unless the library implements abi_version (done on load)."""
    _lib.check(_lib.lib.parn_init_check(abi_version))


def last_error():
    """This thread's last message from a call made without a session."""
    return _lib.last_error(None)


_log_sink = None  # the ctypes callback must outlive its registration


def set_log_callback(fn):
    """Sends the library's log to fn(level: str, message: str) from any thread; None stops it.

    fn must not call into libparn, and should be quick; exceptions in it are printed and dropped.
    """
    global _log_sink
    if fn is None:
        _lib.lib.parn_set_log_callback(LOG_CALLBACK(), None)  # NULL
        _log_sink = None
        return

    def sink(user, level, message):
        fn(LogLevel.get(level, str(level)), _lib.text(message))

    callback = LOG_CALLBACK(sink)
    _lib.lib.parn_set_log_callback(callback, None)
    _log_sink = callback
