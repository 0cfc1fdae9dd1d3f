// SPDX-License-Identifier: MIT

package parn

/*
#include <stdlib.h>
#include <parn.h>
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"sort"
)

// Model is network weights (parn_model_t): immutable once made, shared freely between
// goroutines and sessions. Close it after the sessions and trainers that use it.
type Model struct {
	handle
	ptr *C.parn_model_t
}

func newModel(ptr *C.parn_model_t) *Model {
	m := &Model{ptr: ptr}
	runtime.SetFinalizer(m, (*Model).Close)
	return m
}

// CreateModel makes a model with fresh weights; options: networks, classes, class_names,
// model_config, seed.
func CreateModel(opts Options) (*Model, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	defer o.free()
	var ptr *C.parn_model_t
	if _, err := threadCall(func() C.parn_status { return C.parn_model_create(o.ptr, &ptr) }); err != nil {
		return nil, err
	}
	return newModel(ptr), nil
}

// LoadModel reads a model file (safetensors; a trainer's checkpoint also loads).
func LoadModel(path string) (*Model, error) {
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_model_t
	if _, err := threadCall(func() C.parn_status { return C.parn_model_load(p, &ptr) }); err != nil {
		return nil, err
	}
	return newModel(ptr), nil
}

// ImportModel reads pretrained weights in another format, e.g. ("face-api", ".../model").
func ImportModel(format, path string) (*Model, error) {
	f, p := cstring(format), cstring(path)
	defer free(f)
	defer free(p)
	var ptr *C.parn_model_t
	if _, err := threadCall(func() C.parn_status { return C.parn_model_import(f, p, &ptr) }); err != nil {
		return nil, err
	}
	return newModel(ptr), nil
}

// live is the model pointer, or an ErrState error once closed.
func (m *Model) live() (*C.parn_model_t, error) {
	if m == nil {
		return nil, nil
	}
	if m.closed {
		return nil, stateError("the model is closed")
	}
	return m.ptr, nil
}

// Close frees the model; it fails with ErrState while a session or trainer uses it.
func (m *Model) Close() error {
	return m.release("model", func() { C.parn_model_destroy(m.ptr); m.ptr = nil })
}

// Save writes the model atomically (a temporary file, then a rename).
func (m *Model) Save(path string) error {
	ptr, err := m.live()
	if err != nil {
		return err
	}
	p := cstring(path)
	defer free(p)
	_, err = threadCall(func() C.parn_status { return C.parn_model_save(ptr, p) })
	runtime.KeepAlive(m)
	return err
}

// Describe is the model as JSON: format, networks (name: configuration), tensors,
// parameters, classes.
func (m *Model) Describe() string {
	if m.closed {
		return ""
	}
	defer runtime.KeepAlive(m)
	return C.GoString(C.parn_model_describe(m.ptr))
}

// Networks names the networks the model holds, sorted.
func (m *Model) Networks() []string {
	var info struct {
		Networks map[string]json.RawMessage `json:"networks"`
	}
	if json.Unmarshal([]byte(m.Describe()), &info) != nil {
		return nil
	}
	var names []string
	for name := range info.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// HasNetwork says whether the model holds a network ("generator", "c3d", "detector", ...).
func (m *Model) HasNetwork(name string) bool {
	if m.closed {
		return false
	}
	n := cstring(name)
	defer free(n)
	defer runtime.KeepAlive(m)
	return C.parn_model_has_network(m.ptr, n) == 1
}

// NumClasses is the number of action classes (0 without a C3D).
func (m *Model) NumClasses() int {
	if m.closed {
		return 0
	}
	defer runtime.KeepAlive(m)
	return int(C.parn_model_num_classes(m.ptr))
}

// ClipLength is the frames per clip the classifier takes (0 without a C3D).
func (m *Model) ClipLength() int {
	if m.closed {
		return 0
	}
	defer runtime.KeepAlive(m)
	return int(C.parn_model_clip_length(m.ptr))
}

// ClassName is class i's name, or "" when out of range.
func (m *Model) ClassName(i int) string {
	if m.closed {
		return ""
	}
	defer runtime.KeepAlive(m)
	return C.GoString(C.parn_model_class_name(m.ptr, C.int(i)))
}

// Classes lists the class names in class-index order.
func (m *Model) Classes() []string {
	names := make([]string, m.NumClasses())
	for i := range names {
		names[i] = m.ClassName(i)
	}
	return names
}
