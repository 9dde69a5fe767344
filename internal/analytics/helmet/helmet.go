// Package helmet tells whether a motorcycle rider wears a helmet: it cuts
// the rider-top crop of a person box by the rule the classifier was trained
// on (shared/data/rider_crops/SOURCES.md), classifies crops with the
// project's own tiny CNN (helmet_cls_64.onnx, about 0.9 accurate on its
// validation crops) through ONNX Runtime, and votes over several frames of
// a track, because single crops are noisy.
//
// The model is embedded in the binary; ONNX Runtime is loaded once per
// process through detect.InitRuntime. Without it NewClassifier returns an
// error matching detect.ErrUnavailable and the rule stays off.
package helmet

import (
	"context"
	_ "embed"
	"fmt"
	"image"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"matthan/internal/analytics/detect"
)

// helmetCls64 is the project's helmet classifier (trained with
// shared/tools/train_helmet.py; data under CC BY 4.0, see NOTICE).
// sha256 754f755a…4ade.
//
//go:embed helmet_cls_64.onnx
var helmetCls64 []byte

// Model scores rider-top crops; a better model can replace Classifier
// behind it.
type Model interface {
	// Classify returns, for each crop (as made by Crop), the probability
	// that the rider wears NO helmet, in order.
	Classify(ctx context.Context, crops []*image.RGBA) (pNoHelmet []float32, err error)
	Close() error
}

// Options tune NewClassifier. The zero value is the embedded model on one
// thread.
type Options struct {
	// LibraryPath is libonnxruntime.so.1; "" finds it as detect does.
	LibraryPath string
	// Model is an ONNX classifier with input [N,3,S,S] (RGB, 0..1) and
	// output [N,2] softmax (helmet, no_helmet); nil uses the embedded one.
	Model []byte
	// Threads is ONNX Runtime's intra-op thread count; 0 means 1, like the
	// detector, since cameras are analysed in parallel.
	Threads int
	// MaxBatch bounds the crops run through the model at once; 0 means 32.
	MaxBatch int
}

// Classifier is a Model running helmet_cls_64 through ONNX Runtime. It is
// safe for concurrent use; calls share one session and run one at a time.
type Classifier struct {
	opts   Options
	size   int // model input side, 64
	input  string
	output string

	mu      sync.Mutex // guards session and buf
	session *ort.DynamicAdvancedSession
	buf     []float32
}

var _ Model = (*Classifier)(nil)

// NewClassifier loads ONNX Runtime (once per process) and the model.
func NewClassifier(opts Options) (*Classifier, error) {
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 32
	}
	if opts.Model == nil {
		opts.Model = helmetCls64
	}
	if err := detect.InitRuntime(opts.LibraryPath); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("helmet: read model: %w", err)
	}
	if len(ins) != 1 || len(outs) != 1 {
		return nil, fmt.Errorf("helmet: model has %d inputs and %d outputs, want 1 and 1", len(ins), len(outs))
	}
	in, out := ins[0].Dimensions, outs[0].Dimensions
	if len(in) != 4 || in[1] != 3 || in[2] != in[3] || in[2] < 8 {
		return nil, fmt.Errorf("helmet: model input %s is %v, want [N 3 S S]", ins[0].Name, in)
	}
	if len(out) != 2 || out[1] != 2 {
		return nil, fmt.Errorf("helmet: model output %s is %v, want [N 2]", outs[0].Name, out)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("helmet: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
		return nil, fmt.Errorf("helmet: threads: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("helmet: threads: %w", err)
	}
	// Idle pool threads must not spin: the same cores record and analyse.
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("helmet: session option: %w", err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(opts.Model,
		[]string{ins[0].Name}, []string{outs[0].Name}, so)
	if err != nil {
		return nil, fmt.Errorf("helmet: load model: %w", err)
	}
	return &Classifier{opts: opts, size: int(in[2]), input: ins[0].Name, output: outs[0].Name, session: s}, nil
}

// InputSize is the side of the model's square input (64 for the embedded
// model).
func (c *Classifier) InputSize() int { return c.size }

// Classify returns P(no helmet) for each crop. Crops of any size are
// accepted, but the model was trained on CropSize crops made by Crop.
func (c *Classifier) Classify(ctx context.Context, crops []*image.RGBA) ([]float32, error) {
	for i, img := range crops {
		if img == nil || img.Bounds().Empty() {
			return nil, fmt.Errorf("helmet: crop %d is empty", i)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, fmt.Errorf("helmet: classifier is closed")
	}
	res := make([]float32, 0, len(crops))
	for len(crops) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(len(crops), c.opts.MaxBatch)
		p, err := c.run(crops[:n])
		if err != nil {
			return nil, err
		}
		res = append(res, p...)
		crops = crops[n:]
	}
	return res, nil
}

// run classifies one batch; c.mu is held.
func (c *Classifier) run(crops []*image.RGBA) ([]float32, error) {
	n, per := len(crops), 3*c.size*c.size
	if cap(c.buf) < n*per {
		c.buf = make([]float32, n*per)
	}
	buf := c.buf[:n*per]
	for i, img := range crops {
		toInput(img, c.size, buf[i*per:(i+1)*per])
	}
	in, err := ort.NewTensor(ort.NewShape(int64(n), 3, int64(c.size), int64(c.size)), buf)
	if err != nil {
		return nil, fmt.Errorf("helmet: input tensor: %w", err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), 2))
	if err != nil {
		return nil, fmt.Errorf("helmet: output tensor: %w", err)
	}
	defer out.Destroy()
	if err := c.session.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		return nil, fmt.Errorf("helmet: run model: %w", err)
	}
	probs := out.GetData()
	p := make([]float32, n)
	for i := range p {
		p[i] = probs[i*2+1] // columns: helmet, no_helmet
	}
	return p, nil
}

// Close frees the session. The ONNX Runtime library stays loaded for the
// life of the process.
func (c *Classifier) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		c.session.Destroy()
		c.session = nil
	}
	return nil
}
