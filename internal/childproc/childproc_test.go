//go:build unix

package childproc

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCancelKillsTheGroup: cancelling kills the child and its own child,
// and Wait returns promptly although the grandchild held the pipe.
func TestCancelKillsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	// The shell starts a grandchild that would outlive it, prints its PID
	// and waits.
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 60 & echo $!; wait")
	Own(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	grandchild, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	start := time.Now()
	if err := cmd.Wait(); err == nil {
		t.Fatal("Wait after cancel returned no error")
	}
	if d := time.Since(start); d > waitDelay+time.Second {
		t.Errorf("Wait took %v", d)
	}
	// The grandchild is gone (or a zombie about to be reaped by init).
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(grandchild, 0)
		if errors.Is(err, syscall.ESRCH) || zombie(grandchild) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the grandchild %d outlived the cancel: %v", grandchild, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// zombie reports whether pid has exited but is not reaped yet.
func zombie(pid int) bool {
	out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(out)), "Z")
}
