// Package childproc makes a helper process (ffmpeg, ffprobe) belong to its
// owner: it runs in its own process group, cancelling its context kills the
// whole group (ffmpeg's own children too), on Linux the kernel kills it if
// this process dies first, and Wait stops waiting on its pipes soon after.
// No ffmpeg outlives the node, a test, or a cancelled request.
package childproc

import (
	"os/exec"
	"time"
)

// waitDelay is how long Wait waits for the pipes after the process ended
// or was killed (a grandchild may still hold them).
const waitDelay = 2 * time.Second

// Own configures cmd, before Start, to belong to the caller as above.
func Own(cmd *exec.Cmd) {
	cmd.WaitDelay = waitDelay
	own(cmd)
}
