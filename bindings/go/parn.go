// SPDX-License-Identifier: MIT

// Package parn is the Go binding of libparn: privacy-preserving video analytics (faces
// anonymized frame by frame, actions classified in clips, training of the paper's networks).
//
// The binding is thin: the C library (include/parn.h) does the work and documents every call.
// Handles (Model, Session, VideoReader, ...) are freed by Close; a finalizer is only a safety
// net. Failures are *Error values carrying the library's Status and message, so
// errors.Is(err, parn.ErrNotFound) works. Frames are []byte planes with a format, a size and
// row strides (see Frame).
//
// Building: the package links -lparn. Point cgo at an uninstalled build with
// CGO_CFLAGS=-I<src>/include CGO_LDFLAGS=-L<build>/lib (and LD_LIBRARY_PATH at run time).
//
// Threads: a Model may be shared by any number of goroutines; a Session serializes its own
// calls, so use one Session per stream for parallel work.
package parn

/*
#cgo LDFLAGS: -lparn
#include <stdlib.h>
#include <parn.h>
#include "parn_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// ABIVersion is the PARN_ABI_VERSION this binding was written against.
const ABIVersion = 0

// Status is a parn_status code. Failing codes are also errors, for errors.Is.
type Status int

// Status codes (values are permanent, as in include/parn.h).
const (
	OK             Status = 0
	ErrInvalidArg  Status = 1
	ErrNoMem       Status = 2
	ErrUnsupported Status = 3
	ErrShape       Status = 4
	ErrDevice      Status = 5
	ErrIO          Status = 6
	ErrFormat      Status = 7
	ErrState       Status = 8
	ErrBackend     Status = 9
	ErrInternal    Status = 10
	ErrNotFound    Status = 11
	ErrABI         Status = 12
	Again          Status = 100 // not an error: more input is needed
	EOF            Status = 101 // not an error: the end of a stream
)

// String is the library's description of the status (parn_status_string).
func (s Status) String() string { return C.GoString(C.parn_status_string(C.parn_status(s))) }

// Error makes a Status usable as an error target: errors.Is(err, parn.ErrIO).
func (s Status) Error() string { return s.String() }

// Error is a failing libparn call: its status and the library's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "libparn: " + e.Status.String()
	}
	return fmt.Sprintf("libparn: %s: %s", e.Status, e.Message)
}

// Unwrap gives the Status, so errors.Is(err, parn.ErrNotFound) works.
func (e *Error) Unwrap() error { return e.Status }

func failed(st C.parn_status) bool {
	return st != C.PARN_OK && st != C.PARN_AGAIN && st != C.PARN_EOF
}

// threadCall runs a call made without a session and reads its message on the same OS thread
// (session-less messages are per thread; a goroutine could otherwise move between the two).
func threadCall(f func() C.parn_status) (Status, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if failed(st) {
		return Status(st), &Error{Status(st), C.GoString(C.parn_last_error(nil))}
	}
	return Status(st), nil
}

// helperCall runs a parn_go_* helper, which hands back the message of its failure.
func helperCall(f func(message **C.char) C.parn_status) (Status, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var message *C.char
	st := f(&message)
	if failed(st) {
		return Status(st), &Error{Status(st), C.GoString(message)}
	}
	return Status(st), nil
}

func stateError(what string) error {
	return &Error{ErrState, what}
}

// cstring converts s for one call; free the result with C.free.
func cstring(s string) *C.char { return C.CString(s) }

func free(p *C.char) { C.free(unsafe.Pointer(p)) }

// Version is the library's version, "X.Y.Z".
func Version() string { return C.GoString(C.parn_version_string()) }

// VersionNumber is the library's MAJOR*10000 + MINOR*100 + PATCH.
func VersionNumber() int { return int(C.parn_version_number()) }

// BuildInfo describes how the library was built (version, backends, oneDNN/CUDA versions).
func BuildInfo() string { return C.GoString(C.parn_build_info()) }

// InitCheck fails with ErrABI unless the library implements the ABI this binding uses.
func InitCheck() error { return InitCheckABI(ABIVersion) }

// InitCheckABI is InitCheck for an explicit ABI version.
func InitCheckABI(abi int) error {
	_, err := threadCall(func() C.parn_status { return C.parn_init_check(C.int(abi)) })
	return err
}

// LastError is the calling OS thread's last session-less message (parn_last_error(NULL)).
// Errors returned by this package already carry their message; this is for diagnostics.
func LastError() string {
	return C.GoString(C.parn_last_error(nil))
}

// LogLevel is a log message's severity.
type LogLevel int

// Log levels.
const (
	LogError LogLevel = 0
	LogWarn  LogLevel = 1
	LogInfo  LogLevel = 2
	LogDebug LogLevel = 3
)

var logMu sync.RWMutex
var logFn func(LogLevel, string)

// SetLogCallback sends the library's log to fn, from any thread; nil stops it. fn must not
// call into libparn.
func SetLogCallback(fn func(level LogLevel, message string)) {
	logMu.Lock()
	logFn = fn
	logMu.Unlock()
	on := 0
	if fn != nil {
		on = 1
	}
	C.parn_go_set_log(C.int(on))
}

//export parnGoLog
func parnGoLog(level C.int, message *C.char) {
	logMu.RLock()
	fn := logFn
	logMu.RUnlock()
	if fn != nil {
		fn(LogLevel(level), C.GoString(message))
	}
}

// DeviceCount is the number of usable devices of a kind: "cpu" (1) or "cuda".
func DeviceCount(kind string) (int, error) {
	k := cstring(kind)
	defer free(k)
	var n C.int
	_, err := threadCall(func() C.parn_status { return C.parn_device_count(k, &n) })
	return int(n), err
}

// DefaultFaceModel is the path of the setup step's face model ($PARN_FACE_MODEL, installed,
// or the build tree's), or "" when there is none.
func DefaultFaceModel() string {
	return C.GoString(C.parn_default_face_model())
}

// handle is the life of a library object: freed once, refusing while others borrow it.
type handle struct {
	mu        sync.Mutex
	borrowers int
	borrows   []*handle
	closed    bool
}

func (h *handle) borrow(others ...*handle) {
	for _, o := range others {
		if o != nil {
			o.mu.Lock()
			o.borrowers++
			o.mu.Unlock()
			h.borrows = append(h.borrows, o)
		}
	}
}

// release frees the object with destroy unless another object still borrows it.
func (h *handle) release(kind string, destroy func()) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	if h.borrowers > 0 {
		return stateError(fmt.Sprintf("the %s is still used by %d other object(s): close them first",
			kind, h.borrowers))
	}
	destroy()
	h.closed = true
	for _, o := range h.borrows {
		o.mu.Lock()
		o.borrowers--
		o.mu.Unlock()
	}
	h.borrows = nil
	return nil
}
