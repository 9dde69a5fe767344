//go:build linux

package benchproc

import (
	"os"
	"testing"
	"time"
)

func TestParseStatTimes(t *testing.T) {
	tests := []struct {
		name      string
		stat      string
		user, sys uint64
		wantErr   bool
	}{
		{"plain", "30931 (cat) R 30927 30927 28627 0 -1 4194304 99 0 0 0 7 5 0 0 20 0 1 0 126557 3133440 415", 7, 5, false},
		{"name with spaces and parens", "42 (a b) (c)) S 1 42 42 0 -1 0 0 0 0 0 100 250 0 0 20 0 9 0 1 1 1", 100, 250, false},
		{"the node", "1234 (matthan serve (x)) S 1 1234 1234 0 -1 4194560 5000 0 0 0 731 269 0 0 20 0 12 0 100 0 0\n", 731, 269, false},
		{"truncated", "42 (x) S 1 2 3", 0, 0, true},
		{"no name", "42 x S", 0, 0, true},
		{"not a number", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 u 250 0 0", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, sys, err := ParseStatTimes([]byte(tt.stat))
			if (err != nil) != tt.wantErr || user != tt.user || sys != tt.sys {
				t.Fatalf("ParseStatTimes = %d, %d, %v; want %d, %d, error %v", user, sys, err, tt.user, tt.sys, tt.wantErr)
			}
		})
	}
}

func TestOwnProcessFigures(t *testing.T) {
	// The readers must work on a real /proc: this process has used some CPU
	// and holds some memory.
	busy := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(busy) {
	}
	ticks, err := CPUTicks(os.Getpid())
	if err != nil || ticks == 0 {
		t.Fatalf("CPUTicks = %d, %v; want > 0", ticks, err)
	}
	m, err := ProcessMemory(os.Getpid())
	if err != nil || m.PSS == 0 || m.RSS < m.PSS {
		t.Fatalf("ProcessMemory = %+v, %v; want 0 < PSS <= RSS", m, err)
	}
	a, err := ReadMachineCPU()
	if err != nil || a.Total == 0 || a.Idle > a.Total {
		t.Fatalf("ReadMachineCPU = %+v, %v", a, err)
	}
	if LoadAverage() == "?" {
		t.Fatal("LoadAverage could not read /proc/loadavg")
	}
}

func TestParseSmapsRollup(t *testing.T) {
	good := []struct {
		text     string
		pss, rss uint64
	}{
		{"55b996a79000-7ffed7be4000 ---p 00000000 00:00 0  [rollup]\nRss:                1704 kB\nPss:                 263 kB\nPss_Dirty:           112 kB\n", 263, 1704},
		{"55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:              114300 kB\nPss:              110000 kB\n", 110000, 114300},
	}
	for _, g := range good {
		m, err := ParseSmapsRollup([]byte(g.text))
		if err != nil || m.PSS != g.pss || m.RSS != g.rss {
			t.Errorf("ParseSmapsRollup = %+v, %v; want PSS %d, RSS %d", m, err, g.pss, g.rss)
		}
	}
	for _, bad := range []string{"Rss: 1 kB\n", "Rss: 1 kB\nPss: x kB\n", "Rss: 1 MB\nPss: 1 kB\n"} {
		if _, err := ParseSmapsRollup([]byte(bad)); err == nil {
			t.Errorf("ParseSmapsRollup(%q) succeeded", bad)
		}
	}
}

func TestMachineBusy(t *testing.T) {
	a, err := ParseMachineCPU([]byte("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n"))
	if err != nil || a.Total != 1000 || a.Idle != 850 {
		t.Fatalf("ParseMachineCPU = %+v, %v", a, err)
	}
	b := MachineCPU{Total: 2000, Idle: 1350} // 1000 more ticks, 500 of them idle
	if got := BusyPercent(a, b); got != 50 {
		t.Fatalf("BusyPercent = %v, want 50", got)
	}
	if got := BusyPercent(a, a); got != 0 {
		t.Fatalf("BusyPercent over no time = %v, want 0", got)
	}
	if _, err := ParseMachineCPU([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("ParseMachineCPU accepted a line that is not cpu")
	}
}
