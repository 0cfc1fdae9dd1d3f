// SPDX-License-Identifier: MIT

package parn

/*
#include <parn.h>
#include "parn_go.h"
*/
import "C"

import (
	"io"
	"runtime"
)

// VideoReader decodes a video file's first video stream (FFmpeg).
type VideoReader struct {
	handle
	ptr *C.parn_video_reader_t
	// What the file says: frames is -1 and duration -1 when the container does not say.
	Width, Height int
	FPS           float64
	Frames        int64
	Duration      float64
	HasAudio      bool
}

// OpenVideo opens a video file for reading.
func OpenVideo(path string) (*VideoReader, error) {
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_video_reader_t
	if _, err := threadCall(func() C.parn_status { return C.parn_video_open(p, &ptr) }); err != nil {
		return nil, err
	}
	r := &VideoReader{ptr: ptr}
	var w, h, audio C.int
	var fps, duration C.double
	var frames C.int64_t
	_, err := threadCall(func() C.parn_status {
		return C.parn_video_info(ptr, &w, &h, &fps, &frames, &duration, &audio)
	})
	if err != nil {
		C.parn_video_close(ptr)
		return nil, err
	}
	r.Width, r.Height, r.FPS = int(w), int(h), float64(fps)
	r.Frames, r.Duration, r.HasAudio = int64(frames), float64(duration), audio != 0
	runtime.SetFinalizer(r, (*VideoReader).Close)
	return r, nil
}

// Close closes the reader; it fails with ErrState while a writer mirrors it.
func (r *VideoReader) Close() error {
	return r.release("video reader", func() { C.parn_video_close(r.ptr); r.ptr = nil })
}

func (r *VideoReader) read(view bool) (*Frame, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, stateError("the video reader is closed")
	}
	var ptr *C.parn_frame_t
	st, err := threadCall(func() C.parn_status { return C.parn_video_read(r.ptr, &ptr) })
	if err != nil {
		return nil, err
	}
	if st == EOF {
		return nil, io.EOF
	}
	return fromC(ptr, view), nil
}

// Read decodes the next frame into a new RGB24 frame; io.EOF at the end.
func (r *VideoReader) Read() (*Frame, error) { return r.read(false) }

// ReadView is Read without the copy: the frame describes the reader's own buffer, valid only
// until the next read or Close.
func (r *VideoReader) ReadView() (*Frame, error) { return r.read(true) }

// VideoWriter encodes a video file. Close finishes it; Abort abandons it.
type VideoWriter struct {
	handle
	ptr *C.parn_video_writer_t
}

func newWriter(ptr *C.parn_video_writer_t) *VideoWriter {
	w := &VideoWriter{ptr: ptr}
	runtime.SetFinalizer(w, (*VideoWriter).Abort)
	return w
}

// CreateVideoLike creates a video file like the reader's input: same size and timing, its
// audio copied (the reader is borrowed until the writer is closed).
func CreateVideoLike(path string, like *VideoReader) (*VideoWriter, error) {
	if like.closed {
		return nil, stateError("the video reader is closed")
	}
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_video_writer_t
	if _, err := threadCall(func() C.parn_status { return C.parn_video_writer_open(p, like.ptr, &ptr) }); err != nil {
		return nil, err
	}
	w := newWriter(ptr)
	w.borrow(&like.handle)
	return w, nil
}

// CreateVideo creates a video file of width x height at fps frames per second (no audio).
func CreateVideo(path string, width, height int, fps float64) (*VideoWriter, error) {
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_video_writer_t
	if _, err := threadCall(func() C.parn_status {
		return C.parn_video_writer_create(p, C.int(width), C.int(height), C.double(fps), &ptr)
	}); err != nil {
		return nil, err
	}
	return newWriter(ptr), nil
}

// Write encodes the next frame (any format, the video's size).
func (w *VideoWriter) Write(frame *Frame) error {
	cf, err := frame.c()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return stateError("the video writer is closed")
	}
	_, err = helperCall(func(m **C.char) C.parn_status {
		return C.parn_go_video_write(w.ptr, cf.format, cf.width, cf.height, cf.p[0], cf.p[1], cf.p[2],
			cf.s[0], cf.s[1], cf.s[2], m)
	})
	runtime.KeepAlive(frame)
	return err
}

// Close finishes the file and renames it into place (on failure the file is deleted).
func (w *VideoWriter) Close() error {
	var err error
	if e := w.release("video writer", func() {
		_, err = threadCall(func() C.parn_status { return C.parn_video_writer_close(w.ptr) })
		w.ptr = nil
	}); e != nil {
		return e
	}
	return err
}

// Abort abandons the writer and deletes its unfinished file.
func (w *VideoWriter) Abort() error {
	return w.release("video writer", func() { C.parn_video_writer_destroy(w.ptr); w.ptr = nil })
}
