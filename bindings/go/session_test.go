// SPDX-License-Identifier: MIT

package parn

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func masker(t *testing.T) *Session {
	// the caller's boxes covered in black (feathered edges), no tracking: no network involved
	s, err := NewSession(nil, Options{"threads": 1, "anon_mode": "mask", "face_shape": "box",
		"face_margin": 0.0, "track_memory": 0})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestModels(t *testing.T) {
	m := classifier(t)
	if !reflect.DeepEqual(m.Networks(), []string{"c3d", "fem"}) {
		t.Fatalf("networks %v", m.Networks())
	}
	if !m.HasNetwork("c3d") || m.HasNetwork("generator") || m.NumClasses() != 3 || m.ClipLength() != 16 {
		t.Fatal("model info")
	}
	if !reflect.DeepEqual(m.Classes(), []string{"walk", "run", "jump"}) || m.ClassName(3) != "" {
		t.Fatalf("classes %v", m.Classes())
	}
	path := filepath.Join(t.TempDir(), "small.safetensors")
	must(t, m.Save(path))
	loaded, err := LoadModel(path)
	must(t, err)
	defer loaded.Close()
	var info struct {
		Networks struct{ C3D struct{ Crop int } }
		Classes  []string
	}
	must(t, json.Unmarshal([]byte(m.Describe()), &info))
	if loaded.Describe() != m.Describe() || info.Networks.C3D.Crop != 32 || len(info.Classes) != 3 {
		t.Fatalf("describe %s", loaded.Describe())
	}
	_, err = CreateModel(Options{"networks": "c3d,teleporter"})
	if e := wantStatus(t, err, ErrInvalidArg); !strings.Contains(e.Message, "teleporter") {
		t.Fatal(e.Message)
	}
	_, err = ImportModel("onnx", t.TempDir())
	wantStatus(t, err, ErrInvalidArg)
}

func TestLifetimes(t *testing.T) {
	m, err := CreateModel(Options{"networks": "c3d", "model_config": smallC3D})
	must(t, err)
	s, err := NewSession(m, nil)
	must(t, err)
	wantStatus(t, m.Close(), ErrState) // the session borrows it
	must(t, s.Close())
	must(t, s.Close()) // twice is harmless
	must(t, m.Close())
	if m.NumClasses() != 0 || s.Device() != "" {
		t.Fatal("a closed handle answered")
	}
	_, err = NewSession(m, nil)
	wantStatus(t, err, ErrState)
	_, err = s.DetectFaces(NewFrame(RGB24, 8, 8), 0)
	wantStatus(t, err, ErrState)
}

func TestFinalizerFrees(t *testing.T) {
	for i := 0; i < 20; i++ {
		m, err := CreateModel(Options{"networks": "c3d", "model_config": smallC3D})
		must(t, err)
		_, err = NewSession(m, nil)
		must(t, err)
	}
	runtime.GC()
	runtime.GC()
}

func TestSessionSettings(t *testing.T) {
	s, err := NewSession(nil, Options{"threads": 2})
	must(t, err)
	defer s.Close()
	if s.Device() != "cpu" || s.Threads() != 2 {
		t.Fatalf("%s %d", s.Device(), s.Threads())
	}
	must(t, s.Configure(Options{"detector": "ssd", "detector_threshold": 0.3, "max_faces": 5}))
	e := wantStatus(t, s.Configure(Options{"threads": 4}), ErrInvalidArg)
	if !strings.Contains(e.Message, "fixed at creation") {
		t.Fatal(e.Message)
	}
	_, err = NewSession(nil, Options{"device": "gpu7"})
	wantStatus(t, err, ErrInvalidArg)
	if n, _ := DeviceCount("cuda"); n == 0 {
		_, err = NewSession(nil, Options{"device": "cuda:0"})
		wantStatus(t, err, ErrDevice)
	}
}

func TestFrameChecks(t *testing.T) {
	s := masker(t)
	f := NewFrame(RGB24, 16, 16)
	f.Planes[0] = f.Planes[0][:len(f.Planes[0])-1] // one byte short: refused before C reads it
	_, err := s.AnonymizeBoxes(f, f, nil)
	wantStatus(t, err, ErrInvalidArg)
	_, err = s.AnonymizeBoxes(&Frame{Format: 99, Width: 4, Height: 4}, NewFrame(RGB24, 4, 4), nil)
	wantStatus(t, err, ErrInvalidArg)
	_, err = s.AnonymizeBoxes(NewFrame(RGB24, 16, 16), NewFrame(RGB24, 16, 8), nil)
	var e *Error
	if err == nil || !strings.Contains(err.Error(), "16") {
		t.Fatalf("mismatched frames: %v %v", err, e)
	}
	_, err = s.AnonymizeBoxes(WrapFrame(RGB24, 20000, 1, make([]byte, 60000), 60000), NewFrame(RGB24, 4, 4), nil)
	wantStatus(t, err, ErrInvalidArg)
}

func TestPackedFormatsAndStrides(t *testing.T) {
	for _, format := range []PixelFormat{RGB24, BGR24, RGBA, GRAY8} {
		s := masker(t)
		in := noise(format, 64, 48, 1)
		out := NewFrame(format, 64, 48)
		faces, err := s.AnonymizeBoxes(in, out, []Box{{16, 8, 20, 20}})
		must(t, err)
		if len(faces) != 1 || faces[0].TrackID != 1 || !faces[0].Detected {
			t.Fatalf("%v", faces)
		}
		row := out.Strides[0]
		bpp := row / 64
		for y := 10; y < 26; y++ {
			for x := 18 * bpp; x < 34*bpp; x++ {
				if format == RGBA && x%4 == 3 {
					continue
				}
				if out.Planes[0][y*row+x] != 0 {
					t.Fatalf("format %d: pixel (%d, %d) not covered", format, x/bpp, y)
				}
			}
		}
		if !bytes.Equal(out.Planes[0][30*row:], in.Planes[0][30*row:]) {
			t.Fatalf("format %d: rows below the box changed", format)
		}
	}
	// a crop of a larger picture, in place, through its stride
	s := masker(t)
	big := noise(RGB24, 120, 100, 2)
	orig := append([]byte(nil), big.Planes[0]...)
	crop := WrapFrame(RGB24, 64, 48, big.Planes[0][10*360+20*3:], 360)
	_, err := s.AnonymizeBoxes(crop, crop, []Box{{0, 0, 8, 8}})
	must(t, err)
	if big.Planes[0][12*360+22*3] != 0 || !bytes.Equal(big.Planes[0][:10*360], orig[:10*360]) {
		t.Fatal("the crop was not anonymized in place")
	}
}

func TestPlanarFrames(t *testing.T) {
	for _, format := range []PixelFormat{YUV420P, NV12} {
		s := masker(t)
		in := noise(format, 30, 20, 3)
		out := NewFrame(format, 30, 20)
		_, err := s.AnonymizeBoxes(in, out, []Box{{0, 0, 6, 6}})
		must(t, err)
		if out.Planes[0][2*30+2] != 16 || !bytes.Equal(out.Planes[0][8*30:], in.Planes[0][8*30:]) {
			t.Fatalf("format %d", format)
		}
	}
}

func TestAnonymizeTracks(t *testing.T) {
	s, err := NewSession(nil, Options{"threads": 1, "anon_mode": "pixelate", "track_memory": 1})
	must(t, err)
	defer s.Close()
	f := noise(RGB24, 64, 64, 4)
	faces, err := s.AnonymizeBoxes(f, NewFrame(RGB24, 64, 64), []Box{{8, 8, 24, 24}})
	must(t, err)
	if len(faces) != 1 || !faces[0].Detected {
		t.Fatalf("%v", faces)
	}
	faces, err = s.AnonymizeBoxes(f, NewFrame(RGB24, 64, 64), nil)
	must(t, err)
	if len(faces) != 1 || faces[0].Detected || faces[0].TrackID != 1 || faces[0].Score != 0 {
		t.Fatalf("%v", faces)
	}
	faces, _ = s.AnonymizeBoxes(f, NewFrame(RGB24, 64, 64), nil)
	if len(faces) != 0 {
		t.Fatalf("%v", faces)
	}
}

func TestFaces(t *testing.T) {
	needFaceModel(t)
	img, err := LoadImage(filepath.Join(sharedData(t), "faceapi_ref", "faces.jpg"))
	must(t, err)
	s, err := NewSession(nil, Options{"threads": 2, "anon_mode": "blur"})
	must(t, err)
	defer s.Close()
	faces, err := s.DetectFaces(img, 0)
	must(t, err)
	if len(faces) != 6 { // faceapi_ref/EXPECTED.md
		t.Fatalf("%d faces", len(faces))
	}
	for i := 1; i < len(faces); i++ {
		if faces[i].Score > faces[i-1].Score {
			t.Fatal("not best first")
		}
	}
	two, _ := s.DetectFaces(img, 2)
	if len(two) != 2 {
		t.Fatal(len(two))
	}
	a, err := s.FaceDescriptor(img, &faces[0].Box)
	must(t, err)
	b, err := s.FaceDescriptor(img, &faces[1].Box)
	must(t, err)
	if len(a) != DescriptorSize || DescriptorDistance(a, a) != 0 || DescriptorDistance(a, b) < 0.6 {
		t.Fatalf("distances %v %v", DescriptorDistance(a, a), DescriptorDistance(a, b))
	}
	_, err = s.FaceDescriptor(img, &Box{-50, -50, 10, 10})
	wantStatus(t, err, ErrInvalidArg)
	out := NewFrame(RGB24, img.Width, img.Height)
	records, err := s.Anonymize(img, out)
	must(t, err)
	if len(records) != 6 || bytes.Equal(out.Planes[0], img.Planes[0]) {
		t.Fatal("faces not anonymized")
	}
	noFaces, err := s.DetectFaces(noise(RGB24, 128, 96, 5), 0)
	must(t, err)
	if len(noFaces) != 0 {
		t.Fatalf("faces in noise: %v", noFaces)
	}
}

func TestClassify(t *testing.T) {
	m := classifier(t)
	clip := make([]*Frame, 20)
	for i := range clip {
		clip[i] = noise(RGB24, 50, 40, int64(i))
	}
	s, err := NewSession(m, Options{"threads": 2})
	must(t, err)
	defer s.Close()
	top, err := s.ClassifyClip(clip[:16], 0)
	must(t, err)
	if len(top) != 3 || top[0].Name != m.ClassName(top[0].Index) || top[0].Probability < top[1].Probability {
		t.Fatalf("%v", top)
	}
	_, err = s.ClassifyClip(clip[:5], 1)
	wantStatus(t, err, ErrShape)
	_, err = s.ClassifyClip(clip[:16], 4)
	wantStatus(t, err, ErrInvalidArg)

	p, err := NewSession(m, Options{"threads": 2})
	must(t, err)
	defer p.Close()
	for i, f := range clip {
		r, err := p.ClassifyPush(f, 0)
		must(t, err)
		if (r != nil) != (i == 15) {
			t.Fatalf("frame %d: %v", i, r)
		}
		if i == 15 && !reflect.DeepEqual(r, top) {
			t.Fatalf("%v != %v", r, top)
		}
	}
	n, err := NewSession(nil, nil)
	must(t, err)
	defer n.Close()
	if _, err = n.ClassifyClip(clip[:16], 1); err == nil {
		t.Fatal("classified without a C3D")
	}
}

// One model shared by goroutines, one session each; and one session shared, serialized.
func TestConcurrency(t *testing.T) {
	m := classifier(t)
	clip := make([]*Frame, 16)
	for i := range clip {
		clip[i] = noise(RGB24, 50, 40, int64(i))
	}
	shared, err := NewSession(m, Options{"threads": 1})
	must(t, err)
	defer shared.Close()
	want, err := shared.ClassifyClip(clip, 1)
	must(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s, err := NewSession(m, Options{"threads": 1})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			if got, err := s.ClassifyClip(clip, 1); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%v %v", got, err)
			}
		}()
		go func() {
			defer wg.Done()
			if got, err := shared.ClassifyClip(clip, 1); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%v %v", got, err)
			}
		}()
	}
	wg.Wait()
}
