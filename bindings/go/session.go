// SPDX-License-Identifier: MIT

package parn

/*
#include <stdlib.h>
#include <parn.h>
#include "parn_go.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// DescriptorSize is the length of a face descriptor (PARN_DESCRIPTOR_SIZE).
const DescriptorSize = 128

// MaxFaces is the largest max_faces option: room for every face a frame reports.
const MaxFaces = 1000

const faceRecord = 7 // PARN_FACE_RECORD

// Box is a face's x, y, width and height in frame pixels.
type Box struct{ X, Y, Width, Height float32 }

// Face is a detected face, best first.
type Face struct {
	Box
	Score float32
}

// FaceRecord is a face the anonymizer handled: its box (the covered region before the
// margin), score (0 when carried by the tracker or given by the caller), track id, and
// whether it was detected on this frame (false: carried).
type FaceRecord struct {
	Box
	Score    float32
	TrackID  int
	Detected bool
}

// Prediction is one class of a classification, most probable first.
type Prediction struct {
	Index       int
	Name        string
	Probability float32
}

// Session is one stream of work on one device (parn_session_t). Its calls are serialized.
type Session struct {
	handle
	ptr   *C.parn_session_t
	model *Model
}

// NewSession creates a session on model (nil: a device only; faces then use the default
// face model). Options: device ("cpu", "cuda:N"), threads, seed and the stream's settings
// (detector, detector_threshold, anon_mode, detect_every, track_memory, face_margin, ...).
func NewSession(model *Model, opts Options) (*Session, error) {
	mp, err := model.live()
	if err != nil {
		return nil, err
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	defer o.free()
	var ptr *C.parn_session_t
	if _, err := threadCall(func() C.parn_status { return C.parn_session_create(mp, o.ptr, &ptr) }); err != nil {
		return nil, err
	}
	s := &Session{ptr: ptr, model: model}
	if model != nil {
		s.borrow(&model.handle)
	}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// Close frees the session; it fails with ErrState while a trainer uses it.
func (s *Session) Close() error {
	return s.release("session", func() { C.parn_session_destroy(s.ptr); s.ptr = nil })
}

// Model is the model the session runs, or nil.
func (s *Session) Model() *Model { return s.model }

// lock serializes the session's calls; unlock with s.mu.Unlock.
func (s *Session) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return stateError("the session is closed")
	}
	return nil
}

// call runs f on the session and returns its status, with the session's message on failure.
func (s *Session) call(f func() C.parn_status) (Status, error) {
	if err := s.lock(); err != nil {
		return ErrState, err
	}
	defer s.mu.Unlock()
	st := f()
	if failed(st) {
		return Status(st), &Error{Status(st), C.GoString(C.parn_last_error(s.ptr))}
	}
	return Status(st), nil
}

// helper runs a parn_go_* helper on the session.
func (s *Session) helper(f func(message **C.char) C.parn_status) (Status, error) {
	if err := s.lock(); err != nil {
		return ErrState, err
	}
	defer s.mu.Unlock()
	return helperCall(f)
}

// Device is "cpu" or "cuda:N".
func (s *Session) Device() string {
	if s.lock() != nil {
		return ""
	}
	defer s.mu.Unlock()
	return C.GoString(C.parn_session_device(s.ptr))
}

// Threads is the number of CPU threads the session uses.
func (s *Session) Threads() int {
	if s.lock() != nil {
		return 0
	}
	defer s.mu.Unlock()
	return int(C.parn_session_threads(s.ptr))
}

// Configure changes detector, detector_input_size, detector_threshold or max_faces.
func (s *Session) Configure(opts Options) error {
	o, err := newOptions(opts)
	if err != nil {
		return err
	}
	defer o.free()
	_, err = s.call(func() C.parn_status { return C.parn_session_configure(s.ptr, o.ptr) })
	return err
}

// DetectFaces finds up to maxFaces faces (<= 0: MaxFaces), best first.
func (s *Session) DetectFaces(frame *Frame, maxFaces int) ([]Face, error) {
	if maxFaces <= 0 {
		maxFaces = MaxFaces
	}
	cf, err := frame.c()
	if err != nil {
		return nil, err
	}
	boxes := make([]float32, 5*maxFaces)
	var n C.int
	_, err = s.helper(func(m **C.char) C.parn_status {
		return C.parn_go_faces_detect(s.ptr, cf.format, cf.width, cf.height, cf.p[0], cf.p[1], cf.p[2],
			cf.s[0], cf.s[1], cf.s[2], floats(boxes), C.int(maxFaces), &n, m)
	})
	runtime.KeepAlive(frame)
	if err != nil {
		return nil, err
	}
	faces := make([]Face, int(n))
	for i := range faces {
		b := boxes[5*i:]
		faces[i] = Face{Box{b[0], b[1], b[2], b[3]}, b[4]}
	}
	return faces, nil
}

// FaceDescriptor computes the 128-d descriptor of the face in box (nil: the whole frame).
func (s *Session) FaceDescriptor(frame *Frame, box *Box) ([]float32, error) {
	cf, err := frame.c()
	if err != nil {
		return nil, err
	}
	descriptor := make([]float32, DescriptorSize)
	var b *C.float
	xywh := [4]float32{}
	if box != nil {
		xywh = [4]float32{box.X, box.Y, box.Width, box.Height}
		b = floats(xywh[:])
	}
	_, err = s.helper(func(m **C.char) C.parn_status {
		return C.parn_go_face_descriptor(s.ptr, cf.format, cf.width, cf.height, cf.p[0], cf.p[1], cf.p[2],
			cf.s[0], cf.s[1], cf.s[2], b, floats(descriptor), m)
	})
	runtime.KeepAlive(frame)
	if err != nil {
		return nil, err
	}
	return descriptor, nil
}

// floats is a []float32 as a float * for one call.
func floats(v []float32) *C.float { return (*C.float)(unsafe.Pointer(&v[0])) }

// DescriptorDistance is the Euclidean distance of two descriptors (below about 0.6: the
// same person), or -1 when one is not DescriptorSize long.
func DescriptorDistance(a, b []float32) float32 {
	if len(a) != DescriptorSize || len(b) != DescriptorSize {
		return -1
	}
	return float32(C.parn_descriptor_distance(floats(a), floats(b)))
}

// Anonymize anonymizes one frame into out (a frame of the same format and size; out may be
// in itself, for in place) and returns the faces handled. On failure out is black (never
// show it), unless the arguments were refused.
func (s *Session) Anonymize(in, out *Frame) ([]FaceRecord, error) {
	return s.anonymize(in, out, nil, -1)
}

// AnonymizeBoxes is Anonymize with the caller's face boxes instead of the detector.
func (s *Session) AnonymizeBoxes(in, out *Frame, boxes []Box) ([]FaceRecord, error) {
	if boxes == nil {
		boxes = []Box{}
	}
	return s.anonymize(in, out, boxes, len(boxes))
}

func (s *Session) anonymize(in, out *Frame, boxes []Box, nBoxes int) ([]FaceRecord, error) {
	ci, err := in.c()
	if err != nil {
		return nil, err
	}
	same := C.int(0)
	co := ci
	if out == in {
		same = 1
	} else if co, err = out.c(); err != nil {
		return nil, err
	}
	var b *C.float
	if len(boxes) > 0 {
		b = (*C.float)(unsafe.Pointer(&boxes[0])) // a Box is 4 float32s, as the library reads them
	}
	records := make([]float32, faceRecord*MaxFaces)
	var n C.int
	_, err = s.helper(func(m **C.char) C.parn_status {
		return C.parn_go_anonymize(s.ptr, ci.format, ci.width, ci.height, ci.p[0], ci.p[1], ci.p[2],
			ci.s[0], ci.s[1], ci.s[2], co.format, co.width, co.height, co.p[0], co.p[1], co.p[2],
			co.s[0], co.s[1], co.s[2], same, b, C.int(nBoxes), floats(records),
			C.int(MaxFaces), &n, m)
	})
	runtime.KeepAlive(in)
	runtime.KeepAlive(out)
	runtime.KeepAlive(boxes)
	if err != nil {
		return nil, err
	}
	faces := make([]FaceRecord, int(n))
	for i := range faces {
		r := records[faceRecord*i:]
		faces[i] = FaceRecord{Box{r[0], r[1], r[2], r[3]}, r[4], int(r[5]), r[6] != 0}
	}
	return faces, nil
}

func (s *Session) topK(k int) int {
	if k > 0 {
		return k
	}
	if s.model != nil && s.model.NumClasses() > 0 && s.model.NumClasses() < 5 {
		return s.model.NumClasses()
	}
	return 5
}

func (s *Session) predictions(classes []C.int, probs []C.float) []Prediction {
	p := make([]Prediction, len(classes))
	for i := range p {
		p[i] = Prediction{Index: int(classes[i]), Probability: float32(probs[i])}
		if s.model != nil {
			p[i].Name = s.model.ClassName(p[i].Index)
		}
	}
	return p
}

// ClassifyClip classifies a clip (the model's clip length of frames): the topK classes
// (<= 0: five, at most the model's classes), most probable first.
func (s *Session) ClassifyClip(frames []*Frame, topK int) ([]Prediction, error) {
	topK = s.topK(topK)
	// the library takes every frame at once: copies it owns (cgo cannot lend it an array of
	// Go pointers)
	mem := C.calloc(C.size_t(len(frames)+1), C.size_t(unsafe.Sizeof(uintptr(0))))
	if mem == nil {
		return nil, &Error{ErrNoMem, "ClassifyClip: out of memory"}
	}
	defer C.free(mem)
	ptrs := unsafe.Slice((**C.parn_frame_t)(mem), len(frames)+1)
	defer func() {
		for i := range frames {
			C.parn_frame_free(&ptrs[i])
		}
	}()
	for i, f := range frames {
		var err error
		if ptrs[i], err = f.toC(); err != nil {
			return nil, err
		}
	}
	classes := make([]C.int, topK)
	probs := make([]C.float, topK)
	_, err := s.call(func() C.parn_status {
		return C.parn_classify_clip(s.ptr, &ptrs[0], C.int(len(frames)), C.int(topK), &classes[0], &probs[0])
	})
	if err != nil {
		return nil, err
	}
	return s.predictions(classes, probs), nil
}

// ClassifyPush is streaming classification: the topK classes when a clip was classified on
// this frame, or nil (and no error) when more frames are needed.
func (s *Session) ClassifyPush(frame *Frame, topK int) ([]Prediction, error) {
	topK = s.topK(topK)
	cf, err := frame.c()
	if err != nil {
		return nil, err
	}
	classes := make([]C.int, topK)
	probs := make([]C.float, topK)
	st, err := s.helper(func(m **C.char) C.parn_status {
		return C.parn_go_classify_push(s.ptr, cf.format, cf.width, cf.height, cf.p[0], cf.p[1], cf.p[2],
			cf.s[0], cf.s[1], cf.s[2], C.int(topK), &classes[0], &probs[0], m)
	})
	runtime.KeepAlive(frame)
	if err != nil || st == Again {
		return nil, err
	}
	return s.predictions(classes, probs), nil
}
