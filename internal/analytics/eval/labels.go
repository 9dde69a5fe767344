package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"matthan"
	"matthan/internal/analytics"
)

// Labels are the reference labels of one clip, written by hand
// (testdata/labels/README.md says how and what their limits are).
type Labels struct {
	Path   string // the label file, for messages
	Clip   string // the clip's file name, next to the other clips
	Width  int    // of the clip's frames: boxes are in these pixels
	Height int
	Made   string // how and when the labels were made
	Notes  string
	// Events say, for each rule, whether it should fire on the clip at
	// least once. Rules the file does not name are not judged on it.
	Events map[matthan.EventType]bool
	// Ignore are regions of every frame where objects are too small,
	// hidden or unclear to label: a detection there is neither right nor
	// wrong.
	Ignore []analytics.Box
	Frames []Frame // by time
}

// Frame is one labelled frame of a clip: every object of the detector's
// classes in it, except in the ignore regions.
type Frame struct {
	Time    float64 // seconds from the start of the clip
	Objects []Object
	Ignore  []analytics.Box // this frame's ignore regions, besides the clip's
}

// Object is one labelled object.
type Object struct {
	Class analytics.Class
	// Also are other classes a detection of it may have and still be
	// right: a pickup is a car or a truck.
	Also []analytics.Class
	Box  analytics.Box
	// Riders is how many people ride a motorcycle; -1 when not labelled.
	Riders int
}

// accepts reports whether a detection of class c may be this object.
func (o Object) accepts(c analytics.Class) bool { return c == o.Class || slices.Contains(o.Also, c) }

// LabelError says what is wrong with a label file, naming the file and the
// field, in English and Vietnamese.
type LabelError struct {
	File, Field string
	EN, VI      string
}

func (e *LabelError) Error() string {
	return fmt.Sprintf("label file %s: %s: %s / tệp nhãn %s: %s: %s", e.File, e.Field, e.EN, e.File, e.Field, e.VI)
}

// The file's JSON: boxes are [x1, y1, x2, y2] in pixels.
type fileJSON struct {
	Clip   string          `json:"clip"`
	Width  int             `json:"width"`
	Height int             `json:"height"`
	Made   string          `json:"made"`
	Notes  string          `json:"notes"`
	Events map[string]bool `json:"events"`
	Ignore [][]float32     `json:"ignore"`
	Frames []struct {
		Time    *float64 `json:"time"`
		Objects []struct {
			Class  string    `json:"class"`
			Also   []string  `json:"also"`
			Box    []float32 `json:"box"`
			Riders *int      `json:"riders"`
		} `json:"objects"`
		Ignore [][]float32 `json:"ignore"`
	} `json:"frames"`
}

// knownEvents are the event types a label file may expect.
var knownEvents = []matthan.EventType{
	matthan.EventLoitering, matthan.EventThreeRiders, matthan.EventNoHelmet, matthan.EventIllegalParking,
	matthan.EventDumping, matthan.EventCrowd, matthan.EventLineCrossing, matthan.EventTamper, matthan.EventSecurityLapse,
}

// LoadLabels reads and checks one label file.
func LoadLabels(path string) (*Labels, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	return ParseLabels(path, data)
}

