// SPDX-License-Identifier: MIT

package parn

/*
#include <parn.h>
#include "parn_go.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// PixelFormat is a frame's pixel layout (values are permanent).
type PixelFormat int

// Pixel formats.
const (
	RGB24   PixelFormat = 1 // packed R,G,B bytes; 1 plane
	BGR24   PixelFormat = 2 // packed B,G,R bytes; 1 plane
	RGBA    PixelFormat = 3 // packed R,G,B,A bytes; 1 plane
	GRAY8   PixelFormat = 4 // one luma byte per pixel; 1 plane
	YUV420P PixelFormat = 5 // planar Y, U, V; chroma halved both ways (rounded up); 3 planes
	NV12    PixelFormat = 6 // Y plane, then interleaved U,V at half size; 2 planes
)

// Planes is the number of planes of the format (1..3), or 0 for an unknown format.
func (f PixelFormat) Planes() int { return int(C.parn_pixel_format_planes(C.parn_pixel_format(f))) }

// Frame is a picture in memory the caller owns: Planes[i] holds plane i's rows, Strides[i]
// bytes apart (at least the row's byte width; a crop of a larger picture is fine). The library
// reads (and, as an output, writes) the planes only during a call, never keeping them.
type Frame struct {
	Format  PixelFormat
	Width   int
	Height  int
	Planes  [][]byte
	Strides []int
}

// rowBytes and rows of plane i.
func (f *Frame) geometry(i int) (rowBytes, rows int) {
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	switch f.Format {
	case RGB24, BGR24:
		return 3 * f.Width, f.Height
	case RGBA:
		return 4 * f.Width, f.Height
	case GRAY8:
		return f.Width, f.Height
	case NV12:
		if i == 0 {
			return f.Width, f.Height
		}
		return 2 * cw, ch
	}
	if i == 0 {
		return f.Width, f.Height
	}
	return cw, ch
}

// NewFrame allocates a zeroed frame with packed rows.
func NewFrame(format PixelFormat, width, height int) *Frame {
	f := &Frame{Format: format, Width: width, Height: height}
	for i := 0; i < format.Planes(); i++ {
		row, rows := f.geometry(i)
		f.Planes = append(f.Planes, make([]byte, row*rows))
		f.Strides = append(f.Strides, row)
	}
	return f
}

// WrapFrame describes packed pixels (RGB24, BGR24, RGBA, GRAY8) whose rows are stride bytes apart.
func WrapFrame(format PixelFormat, width, height int, pixels []byte, stride int) *Frame {
	return &Frame{Format: format, Width: width, Height: height, Planes: [][]byte{pixels},
		Strides: []int{stride}}
}

// check proves that every plane holds its rows, so the library never reads past a slice.
func (f *Frame) check() error {
	if f == nil {
		return &Error{ErrInvalidArg, "frame is nil"}
	}
	n := f.Format.Planes()
	if n == 0 {
		return &Error{ErrInvalidArg, fmt.Sprintf("unknown pixel format %d", f.Format)}
	}
	if len(f.Planes) != n || len(f.Strides) != n {
		return &Error{ErrInvalidArg, fmt.Sprintf("pixel format %d needs %d planes and strides", f.Format, n)}
	}
	if f.Width < 1 || f.Height < 1 {
		return &Error{ErrInvalidArg, fmt.Sprintf("frame size %dx%d", f.Width, f.Height)}
	}
	for i := 0; i < n; i++ {
		row, rows := f.geometry(i)
		if f.Strides[i] < row {
			return &Error{ErrInvalidArg, fmt.Sprintf("stride %d of plane %d is below its row size %d", f.Strides[i], i, row)}
		}
		if need := f.Strides[i]*(rows-1) + row; len(f.Planes[i]) < need {
			return &Error{ErrInvalidArg, fmt.Sprintf("plane %d holds %d bytes, needs %d", i, len(f.Planes[i]), need)}
		}
	}
	return nil
}

// cFrame is a frame as the parn_go_* helpers take it (PARN_GO_FRAME): plain arguments.
type cFrame struct {
	format, width, height C.int
	p                     [3]*C.uint8_t
	s                     [3]C.int
}

func (f *Frame) c() (cFrame, error) {
	if err := f.check(); err != nil {
		return cFrame{}, err
	}
	cf := cFrame{format: C.int(f.Format), width: C.int(f.Width), height: C.int(f.Height)}
	for i := range f.Planes {
		cf.p[i] = (*C.uint8_t)(unsafe.Pointer(&f.Planes[i][0]))
		cf.s[i] = C.int(f.Strides[i])
	}
	return cf, nil
}

// fromC copies a library-owned frame into Go memory (packed rows), or, with view, describes
// the library's memory directly (valid only as long as the library keeps that frame).
func fromC(ptr *C.parn_frame_t, view bool) *Frame {
	f := &Frame{Format: PixelFormat(C.parn_frame_format(ptr)), Width: int(C.parn_frame_width(ptr)),
		Height: int(C.parn_frame_height(ptr))}
	for i := 0; i < f.Format.Planes(); i++ {
		row, rows := f.geometry(i)
		stride := int(C.parn_frame_stride(ptr, C.int(i)))
		src := unsafe.Slice((*byte)(unsafe.Pointer(C.parn_frame_plane(ptr, C.int(i)))), stride*(rows-1)+row)
		if view {
			f.Planes = append(f.Planes, src)
			f.Strides = append(f.Strides, stride)
			continue
		}
		dst := make([]byte, row*rows)
		for y := 0; y < rows; y++ {
			copy(dst[y*row:(y+1)*row], src[y*stride:y*stride+row])
		}
		f.Planes = append(f.Planes, dst)
		f.Strides = append(f.Strides, row)
	}
	return f
}

// LoadImage reads a still image (JPEG, PNG, PGM, GIF, ...) as an RGB24 frame.
func LoadImage(path string) (*Frame, error) {
	p := cstring(path)
	defer free(p)
	var ptr *C.parn_frame_t
	if _, err := threadCall(func() C.parn_status { return C.parn_image_load(p, &ptr) }); err != nil {
		return nil, err
	}
	defer C.parn_frame_free(&ptr)
	return fromC(ptr, false), nil
}

// toC copies a frame into a library-owned one (free with C.parn_frame_free).
func (f *Frame) toC() (*C.parn_frame_t, error) {
	cf, err := f.c()
	if err != nil {
		return nil, err
	}
	var out *C.parn_frame_t
	_, err = helperCall(func(m **C.char) C.parn_status {
		return C.parn_go_frame_copy(cf.format, cf.width, cf.height, cf.p[0], cf.p[1], cf.p[2],
			cf.s[0], cf.s[1], cf.s[2], &out, m)
	})
	return out, err
}
