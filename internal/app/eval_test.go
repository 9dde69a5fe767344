package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runEval(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	o := EvalOptions{Out: &out}
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.Flags(fs)
	if err := o.Parse(fs, args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Eval(ctx, o)
	return out.String(), err
}

// `matthan eval` over the highway clip's labels (clips named before and
// after the flags): a table per class and per rule, then the same as JSON.
func TestEvalCommand(t *testing.T) {
	labels := filepath.Join("..", "..", "testdata", "labels")
	text, err := runEval(t, "highway_960x540", "--labels", labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Objects: the detector's output on 4 labelled frames of 1 clip", "class  labelled  detected",
		"car        13", "three_riders", "highway_960x540.mp4: 56 frames analysed, 4 labelled"} {
		if !strings.Contains(text, s) {
			t.Errorf("output lacks %q:\n%s", s, text)
		}
	}

	out, err := runEval(t, "--labels", labels, "--json", "highway_960x540.mp4")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Frames  int `json:"labelled_frames"`
		Classes []struct {
			Class             string
			Labelled, TP, FN  int
			Precision, Recall *float64
		} `json:"classes"`
		Rules []struct {
			Rule      string
			Clips, FP int
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	var car bool
	for _, c := range rep.Classes {
		if c.Class == "car" {
			car = c.Labelled == 13 && c.TP+c.FN == 13 && c.Recall != nil && *c.Recall >= 0.3 && c.Precision != nil && *c.Precision >= 0.8
		}
	}
	if rep.Frames != 4 || !car || len(rep.Rules) != 3 {
		t.Errorf("report %+v", rep)
	}
	for _, r := range rep.Rules {
		if r.Clips != 1 || r.FP != 0 {
			t.Errorf("rule %+v on the highway", r)
		}
	}
}

func TestEvalRefuses(t *testing.T) {
	labels := filepath.Join("..", "..", "testdata", "labels")
	if _, err := runEval(t, "--labels", labels, "nowhere.mp4"); err == nil || !strings.Contains(err.Error(), "nowhere.mp4") {
		t.Errorf("unknown clip: %v", err)
	}
	if _, err := runEval(t, "--labels", t.TempDir()); err == nil {
		t.Error("no label files: no error")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.json"), []byte(`{"clip": "x.mp4"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runEval(t, "--labels", bad); err == nil || !strings.Contains(err.Error(), "x.json") || !strings.Contains(err.Error(), "tệp nhãn") {
		t.Errorf("bad label file: %v", err)
	}
	if _, err := runEval(t, "--labels", labels, "--fps", "0"); err == nil {
		t.Error("fps 0 accepted")
	}
}
