package export

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how much of the package is written before the kernel
// is asked to start writing it to the disk.
const writebackEvery = 32 << 20

// writeback writes to a file and, every writebackEvery bytes, starts the
// kernel writing what came before to the disk (without waiting), so the
// disk works while the export hashes instead of all at the final fsync.
type writeback struct {
	f       *os.File
	off     int64 // bytes written
	started int64 // bytes handed to the disk so far
}

func newWriteback(f *os.File) *writeback { return &writeback{f: f} }

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writebackEvery {
		// Only a hint: an error here changes nothing that fsync would not report.
		_ = unix.SyncFileRange(int(w.f.Fd()), w.started, w.off-w.started, unix.SYNC_FILE_RANGE_WRITE)
		w.started = w.off
	}
	return n, err
}
