package privacy

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcAttr puts ffmpeg in its own process group, kills the group when its
// context ends, and has the kernel kill it if this process dies first.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
}
