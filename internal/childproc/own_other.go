//go:build !unix

package childproc

import "os/exec"

// own relies on exec's default where process groups do not exist:
// cancelling the context kills the process itself.
func own(*exec.Cmd) {}
