# SPDX-License-Identifier: MIT
"""Options: keyword arguments become a parn_options_t through the library's own key table.

Keys are discovered with parn_option_info, so an option added to libparn needs no change here:
Session(threads=2, device="cpu"), Model.create(classes=10, model_config={"c3d": {"variant": 8}}).
Dicts are passed as JSON (the *_config keys); lists and tuples as comma-separated strings.
"""
import contextlib
import ctypes
import json
from collections import namedtuple

from ._lib import check, cstr, lib, text
from .errors import ParnError, Status

OptionInfo = namedtuple("OptionInfo", "key name type min max")

_TYPES = {1: int, 2: float, 3: str}
_KEY_RANGES = (range(1, 256), range(1000, 1256))  # stable keys, then experimental ones
_table = None


def option_info(key):
    """Describes one option by key (int) or name: OptionInfo(key, name, type, min, max)."""
    if isinstance(key, str):
        try:
            return _options_table()[key]
        except KeyError:
            raise ParnError(Status.E_INVALID_ARG, f"unknown option '{key}' "
                            f"(known: {', '.join(sorted(_options_table()))})") from None
    name, kind = ctypes.c_char_p(), ctypes.c_int()
    lo, hi = ctypes.c_double(), ctypes.c_double()
    check(lib.parn_option_info(key, ctypes.byref(name), ctypes.byref(kind), ctypes.byref(lo),
                               ctypes.byref(hi)))
    return OptionInfo(key, text(name.value), _TYPES.get(kind.value, kind.value), lo.value, hi.value)


def _options_table():
    global _table
    if _table is None:
        table = {}
        for keys in _KEY_RANGES:
            for key in keys:
                if lib.parn_option_info(key, None, None, None, None) == Status.OK:
                    info = option_info(key)
                    table[info.name] = info
        _table = table
    return _table


def options():
    """Every option the library knows: {name: OptionInfo}."""
    return dict(_options_table())


def _encode(name, value):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


class Options:
    """A parn_options_t built from keyword arguments; a context manager that frees it."""

    def __init__(self, **values):
        handle = ctypes.c_void_p()
        check(lib.parn_options_create(ctypes.byref(handle)))
        self._as_parameter_ = handle
        try:
            self.set(**values)
        except BaseException:
            self.close()
            raise

    def set(self, **values):
        """Sets each keyword's option; the library checks its type and range."""
        for name, value in values.items():
            info = option_info(name)
            value = _encode(name, value)
            if info.type is int:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ParnError(Status.E_INVALID_ARG, f"option '{name}' takes an int")
                check(lib.parn_options_set_int(self, info.key, value))
            elif info.type is float:
                check(lib.parn_options_set_float(self, info.key, float(value)))
            else:
                if not isinstance(value, str):
                    raise ParnError(Status.E_INVALID_ARG, f"option '{name}' takes a string")
                check(lib.parn_options_set_string(self, info.key, cstr(value)))
        return self

    def get(self, name):
        """An option's value (its default when unset)."""
        info = option_info(name)
        if info.type is int:
            value = ctypes.c_int64()
            check(lib.parn_options_get_int(self, info.key, ctypes.byref(value)))
        elif info.type is float:
            value = ctypes.c_double()
            check(lib.parn_options_get_float(self, info.key, ctypes.byref(value)))
        else:
            value = ctypes.c_char_p()
            check(lib.parn_options_get_string(self, info.key, ctypes.byref(value)))
            return text(value.value)
        return value.value

    def close(self):
        handle = getattr(self, "_as_parameter_", None)
        if handle is not None and handle.value:
            lib.parn_options_destroy(handle)
        self._as_parameter_ = ctypes.c_void_p()

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def scoped(values):
    """`with scoped(kwargs) as opts`: an Options, or None (the library's defaults) when empty."""
    return Options(**values) if values else contextlib.nullcontext()
