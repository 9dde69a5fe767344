//go:build !linux

package privacy

import (
	"os/exec"
	"time"
)

func setProcAttr(cmd *exec.Cmd) { cmd.WaitDelay = 2 * time.Second }
