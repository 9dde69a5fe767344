//go:build unix && !linux

package childproc

import (
	"os/exec"
	"syscall"
)

// own has no Pdeathsig outside Linux: a process that dies abruptly may
// leave its children, which end when their input closes.
func own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
