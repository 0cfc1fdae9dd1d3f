# SPDX-License-Identifier: MIT
"""Models: network weights, immutable once made; share one between sessions and threads."""
import ctypes
import json

from . import _options
from ._handle import Handle
from ._lib import check, cstr, lib, text


class Model(Handle):
    """A parn_model_t. Make one with Model.create, Model.load or Model.import_from."""

    _destroy = "parn_model_destroy"
    _kind = "model"

    @classmethod
    def create(cls, **options):
        """Fresh weights; options: networks, classes, class_names, model_config, seed."""
        handle = ctypes.c_void_p()
        with _options.scoped(options) as opts:
            check(lib.parn_model_create(opts, ctypes.byref(handle)))
        return cls(handle)

    @classmethod
    def load(cls, path):
        """A model file (safetensors; a trainer's checkpoint also loads)."""
        handle = ctypes.c_void_p()
        check(lib.parn_model_load(cstr(path), ctypes.byref(handle)))
        return cls(handle)

    @classmethod
    def import_from(cls, format, path):
        """Pretrained weights in another format, e.g. ("face-api", ".../package/model")."""
        handle = ctypes.c_void_p()
        check(lib.parn_model_import(cstr(format), cstr(path), ctypes.byref(handle)))
        return cls(handle)

    def save(self, path):
        """Writes the model atomically (temporary file, then rename)."""
        check(lib.parn_model_save(self._live(), cstr(path)))

    def describe(self):
        """The model as a dict: format, networks (name: configuration), tensors, parameters,
        classes."""
        return json.loads(text(lib.parn_model_describe(self._live())))

    def has_network(self, name):
        return bool(lib.parn_model_has_network(self._live(), cstr(name)))

    @property
    def networks(self):
        """Names of the networks the model holds."""
        return list(self.describe()["networks"])

    @property
    def num_classes(self):
        return lib.parn_model_num_classes(self._live())

    @property
    def clip_length(self):
        """Frames per clip the classifier takes (0 without a C3D)."""
        return lib.parn_model_clip_length(self._live())

    def class_name(self, i):
        return text(lib.parn_model_class_name(self._live(), i))

    @property
    def classes(self):
        """The action class names, in class-index order."""
        return [self.class_name(i) for i in range(self.num_classes)]
