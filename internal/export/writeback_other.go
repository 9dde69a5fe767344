//go:build !linux

package export

import "os"

// writeback is the file itself where the kernel cannot be asked to start
// writing a range early; the final fsync does all the work.
type writeback struct{ *os.File }

func newWriteback(f *os.File) writeback { return writeback{f} }
