// SPDX-License-Identifier: MIT

package parn

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func header(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(sourceRoot(), "include", "parn.h"))
	must(t, err)
	return string(b)
}

// Every function the header declares is called somewhere in the binding.
func TestEveryFunctionIsBound(t *testing.T) {
	declared := regexp.MustCompile(`PARN_API\s[^;(]*?\b(parn_\w+)\s*\(`).FindAllStringSubmatch(header(t), -1)
	if len(declared) < 50 {
		t.Fatalf("only %d declarations parsed", len(declared))
	}
	var sources strings.Builder
	files, _ := filepath.Glob("*.go")
	cfiles, _ := filepath.Glob("*.c")
	for _, f := range append(files, cfiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		must(t, err)
		sources.Write(b)
	}
	for _, d := range declared {
		if !regexp.MustCompile(`\b(C\.)?` + d[1] + `\(`).MatchString(sources.String()) {
			t.Errorf("%s is not bound", d[1])
		}
	}
}

func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`#define PARN_VERSION_STRING "([^"]+)"`).FindStringSubmatch(header(t))[1]
	if Version() != want {
		t.Fatalf("version %s, header %s", Version(), want)
	}
	parts := strings.Split(want, ".")
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	patch, _ := strconv.Atoi(parts[2])
	if VersionNumber() != major*10000+minor*100+patch {
		t.Fatalf("version number %d", VersionNumber())
	}
	if !strings.Contains(BuildInfo(), "cpu") {
		t.Fatalf("build info %q", BuildInfo())
	}
	must(t, InitCheck())
	e := wantStatus(t, InitCheckABI(ABIVersion+1), ErrABI)
	if e.Message == "" {
		t.Fatal("no message")
	}
}

func TestStatusesMatchHeader(t *testing.T) {
	codes := map[string]Status{"OK": OK, "E_INVALID_ARG": ErrInvalidArg, "E_NOMEM": ErrNoMem,
		"E_UNSUPPORTED": ErrUnsupported, "E_SHAPE": ErrShape, "E_DEVICE": ErrDevice, "E_IO": ErrIO,
		"E_FORMAT": ErrFormat, "E_STATE": ErrState, "E_BACKEND": ErrBackend,
		"E_INTERNAL": ErrInternal, "E_NOT_FOUND": ErrNotFound, "E_ABI": ErrABI, "AGAIN": Again,
		"EOF": EOF}
	found := regexp.MustCompile(`PARN_((?:E_)?[A-Z_]+) = (\d+),?\s*/\*\*<`).FindAllStringSubmatch(header(t), -1)
	n := 0
	for _, m := range found {
		if want, ok := codes[m[1]]; ok {
			v, _ := strconv.Atoi(m[2])
			if int(want) != v {
				t.Errorf("%s = %d, binding %d", m[1], v, want)
			}
			n++
		}
	}
	if n != len(codes) {
		t.Fatalf("%d of %d statuses found in the header", n, len(codes))
	}
	if ErrIO.String() != "input/output error" {
		t.Fatal(ErrIO.String())
	}
}

func TestErrorsCarryStatusAndMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.safetensors")
	_, err := LoadModel(path)
	e := wantStatus(t, err, ErrIO)
	if !strings.Contains(e.Message, path) || !strings.Contains(err.Error(), path) {
		t.Fatalf("message %q", e.Message)
	}
}

// Session-less messages are per OS thread: many goroutines failing at once each get their own.
func TestErrorsFromManyGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	dir := t.TempDir()
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				path := filepath.Join(dir, strconv.Itoa(i)+"-"+strconv.Itoa(j)+".safetensors")
				_, err := LoadModel(path)
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("goroutine %d: %v", i, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestOptionsComeFromTheLibrary(t *testing.T) {
	keys := regexp.MustCompile(`PARN_OPT_([A-Z_]+) = (\d+)`).FindAllStringSubmatch(header(t), -1)
	want := map[string]int{}
	for _, k := range keys {
		if !strings.HasPrefix(k[1], "TYPE_") {
			v, _ := strconv.Atoi(k[2])
			want[strings.ToLower(k[1])] = v
		}
	}
	names := OptionNames()
	if len(names) != len(want) {
		t.Fatalf("options %v, header %v", names, want)
	}
	for _, name := range names {
		info, err := OptionByName(name)
		must(t, err)
		if want[name] != info.Key {
			t.Errorf("%s: key %d, header %d", name, info.Key, want[name])
		}
		byKey, err := OptionByKey(info.Key)
		must(t, err)
		if byKey != info {
			t.Errorf("%v != %v", byKey, info)
		}
	}
	info, _ := OptionByName("threads")
	if info.Type != OptionInt || info.Min != 0 || info.Max != 1024 {
		t.Fatalf("threads: %+v", info)
	}
}

func TestOptionsSetAndGet(t *testing.T) {
	config := map[string]interface{}{"c3d": map[string]int{"variant": 8}}
	o, err := newOptions(Options{"threads": 3, "detector_threshold": 0.7, "device": "cpu",
		"model_config": config, "networks": []string{"fem", "c3d"}, "face_margin": 1})
	must(t, err)
	defer o.free()
	for name, want := range map[string]interface{}{"threads": int64(3), "detector_threshold": 0.7,
		"device": "cpu", "model_config": `{"c3d":{"variant":8}}`, "networks": "fem,c3d",
		"face_margin": 1.0, "max_faces": int64(100)} {
		got, err := o.get(name)
		must(t, err)
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, c := range []struct {
		opts  Options
		words string
	}{
		{Options{"threads": 5000}, "threads"},
		{Options{"threads": "two"}, "threads"},
		{Options{"no_such_option": 1}, "unknown option"},
		{Options{"detector_threshold": 2.0}, "detector_threshold"},
	} {
		_, err := NewSession(nil, c.opts)
		e := wantStatus(t, err, ErrInvalidArg)
		if !strings.Contains(e.Message, c.words) {
			t.Errorf("%v: %q", c.opts, e.Message)
		}
	}
}

func TestLogCallback(t *testing.T) {
	var mu sync.Mutex
	var messages []string
	SetLogCallback(func(level LogLevel, message string) {
		mu.Lock()
		messages = append(messages, message)
		mu.Unlock()
	})
	_, err := LoadModel("/nonexistent/model.safetensors")
	SetLogCallback(nil)
	if err == nil {
		t.Fatal("no error")
	}
	mu.Lock()
	n := len(messages)
	found := false
	for _, m := range messages {
		found = found || strings.Contains(m, "/nonexistent/model.safetensors")
	}
	mu.Unlock()
	if !found {
		t.Fatalf("log: %q", messages)
	}
	LoadModel("/nonexistent/model.safetensors")
	if len(messages) != n {
		t.Fatal("logged after SetLogCallback(nil)")
	}
}

func TestDevices(t *testing.T) {
	n, err := DeviceCount("cpu")
	must(t, err)
	if n != 1 {
		t.Fatalf("%d cpus", n)
	}
	_, err = DeviceCount("tpu")
	wantStatus(t, err, ErrInvalidArg)
}
