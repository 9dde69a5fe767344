package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"matthan"
	"matthan/internal/config"
	"matthan/internal/sim"
)

// DemoOptions are the demo's own flags.
type DemoOptions struct {
	Cameras int
	SimAddr string // where the simulated cameras listen
	Clips   string // source clips for the simulator
	Out     io.Writer
}

// Demo runs `matthan demo`: a simulated ward and a node with its cameras
// registered, on this machine.
func Demo(ctx context.Context, cfg config.Config, opts DemoOptions, version string) error {
	log := NewLogger(cfg, cfg.Node)
	if opts.Cameras < 1 || opts.Cameras > 1000 {
		return fmt.Errorf("--cameras must be from 1 to 1000, got %d", opts.Cameras)
	}
	fmt.Fprintf(opts.Out, "Mắt Thần %s — demo: preparing %d simulated cameras (the first run converts the clips, about a minute)…\n", version, opts.Cameras)
	lib, err := sim.Prepare(ctx, opts.Clips, filepath.Join(cfg.Data, "sim-cache"), log)
	if err != nil {
		return err
	}
	cams, err := sim.New(lib, sim.Config{Addr: opts.SimAddr, Cameras: opts.Cameras, H265Every: 4, StampTime: true}, log.With("component", "sim"))
	if err != nil {
		return err
	}
	if err := cams.Start(); err != nil {
		return fmt.Errorf("simulated cameras on %s: %w", opts.SimAddr, err)
	}
	defer cams.Close()

	n, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := Register(ctx, n.Store, cams.Cameras()); err != nil {
		n.close()
		return err
	}
	if err := seedCommunity(ctx, n, cams.Cameras()); err != nil {
		n.close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

	printDemoBanner(opts.Out, n)
	go reportStreaming(ctx, opts.Out, n, opts.Cameras)
	return <-done
}

// Register adds the cameras to the store, or refreshes their URLs and
// credentials if they exist (the simulator may listen elsewhere this time).
func Register(ctx context.Context, store matthan.Store, cams []matthan.Camera) error {
	for i := range cams {
		c := cams[i]
		old, err := store.Camera(ctx, c.ID)
		switch {
		case matthan.ErrorCode(err) == matthan.ENOTFOUND:
			err = store.CreateCamera(ctx, &c)
		case err == nil:
			old.MainURL, old.SubURL, old.Username, old.Password = c.MainURL, c.SubURL, c.Username, c.Password
			err = store.UpdateCamera(ctx, old)
		}
		if err != nil {
			return fmt.Errorf("registering camera %s: %w", c.ID, err)
		}
	}
	return nil
}

func printDemoBanner(w io.Writer, n *Node) {
	host := "http://" + displayAddr(n.HTTPAddr())
	pw := "(the password you configured)"
	if b, err := os.ReadFile(AdminPasswordFile(n.Config.Data)); err == nil {
		pw = strings.TrimSpace(string(b))
	}
	fmt.Fprintf(w, `
Mắt Thần is running / Mắt Thần đang chạy
  Screen / Màn hình trực:    %[1]s/               user admin, password %[2]s
  Camera owner / Chủ camera: %[1]s/my             user %[6]s, password %[7]s
  Transparency / Minh bạch:  %[1]s/transparency   (public: donations and the cameras they funded)
  Cameras / Camera (JSON):   %[1]s/api/cameras
  Metrics (Prometheus):      %[1]s/metrics
  Health / Kiểm tra:         %[1]s/healthz
  Restream (VLC, ffplay):    rtsp://admin:%[2]s@%[3]s/cam-001/main   (and /sub)
  Data / Dữ liệu:            %[4]s
  Recordings / Ghi hình:     %[5]s  (about 2 GB an hour for 8 cameras; the oldest
                             footage goes first to keep 5%% of the disk free)
Press Ctrl+C to stop / Nhấn Ctrl+C để dừng.

`, host, pw, displayAddr(n.RTSPAddr()), n.Config.Data, n.Config.RecordDir(), demoContributor, demoContributorPassword(n.Config.Data))
}

// reportStreaming says once how long it took until every camera streamed.
func reportStreaming(ctx context.Context, w io.Writer, n *Node, cameras int) {
	start := time.Now()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		streaming := 0
		for _, s := range n.Ingest.AllStatus() {
			if s.State == matthan.StateStreaming {
				streaming++
			}
		}
		if streaming >= 2*cameras {
			fmt.Fprintf(w, "All %d cameras are streaming (main and sub) after %.1f s / Tất cả %d camera đang phát.\n",
				cameras, time.Since(start).Seconds(), cameras)
			return
		}
		if time.Since(start) > 30*time.Second {
			fmt.Fprintf(w, "Only %d of %d streams are streaming after 30 s; see %s/api/cameras\n",
				streaming, 2*cameras, "http://"+displayAddr(n.HTTPAddr()))
			return
		}
	}
}

// displayAddr turns a listen address into one a person can open.
func displayAddr(addr string) string {
	if strings.HasPrefix(addr, ":") || strings.HasPrefix(addr, "0.0.0.0:") || strings.HasPrefix(addr, "[::]:") {
		return "127.0.0.1" + addr[strings.LastIndex(addr, ":"):]
	}
	return addr
}
