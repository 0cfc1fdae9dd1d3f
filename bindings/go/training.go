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
	"strings"
	"unsafe"
)

// Dataset is training or evaluation data read in the background (parn_dataset_t).
type Dataset struct {
	handle
	ptr *C.parn_dataset_t
}

// OpenDataset opens a dataset: kind "faces", "face-videos", "actions", "hollywood2" (root a
// folder) or "synthetic" (root ""). Options: dataset_config (a map, as JSON), seed, face keys.
func OpenDataset(kind, root string, opts Options) (*Dataset, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	defer o.free()
	k := cstring(kind)
	defer free(k)
	var r *C.char
	if root != "" {
		r = cstring(root)
		defer free(r)
	}
	var ptr *C.parn_dataset_t
	if _, err := threadCall(func() C.parn_status { return C.parn_dataset_open(k, r, o.ptr, &ptr) }); err != nil {
		return nil, err
	}
	d := &Dataset{ptr: ptr}
	runtime.SetFinalizer(d, (*Dataset).Close)
	return d, nil
}

// Close stops the dataset's threads and frees it; it fails with ErrState while a trainer uses it.
func (d *Dataset) Close() error {
	return d.release("dataset", func() { C.parn_dataset_destroy(d.ptr); d.ptr = nil })
}

// Kind is the kind given to OpenDataset.
func (d *Dataset) Kind() string {
	defer runtime.KeepAlive(d)
	return C.GoString(C.parn_dataset_kind(d.ptr))
}

// Size is the number of items (pictures, face crops, videos or clips).
func (d *Dataset) Size() int64 {
	defer runtime.KeepAlive(d)
	return int64(C.parn_dataset_size(d.ptr))
}

// NumClasses is the number of classes (people or actions).
func (d *Dataset) NumClasses() int {
	defer runtime.KeepAlive(d)
	return int(C.parn_dataset_num_classes(d.ptr))
}

// ClassName is class i's name, or "" when out of range.
func (d *Dataset) ClassName(i int) string {
	defer runtime.KeepAlive(d)
	return C.GoString(C.parn_dataset_class_name(d.ptr, C.int(i)))
}

// Classes lists the class names in class-index order.
func (d *Dataset) Classes() []string {
	names := make([]string, d.NumClasses())
	for i := range names {
		names[i] = d.ClassName(i)
	}
	return names
}

// SyntheticActions names the synthetic actions, in action-index order.
func SyntheticActions() []string {
	names := make([]string, int(C.parn_synthetic_num_actions()))
	for i := range names {
		names[i] = C.GoString(C.parn_synthetic_action_name(C.int(i)))
	}
	return names
}

// SyntheticClip renders n RGB24 frames of an action with the main figure's face box in each;
// the same arguments give the same pixels.
func SyntheticClip(action int, seed uint64, width, height, n int) ([]*Frame, []Box, error) {
	if n < 1 || n > 1024 {
		return nil, nil, &Error{ErrInvalidArg, "SyntheticClip: n_frames outside 1..1024"}
	}
	mem := C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(uintptr(0))))
	if mem == nil {
		return nil, nil, &Error{ErrNoMem, "SyntheticClip: out of memory"}
	}
	defer C.free(mem)
	ptrs := unsafe.Slice((**C.parn_frame_t)(mem), n)
	boxes := make([]Box, n)
	_, err := threadCall(func() C.parn_status {
		return C.parn_synthetic_clip(C.int(action), C.uint64_t(seed), C.int(width), C.int(height),
			C.int(n), &ptrs[0], (*C.float)(unsafe.Pointer(&boxes[0])))
	})
	if err != nil {
		return nil, nil, err
	}
	frames := make([]*Frame, n)
	for i := range frames {
		frames[i] = fromC(C.parn_go_frame_at(&ptrs[0], C.int(i)), false)
		C.parn_frame_free(&ptrs[i])
	}
	return frames, boxes, nil
}

// Trainer is the training state of one phase ("gan", "classifier", "joint") on a session.
type Trainer struct {
	handle
	ptr     *C.parn_trainer_t
	session *Session
	data    map[string]*Dataset
}

func newTrainer(ptr *C.parn_trainer_t, s *Session) *Trainer {
	t := &Trainer{ptr: ptr, session: s, data: map[string]*Dataset{}}
	t.borrow(&s.handle)
	runtime.SetFinalizer(t, (*Trainer).Close)
	return t
}

