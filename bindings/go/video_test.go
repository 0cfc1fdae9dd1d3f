// SPDX-License-Identifier: MIT

package parn

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func gradient(i int) *Frame {
	f := NewFrame(RGB24, 64, 48)
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			v := byte((x*3 + y*2 + i*20) % 256)
			copy(f.Planes[0][y*192+x*3:], []byte{v, v, v})
		}
	}
	return f
}

func writeClip(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "clip.mkv")
	w, err := CreateVideo(path, 64, 48, 25)
	must(t, err)
	for i := 0; i < 6; i++ {
		must(t, w.Write(gradient(i)))
	}
	must(t, w.Close())
	return path
}

func readAll(t *testing.T, r *VideoReader) []*Frame {
	var frames []*Frame
	for {
		f, err := r.Read()
		if errors.Is(err, io.EOF) {
			return frames
		}
		must(t, err)
		frames = append(frames, f)
	}
}

func TestVideoRoundTrip(t *testing.T) {
	path := writeClip(t)
	r, err := OpenVideo(path)
	must(t, err)
	defer r.Close()
	if r.Width != 64 || r.Height != 48 || math.Abs(r.FPS-25) > 1e-6 || r.HasAudio {
		t.Fatalf("%+v", r)
	}
	frames := readAll(t, r)
	if len(frames) != 6 || frames[0].Format != RGB24 || frames[0].Strides[0] != 192 {
		t.Fatalf("%d frames", len(frames))
	}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		t.Fatal("not at the end")
	}
	diff := 0.0
	want := gradient(3).Planes[0]
	for i, v := range frames[3].Planes[0] {
		diff += math.Abs(float64(v) - float64(want[i]))
	}
	if diff/float64(len(want)) > 8 {
		t.Fatalf("mean difference %v", diff/float64(len(want)))
	}
}

func TestVideoLike(t *testing.T) {
	path := writeClip(t)
	out := filepath.Join(t.TempDir(), "out.mkv")
	r, err := OpenVideo(path)
	must(t, err)
	_, err = CreateVideoLike(path, r)
	wantStatus(t, err, ErrInvalidArg) // never over its input
	w, err := CreateVideoLike(out, r)
	must(t, err)
	wantStatus(t, r.Close(), ErrState) // the writer borrows it
	for {
		f, err := r.ReadView()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		must(t, w.Write(f))
	}
	wantStatus(t, w.Write(NewFrame(RGB24, 10, 10)), ErrShape)
	must(t, w.Close())
	must(t, r.Close())
	c, err := OpenVideo(out)
	must(t, err)
	defer c.Close()
	if n := len(readAll(t, c)); n != 6 {
		t.Fatalf("%d frames", n)
	}
}

func TestVideoAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateVideo(filepath.Join(dir, "never.mkv"), 64, 48, 10)
	must(t, err)
	must(t, w.Write(gradient(0)))
	must(t, w.Abort())
	must(t, w.Close()) // already gone: a no-op
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
	_, err = OpenVideo(filepath.Join(dir, "none.mp4"))
	wantStatus(t, err, ErrIO)
	_, err = CreateVideo(filepath.Join(dir, "x.mp4"), 1, 48, 10)
	wantStatus(t, err, ErrInvalidArg)
}

func TestAnonymizeAVideo(t *testing.T) {
	needFaceModel(t)
	source := filepath.Join(sharedData(t), "video", "carphone", "carphone_pristine.mp4")
	s, err := NewSession(nil, Options{"threads": 2, "anon_mode": "mask"})
	must(t, err)
	defer s.Close()
	r, err := OpenVideo(source)
	must(t, err)
	defer r.Close()
	faces := 0
	for i := 0; i < 30; i++ {
		f, err := r.ReadView()
		must(t, err)
		records, err := s.Anonymize(f, f)
		must(t, err)
		faces += len(records)
	}
	if faces < 25 {
		t.Fatalf("%d faces in 30 frames", faces)
	}
}
