package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"matthan/internal/analytics"
)

// parseDetectLines decodes detect's output, one frame a line, and checks
// what every line must satisfy: boxes inside the w x h frame, known
// classes, scores above the threshold, best first; motion boxes inside the
// frame too.
func parseDetectLines(t *testing.T, out []byte, w, h float32) []detectLine {
	t.Helper()
	var lines []detectLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var raw struct {
			Time       *float64 `json:"time"`
			Detections []struct {
				Class string     `json:"class"`
				Score float32    `json:"score"`
				Box   [4]float32 `json:"box"`
			} `json:"detections"`
			Motion [][4]float32 `json:"motion"`
		}
		if err := dec.Decode(&raw); err != nil || raw.Time == nil || raw.Detections == nil || raw.Motion == nil {
			t.Fatalf("line %q: %v (want time, detections and motion)", sc.Text(), err)
		}
		l := detectLine{Time: *raw.Time, Motion: []analytics.Box{}}
		for _, m := range raw.Motion {
			b := analytics.Box{X1: m[0], Y1: m[1], X2: m[2], Y2: m[3]}
			if b.X1 < 0 || b.Y1 < 0 || b.X2 > w || b.Y2 > h || b.Area() == 0 {
				t.Errorf("t=%v: bad motion box %v", l.Time, m)
			}
			l.Motion = append(l.Motion, b)
		}
		for _, d := range raw.Detections {
			b := analytics.Box{X1: d.Box[0], Y1: d.Box[1], X2: d.Box[2], Y2: d.Box[3]}
			if !slices.Contains(analytics.Classes, analytics.Class(d.Class)) || d.Score < 0.3 || d.Score > 1 ||
				b.X1 < 0 || b.Y1 < 0 || b.X2 > w || b.Y2 > h || b.Area() == 0 {
				t.Errorf("t=%v: bad detection %+v", l.Time, d)
			}
			if n := len(l.Detections); n > 0 && l.Detections[n-1].Score < d.Score {
				t.Errorf("t=%v: scores not best first", l.Time)
			}
			l.Detections = append(l.Detections, analytics.Detection{Class: analytics.Class(d.Class), Score: d.Score, Box: b})
		}
		lines = append(lines, l)
	}
	return lines
}

func countClass(dets []analytics.Detection, c analytics.Class) int {
	n := 0
	for _, d := range dets {
		if d.Class == c {
			n++
		}
	}
	return n
}

func runDetect(t *testing.T, args ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	o := DetectOptions{Out: &out}
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.Flags(fs)
	if err := o.Parse(fs, args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Detect(ctx, o); err != nil {
		t.Fatalf("detect %v: %v", args, err)
	}
	return out.Bytes()
}

func TestDetectPicture(t *testing.T) {
	png := "../../testdata/frames/highway_f120.png"
	jpg := filepath.Join(t.TempDir(), "highway.jpg")
	writeJPEG(t, png, jpg)
	for _, path := range []string{png, jpg} {
		t.Run(filepath.Ext(path), func(t *testing.T) {
			lines := parseDetectLines(t, runDetect(t, path), 960, 540)
			if len(lines) != 1 || lines[0].Time != 0 || len(lines[0].Motion) != 0 {
				t.Fatalf("got %+v, want one line at time 0, without motion (no background yet)", lines)
			}
			// SOURCES.md: car 0.76 [503 157 567 230], car 0.57, car 0.41.
			dets := lines[0].Detections
			if countClass(dets, analytics.Car) != 3 || len(dets) != 3 {
				t.Fatalf("got %v, want 3 cars", dets)
			}
			if b := dets[0].Box; math.Abs(float64(dets[0].Score)-0.76) > 0.03 || math.Abs(float64(b.X1-503)) > 3 || math.Abs(float64(b.Y2-230)) > 3 {
				t.Errorf("best car %v, want 0.76 [503 157 567 230]", dets[0])
			}
		})
	}
}

func writeJPEG(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	img, err := png.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := jpeg.Encode(out, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
}

// Two seconds of the roundabout clip at 5 fps: ten frames, 0.2 s apart,
// riders (persons and motorcycles) in every one, and the riders moving
// (motion boxes) once the motion stage has a background. The flags come
// after the file too.
func TestDetectVideo(t *testing.T) {
	out := runDetect(t, "../../testdata/clips/motorbikes_roundabout_960x540.mp4", "--duration", "2s", "--fps", "5")
	lines := parseDetectLines(t, out, 960, 540)
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(lines), out)
	}
	moving := 0
	for i, l := range lines {
		if len(l.Motion) > 0 {
			moving++
		}
		if math.Abs(l.Time-float64(i)*0.2) > 1e-9 {
			t.Errorf("line %d at %v s, want %v", i, l.Time, float64(i)*0.2)
		}
		if countClass(l.Detections, analytics.Person) < 2 || countClass(l.Detections, analytics.Motorcycle) < 1 {
			t.Errorf("t=%v: %v, want riders", l.Time, l.Detections)
		}
	}
	if len(lines[0].Motion) != 0 || moving < 7 {
		t.Errorf("motion in %d of 10 frames (first: %v), want none in the first, most after", moving, lines[0].Motion)
	}
}

func TestDetectRefuses(t *testing.T) {
	notMedia := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notMedia, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, o := range map[string]DetectOptions{
		"missing file": {Path: filepath.Join(t.TempDir(), "nope.mp4"), FPS: 5},
		"not media":    {Path: notMedia, FPS: 5},
		"zero fps":     {Path: notMedia, FPS: 0},
	} {
		if err := Detect(ctx, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o DetectOptions
	o.Flags(fs)
	if err := o.Parse(fs, []string{"a.mp4", "b.mp4"}); err == nil {
		t.Error("two files accepted")
	}
}
