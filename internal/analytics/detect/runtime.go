package detect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv names the environment variable that points at
// libonnxruntime.so.1 when it is not where `make setup` puts it.
const LibraryEnv = "MATTHAN_ONNXRUNTIME"

// repoLibrary is where `make setup` puts the library, relative to the repo.
const repoLibrary = "third_party/onnxruntime/libonnxruntime.so.1"

// ErrUnavailable matches (with errors.Is) every error saying that object
// detection cannot run on this machine; callers then go on with motion only.
var ErrUnavailable = errors.New("object detection unavailable")

// UnavailableError says why object detection cannot run, in English and
// Vietnamese.
type UnavailableError struct {
	Reason, ReasonVI string
	Err              error // the underlying cause, if any
}

func (e *UnavailableError) Error() string {
	s := "object detection unavailable: " + e.Reason +
		" / không dùng được nhận dạng vật thể: " + e.ReasonVI
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *UnavailableError) Unwrap() error        { return e.Err }
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// LibraryPath finds libonnxruntime.so.1 with no configuration: the file
// named by MATTHAN_ONNXRUNTIME if set, else the repo's third_party copy
// looked for from the working directory and the binary's directory upwards
// (so `bin/matthan`, `go run` and `go test` all find it), else the system's
// library directories.
func LibraryPath(getenv func(string) string) (string, error) {
	if p := getenv(LibraryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", &UnavailableError{
				Reason:   LibraryEnv + " names a missing file",
				ReasonVI: LibraryEnv + " chỉ tới một tệp không có",
				Err:      err,
			}
		}
		return p, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			if p := filepath.Join(dir, repoLibrary); fileExists(p) {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	for _, p := range []string{"/usr/lib/libonnxruntime.so.1", "/usr/local/lib/libonnxruntime.so.1",
		"/usr/lib/x86_64-linux-gnu/libonnxruntime.so.1", "/usr/lib/aarch64-linux-gnu/libonnxruntime.so.1"} {
		if fileExists(p) {
			return p, nil
		}
	}
	return "", &UnavailableError{
		Reason:   "libonnxruntime.so.1 not found (run `make setup` or set " + LibraryEnv + ")",
		ReasonVI: "không tìm thấy libonnxruntime.so.1 (chạy `make setup` hoặc đặt " + LibraryEnv + ")",
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// runtimeEnv is the process's one ONNX Runtime environment: the Go binding
// keeps it in globals, so it is loaded once, on first use, and kept for the
// life of the process (unloading the library while its threads may still
// exist is not safe). A failed load is retried by the next NewYOLOX.
var runtimeEnv struct {
	sync.Mutex
	path string // the library loaded, "" before the first success
}

// initRuntime loads the library at path unless one is already loaded.
func initRuntime(path string) error {
	runtimeEnv.Lock()
	defer runtimeEnv.Unlock()
	if runtimeEnv.path != "" {
		return nil
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return &UnavailableError{
			Reason:   fmt.Sprintf("cannot load ONNX Runtime from %s", path),
			ReasonVI: fmt.Sprintf("không nạp được ONNX Runtime từ %s", path),
			Err:      err,
		}
	}
	runtimeEnv.path = path
	return nil
}

// InitRuntime loads ONNX Runtime once per process, as NewYOLOX does, for
// other packages that run models (helmet). path "" finds the library with
// LibraryPath. Errors match ErrUnavailable.
func InitRuntime(path string) error {
	if path == "" {
		p, err := LibraryPath(os.Getenv)
		if err != nil {
			return err
		}
		path = p
	}
	return initRuntime(path)
}
