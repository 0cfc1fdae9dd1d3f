# SPDX-License-Identifier: MIT
"""The C library: where it is found, and ONE table of every function's signature (rule 14).

Every handle is a c_void_p; every buffer is passed as a pointer into a numpy array or a ctypes
object. A function missing from an older libparn raises ParnError(UNSUPPORTED) when called.
"""
import ctypes
import ctypes.util
import os
import threading

from ctypes import POINTER, c_char_p, c_double, c_float, c_int, c_int64, c_uint64, c_void_p

from .errors import ParnError, Status

ABI_VERSION = 0  # the PARN_ABI_VERSION this binding was written against

_status = c_int
_p_int = POINTER(c_int)
_p_int64 = POINTER(c_int64)
_p_double = POINTER(c_double)
_p_float = POINTER(c_float)
_p_char_p = POINTER(c_char_p)
_p_handle = POINTER(c_void_p)
_u8p = c_void_p  # uint8_t *: a numpy array's data address
LOG_CALLBACK = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)  # parn_log_fn

# name: (restype, argtypes) — in include/parn.h's order.
SIGNATURES = {
    "parn_version_number": (c_int, []),
    "parn_version_string": (c_char_p, []),
    "parn_build_info": (c_char_p, []),
    "parn_status_string": (c_char_p, [c_int]),
    "parn_init_check": (_status, [c_int]),
    "parn_last_error": (c_char_p, [c_void_p]),
    "parn_set_log_callback": (None, [LOG_CALLBACK, c_void_p]),
    "parn_option_info": (_status, [c_int, _p_char_p, _p_int, _p_double, _p_double]),
    "parn_options_create": (_status, [_p_handle]),
    "parn_options_destroy": (None, [c_void_p]),
    "parn_options_set_int": (_status, [c_void_p, c_int, c_int64]),
    "parn_options_set_float": (_status, [c_void_p, c_int, c_double]),
    "parn_options_set_string": (_status, [c_void_p, c_int, c_char_p]),
    "parn_options_get_int": (_status, [c_void_p, c_int, _p_int64]),
    "parn_options_get_float": (_status, [c_void_p, c_int, _p_double]),
    "parn_options_get_string": (_status, [c_void_p, c_int, _p_char_p]),
    "parn_model_create": (_status, [c_void_p, _p_handle]),
    "parn_model_import": (_status, [c_char_p, c_char_p, _p_handle]),
    "parn_model_load": (_status, [c_char_p, _p_handle]),
    "parn_model_save": (_status, [c_void_p, c_char_p]),
    "parn_model_destroy": (None, [c_void_p]),
    "parn_model_describe": (c_char_p, [c_void_p]),
    "parn_model_has_network": (c_int, [c_void_p, c_char_p]),
    "parn_model_num_classes": (c_int, [c_void_p]),
    "parn_model_clip_length": (c_int, [c_void_p]),
    "parn_model_class_name": (c_char_p, [c_void_p, c_int]),
    "parn_device_count": (_status, [c_char_p, _p_int]),
    "parn_session_create": (_status, [c_void_p, c_void_p, _p_handle]),
    "parn_session_destroy": (None, [c_void_p]),
    "parn_session_device": (c_char_p, [c_void_p]),
    "parn_session_threads": (c_int, [c_void_p]),
    "parn_session_configure": (_status, [c_void_p, c_void_p]),
    "parn_default_face_model": (c_char_p, []),
    "parn_faces_detect": (_status, [c_void_p, c_void_p, _p_float, c_int, _p_int]),
    "parn_face_descriptor": (_status, [c_void_p, c_void_p, _p_float, _p_float]),
    "parn_descriptor_distance": (c_float, [_p_float, _p_float]),
    "parn_pixel_format_planes": (c_int, [c_int]),
    "parn_frame_wrap": (_status, [c_int, c_int, c_int, POINTER(_u8p), _p_int, _p_handle]),
    "parn_frame_alloc": (_status, [c_int, c_int, c_int, _p_handle]),
    "parn_frame_free": (None, [_p_handle]),
    "parn_image_load": (_status, [c_char_p, _p_handle]),
    "parn_frame_width": (c_int, [c_void_p]),
    "parn_frame_height": (c_int, [c_void_p]),
    "parn_frame_format": (c_int, [c_void_p]),
    "parn_frame_plane": (_u8p, [c_void_p, c_int]),
    "parn_frame_stride": (c_int, [c_void_p, c_int]),
    "parn_anonymize_frame": (_status, [c_void_p, c_void_p, c_void_p, _p_float, c_int, _p_int]),
    "parn_anonymize_frame_boxes": (_status, [c_void_p, c_void_p, c_void_p, _p_float, c_int,
                                             _p_float, c_int, _p_int]),
    "parn_classify_clip": (_status, [c_void_p, _p_handle, c_int, c_int, _p_int, _p_float]),
    "parn_classify_push": (_status, [c_void_p, c_void_p, c_int, _p_int, _p_float]),
    "parn_video_open": (_status, [c_char_p, _p_handle]),
    "parn_video_info": (_status, [c_void_p, _p_int, _p_int, _p_double, _p_int64, _p_double,
                                  _p_int]),
    "parn_video_read": (_status, [c_void_p, _p_handle]),
    "parn_video_close": (None, [c_void_p]),
    "parn_video_writer_open": (_status, [c_char_p, c_void_p, _p_handle]),
    "parn_video_writer_create": (_status, [c_char_p, c_int, c_int, c_double, _p_handle]),
    "parn_video_write": (_status, [c_void_p, c_void_p]),
    "parn_video_writer_close": (_status, [c_void_p]),
    "parn_video_writer_destroy": (None, [c_void_p]),
    "parn_dataset_open": (_status, [c_char_p, c_char_p, c_void_p, _p_handle]),
    "parn_dataset_destroy": (None, [c_void_p]),
    "parn_dataset_kind": (c_char_p, [c_void_p]),
    "parn_dataset_size": (c_int64, [c_void_p]),
    "parn_dataset_num_classes": (c_int, [c_void_p]),
    "parn_dataset_class_name": (c_char_p, [c_void_p, c_int]),
    "parn_synthetic_num_actions": (c_int, []),
    "parn_synthetic_action_name": (c_char_p, [c_int]),
    "parn_synthetic_clip": (_status, [c_int, c_uint64, c_int, c_int, c_int, _p_handle, _p_float]),
    "parn_trainer_create": (_status, [c_void_p, c_char_p, c_void_p, c_void_p, _p_handle]),
    "parn_trainer_set_data": (_status, [c_void_p, c_void_p]),
    "parn_trainer_step": (_status, [c_void_p]),
    "parn_trainer_step_count": (c_int64, [c_void_p]),
    "parn_trainer_log": (c_char_p, [c_void_p]),
    "parn_trainer_evaluate": (_status, [c_void_p, c_void_p, c_int64, _p_char_p]),
    "parn_trainer_checkpoint": (_status, [c_void_p, c_char_p]),
    "parn_trainer_resume": (_status, [c_void_p, c_char_p, c_void_p, _p_handle]),
    "parn_trainer_export": (_status, [c_void_p, _p_handle]),
    "parn_trainer_destroy": (None, [c_void_p]),
}


