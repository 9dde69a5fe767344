//go:build !unix

package sim

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist; context
// cancellation still kills the process itself.
func setProcessGroup(*exec.Cmd) {}
