package app

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"matthan/internal/config"
	"matthan/internal/export"
	"matthan/internal/sqlite"
)

// exportDeps is what the node makes evidence packages with over HTTP: the
// node's signing key (created on first use) and the exports directory.
func exportDeps(cfg config.Config, store *sqlite.DB, log *slog.Logger) (*export.Deps, error) {
	key, err := export.LoadOrCreateSigningKey(cfg.Data)
	if err != nil {
		return nil, err
	}
	node := cfg.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	return &export.Deps{Store: store, Index: store, RecordDir: cfg.RecordDir(), ExportDir: ExportDir(cfg.Data),
		Key: key, NodeName: node, Keep: cfg.Export.Keep, Log: log}, nil
}

// pruneInterval is how often kept packages past their keep time go.
const pruneInterval = 24 * time.Hour

// pruneExports deletes packages past their keep time at once and then
// every interval until ctx ends. export.Prune never deletes one younger
// than a year. A failure is logged and retried next time: it must not
// stop the node.
func pruneExports(dir string, interval time.Duration, now func() time.Time, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			gone, err := export.Prune(dir, now())
			if err != nil {
				log.Error("pruning evidence packages failed", "dir", dir, "err", err)
			}
			if len(gone) > 0 {
				log.Info("evidence packages past their keep time deleted", "count", len(gone), "ids", strings.Join(gone, ","))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
