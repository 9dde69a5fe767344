// Command matthan is Mắt Thần's single binary: the node, the demo and the simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"matthan/internal/app"
	"matthan/internal/config"
)

var version = "dev" // set by the Makefile with -ldflags

var commands = []struct{ name, help string }{
	{"serve", "run the node: camera registry, ingest, RTSP restream and push, HTTP API"},
	{"demo", "run a simulated ward (8 cameras) and a node with them registered, on this machine"},
	{"sim", "serve simulated cameras over RTSP, with faults on demand, for tests and demos"},
	{"init", "first run: create the data directory, node key and user admin, printing its one-time password"},
	{"token", "API tokens: token create --user U [--name N] [--scope read,live] [--expires 90d] | list | revoke ID"},
	{"export", "export an evidence package (original clips, manifest, signature) of cameras for a time range"},
	{"verify", "check an evidence package offline and say exactly what is wrong with it"},
	{"detect", "detect objects in a video or picture file, one JSON line per analysed frame: detect [--fps 5] FILE"},
	{"eval", "measure detection and rules against the hand-made labels of the clips: eval [--labels DIR] [--json] [CLIPS...]"},
	{"version", "print the version"},
	{"help", "explain the commands (matthan help COMMAND lists its options)"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "matthan:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("matthan "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch cmd {
	case "serve":
		cfg, err := loadConfig(fs, args)
		if err != nil {
			return err
		}
		return app.Serve(ctx, cfg, version)
	case "demo":
		opts := app.DemoOptions{Out: stdout}
		fs.IntVar(&opts.Cameras, "cameras", 8, "number of simulated cameras")
		fs.StringVar(&opts.SimAddr, "sim", "127.0.0.1:8555", "address the simulated cameras listen on")
		fs.StringVar(&opts.Clips, "clips", "testdata/clips", "directory of source clips for the simulator")
		// The demo binds loopback unless --http or MATTHAN_HTTP says otherwise,
		// and shows analytics at 2 frames a second (8 cameras on a small machine).
		cfg, err := loadConfig(fs, args, func(c *config.Config) {
			c.HTTP = "127.0.0.1:8080"
			c.Analytics.Enabled, c.Analytics.FPS = true, 2
		})
		if err != nil {
			return err
		}
		return app.Demo(ctx, cfg, opts, version)
	case "sim":
		opts := app.SimOptions{Out: stdout}
		fs.IntVar(&opts.Cameras, "cameras", 8, "number of simulated cameras")
		fs.StringVar(&opts.RTSP, "rtsp", "127.0.0.1:8555", "RTSP listen address of the simulated cameras")
		fs.StringVar(&opts.Control, "control", "127.0.0.1:8556", "HTTP address of the fault-injection API")
		fs.IntVar(&opts.H265Every, "h265-every", 4, "every Nth camera's main stream is H.265 (0: none)")
		fs.StringVar(&opts.Clips, "clips", "testdata/clips", "directory of source clips")
		fs.StringVar(&opts.Cache, "cache", "", "directory for converted clips (default: the user cache directory)")
		fs.StringVar(&opts.LogLevel, "log-level", "info", "log level")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return app.Sim(ctx, opts)
	case "export":
		opts := app.ExportOptions{Out: stdout}
		opts.Flags(fs)                   // --camera, --from, --to, --reason, --case, --user, --stream, -o, --keep
		cfg, err := loadConfig(fs, args) // --data, --record.dir, --config, MATTHAN_*
		if err != nil {
			return err
		}
		return app.Export(ctx, cfg, opts)
	case "init":
		cfg, err := loadConfig(fs, args) // --data, --admin-password, MATTHAN_*
		if err != nil {
			return err
		}
		return app.Init(ctx, cfg, stdout)
	case "token":
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(stderr, "Usage: matthan token create --user U [--name N] [--scope read,live] [--expires 90d] | list [--user U] | revoke ID")
			return errors.New("token: give create, list or revoke")
		}
		sub := args[0]
		fs = flag.NewFlagSet("matthan token "+sub, flag.ContinueOnError)
		fs.SetOutput(stderr)
		opts := app.TokenOptions{Out: stdout}
		opts.Flags(fs)                       // --user, --name, --scope, --expires
		cfg, err := loadConfig(fs, args[1:]) // --data, --config, MATTHAN_*
		if err != nil {
			return err
		}
		return app.Token(ctx, cfg, sub, fs.Args(), opts)
	case "verify":
		opts := app.VerifyOptions{Out: stdout}
		opts.Flags(fs) // --key PUBLIC-KEY
		if err := opts.Parse(fs, args); err != nil {
			return err
		}
		return app.Verify(ctx, opts)
	case "detect":
		opts := app.DetectOptions{Out: stdout}
		opts.Flags(fs) // --fps, --duration, --min-score, --threads
		if err := opts.Parse(fs, args); err != nil {
			return err
		}
		return app.Detect(ctx, opts)
	case "eval":
		opts := app.EvalOptions{Out: stdout}
		opts.Flags(fs) // --labels, --clips, --json, --fps, --min-score, --threads
		if err := opts.Parse(fs, args); err != nil {
			return err
		}
		return app.Eval(ctx, opts)
	case "version":
		fmt.Fprintln(stdout, "matthan", version)
		return nil
	case "help", "-h", "--help":
		if len(args) == 1 && args[0] != "help" {
			return run(ctx, []string{args[0], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

// loadConfig reads the node configuration and validates it.
func loadConfig(fs *flag.FlagSet, args []string, defaults ...func(*config.Config)) (config.Config, error) {
	cfg, err := config.Load(fs, args, os.Getenv, defaults...)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Mắt Thần — the ward's community camera network.\n\nUsage: matthan COMMAND [options]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.help)
	}
	fmt.Fprintln(w, "\nOptions of serve and demo: see ref/config.md or `matthan help serve`.")
}
