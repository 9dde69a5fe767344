//go:build unix

package sim

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in its own process group and makes context
// cancellation kill the whole group, so no child outlives us.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
