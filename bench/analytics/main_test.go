//go:build linux

package main

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want procStat
		ok   bool
	}{
		{"plain", "42 (ffmpeg) S 7 42 42 0 -1 4194560 1 0 0 0 150 25 3 4 20 0 1 0 100 0 0", procStat{ppid: 7, ticks: 175, childrenTicks: 7}, true},
		{"name with spaces and parens", "9 (a) b (c)) R 1 9 9 0 -1 0 0 0 0 0 10 20 30 40 20 0", procStat{ppid: 1, ticks: 30, childrenTicks: 70}, true},
		{"no paren", "9 a R 1", procStat{}, false},
		{"short", "9 (a) R 1 2 3", procStat{}, false},
		{"not a number", "9 (a) R x 9 9 0 -1 0 0 0 0 0 10 20 30 40", procStat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseProcStat = %+v, %v; want %+v, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("4, 8,16,")
	if err != nil || !slices.Equal(got, []int{4, 8, 16}) {
		t.Fatalf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"4,x", "0", "-2"} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("parseCounts(%q) accepted", bad)
		}
	}
}

// A child of this process is found with what it wrote.
func TestNodeChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "head -c 100000 /dev/zero > /dev/null; sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(3 * time.Second)
	for {
		kids := nodeChildren(os.Getpid())
		if c, ok := kids[cmd.Process.Pid]; ok {
			if _, err := readProcStat(cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			if c.written > 0 || time.Now().After(deadline) {
				return // sh itself writes nothing; head is its child, so any wchar is fine
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("child %d not among %v", cmd.Process.Pid, kids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestWrittenBytesOwnProcess(t *testing.T) {
	if _, err := writtenBytes(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestParseModes(t *testing.T) {
	got, err := parseModes("gated, paired,regions")
	if err != nil || !slices.Equal(got, []string{"gated", "paired", "regions"}) {
		t.Fatalf("parseModes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "gated,gated", "fast"} {
		if _, err := parseModes(bad); err == nil {
			t.Errorf("parseModes(%q) accepted", bad)
		}
	}
}
