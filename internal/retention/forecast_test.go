package retention

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"matthan"
)

// indexOnly indexes a segment of n bytes without writing its file: the
// forecast reads the index and the (fake) disk, not the files.
func (e *env) indexOnly(camera string, start time.Time, n int64) {
	e.t.Helper()
	seg := &matthan.Segment{CameraID: camera, Stream: matthan.StreamMain,
		Path:  fmt.Sprintf("%s/%s/main-%d.mp4", camera, start.Format(time.DateOnly), start.Unix()),
		Start: start, End: start.Add(time.Minute), Bytes: n}
	if err := e.db.AddSegment(e.t.Context(), seg); err != nil {
		e.t.Fatal(err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.01 }

func TestForecast(t *testing.T) {
	const GB = 1_000_000_000
	e := newEnv(t, func(c *Config) {
		c.DefaultDays, c.MinFreeBytes, c.ForecastWindow = 30, 10*GB, 7*24*time.Hour
	})
	e.camera("cam-days", 10, 0)
	e.camera("cam-quota", 0, 2*GB)
	e.camera("cam-big", 0, 0)
	e.camera("cam-idle", 0, 0)
	week := now.Add(-7 * 24 * time.Hour)
	for i := range 7 {
		e.indexOnly("cam-days", week.Add(time.Duration(i)*24*time.Hour), 1*GB) // 1 GB a day all week
		e.indexOnly("cam-big", week.Add(time.Duration(i)*24*time.Hour), 10*GB) // 10 GB a day
	}
	// Added yesterday: 2 GB over one day is 2 GB a day, not 2/7.
	e.indexOnly("cam-quota", now.Add(-24*time.Hour), 1*GB)
	e.indexOnly("cam-quota", now.Add(-12*time.Hour), 1*GB)
	e.indexOnly("cam-idle", now.Add(-20*24*time.Hour), 1*GB) // nothing this week
	e.disk.total, e.disk.other = 1000*GB, 800*GB             // 200 GB free, floor 10 GB

	f, err := e.r.Forecast(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.RecordingBytes != 80*GB || f.FreeBytes != 200*GB || f.FloorBytes != 10*GB || !near(f.BytesPerDay/GB, 13) || f.WindowDays != 7 {
		t.Errorf("forecast totals = %+v", f)
	}
	// 190 GB of room: cam-days grows 3 GB in 3 days (at 11 GB a day with
	// cam-big), then cam-big alone at 10 GB a day: full after 3 + 157/10.
	if f.FullInDays == nil || !near(*f.FullInDays, 18.7) {
		t.Errorf("FullInDays = %v, want 18.7", f.FullInDays)
	}
	if !strings.Contains(f.Message, "full in 18.7 days") || !strings.Contains(f.Message, "13 GB a day") ||
		!strings.Contains(f.MessageVI, "đầy sau 18,7 ngày") {
		t.Errorf("messages = %q / %q", f.Message, f.MessageVI)
	}
	// The disk holds 80 + 190 = 270 GB; cam-idle keeps its 1 GB, cam-quota
	// 2 GB, cam-days 10 GB: cam-big gets 257 GB, 25.7 days of its 30.
	want := map[string]struct {
		rate, keeps float64
		limit       string
		days        int
	}{
		"cam-big":   {10, 25.7, LimitFreeSpace, 30},
		"cam-days":  {1, 10, LimitDays, 10},
		"cam-idle":  {0, 0, "", 30},
		"cam-quota": {2, 1, LimitQuota, 30},
	}
	if len(f.Cameras) != len(want) {
		t.Fatalf("forecast has %d cameras, want %d", len(f.Cameras), len(want))
	}
	for _, c := range f.Cameras {
		w := want[c.CameraID]
		if !near(c.BytesPerDay/GB, w.rate) || !near(c.KeepsDays, w.keeps) || c.LimitedBy != w.limit || c.RetainDays != w.days {
			t.Errorf("%s: rate %.3f GB, keeps %.3f days (%s), days %d; want %v", c.CameraID, c.BytesPerDay/GB, c.KeepsDays, c.LimitedBy, c.RetainDays, w)
		}
		if c.Message == "" || c.MessageVI == "" || c.Message == c.MessageVI {
			t.Errorf("%s: messages %q / %q", c.CameraID, c.Message, c.MessageVI)
		}
	}
	if c := f.Cameras[0]; c.CameraID != "cam-big" || !strings.Contains(c.Message, "Keeps only 25.7 days") || !strings.Contains(c.MessageVI, "25,7 ngày") {
		t.Errorf("cam-big messages: %q / %q", c.Message, c.MessageVI)
	}

	// With room for every camera's days, the disk never fills.
	e.disk.other = 500 * GB
	if f, err = e.r.Forecast(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.FullInDays != nil || !strings.Contains(f.Message, "does not fill") {
		t.Errorf("roomy disk: FullInDays %v, %q", f.FullInDays, f.Message)
	}
	for _, c := range f.Cameras {
		if c.LimitedBy == LimitFreeSpace {
			t.Errorf("%s limited by free space on a roomy disk", c.CameraID)
		}
	}

	// Under the floor already: full now.
	e.disk.other = 995 * GB
	if f, err = e.r.Forecast(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.FullInDays == nil || *f.FullInDays != 0 || !strings.Contains(f.MessageVI, "đã đầy") {
		t.Errorf("full disk: FullInDays %v, %q", f.FullInDays, f.MessageVI)
	}
}

func TestWaterLevelAndFullIn(t *testing.T) {
	plans := []plan{
		{rate: 1, held: 0, capBytes: 10, capDays: 10},
		{rate: 2, held: 4, capBytes: 4, capDays: 2},
		{rate: 0, held: 5, capBytes: 5},
	}
	tests := []struct {
		usable int64
		want   float64
	}{
		{1000, math.Inf(1)},
		{19, math.Inf(1)}, // 5 + 4 + 10: exactly fits
		{12, 3},           // 12-5 = 7 at 3 a day is 2.33 > 2: cap the second (4), then 3 left at 1 a day
		{5, 0},
		{8, 1}, // 3 at 3 a day
	}
	for _, tt := range tests {
		if got := waterLevel(plans, tt.usable); !(got == tt.want || near(got, tt.want)) {
			t.Errorf("waterLevel(%d) = %v, want %v", tt.usable, got, tt.want)
		}
	}
	for _, tt := range []struct {
		room int64
		want float64 // -1: never
	}{{0, 0}, {5, 5}, {10, 10}, {11, -1}} {
		got := fullIn(plans, tt.room)
		if tt.want < 0 && got != nil || tt.want >= 0 && (got == nil || !near(*got, tt.want)) {
			t.Errorf("fullIn(%d) = %v, want %v", tt.room, got, tt.want)
		}
	}
}
