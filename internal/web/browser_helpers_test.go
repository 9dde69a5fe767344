package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserPage returns the two ways the browser tests drive a Chromium tab:
// eval runs a script that returns a string; wait polls a boolean script
// from Go, so that it survives the page navigating away, for up to 30 s
// (a loaded machine is slow).
func browserPage(t *testing.T, ctx context.Context) (eval func(js string) string, wait func(js string)) {
	eval = func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	wait = func(js string) {
		t.Helper()
		var err error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var ok bool
			if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		t.Fatalf("waiting for %s: %v", js, err)
	}
	return eval, wait
}
