//go:build linux

package benchproc

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ErrExited says a child ended while the benchmark still needed it.
var ErrExited = errors.New("exited early")

// Child is a process the benchmark started, in a process group of its own
// so that it and anything it forks can be stopped together.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// PID is the process's ID (also its process group's).
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Done is closed when the process has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the process has ended.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Err is how the process ended (exec.Cmd.Wait's result); nil while it runs.
func (c *Child) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Children are the processes a benchmark has started and not stopped yet,
// so that every exit path can stop what is left. The zero value is ready.
type Children struct {
	mu  sync.Mutex
	all map[*Child]struct{}
}

// Start starts name with args and keeps it in the set. Its output goes to
// stdout and stderr (nil: discarded). If the benchmark dies, the kernel
// kills the child (Pdeathsig) so that no camera load outlives it.
func (cs *Children) Start(name string, args []string, stdout, stderr io.Writer) (*Child, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &Child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.all == nil {
		cs.all = map[*Child]struct{}{}
	}
	cs.all[c] = struct{}{}
	return c, nil
}

// Stop stops the given children (all of them when none are given) and
// forgets them: each process group is asked to stop (SIGTERM), then what
// is left after grace is killed (SIGKILL). It returns once all have exited.
func (cs *Children) Stop(grace time.Duration, which ...*Child) {
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
	stop(which, grace)
}

func stop(children []*Child, grace time.Duration) {
	for _, c := range children {
		if !c.Exited() {
			_ = syscall.Kill(-c.PID(), syscall.SIGTERM)
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
		if !c.Exited() {
			_ = syscall.Kill(-c.PID(), syscall.SIGKILL)
			<-c.done
		}
	}
}