// ParseLabels checks the label file data read from path (named in errors).
func ParseLabels(path string, data []byte) (*Labels, error) {
	bad := func(field, en, vi string) error { return &LabelError{File: path, Field: field, EN: en, VI: vi} }
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		return nil, bad("(file)", "not valid JSON of a label file: "+err.Error(), "không phải JSON hợp lệ của tệp nhãn: "+err.Error())
	}
	l := &Labels{Path: path, Clip: f.Clip, Width: f.Width, Height: f.Height, Made: f.Made, Notes: f.Notes, Events: map[matthan.EventType]bool{}}
	if f.Clip == "" || f.Clip != filepath.Base(f.Clip) {
		return nil, bad("clip", "must be the clip's file name, without folders", "phải là tên tệp video, không kèm thư mục")
	}
	if f.Width <= 0 || f.Height <= 0 || f.Width > 8192 || f.Height > 8192 {
		return nil, bad("width", "width and height must be the clip's size in pixels", "width và height phải là kích thước video tính bằng điểm ảnh")
	}
	if strings.TrimSpace(f.Made) == "" {
		return nil, bad("made", "say how and when the labels were made", "hãy ghi nhãn được làm thế nào và khi nào")
	}
	names := make([]string, 0, len(f.Events))
	for k := range f.Events {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(knownEvents, matthan.EventType(k)) {
			return nil, bad("events."+k, "unknown event type", "loại sự kiện không có")
		}
		l.Events[matthan.EventType(k)] = f.Events[k]
	}
	var err error
	if l.Ignore, err = boxes(f.Ignore, "ignore", l, bad); err != nil {
		return nil, err
	}
	if len(f.Frames) == 0 {
		return nil, bad("frames", "no labelled frame", "không có khung hình nào được gán nhãn")
	}
	for i, fr := range f.Frames {
		field := fmt.Sprintf("frames[%d]", i)
		if fr.Time == nil || *fr.Time < 0 || math.IsNaN(*fr.Time) || math.IsInf(*fr.Time, 0) {
			return nil, bad(field+".time", "must be the frame's time in seconds from the start of the clip", "phải là thời điểm của khung hình, tính bằng giây từ đầu video")
		}
		if i > 0 && *fr.Time <= l.Frames[i-1].Time {
			return nil, bad(field+".time", "frames must be in time order, each time once", "các khung hình phải theo thứ tự thời gian, mỗi thời điểm một lần")
		}
		out := Frame{Time: *fr.Time}
		if out.Ignore, err = boxes(fr.Ignore, field+".ignore", l, bad); err != nil {
			return nil, err
		}
		for j, o := range fr.Objects {
			of := fmt.Sprintf("%s.objects[%d]", field, j)
			obj := Object{Class: analytics.Class(o.Class), Riders: -1}
			if !slices.Contains(analytics.Classes, obj.Class) {
				return nil, bad(of+".class", fmt.Sprintf("%q is not one of the detector's classes %v", o.Class, analytics.Classes),
					fmt.Sprintf("%q không thuộc các lớp của bộ nhận dạng %v", o.Class, analytics.Classes))
			}
			for _, a := range o.Also {
				if !slices.Contains(analytics.Classes, analytics.Class(a)) {
					return nil, bad(of+".also", fmt.Sprintf("%q is not one of the detector's classes", a), fmt.Sprintf("%q không thuộc các lớp của bộ nhận dạng", a))
				}
				obj.Also = append(obj.Also, analytics.Class(a))
			}
			b, err := boxes([][]float32{o.Box}, of+".box", l, bad)
			if err != nil {
				return nil, err
			}
			obj.Box = b[0]
			if o.Riders != nil {
				if obj.Class != analytics.Motorcycle && obj.Class != analytics.Bicycle {
					return nil, bad(of+".riders", "only a motorcycle or a bicycle has riders", "chỉ xe máy hoặc xe đạp mới có người ngồi")
				}
				if *o.Riders < 0 || *o.Riders > 6 {
					return nil, bad(of+".riders", "must be from 0 to 6", "phải từ 0 đến 6")
				}
				obj.Riders = *o.Riders
			}
			out.Objects = append(out.Objects, obj)
		}
		l.Frames = append(l.Frames, out)
	}
	return l, nil
}

// boxes checks [x1, y1, x2, y2] boxes inside l's frame.
func boxes(in [][]float32, field string, l *Labels, bad func(field, en, vi string) error) ([]analytics.Box, error) {
	var out []analytics.Box
	for i, b := range in {
		f := field
		if !strings.HasSuffix(field, ".box") {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		if len(b) != 4 {
			return nil, bad(f, "a box is [x1, y1, x2, y2]", "một khung là [x1, y1, x2, y2]")
		}
		box := analytics.Box{X1: b[0], Y1: b[1], X2: b[2], Y2: b[3]}
		if box.X1 < 0 || box.Y1 < 0 || box.X2 > float32(l.Width) || box.Y2 > float32(l.Height) || box.Area() == 0 {
			return nil, bad(f, fmt.Sprintf("box %v is empty or outside the %dx%d frame", b, l.Width, l.Height),
				fmt.Sprintf("khung %v rỗng hoặc nằm ngoài khung hình %dx%d", b, l.Width, l.Height))
		}
		out = append(out, box)
	}
	return out, nil
}

// LoadDir reads every *.json label file of dir, in name order.
func LoadDir(dir string) ([]*Labels, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("eval: no label file (*.json) in %s / không có tệp nhãn (*.json) trong %s", dir, dir)
	}
	var all []*Labels
	for _, p := range paths {
		l, err := LoadLabels(p)
		if err != nil {
			return nil, err
		}
		all = append(all, l)
	}
	return all, nil
}
