// Package detect finds objects in frames with the shipped YOLOX-Nano model
// (COCO, 416x416, Apache-2.0) through ONNX Runtime, keeping only the classes
// the ward's rules use (analytics.Classes).
//
// The model is embedded in the binary; the ONNX Runtime library is loaded at
// run time (see LibraryPath). Without it NewYOLOX returns an error matching
// ErrUnavailable and the camera goes on with motion only.
package detect

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"matthan/internal/analytics"
)

// yoloxNano is YOLOX-Nano (Megvii, Apache-2.0), exported to ONNX by
// Kazuhito00 (Apache-2.0); see NOTICE. sha256 695e750a…eab14.
//
//go:embed yolox_nano_coco_416.onnx
var yoloxNano []byte

// Defaults of Options.
const (
	DefaultMinScore = 0.3
	DefaultNMSIoU   = 0.45
)

// Options tune NewYOLOX. The zero value is the shipped model with the
// default thresholds on one thread.
type Options struct {
	// LibraryPath is libonnxruntime.so.1; "" finds it with LibraryPath.
	LibraryPath string
	// Model is a YOLOX ONNX export with a square [1,3,S,S] input and 80 COCO
	// classes; nil uses the embedded YOLOX-Nano 416.
	Model []byte
	// MinScore drops detections scoring less (objectness × class); 0 means 0.3.
	MinScore float32
	// NMSIoU is the overlap above which a box of the same class as a better
	// one is dropped; 0 means 0.45.
	NMSIoU float32
	// Threads is ONNX Runtime's intra-op thread count; 0 means 1, because
	// cameras are analysed in parallel and each should stay on one core.
	Threads int
}

// YOLOX is an analytics.Detector running YOLOX through ONNX Runtime.
//
// It is safe for concurrent use: Detect calls share one session and its
// tensors and so run one at a time. For more throughput on several cores,
// make one YOLOX per core.
type YOLOX struct {
	opts Options
	size int // model input side, 416

	mu      sync.Mutex // guards everything below
	session *ort.AdvancedSession
	input   *ort.Tensor[float32]
	output  *ort.Tensor[float32]
	plans   []*resizePlan // by frame size, few: cameras share sub-stream sizes
}

// NewYOLOX loads ONNX Runtime (once per process) and the model.
func NewYOLOX(opts Options) (*YOLOX, error) {
	if opts.MinScore == 0 {
		opts.MinScore = DefaultMinScore
	}
	if opts.NMSIoU == 0 {
		opts.NMSIoU = DefaultNMSIoU
	}
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	if opts.Model == nil {
		opts.Model = yoloxNano
	}
	if opts.LibraryPath == "" {
		p, err := LibraryPath(os.Getenv)
		if err != nil {
			return nil, err
		}
		opts.LibraryPath = p
	}
	if err := initRuntime(opts.LibraryPath); err != nil {
		return nil, err
	}

	ins, outs, err := ort.GetInputOutputInfoWithONNXData(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("detect: read model: %w", err)
	}
	if len(ins) != 1 || len(outs) != 1 {
		return nil, fmt.Errorf("detect: model has %d inputs and %d outputs, want 1 and 1", len(ins), len(outs))
	}
	in, out := ins[0].Dimensions, outs[0].Dimensions
	// The shipped model's batch dimension is fixed at 1, so Detect runs a
	// batch frame by frame through this one session.
	if len(in) != 4 || in[0] != 1 || in[1] != 3 || in[2] != in[3] || in[2] < 32 || in[2]%32 != 0 {
		return nil, fmt.Errorf("detect: model input %s is %v, want [1 3 S S]", ins[0].Name, in)
	}
	size := int(in[2])
	if want := ort.NewShape(1, int64(outputRows(size)), 5+numClasses); !out.Equals(want) {
		return nil, fmt.Errorf("detect: model output %s is %v, want %v", outs[0].Name, out, want)
	}

	y := &YOLOX{opts: opts, size: size}
	ok := false
	defer func() {
		if !ok {
			y.destroy()
		}
	}()
	if y.input, err = ort.NewEmptyTensor[float32](ort.NewShape(1, 3, in[2], in[3])); err != nil {
		return nil, fmt.Errorf("detect: input tensor: %w", err)
	}
	if y.output, err = ort.NewEmptyTensor[float32](out.Clone()); err != nil {
		return nil, fmt.Errorf("detect: output tensor: %w", err)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("detect: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
		return nil, fmt.Errorf("detect: threads: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("detect: threads: %w", err)
	}
	// Idle pool threads must not spin: the same cores record and analyse
	// other cameras.
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("detect: session option: %w", err)
	}
	y.session, err = ort.NewAdvancedSessionWithONNXData(opts.Model,
		[]string{ins[0].Name}, []string{outs[0].Name},
		[]ort.Value{y.input}, []ort.Value{y.output}, so)
	if err != nil {
		return nil, fmt.Errorf("detect: load model: %w", err)
	}
	ok = true
	return y, nil
}

// Detect finds objects in each frame; result i belongs to frames[i], best
// score first, boxes in pixels of that frame.
func (y *YOLOX) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	for _, f := range frames {
		if err := checkFrame(f); err != nil {
			return nil, err
		}
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	if y.session == nil {
		return nil, fmt.Errorf("detect: detector is closed")
	}
	res := make([][]analytics.Detection, len(frames))
	for i, f := range frames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := y.plan(f.Width, f.Height)
		p.letterbox(f, y.input.GetData(), y.size)
		if err := y.session.Run(); err != nil {
			return nil, fmt.Errorf("detect: run model on camera %q: %w", f.CameraID, err)
		}
		res[i] = decode(y.output.GetData(), y.size, p.ratio, f.Width, f.Height, y.opts.MinScore, y.opts.NMSIoU)
	}
	return res, nil
}

// plan returns the resize plan for a frame size, making it on first use.
func (y *YOLOX) plan(w, h int) *resizePlan {
	if i := slices.IndexFunc(y.plans, func(p *resizePlan) bool { return p.srcW == w && p.srcH == h }); i >= 0 {
		return y.plans[i]
	}
	p := newResizePlan(w, h, y.size)
	if len(y.plans) >= 16 { // a bound, should sizes keep changing
		y.plans = y.plans[1:]
	}
	y.plans = append(y.plans, p)
	return p
}

// Close frees the session and its tensors. The ONNX Runtime library stays
// loaded for the life of the process.
func (y *YOLOX) Close() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.destroy()
	return nil
}

func (y *YOLOX) destroy() {
	if y.session != nil {
		y.session.Destroy()
		y.session = nil
	}
	if y.input != nil {
		y.input.Destroy()
		y.input = nil
	}
	if y.output != nil {
		y.output.Destroy()
		y.output = nil
	}
}

var _ analytics.Detector = (*YOLOX)(nil)
