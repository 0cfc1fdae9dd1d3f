# SPDX-License-Identifier: MIT
"""Training: datasets, synthetic action clips and trainers (see docs/training.md)."""
import ctypes
import json

import numpy as np

from . import _options
from ._handle import Handle
from ._lib import check, cstr, lib, text
from .frames import to_numpy
from .models import Model


class Dataset(Handle):
    """A parn_dataset_t: kind "faces", "face-videos", "actions", "hollywood2" (root a folder)
    or "synthetic" (root None). Options: dataset_config (a dict), seed, face_model, ..."""

    _destroy = "parn_dataset_destroy"
    _kind = "dataset"

    def __init__(self, kind, root=None, **options):
        handle = ctypes.c_void_p()
        with _options.scoped(options) as opts:
            check(lib.parn_dataset_open(cstr(kind), cstr(root), opts, ctypes.byref(handle)))
        super().__init__(handle)

    @property
    def kind(self):
        return text(lib.parn_dataset_kind(self._live()))

    def __len__(self):
        return lib.parn_dataset_size(self._live())

    @property
    def num_classes(self):
        return lib.parn_dataset_num_classes(self._live())

    @property
    def classes(self):
        return [text(lib.parn_dataset_class_name(self._live(), i))
                for i in range(self.num_classes)]


def synthetic_actions():
    """The names of the synthetic actions, in action-index order."""
    count = lib.parn_synthetic_num_actions()
    return [text(lib.parn_synthetic_action_name(i)) for i in range(count)]


def synthetic_clip(action, seed=0, width=112, height=112, n_frames=16):
    """Renders a synthetic action clip (action: index or name).

    Returns (frames, face_boxes): an n x H x W x 3 RGB array and n x 4 float32 boxes (x, y,
    width, height) of the main figure's face. The same arguments give the same pixels.
    """
    if isinstance(action, str):
        action = synthetic_actions().index(action)
    frames = (ctypes.c_void_p * n_frames)()
    boxes = np.zeros((n_frames, 4), np.float32)
    check(lib.parn_synthetic_clip(action, seed, width, height, n_frames, frames,
                                  boxes.ctypes.data_as(ctypes.POINTER(ctypes.c_float))))
    out = np.empty((n_frames, height, width, 3), np.uint8)
    for i in range(n_frames):
        frame = ctypes.c_void_p(frames[i])
        out[i] = to_numpy(frame, copy=False)
        lib.parn_frame_free(ctypes.byref(frame))
    return out, boxes


class Trainer(Handle):
    """A parn_trainer_t for one phase ("gan", "classifier", "joint") on a session.

    Options: train_config (a dict), seed, and the model keys for networks init lacks.
    """

    _destroy = "parn_trainer_destroy"
    _kind = "trainer"

    def __init__(self, session, phase, init=None, **options):
        handle = ctypes.c_void_p()
        with _options.scoped(options) as opts, session.lock:
            check(lib.parn_trainer_create(session._live(), cstr(phase),
                                          init._live() if init else None, opts,
                                          ctypes.byref(handle)),
                  session._as_parameter_)
        self._adopt(handle, session)

    def _adopt(self, handle, session):
        super().__init__(handle, borrows=[session])
        self.session = session
        self._data = {}

    @classmethod
    def resume(cls, session, path, **options):
        """A trainer recreated from a checkpoint; give it the same datasets, then step on."""
        handle = ctypes.c_void_p()
        with _options.scoped(options) as opts, session.lock:
            check(lib.parn_trainer_resume(session._live(), cstr(path), opts,
                                          ctypes.byref(handle)), session._as_parameter_)
        trainer = cls.__new__(cls)
        trainer._adopt(handle, session)
        return trainer

    def _check(self, status):
        return check(status, self.session._as_parameter_)

    def set_data(self, dataset):
        """Gives the trainer a dataset (the joint phase takes one face and one action set)."""
        with self.session.lock:
            self._check(lib.parn_trainer_set_data(self._live(), dataset._live()))
        # keep it alive while the trainer may read it: one face and one clip set, as the
        # library keeps them (a new one of the same sort replaces the old)
        sort = "faces" if dataset.kind.startswith("face") else "clips"
        previous = self._data.get(sort)
        if previous is not None and previous is not dataset:
            previous._borrowers -= 1
        if previous is not dataset:
            dataset._borrowers += 1
            self._data[sort] = dataset

    def step(self, n=1):
        """Runs n optimisation steps; returns the last step's log record (a dict)."""
        with self.session.lock:
            for _ in range(n):
                self._check(lib.parn_trainer_step(self._live()))
        return self.log

    @property
    def step_count(self):
        return lib.parn_trainer_step_count(self._live())

    @property
    def log(self):
        """The last step's record: step, phase, losses, rates, gradient norms, seconds."""
        return json.loads(text(lib.parn_trainer_log(self._live())))

    def evaluate(self, dataset, max_items=0):
        """Evaluates the current weights on dataset (all items when max_items <= 0): a dict."""
        result = ctypes.c_char_p()
        with self.session.lock:
            self._check(lib.parn_trainer_evaluate(self._live(), dataset._live(), max_items,
                                                  ctypes.byref(result)))
        return json.loads(text(result.value))

    def checkpoint(self, path):
        """Writes a checkpoint (atomically); it also loads as a model file."""
        with self.session.lock:
            self._check(lib.parn_trainer_checkpoint(self._live(), cstr(path)))

    def export(self):
        """The current weights as a new Model."""
        handle = ctypes.c_void_p()
        with self.session.lock:
            self._check(lib.parn_trainer_export(self._live(), ctypes.byref(handle)))
        return Model(handle)

    def close(self):
        if self.closed:
            return
        with self.session.lock:  # not while a call on the session runs
            for dataset in self._data.values():
                dataset._borrowers -= 1
            self._data = {}
            super().close()
