# SPDX-License-Identifier: MIT
"""The life of a library handle: freed once, by close(), `with` or the garbage collector.

A handle keeps the handles it borrows (a session's model, a trainer's session) alive, and
refuses to close while something still borrows it, so a Python program cannot make the library
read freed memory.
"""
import ctypes

from ._lib import lib
from .errors import ParnError, Status


class Handle:
    _destroy = ""  # the name of the parn_*_destroy function, set by subclasses
    _kind = "handle"

    def __init__(self, pointer, borrows=()):
        self._as_parameter_ = pointer
        self._borrows = [b for b in borrows if b is not None]
        self._borrowers = 0
        for b in self._borrows:
            b._borrowers += 1

    @property
    def closed(self):
        return not self._as_parameter_.value

    def _live(self):
        """The handle, or ParnError(STATE) once closed."""
        if self.closed:
            raise ParnError(Status.E_STATE, f"the {self._kind} is closed")
        return self._as_parameter_

    def _release(self):
        """Forgets the pointer (after the library freed it) and lets the borrowed handles go."""
        self._as_parameter_ = ctypes.c_void_p()
        for b in self._borrows:
            b._borrowers -= 1
        self._borrows = []

    def close(self):
        """Frees the handle; closing twice is harmless."""
        if getattr(self, "_as_parameter_", None) is None or self.closed:
            return
        if self._borrowers:
            raise ParnError(Status.E_STATE, f"the {self._kind} is still used by "
                            f"{self._borrowers} other object(s): close them first")
        getattr(lib, self._destroy)(self._as_parameter_)
        self._release()

    def __del__(self):
        try:
            if getattr(self, "_as_parameter_", None) is not None and not self.closed:
                self._borrowers = 0  # nothing alive can borrow a collected object
                self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
