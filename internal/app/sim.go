package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"matthan/internal/sim"
)

// SimOptions are `matthan sim`'s flags.
type SimOptions struct {
	Cameras   int
	RTSP      string // RTSP listen address
	Control   string // fault-injection HTTP API address
	H265Every int
	Clips     string
	Cache     string
	LogLevel  string
	Out       io.Writer
}

// Sim runs `matthan sim`: simulated cameras and their fault-injection API.
func Sim(ctx context.Context, opts SimOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "sim")
	if opts.Cameras < 1 || opts.Cameras > 2000 {
		return fmt.Errorf("--cameras must be from 1 to 2000, got %d", opts.Cameras)
	}
	if opts.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		opts.Cache = filepath.Join(dir, "matthan", "sim")
	}
	lib, err := sim.Prepare(ctx, opts.Clips, opts.Cache, log)
	if err != nil {
		return err
	}
	s, err := sim.New(lib, sim.Config{Addr: opts.RTSP, Cameras: opts.Cameras, H265Every: opts.H265Every, StampTime: true}, log)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("simulated cameras on %s: %w", opts.RTSP, err)
	}
	defer s.Close()

	ln, err := net.Listen("tcp", opts.Control)
	if err != nil {
		return fmt.Errorf("fault-injection API on %s: %w", opts.Control, err)
	}
	hs := &http.Server{Handler: s.ControlHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	fmt.Fprintf(opts.Out, "Simulating %d cameras: %s … %s\nFaults: curl -X POST http://%s/cameras/cam-001/fault -d '{\"fault\":\"stall\"}'\n",
		opts.Cameras, s.URL(sim.CameraID(0), "main"), s.URL(sim.CameraID(opts.Cameras-1), "sub"), ln.Addr())
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
