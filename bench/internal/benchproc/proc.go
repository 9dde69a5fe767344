//go:build linux

// Package benchproc holds what the benchmark orchestrators (bench/ingest,
// bench/live) share: CPU and memory of processes and of the machine read from
// /proc, child processes started in their own process group and stopped
// together, and the steps of every run: `matthan sim` started and awaited,
// cameras registered in a fresh data directory, `matthan serve` started on
// free loopback ports, its /metrics read.
package benchproc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// Linux fixes it at 100 for every architecture's user-space ABI.
const ClockTicks = 100

// CPUTicks returns utime+stime of a process (all its threads), in clock ticks.
func CPUTicks(pid int) (uint64, error) {
	user, sys, err := CPUTimes(pid)
	return user + sys, err
}

// CPUTimes returns utime and stime of a process (all its threads), in clock ticks.
func CPUTimes(pid int) (user, sys uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return ParseStatTimes(b)
}

// ParseStatTimes reads fields 14 (utime) and 15 (stime) of /proc/PID/stat.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func ParseStatTimes(b []byte) (user, sys uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("stat: no command name in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	utime, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("stat utime: %w", err)
	}
	stime, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("stat stime: %w", err)
	}
	return utime, stime, nil
}

// Memory is a process's resident memory, in KiB.
type Memory struct {
	PSS uint64 // proportional set size: shared pages divided among their users
	RSS uint64
}

// ProcessMemory reads /proc/PID/smaps_rollup.
func ProcessMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Memory{}, err
	}
	return ParseSmapsRollup(b)
}

// ParseSmapsRollup reads the Pss and Rss lines of /proc/PID/smaps_rollup.
func ParseSmapsRollup(b []byte) (Memory, error) {
	var m Memory
	var havePSS, haveRSS bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "Pss" && key != "Rss") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("smaps_rollup: odd %s line %q", key, sc.Text())
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("smaps_rollup %s: %w", key, err)
		}
		if key == "Pss" {
			m.PSS, havePSS = v, true
		} else {
			m.RSS, haveRSS = v, true
		}
	}
	if !havePSS || !haveRSS {
		return m, fmt.Errorf("smaps_rollup: no Pss or Rss line")
	}
	return m, nil
}

// MachineCPU is the first line of /proc/stat: time all cores spent, in ticks.
type MachineCPU struct {
	Total, Idle uint64 // Idle includes iowait
}

// ReadMachineCPU reads the machine's CPU time now.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, err
	}
	return ParseMachineCPU(b)
}

// ParseMachineCPU reads the "cpu" line that opens /proc/stat.
func ParseMachineCPU(b []byte) (MachineCPU, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return MachineCPU{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var m MachineCPU
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("/proc/stat: %w", err)
		}
		// guest and guest_nice (fields 9 and 10) are already counted in user and nice.
		if i >= 8 {
			break
		}
		m.Total += v
		if i == 3 || i == 4 { // idle, iowait
			m.Idle += v
		}
	}
	return m, nil
}

// BusyPercent is how busy the whole machine was between a and b, as a
// percentage of all its cores.
func BusyPercent(a, b MachineCPU) float64 {
	total := float64(b.Total - a.Total)
	if total <= 0 {
		return 0
	}
	return 100 * (total - float64(b.Idle-a.Idle)) / total
}

// LoadAverage returns the 1-minute load average as written in /proc/loadavg,
// or "?".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
