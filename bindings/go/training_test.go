// SPDX-License-Identifier: MIT

package parn

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

var tiny = map[string]interface{}{
	"c3d": map[string]int{"frames": 16, "crop": 32, "fc": 16, "base": 4, "dropout": 0},
	"fem": map[string]int{"channels": 4, "reduction": 2, "privacy_hidden": 4, "spatial_kernel": 3},
}

var tinyTraining = map[string]interface{}{"clip_batch": 2, "augment": false,
	"c3d": map[string]interface{}{"optim": map[string]interface{}{"kind": "adam", "lr": 0.003}}}

func synthetic(t *testing.T) *Dataset {
	d, err := OpenDataset("synthetic", "", Options{"seed": 5, "dataset_config": map[string]int{
		"classes": 3, "clips": 8, "width": 48, "height": 40}})
	must(t, err)
	return d
}

func TestSynthetic(t *testing.T) {
	actions := SyntheticActions()
	if len(actions) < 5 || actions[0] == "" {
		t.Fatalf("%v", actions)
	}
	frames, boxes, err := SyntheticClip(1, 7, 64, 48, 4)
	must(t, err)
	again, sameBoxes, err := SyntheticClip(1, 7, 64, 48, 4)
	must(t, err)
	if len(frames) != 4 || frames[0].Width != 64 || frames[0].Format != RGB24 ||
		!bytes.Equal(frames[3].Planes[0], again[3].Planes[0]) || !reflect.DeepEqual(boxes, sameBoxes) {
		t.Fatal("not reproducible")
	}
	if boxes[0].Width <= 0 || boxes[0].X+boxes[0].Width > 65 {
		t.Fatalf("box %v", boxes[0])
	}
	_, _, err = SyntheticClip(len(actions), 0, 64, 48, 2)
	wantStatus(t, err, ErrInvalidArg)

	d := synthetic(t)
	defer d.Close()
	if d.Kind() != "synthetic" || d.Size() != 8 || d.NumClasses() != 3 ||
		!reflect.DeepEqual(d.Classes(), actions[:3]) {
		t.Fatalf("%s %d %v", d.Kind(), d.Size(), d.Classes())
	}
	_, err = OpenDataset("teleports", "", nil)
	wantStatus(t, err, ErrInvalidArg)
}

func losses(t *testing.T, log string) map[string]interface{} {
	var record map[string]interface{}
	must(t, json.Unmarshal([]byte(log), &record))
	delete(record, "seconds")
	return record
}

func TestTrainer(t *testing.T) {
	checkpoint := filepath.Join(t.TempDir(), "run.ckpt")
	s, err := NewSession(nil, Options{"threads": 2})
	must(t, err)
	defer s.Close()
	d := synthetic(t)
	defer d.Close()
	tr, err := NewTrainer(s, "classifier", nil, Options{"model_config": tiny, "classes": 3, "seed": 3,
		"train_config": tinyTraining})
	must(t, err)
	if tr.Log() != "{}" || tr.StepCount() != 0 {
		t.Fatal(tr.Log())
	}
	wantStatus(t, tr.Step(), ErrState) // no data yet
	must(t, tr.SetData(d))
	wantStatus(t, d.Close(), ErrState) // the trainer reads it
	wantStatus(t, s.Close(), ErrState) // the trainer runs on it
	must(t, tr.Step())
	must(t, tr.Step())
	first := losses(t, tr.Log())
	if tr.StepCount() != 2 || first["phase"] != "classifier" {
		t.Fatalf("%v", first)
	}
	must(t, tr.Checkpoint(checkpoint))
	must(t, tr.Step())
	expected := losses(t, tr.Log())
	result, err := tr.Evaluate(d, 4)
	must(t, err)
	var eval struct{ Items, Accuracy float64 }
	must(t, json.Unmarshal([]byte(result), &eval))
	if eval.Items != 4 || eval.Accuracy < 0 || eval.Accuracy > 1 || math.IsNaN(eval.Accuracy) {
		t.Fatal(result)
	}
	m, err := tr.Export()
	must(t, err)
	defer m.Close()
	if !m.HasNetwork("c3d") || m.NumClasses() != 3 {
		t.Fatal("export")
	}
	must(t, tr.Close())

	same := synthetic(t)
	defer same.Close()
	resumed, err := ResumeTrainer(s, checkpoint, nil)
	must(t, err)
	defer resumed.Close()
	if resumed.StepCount() != 2 {
		t.Fatal(resumed.StepCount())
	}
	must(t, resumed.SetData(same))
	must(t, resumed.Step())
	if got := losses(t, resumed.Log()); !reflect.DeepEqual(got, expected) {
		t.Fatalf("resumed %v, uninterrupted %v", got, expected)
	}
	_, err = NewTrainer(s, "sculpting", nil, nil)
	wantStatus(t, err, ErrInvalidArg)
	_, err = ResumeTrainer(s, filepath.Join(t.TempDir(), "missing.ckpt"), nil)
	wantStatus(t, err, ErrIO)
}
