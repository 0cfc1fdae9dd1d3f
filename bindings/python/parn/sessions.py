# SPDX-License-Identifier: MIT
"""Sessions: one stream of work on one device; faces, anonymization and classification."""
import ctypes
import threading
from collections import namedtuple

import numpy as np

from . import _options
from ._handle import Handle
from ._lib import check, cstr, lib, text
from .errors import Status
from .frames import wrap

DESCRIPTOR_SIZE = 128  # PARN_DESCRIPTOR_SIZE
FACE_RECORD = 7        # PARN_FACE_RECORD
MAX_FACES = 1000       # the largest max_faces option: room for every face a frame reports

Face = namedtuple("Face", "x y width height score")
FaceRecord = namedtuple("FaceRecord", "x y width height score track_id detected")
Prediction = namedtuple("Prediction", "index name probability")

_f32p = ctypes.POINTER(ctypes.c_float)


def _floats(array):
    return array.ctypes.data_as(_f32p)


def device_count(kind="cpu"):
    """Usable devices of a kind: "cpu" (1) or "cuda" (0 without the CUDA backend or a GPU)."""
    count = ctypes.c_int()
    check(lib.parn_device_count(cstr(kind), ctypes.byref(count)))
    return count.value


def default_face_model():
    """The face model of the setup step ($PARN_FACE_MODEL, installed, build tree), or None."""
    return text(lib.parn_default_face_model())


def descriptor_distance(a, b):
    """Euclidean distance of two 128-float descriptors; below about 0.6: the same person."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    if a.size != DESCRIPTOR_SIZE or b.size != DESCRIPTOR_SIZE:
        raise ValueError(f"descriptors have {DESCRIPTOR_SIZE} values")
    return float(lib.parn_descriptor_distance(_floats(a), _floats(b)))


def _empty_like(image):
    if isinstance(image, (tuple, list)):
        return tuple(np.empty(p.shape, np.uint8) for p in image)
    return np.empty(image.shape, np.uint8)


class Session(Handle):
    """A parn_session_t on model (None: a device only; faces use the default face model).

    Options: device ("cpu", "cuda:N"), threads, seed, and the per-stream settings (detector,
    detector_threshold, anon_mode, detect_every, track_memory, face_margin, ...). Calls on one
    session are serialized; use one session per stream or thread for parallel work.
    """

    _destroy = "parn_session_destroy"
    _kind = "session"

    def __init__(self, model=None, **options):
        handle = ctypes.c_void_p()
        with _options.scoped(options) as opts:
            check(lib.parn_session_create(model._live() if model else None, opts,
                                          ctypes.byref(handle)))
        super().__init__(handle, borrows=[model])
        self.model = model
        self.lock = threading.RLock()

    def close(self):
        """Frees the session (after any call running on it in another thread)."""
        lock = getattr(self, "lock", None)
        if lock is None:  # the constructor failed
            return super().close()
        with lock:
            super().close()

    @property
    def device(self):
        return text(lib.parn_session_device(self._live()))

    @property
    def threads(self):
        return lib.parn_session_threads(self._live())

    def _check(self, status):
        return check(status, self._as_parameter_)

    def configure(self, **options):
        """Changes detector, detector_input_size, detector_threshold or max_faces."""
        with _options.Options(**options) as opts, self.lock:
            self._check(lib.parn_session_configure(self._live(), opts))

    # ---- faces

    def detect_faces(self, image, max_faces=MAX_FACES, format=None):
        """Faces in a frame, best first: a list of Face(x, y, width, height, score)."""
        boxes = np.zeros((max_faces, 5), np.float32)
        n = ctypes.c_int()
        with wrap(image, format) as frame, self.lock:
            self._check(lib.parn_faces_detect(self._live(), frame, _floats(boxes), max_faces,
                                              ctypes.byref(n)))
        return [Face(*map(float, row)) for row in boxes[:n.value]]

    def face_descriptor(self, image, box=None, format=None):
        """The 128-d descriptor (float32 array) of the face in box (x, y, w, h; None: all)."""
        descriptor = np.zeros(DESCRIPTOR_SIZE, np.float32)
        box = None if box is None else np.ascontiguousarray(box[:4], dtype=np.float32)
        with wrap(image, format) as frame, self.lock:
            self._check(lib.parn_face_descriptor(self._live(), frame,
                                                 None if box is None else _floats(box),
                                                 _floats(descriptor)))
        return descriptor

    # ---- anonymization

    def anonymize(self, image, out=None, boxes=None, format=None, max_faces=MAX_FACES):
        """Anonymizes one frame; returns (out, faces).

        out: None for a new array, the input itself to work in place, or an array of the same
        shape. boxes: None to detect faces, else the caller's (x, y, width, height) boxes.
        faces: the FaceRecord of each face handled. On failure the ParnError is raised and out
        is black (never show it unprotected).
        """
        if out is None:
            out = _empty_like(image)
        records = np.zeros((max_faces, FACE_RECORD), np.float32)
        n = ctypes.c_int()
        same = out is image
        with wrap(image, format, writable=same) as src, self.lock:
            with (src if same else wrap(out, src.format, writable=True)) as dst:
                if boxes is None:
                    status = lib.parn_anonymize_frame(self._live(), src, dst, _floats(records),
                                                      max_faces, ctypes.byref(n))
                else:
                    b = np.ascontiguousarray(boxes, dtype=np.float32).reshape(-1, 4)
                    status = lib.parn_anonymize_frame_boxes(self._live(), src, dst, _floats(b),
                                                            len(b), _floats(records), max_faces,
                                                            ctypes.byref(n))
                self._check(status)
        faces = [FaceRecord(*map(float, r[:5]), int(r[5]), bool(r[6])) for r in records[:n.value]]
        return out, faces

    # ---- classification

    def _top_k(self, top_k):
        if top_k is None:  # five, or every class of a smaller model
            return min(5, self.model.num_classes) if self.model and self.model.num_classes else 5
        return top_k

    def _predictions(self, top_k, classes, probs):
        names = self.model.classes if self.model is not None else []
        return [Prediction(int(c), names[c] if c < len(names) else None, float(p))
                for c, p in zip(classes[:top_k], probs[:top_k])]

    def classify_clip(self, frames, top_k=None, format=None):
        """Classifies a clip (the model's clip length of frames): top_k Predictions (default:
        five, at most the model's classes), most probable first."""
        top_k = self._top_k(top_k)
        wrapped = [wrap(f, format) for f in frames]
        try:
            pointers = (ctypes.c_void_p * len(wrapped))(*[w._as_parameter_.value for w in wrapped])
            classes = (ctypes.c_int * top_k)()
            probs = (ctypes.c_float * top_k)()
            with self.lock:
                self._check(lib.parn_classify_clip(self._live(), pointers, len(wrapped), top_k,
                                                   classes, probs))
        finally:
            for w in wrapped:
                w.close()
        return self._predictions(top_k, classes, probs)

    def classify_push(self, image, top_k=None, format=None):
        """Streaming classification: top_k Predictions when a clip was classified on this
        frame, else None (more frames are needed)."""
        top_k = self._top_k(top_k)
        classes = (ctypes.c_int * top_k)()
        probs = (ctypes.c_float * top_k)()
        with wrap(image, format) as frame, self.lock:
            status = self._check(lib.parn_classify_push(self._live(), frame, top_k, classes,
                                                        probs))
        return None if status == Status.AGAIN else self._predictions(top_k, classes, probs)
