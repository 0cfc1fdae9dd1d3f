// SPDX-License-Identifier: MIT

package parn

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// sourceRoot is the libparn checkout ($PARN_SOURCE_ROOT, else two folders up).
func sourceRoot() string {
	if root := os.Getenv("PARN_SOURCE_ROOT"); root != "" {
		return root
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	return root
}

// sharedData is ../shared/data beside the checkout ($PARN_SHARED_DATA); skips when absent.
func sharedData(t *testing.T) string {
	dir := os.Getenv("PARN_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join(sourceRoot(), "..", "shared", "data")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("%s is absent", dir)
	}
	return dir
}

func needFaceModel(t *testing.T) {
	if DefaultFaceModel() == "" {
		t.Skip("no face model: build examples/faces.safetensors or set PARN_FACE_MODEL")
	}
}

// noise is a frame of random pixels.
func noise(format PixelFormat, width, height int, seed int64) *Frame {
	f := NewFrame(format, width, height)
	r := rand.New(rand.NewSource(seed))
	for _, p := range f.Planes {
		r.Read(p)
	}
	return f
}

// smallC3D is a classifier small enough for fast tests (keys in docs/models.md).
var smallC3D = map[string]interface{}{
	"c3d": map[string]int{"base": 4, "crop": 32, "fc": 16},
	"fem": map[string]int{"channels": 4, "reduction": 2, "privacy_hidden": 4},
}

func classifier(t *testing.T) *Model {
	m, err := CreateModel(Options{"networks": "fem,c3d", "classes": 3,
		"class_names": []string{"walk", "run", "jump"}, "model_config": smallC3D, "seed": 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantStatus fails unless err is a libparn error with status want.
func wantStatus(t *testing.T, err error, want Status) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *parn.Error with %v, got %v", want, err)
	}
	if e.Status != want || !errors.Is(err, want) {
		t.Fatalf("want status %v, got %v (%s)", want, e.Status, e.Message)
	}
	return e
}