def library_path():
    """$PARN_LIBRARY, else what the system linker finds for -lparn, else libparn.so.0."""
    return os.environ.get("PARN_LIBRARY") or ctypes.util.find_library("parn") or "libparn.so.0"


def _missing(name):
    def call(*args):
        raise ParnError(Status.E_UNSUPPORTED, f"this libparn ({library_path()}) lacks {name}")
    return call


class _Library:
    """The loaded library with every signature applied; loaded on first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cdll = None
        self.missing = []

    def _load(self):
        with self._lock:
            if self._cdll is not None:
                return
            path = library_path()
            try:
                cdll = ctypes.CDLL(path)
            except OSError as e:
                raise ImportError(f"libparn not found ({path}): set PARN_LIBRARY to libparn.so "
                                  f"or install the library: {e}") from e
            for name, (restype, argtypes) in SIGNATURES.items():
                try:
                    fn = getattr(cdll, name)
                except AttributeError:
                    self.missing.append(name)
                    setattr(self, name, _missing(name))
                    continue
                fn.restype, fn.argtypes = restype, argtypes
                setattr(self, name, fn)
            if cdll.parn_init_check(ABI_VERSION) != 0:
                raise ImportError(f"{path}: {cdll.parn_last_error(None).decode()}")
            self._cdll = cdll

    def __getattr__(self, name):  # only reached before loading
        if name.startswith("parn_") and self._cdll is None:
            self._load()
            return getattr(self, name)
        raise AttributeError(name)


lib = _Library()


def last_error(session=None):
    """The library's message for the last failure on session (None: on this thread)."""
    message = lib.parn_last_error(session)
    return message.decode("utf-8", "replace") if message else ""


def check(status, session=None):
    """Raises ParnError for a failing status; returns PARN_OK, PARN_AGAIN and PARN_EOF."""
    if status in (Status.OK, Status.AGAIN, Status.EOF):
        return Status(status)
    # a session's calls leave their message on it; fall back to the thread's when it has none
    raise ParnError(status, (session is not None and last_error(session)) or last_error(None))


def text(value):
    """A C string (bytes or None) as str or None."""
    return None if value is None else value.decode("utf-8", "replace")


def cstr(value):
    """A str or os.PathLike as bytes for a const char * parameter (None stays NULL)."""
    if value is None:
        return None
    return os.fsencode(value)
