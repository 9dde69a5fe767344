package app

import (
	"context"

	"errors"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/helmet"
	"matthan/internal/analytics/notify"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/config"
	"matthan/internal/sqlite"
)

// EventsDir is where event snapshots are kept: DATA/events.
func EventsDir(data string) string { return filepath.Join(data, "events") }

// openAnalytics makes the node's street analytics: a pool of detector
// sessions shared by the cameras and the helmet classifier (or neither,
// with a clear log line, when ONNX Runtime is missing: cameras keep motion
// and tamper checks), the events sink, and the notifier when a webhook or a broker is
// configured (nil otherwise).
func openAnalytics(cfg config.Config, store *sqlite.DB, n *Node, log *slog.Logger) (*pipeline.Manager, *notify.Notifier, error) {
	var det analytics.Detector
	// A session runs one call at a time: one per core for the cameras.
	yolox, err := detect.NewPool(runtime.GOMAXPROCS(0), detect.Options{})
	switch {
	case errors.Is(err, detect.ErrUnavailable):
		log.Warn("analytics: motion only", "reason", err)
	case err != nil:
		return nil, nil, err
	default:
		// Frames with a little motion are searched on its regions, four
		// regions of any cameras to one model run; with
		// analytics.pair-frames, whole frames two to a run
		// (design/analytics.md).
		pair, _ := detect.ParsePairMode(cfg.Analytics.PairFrames) // checked by config: off otherwise
		det = detect.NewMosaic(yolox, detect.MosaicOptions{Pair: pair})
	}
	mc := pipeline.ManagerConfig{FPS: cfg.Analytics.FPS, Settings: cameraSettings(store, log), MainDecoders: cfg.Analytics.MainDecoders}
	if det != nil {
		if hc, err := helmet.NewClassifier(helmet.Options{}); err != nil {
			log.Warn("analytics: no helmet classifier; riders without a helmet are not checked", "reason", err)
		} else {
			mc.Helmet = hc
		}
	}
	sink := events.New(events.Config{Dir: EventsDir(cfg.Data), Store: store, Bus: n.Bus, Log: log})
	m := pipeline.NewManager(mc, store, n.Ingest, det, sink, log)

	a := cfg.Analytics
	var nc notify.Config
	if a.WebhookURL != "" {
		nc.Webhooks = []notify.Webhook{{URL: a.WebhookURL, Secret: a.WebhookSecret}}
	}
	if a.MQTT != "" {
		nc.MQTT = &notify.MQTT{Broker: a.MQTT}
	}
	if nc.Webhooks == nil && nc.MQTT == nil {
		return m, nil, nil
	}
	nc.Bus, nc.Log = n.Bus, log.With("component", "notify")
	nt, err := notify.New(nc)
	if err != nil {
		return nil, nil, err
	}
	return m, nt, nil
}

// cameraSettings reads each camera's analytics settings from the registry:
// the defaults for a camera without its own, and for one whose stored
// settings no longer read (the API checks them before storing, so that
// means a newer version wrote them), which the log says.
func cameraSettings(store matthan.AnalyticsSettingsStore, log *slog.Logger) func(string) pipeline.Settings {
	return func(id string) pipeline.Settings {
		stored, err := store.AnalyticsSettings(context.Background(), id)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			return pipeline.DefaultSettings()
		}
		if err != nil {
			log.Error("analytics: cannot read the camera's settings; using the defaults", "camera", id, "err", err)
			return pipeline.DefaultSettings()
		}
		s, err := pipeline.ParseSettings(stored.Settings)
		if err != nil {
			log.Error("analytics: the camera's stored settings are not valid; using the defaults", "camera", id, "err", err)
			return pipeline.DefaultSettings()
		}
		return s
	}
}

// pruneEvents deletes the analytics events nobody reviewed once they are
// keepDays old, with their snapshots, at once and then every interval.
// Events are kept far longer than footage (30 days by default): the
// footage of each event's span is what retention keeps longest.
func pruneEvents(store matthan.EventStore, dir string, keepDays int, interval time.Duration, now func() time.Time, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			n, err := events.Prune(ctx, store, dir, now().AddDate(0, 0, -keepDays))
			if err != nil && ctx.Err() == nil {
				log.Error("pruning old analytics events failed", "err", err)
			}
			if n > 0 {
				log.Info("analytics events past their keep time deleted", "count", n, "keep_days", keepDays)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
