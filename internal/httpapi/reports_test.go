package httpapi

import (
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/retention"
)

func TestContinuity(t *testing.T) {
	e := newEvidenceEnv(t, true)
	// The env's clock is 15/01/2026 15:00 in Vietnam: the day so far is
	// 15 hours, of which the two segments recorded 6 seconds.
	r := e.do("GET", "/api/cameras/cam-1/continuity?date=15/01/2026&stream=main", "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("continuity = %d %s", r.status, r.body)
	}
	c := decode[continuityView](t, r)
	if c.CameraID != "cam-1" || c.Stream != matthan.StreamMain || c.Day != "15/01/2026" ||
		c.FromLocal != "15/01/2026 00:00:00" || c.ToLocal != "15/01/2026 15:00:00" || c.MeasuredSeconds != 15*3600 {
		t.Errorf("continuity %s", r.body)
	}
	var recorded float64
	for _, s := range e.segs {
		recorded += s.End.Sub(s.Start).Seconds()
	}
	if math.Abs(c.RecordedSeconds-recorded) > 0.01 || math.Abs(c.UptimePercent-math.Round(recorded/(15*3600)*10000)/100) > 0.001 {
		t.Errorf("recorded %.2f s, uptime %.4f %%; want %.2f s", c.RecordedSeconds, c.UptimePercent, recorded)
	}
	if len(c.Gaps) != 1 {
		t.Fatalf("gaps %s", r.body)
	}
	g := c.Gaps[0]
	if g.Reason != matthan.GapOffline || g.ReasonText == "" || g.ReasonVI == "" || g.ReasonText == g.ReasonVI ||
		g.Detail != "camera unreachable" || g.Seconds != 10 || g.Open ||
		!g.Start.Equal(e.segs[0].End) || g.StartLocal != matthan.FormatLocal(e.segs[0].End) {
		t.Errorf("gap %+v", g)
	}
	// Without a date: today. Another day: nothing recorded, all of it
	// unexplained.
	if today := decode[continuityView](t, e.do("GET", "/api/cameras/cam-1/continuity", "admin", nil)); today.Day != "15/01/2026" || today.Gaps == nil {
		t.Errorf("default day %+v", today)
	}
	prev := decode[continuityView](t, e.do("GET", "/api/cameras/cam-1/continuity?date=14/01/2026", "admin", nil))
	if prev.RecordedSeconds != 0 || prev.UnexplainedSeconds != 24*3600 || len(prev.Gaps) != 0 {
		t.Errorf("previous day %+v", prev)
	}

	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{"?date=2026-01-15", http.StatusBadRequest, matthan.EINVALID},
		{"?date=32/01/2026", http.StatusBadRequest, matthan.EINVALID},
		{"?date=16/01/2026", http.StatusBadRequest, matthan.EINVALID}, // has not started
		{"?stream=third", http.StatusBadRequest, matthan.EINVALID},
	} {
		expectError(t, e.do("GET", "/api/cameras/cam-1/continuity"+tc.query, "officer", nil), tc.status, tc.code)
	}
	expectError(t, e.do("GET", "/api/cameras/nope/continuity", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
}

func TestClockOffsetShown(t *testing.T) {
	e := newEvidenceEnv(t, false)
	e.clocks.mu.Lock()
	e.clocks.m["cam-1/main"] = 1500*time.Millisecond + 400*time.Microsecond
	e.clocks.m["cam-2/sub"] = -2 * time.Second
	e.clocks.mu.Unlock()
	offsets := func(v view) map[string]any {
		out := map[string]any{}
		for _, s := range v.Streams {
			if off, ok := s["clock_offset_ms"]; ok {
				out[s["role"].(string)] = off
			}
		}
		return out
	}
	one := decode[view](t, e.do("GET", "/api/cameras/cam-1", "viewer", nil))
	if got := offsets(one); len(got) != 1 || got["main"] != float64(1500) {
		t.Errorf("cam-1 clock offsets %v", got)
	}
	for _, v := range decode[[]view](t, e.do("GET", "/api/cameras", "viewer", nil)) {
		got := offsets(v)
		if v.ID == "cam-2" && (len(got) != 1 || got["sub"] != float64(-2000)) {
			t.Errorf("cam-2 clock offsets %v", got)
		}
	}
}

// fakeDisk is a file system whose free space the test sets.
type fakeDisk struct {
	mu          sync.Mutex
	free, total uint64
}

func (d *fakeDisk) freeSpace(string) (uint64, uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.free, d.total, nil
}

func (d *fakeDisk) set(free uint64) {
	d.mu.Lock()
	d.free = free
	d.mu.Unlock()
}

func TestStorage(t *testing.T) {
	disk := &fakeDisk{free: 900 << 30, total: 1000 << 30}
	var ret *retention.Retention
	e := newEnvWith(t, func(d *Deps) {
		index := d.Store.(matthan.RecordingIndex)
		cfg := retention.Config{Dir: t.TempDir(), DefaultDays: 30, MinFreePercent: 5, FreeSpace: disk.freeSpace, Now: d.Now}
		ret = retention.New(cfg, d.Store, index, bus.New(), nil)
		d.Storage = ret
	})
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	// A day of footage: 10 GB a day for cam-1.
	day0 := e.now().Add(-24 * time.Hour)
	for i := range 24 {
		seg := &matthan.Segment{CameraID: "cam-1", Stream: matthan.StreamMain, Path: "cam-1/x/" + string(rune('a'+i)) + ".mp4",
			Start: day0.Add(time.Duration(i) * time.Hour), End: day0.Add(time.Duration(i+1) * time.Hour),
			Duration: time.Hour, Bytes: 10_000_000_000 / 24, Codec: "H264", SHA256: strings.Repeat("ab", 32)}
		if err := e.db.AddSegment(t.Context(), seg); err != nil {
			t.Fatal(err)
		}
	}
	type storageView struct {
		Forecast *retention.Forecast `json:"forecast"`
		Alarms   []retention.Alarm   `json:"alarms"`
	}
	r := e.do("GET", "/api/storage", "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("storage = %d %s", r.status, r.body)
	}
	s := decode[storageView](t, r)
	if s.Forecast == nil || s.Alarms == nil || len(s.Alarms) != 0 {
		t.Fatalf("storage %s", r.body)
	}
	f := s.Forecast
	if f.FreeBytes != 900<<30 || f.TotalBytes != 1000<<30 || f.Message == "" || f.MessageVI == "" || len(f.Cameras) != 1 {
		t.Errorf("forecast %s", r.body)
	}
	if c := f.Cameras[0]; c.CameraID != "cam-1" || c.RetainDays != 30 || math.Abs(c.BytesPerDay-10e9) > 1e6 ||
		c.KeepsDays != 30 || c.MessageVI == "" {
		t.Errorf("camera forecast %+v", c)
	}

	// The disk fills past the floor with nothing left to delete: an alarm.
	// (The index rows have no files, so the sweep drops them and still
	// cannot reach the floor.)
	disk.set(1 << 30)
	if _, err := ret.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	s = decode[storageView](t, e.do("GET", "/api/storage", "admin", nil))
	if len(s.Alarms) == 0 || s.Alarms[0].Message == "" || s.Alarms[0].MessageVI == "" || !s.Alarms[0].Active {
		t.Errorf("alarms %+v", s.Alarms)
	}
	if s.Forecast == nil || s.Forecast.FullInDays == nil || *s.Forecast.FullInDays != 0 {
		t.Errorf("forecast of a full disk %+v", s.Forecast)
	}
}
