//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started, in a process group of its own
// so that it and anything it forks can be stopped together.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// startChild starts name with args. Its output goes to stdout and stderr
// (nil: discarded). If the benchmark dies, the kernel kills the child
// (Pdeathsig) so that no camera load outlives it.
func startChild(name string, args []string, stdout, stderr io.Writer) (*child, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stopChildren asks every child's process group to stop (SIGTERM), waits up
// to grace for all of them, then kills what is left (SIGKILL).
func stopChildren(children []*child, grace time.Duration) {
	for _, c := range children {
		if !c.exited() {
			_ = syscall.Kill(-c.pid(), syscall.SIGTERM)
		}
	}
	deadline := time.After(grace)
	for _, c := range children {
		select {
		case <-c.done:
		case <-deadline:
		}
	}
	for _, c := range children {
		if !c.exited() {
			_ = syscall.Kill(-c.pid(), syscall.SIGKILL)
			<-c.done
		}
	}
}

// children is the set of processes alive at a moment, for cleanup on any exit.
type children struct {
	mu  sync.Mutex
	all map[*child]struct{}
}

func (cs *children) add(c *child) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.all == nil {
		cs.all = map[*child]struct{}{}
	}
	cs.all[c] = struct{}{}
}

// stop stops the given children (all of them when none are given) and
// forgets them.
func (cs *children) stop(grace time.Duration, which ...*child) {
	cs.mu.Lock()
	if len(which) == 0 {
		for c := range cs.all {
			which = append(which, c)
		}
	}
	for _, c := range which {
		delete(cs.all, c)
	}
	cs.mu.Unlock()
	stopChildren(which, grace)
}

// errExited says a child ended while the benchmark still needed it.
var errExited = errors.New("exited early")