// NewTrainer creates a trainer; init (nil: all fresh) is copied. Options: train_config (a
// map, as JSON), seed and the model keys for networks init lacks.
func NewTrainer(s *Session, phase string, init *Model, opts Options) (*Trainer, error) {
	mp, err := init.live()
	if err != nil {
		return nil, err
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	defer o.free()
	p := cstring(phase)
	defer free(p)
	var ptr *C.parn_trainer_t
	if _, err := s.call(func() C.parn_status { return C.parn_trainer_create(s.ptr, p, mp, o.ptr, &ptr) }); err != nil {
		return nil, err
	}
	runtime.KeepAlive(init)
	return newTrainer(ptr, s), nil
}

// ResumeTrainer recreates a trainer from a checkpoint; give it the same datasets, then step on.
func ResumeTrainer(s *Session, path string, opts Options) (*Trainer, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	defer o.free()
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_trainer_t
	if _, err := s.call(func() C.parn_status { return C.parn_trainer_resume(s.ptr, p, o.ptr, &ptr) }); err != nil {
		return nil, err
	}
	return newTrainer(ptr, s), nil
}

// call runs f on the trainer's session (its messages go there).
func (t *Trainer) call(f func() C.parn_status) error {
	if t.closed {
		return stateError("the trainer is closed")
	}
	_, err := t.session.call(f)
	return err
}

// Close frees the trainer.
func (t *Trainer) Close() error {
	return t.release("trainer", func() {
		t.session.mu.Lock() // not while a call of the session's runs
		C.parn_trainer_destroy(t.ptr)
		t.session.mu.Unlock()
		t.ptr = nil
		for _, d := range t.data {
			d.mu.Lock()
			d.borrowers--
			d.mu.Unlock()
		}
		t.data = nil
	})
}

// SetData gives the trainer a dataset (the joint phase takes one face and one action set);
// the dataset cannot be closed until it is replaced by one of the same sort or the trainer
// closes.
func (t *Trainer) SetData(d *Dataset) error {
	if d.closed {
		return stateError("the dataset is closed")
	}
	if err := t.call(func() C.parn_status { return C.parn_trainer_set_data(t.ptr, d.ptr) }); err != nil {
		return err
	}
	// kept alive while the trainer may read it: one face and one clip set, as the library
	// keeps them (a new one of the same sort replaces the old)
	kind := "clips"
	if strings.HasPrefix(d.Kind(), "face") {
		kind = "faces"
	}
	if old := t.data[kind]; old != d {
		if old != nil {
			old.mu.Lock()
			old.borrowers--
			old.mu.Unlock()
		}
		d.mu.Lock()
		d.borrowers++
		d.mu.Unlock()
		t.data[kind] = d
	}
	return nil
}

// Step runs one optimisation step.
func (t *Trainer) Step() error {
	return t.call(func() C.parn_status { return C.parn_trainer_step(t.ptr) })
}

// StepCount is the number of steps done (a resumed run continues the count).
func (t *Trainer) StepCount() int64 {
	defer runtime.KeepAlive(t)
	return int64(C.parn_trainer_step_count(t.ptr))
}

// Log is the last step's record as one line of JSON ("{}" before any step).
func (t *Trainer) Log() string {
	var log string
	t.call(func() C.parn_status {
		log = C.GoString(C.parn_trainer_log(t.ptr))
		return C.PARN_OK
	})
	return log
}

// Evaluate measures the current weights on up to maxItems items (all when <= 0): JSON.
func (t *Trainer) Evaluate(d *Dataset, maxItems int64) (string, error) {
	var json *C.char
	var result string
	err := t.call(func() C.parn_status {
		st := C.parn_trainer_evaluate(t.ptr, d.ptr, C.int64_t(maxItems), &json)
		if st == C.PARN_OK {
			result = C.GoString(json) // owned by the trainer until its next call
		}
		return st
	})
	runtime.KeepAlive(d)
	return result, err
}

// Checkpoint writes weights, optimizer state and configuration atomically to path.
func (t *Trainer) Checkpoint(path string) error {
	p := cstring(path)
	defer free(p)
	return t.call(func() C.parn_status { return C.parn_trainer_checkpoint(t.ptr, p) })
}

// Export snapshots the current weights as a new Model.
func (t *Trainer) Export() (*Model, error) {
	var ptr *C.parn_model_t
	if err := t.call(func() C.parn_status { return C.parn_trainer_export(t.ptr, &ptr) }); err != nil {
		return nil, err
	}
	return newModel(ptr), nil
}
